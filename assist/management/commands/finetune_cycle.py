"""`manage.py finetune_cycle [--force] [--json]`: snapshot, train, evaluate and decide, as the nightly beat
task does. With --json the last line is one object: snapshot, run, adapter, matrix, decision, reason."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assist.learning import finetune_cycle


class Command(BaseCommand):
    help = "Run the fine-tuning cycle now: snapshot, LoRA training, evaluation matrix, promotion decision."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Ignore FINETUNE_MIN_NEW_EXAMPLES.")
        parser.add_argument("--json", action="store_true", help="End with one JSON line.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = finetune_cycle(
            force=options["force"], by="finetune_cycle", progress=lambda text: self.stderr.write(f"  {text}")
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(f"{result.decision}: {result.reason}")
