"""`manage.py promote_adapter NAME [--reason TEXT]`: make an adapter the one drafts are generated with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_ft.models import Adapter
from models_ft.registry import adapter_promote
from support.core.errors import DomainError


class Command(BaseCommand):
    help = "Promote an adapter from the registry (the active one is retired, never overwritten)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--reason", default="", help="Why, for the record.")

    def handle(self, *args: Any, **options: Any) -> None:
        adapter = Adapter.objects.filter(name=options["name"]).first()
        if adapter is None:
            raise CommandError(f"No adapter named {options['name']!r}.")
        try:
            adapter_promote(adapter=adapter, by="promote_adapter", reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{adapter.name} is now active.")
