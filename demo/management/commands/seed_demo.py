"""`manage.py seed_demo`: load the Quillfeather demo company (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from assist.backfill import backfill_queue
from demo.seed import TICKET_COUNT, demo_seed


class Command(BaseCommand):
    help = "Load the demo company: products, plans, organizations, customers, incidents, tickets, users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(
            total=TICKET_COUNT,
            desc="demo tickets",
            unit="ticket",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            report = demo_seed(progress=bar.update)
        self.stdout.write(
            f"Demo company ready: {report.products} products, {report.organizations} organizations, "
            f"{report.customers} customers, {report.incidents} incidents, {report.tickets_total} tickets "
            f"({report.tickets_created} new), {report.messages_total} messages, "
            f"{report.documents} policy documents (embedding queued for the workers)."
        )
        # The first training run needs examples: the solved tickets' replies, once the library is embedded.
        if backfill_queue():
            self.stdout.write(
                "Training: backfill of the solved tickets and the demo base model queued for the workers."
            )
        else:
            self.stdout.write(
                "Training: run `manage.py backfill_examples` and `manage.py make_demo_model` (no broker)."
            )
        password = settings.DEMO_PASSWORD if settings.DEBUG else "the value of DEMO_PASSWORD"
        self.stdout.write(f"Demo users: agent, knowledge, admin (password: {password}).")
