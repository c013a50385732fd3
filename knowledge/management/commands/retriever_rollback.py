"""`manage.py retriever_rollback`: search goes back to the model it served before the active adapted
retriever (an earlier one, or the stock model); the library is re-embedded back in the background."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from knowledge import api as knowledge
from support.core.errors import DomainError


class Command(BaseCommand):
    help = "Roll the retriever back to the model search served before the active adapted one."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = knowledge.retriever_rollback(by="retriever_rollback")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if knowledge.embedding_model() == model:
            self.stdout.write(f"Rolled back: search serves {model} (its vectors were never replaced).")
        else:
            self.stdout.write(f"Rolled back: search will serve {model} once the library is re-embedded.")
