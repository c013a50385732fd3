"""`manage.py backfill_examples [--since DATE]`: training examples from the agent replies of solved tickets,
each with the prompt the console would have assembled just before it was sent."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from assist.learning import examples_backfill
from support.core.progress import command_progress


def _moment(text: str) -> datetime:
    parsed = parse_datetime(text)
    if parsed is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--since {text!r} is not a date (YYYY-MM-DD) or a date and time.")
        parsed = datetime.combine(day, time.min)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Turn agent replies on solved tickets into training examples (customers who agreed to training)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="Only replies sent on or after this date (YYYY-MM-DD).")
        parser.add_argument(
            "--as",
            dest="acting",
            help="User whose rights assemble the prompts of replies without a known author "
            "(default: the first administrator).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _moment(options["since"]) if options["since"] else None
        acting = None
        if options["acting"]:
            acting = get_user_model().objects.filter(username=options["acting"], is_active=True).first()
            if acting is None:
                raise CommandError(f"No active user {options['acting']!r}.")
        with command_progress(
            self, desc="backfilling", unit="reply", disable=options["no_progress"]
        ) as progress:
            result = examples_backfill(since=since, acting_user=acting, progress=progress)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.replies} replies: {result.created} new examples, {result.already} already examples, "
            f"{len(result.skipped)} skipped."
        )
        for skipped in result.skipped[:20]:
            self.stdout.write(f"  skipped reply {skipped['message_id']}: {skipped['reason']}")
        if len(result.skipped) > 20:
            self.stdout.write(f"  … and {len(result.skipped) - 20} more")
