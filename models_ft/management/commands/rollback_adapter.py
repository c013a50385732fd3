"""`manage.py rollback_adapter [--reason TEXT]`: go back to the adapter active before the current one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_ft.registry import adapter_rollback
from support.core.errors import DomainError


class Command(BaseCommand):
    help = "Roll back to the previously active adapter (or to the bare base model)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", default="", help="Why, for the record.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = adapter_rollback(by="rollback_adapter", reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{before.name} is active again."
            if before
            else "No adapter is active: drafts use the base model."
        )
