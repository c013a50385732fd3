"""`manage.py eval_drafts --documents F --queries F [--input query|conversation] [--limit N] [--json]`, or
`manage.py eval_drafts --tickets [--since DATE] [--limit N] [--json]`: drafts, made as the console makes
them, scored against the replies agents wrote (see `assist.evaluation`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assist import evaluation
from assist.management.commands.backfill_examples import _moment
from knowledge import api as knowledge
from models_ft.api import GenerationError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = (
        "Score drafts against real agent replies: on a documents file and a queries file (shared/datasets "
        "format, rows with a gold reply), in an isolated collection, or on the replies of solved tickets "
        "(--tickets). Prints n, answered, chrF, ROUGE-L, token F1, citation precision, grounded rate and "
        "latency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", type=Path, help="JSONL: id, title, text, ...")
        parser.add_argument(
            "--queries", type=Path, help="JSONL: id, query, scenario?, dialogue?, gold_doc_ids?, gold_reply"
        )
        parser.add_argument(
            "--input",
            choices=evaluation.INPUT_MODES,
            help="query (default): query + scenario as one customer message; conversation: the dialogue as "
            "the ticket's conversation.",
        )
        parser.add_argument(
            "--tickets",
            action="store_true",
            help="Score the public agent replies of solved and closed tickets instead of a dataset.",
        )
        parser.add_argument(
            "--since", help="With --tickets: only replies sent on or after this date (YYYY-MM-DD)."
        )
        parser.add_argument("--limit", type=int, help="Only the first N rows (or replies).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object on the last line.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            report = self._tickets(options) if options["tickets"] else self._dataset(options)
        except GenerationError as exc:
            raise CommandError(f"The model could not write a draft: {exc.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        for key, value in report.items():
            self.stdout.write(f"{key:>18}  {'-' if value is None else value}")

    def _tickets(self, options: dict[str, Any]) -> dict[str, Any]:
        given = [f"--{name}" for name in ("documents", "queries", "input") if options[name] is not None]
        if given:
            raise CommandError(f"--tickets scores the solved tickets; it takes no {', '.join(given)}.")
        since = _moment(options["since"]) if options["since"] else None
        with command_progress(self, desc="drafting", unit="reply") as progress:
            return evaluation.tickets_evaluate(since=since, limit=options["limit"], progress=progress)

    def _dataset(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["documents"] is None and options["queries"] is None:
            raise CommandError("Give --documents and --queries (a dataset), or --tickets.")
        if options["since"]:
            raise CommandError("--since is for --tickets only.")
        for name in ("documents", "queries"):
            if options[name] is None:
                raise CommandError(f"--{name} is missing: a dataset needs --documents and --queries.")
            if not options[name].is_file():
                raise CommandError(f"--{name}: no such file: {options[name]}")
        try:
            cases = evaluation.cases_load(
                options["queries"], input_mode=options["input"] or "query", limit=options["limit"]
            )
            if not cases:
                raise CommandError("No row has a gold reply; nothing to score.")
            with command_progress(self, desc="loading documents", unit="doc") as progress:
                collection = knowledge.evaluation_collection_load(options["documents"], progress=progress)
            with command_progress(self, desc="embedding", unit="chunk") as progress:
                knowledge.evaluation_collection_embed(collection, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except KeyError as exc:
            raise CommandError(f"{options['documents'].name}: a record has no {exc} field.") from None
        with command_progress(self, desc="drafting", unit="row") as progress:
            return evaluation.cases_evaluate(collection, cases, progress=progress)
