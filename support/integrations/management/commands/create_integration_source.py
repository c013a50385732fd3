"""`manage.py create_integration_source NAME [--slug SLUG] [--kind generic|zendesk|freshdesk] [--secret S]`
registers a ticketing system and prints its secret once."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from support.core.errors import DomainError
from support.integrations.models import IntegrationSource
from support.integrations.services import source_create


class Command(BaseCommand):
    help = "Register a ticketing system that sends signed events, and print its secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the system is, e.g. 'Zendesk production'.")
        parser.add_argument(
            "--slug", default="", help="Its short name in URLs and records (default: made from NAME)."
        )
        parser.add_argument(
            "--kind",
            default=IntegrationSource.Kind.GENERIC,
            choices=IntegrationSource.Kind.values,
            help="What its webhooks look like (default: Openbook's generic signed events).",
        )
        parser.add_argument(
            "--secret",
            default="",
            help="The secret it signs with, when the system makes its own (Zendesk's signing secret); "
            "default: a new random one. Better passed as OPENBOOK_SOURCE_SECRET than on the command line.",
        )
        parser.add_argument("--quiet", action="store_true", help="Print only the secret.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source, secret = source_create(
                name=options["name"],
                slug=options["slug"],
                kind=options["kind"],
                secret=options["secret"] or os.environ.get("OPENBOOK_SOURCE_SECRET", ""),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["quiet"]:
            self.stdout.write(secret)
            return
        self.stdout.write(f"Source:  {source.slug} ({source.get_kind_display()})")
        self.stdout.write(f"Events:  POST /api/v1/integrations/{source.slug}/events")
        self.stdout.write(f"Secret:  {secret}")
        self.stdout.write("Store the secret now: it is not shown again.")
