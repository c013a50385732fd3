"""Writes of `models_ft`. Called through `models_ft.api`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from django.db import IntegrityError, transaction

from .contracts import PromptMessage, Role
from .models import TrainingExample

_ROLES = frozenset(get_args(Role))


def training_example_create(
    *,
    messages: Sequence[PromptMessage],
    draft: str,
    sent: str,
    outcome: str,
    ticket_id: int,
    customer_id: int,
    suggestion_id: int | None = None,
) -> TrainingExample:
    """Store one training example. With a `suggestion_id` that already has an example, that example is
    returned unchanged: a send recorded twice (a retried task) must not weigh twice in training.

    Raises ValueError for an outcome other than accepted/edited/rewritten, an empty prompt, an unknown role
    or an empty sent reply."""
    if outcome not in TrainingExample.Outcome.values:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(TrainingExample.Outcome.values)}.")
    if not messages:
        raise ValueError("messages is empty: an example needs the prompt the draft was generated from.")
    for message in messages:
        if message.role not in _ROLES:
            raise ValueError(f"message role {message.role!r} is not one of {', '.join(sorted(_ROLES))}.")
    if not sent.strip():
        raise ValueError("sent is empty: an example needs the reply the agent sent.")

    if suggestion_id is not None:
        existing = TrainingExample.objects.filter(suggestion_id=suggestion_id).first()
        if existing is not None:
            return existing
    row = TrainingExample(
        messages=[{"role": m.role, "content": m.content} for m in messages],
        draft=draft,
        sent=sent,
        outcome=outcome,
        ticket_id=ticket_id,
        customer_id=customer_id,
        suggestion_id=suggestion_id,
    )
    try:
        # A savepoint, so losing the race to a concurrent record of the same suggestion leaves the caller's
        # transaction usable.
        with transaction.atomic():
            row.save()
    except IntegrityError:
        if suggestion_id is None:
            raise
        return TrainingExample.objects.get(suggestion_id=suggestion_id)
    return row
