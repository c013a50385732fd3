"""`manage.py make_demo_model [OUT]`: a small causal language model trained here on the demo company's text
(no weights can be downloaded on the machines that build Openbook), saved in the standard transformers
layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from demo.documents import demo_documents
from models_ft.api import DEMO_MODEL_STEPS, demo_model_make
from support.tickets.models import TicketMessage


class Command(BaseCommand):
    help = (
        "Build the demo base model (tokenizer + small Llama) from the demo company's documents and tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", nargs="?", type=Path, help="Output folder (default: BASE_MODEL).")
        parser.add_argument("--steps", type=int, default=DEMO_MODEL_STEPS, help="Pre-training steps.")
        parser.add_argument("--force", action="store_true", help="Rebuild even if the folder holds a model.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"] or Path(settings.BASE_MODEL)
        if (out / "config.json").exists() and not options["force"]:
            self.stdout.write(f"{out} already holds a model (use --force to rebuild it).")
            return
        if options["steps"] < 1:
            raise CommandError("--steps must be at least 1.")
        texts = [d.body for d in demo_documents()]
        texts += list(TicketMessage.objects.filter(public=True).values_list("body", flat=True)[:5000])
        with tqdm(
            total=options["steps"],
            unit="step",
            desc="pre-training",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:

            def progress(step: int, steps: int, loss: float) -> None:
                bar.set_postfix(loss=f"{loss:.3f}")
                bar.update(step - bar.n)

            made = demo_model_make(out=out, texts=texts, steps=options["steps"], progress=progress)
        summary = {
            "texts": made.texts,
            "tokens": made.tokens,
            "final_loss": made.final_loss,
            "seconds": made.seconds,
        }
        self.stdout.write(f"Demo model saved in {out}: {json.dumps(summary)}")
