"""`manage.py evaluate_adapter ADAPTER [--json]`: the evaluation matrix of an adapter on its snapshot's
held-out examples: {base, active, candidate} x {with, without retrieval}, plus the extractive backend."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge import api as knowledge
from models_ft.cycle import adapter_evaluate
from models_ft.evaluation.matrix import matrix_table
from models_ft.models import Adapter
from support.core.errors import DomainError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = "Evaluate an adapter against the base model and the active adapter, with and without retrieval."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("adapter", help="The adapter's name (see the registry).")
        parser.add_argument("--json", action="store_true", help="Print the matrix as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        adapter = Adapter.objects.select_related("snapshot").filter(name=options["adapter"]).first()
        if adapter is None:
            raise CommandError(f"No adapter named {options['adapter']!r}.")
        with (
            knowledge.local_query_embedding(),
            command_progress(
                self, desc="evaluating", unit="draft", disable=options["no_progress"]
            ) as progress,
        ):
            try:
                stored, matrix = adapter_evaluate(
                    adapter=adapter, embed=lambda texts: knowledge.text_vectors(texts)[1], progress=progress
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"id": stored.pk, **matrix.as_dict()}))
            return
        self.stdout.write(matrix_table(matrix))
