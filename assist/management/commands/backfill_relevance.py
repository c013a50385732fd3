"""`manage.py backfill_relevance [--since DATE] [--json]`: relevance pairs for the retriever from resolved
tickets (the passages their replies relied on, and the retrieved ones they did not use)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assist.relevance import relevance_backfill
from support.core.progress import command_progress

from .backfill_examples import _moment


class Command(BaseCommand):
    help = "Relevance pairs for the retriever from resolved tickets of customers who agreed to training."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Only tickets resolved on or after this date (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _moment(options["since"]) if options["since"] else None
        with command_progress(
            self, desc="resolved tickets", unit="ticket", disable=options["no_progress"]
        ) as progress:
            result = relevance_backfill(since=since, progress=progress)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.tickets} resolved tickets: {result.relevant} gave a relevant passage "
            f"({result.not_relevant} passages marked not relevant), {result.unclear} unclear, "
            f"{len(result.skipped)} skipped."
        )
