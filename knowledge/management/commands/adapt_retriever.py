"""`manage.py adapt_retriever [--json] [--config JSON] [--promote]`: adapt the embedding model to the
relevance pairs now (in this process, with a progress bar), score it against the model search serves on the
held-out pairs, and judge it; `--promote` promotes it when it passes the gate."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge import api as knowledge
from support.core.errors import DomainError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = "Adapt the retriever (embedding model) to the relevance pairs, and judge it on held-out pairs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--config", help='Training settings as JSON, e.g. {"epochs": 2} (over RETRIEVER_CONFIG).'
        )
        parser.add_argument(
            "--promote", action="store_true", help="Promote the result if it passes the gate."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        config = None
        if options["config"]:
            try:
                config = json.loads(options["config"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--config is not valid JSON ({exc.msg}).") from None
        try:
            run = knowledge.retriever_run_create(by="adapt_retriever", config=config)
            with (
                knowledge.local_query_embedding(),
                command_progress(
                    self, desc="adapting", unit="step", disable=options["no_progress"]
                ) as progress,
            ):
                run = knowledge.retriever_adapt(run_id=run.pk, progress=progress)
            promoted = False
            if options["promote"] and run.state == "candidate":
                run = knowledge.retriever_promote(run_id=run.pk, by="adapt_retriever")
                promoted = True
        except DomainError as exc:
            raise CommandError(exc.message) from None
        result = {
            "run": run.pk,
            "name": run.name,
            "state": run.state,
            "pairs_train": run.pairs_train,
            "pairs_held_out": run.pairs_held_out,
            "training_seconds": run.training_seconds,
            "metrics": run.metrics,
            "gate": run.gate,
            "promoted": promoted,
            "error": run.error,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        if run.state == "failed":
            raise CommandError(f"{run.name} failed: {run.error}")
        current, adapted = run.metrics.get("current", {}), run.metrics.get("adapted", {})
        self.stdout.write(
            f"{run.name}: trained on {run.pairs_train} pairs in {run.training_seconds} s; "
            f"judged on {run.pairs_held_out} held-out pairs."
        )
        for key in ("recall@1", "recall@5", "mrr@10"):
            self.stdout.write(
                f"  {key:>9}  current {current.get(key, 0):.3f}  adapted {adapted.get(key, 0):.3f}"
            )
        verdict = "passed the gate" if run.gate.get("passed") else "; ".join(run.gate.get("reasons", []))
        self.stdout.write(f"{run.name} is {run.state}: {verdict}.")
        if promoted:
            self.stdout.write("Promoted: the library is being re-embedded into it in the background.")
