"""`manage.py evaluate_adapter ADAPTER [--json]`: the evaluation matrix of an adapter on its snapshot's
held-out examples: {base, active, candidate} x {with, without retrieval}, plus the extractive backend."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assist.learning import adapter_evaluate
from models_ft.api import evaluation_table
from support.core.errors import DomainError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = "Evaluate an adapter against the base model and the active adapter, with and without retrieval."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("adapter", help="The adapter's name (see the registry).")
        parser.add_argument("--json", action="store_true", help="Print the matrix as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        with command_progress(
            self, desc="evaluating", unit="draft", disable=options["no_progress"]
        ) as progress:
            try:
                evaluation = adapter_evaluate(name=options["adapter"], progress=progress)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"id": evaluation.id, **evaluation.as_dict()}))
            return
        self.stdout.write(evaluation_table(evaluation))
