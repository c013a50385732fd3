"""`manage.py import_relevance FILE [--json]`: relevance pairs for the retriever from a file in the datasets'
query format (JSONL rows with `query` or `dialogue`, optional `scenario`, and `gold_doc_ids` naming live
documents by external id, slug or id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assist.relevance import relevance_import
from support.core.errors import DomainError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = "Import relevance pairs (question, gold documents) for the retriever to learn from."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="JSONL: id, query or dialogue, scenario?, gold_doc_ids")
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with command_progress(
                self, desc="importing", unit="row", disable=options["no_progress"]
            ) as progress:
                result = relevance_import(path, by="import_relevance", progress=progress)
        except (ValueError, DomainError) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.rows} rows: {result.recorded} new relevance pairs, {result.already} already imported, "
            f"{result.without_gold} rows without gold documents."
        )
        if result.unknown_documents:
            shown = ", ".join(result.unknown_documents[:10])
            self.stdout.write(f"Gold documents not in the live library (left out): {shown}")
