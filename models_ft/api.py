"""The one door into `models_ft` for the rest of Openbook. Plain functions, frozen values.

Which backend drafts replies is a setting (`GENERATION_BACKEND`), read on every call. The active adapter is
the registry's active one (`models_ft.registry`), read every few seconds, so a promotion reaches the workers
without a restart; `GENERATION_ADAPTER` (with `GENERATION_ADAPTER_PATH` for the local backend) overrides it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from django.conf import settings

from .contracts import (
    BackendInfo,
    DraftFacts,
    GenerationError,
    GenerationRequest,
    Passage,
    PromptMessage,
)

__all__ = [
    "BACKENDS",
    "BackendInfo",
    "DraftFacts",
    "GenerationError",
    "GenerationRequest",
    "Passage",
    "PromptMessage",
    "backend_info",
    "example_record",
    "examples_forget",
    "examples_recorded",
    "generate",
]

BACKENDS = ("extractive", "local", "openai")


def _backend() -> str:
    backend = str(settings.GENERATION_BACKEND)
    if backend not in BACKENDS:
        raise GenerationError(
            f"GENERATION_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}.", retryable=False
        )
    return backend


def active_adapter() -> str | None:
    """The name of the adapter drafts are generated with, or None for the bare model: GENERATION_ADAPTER
    when set, else, for the local backend, the folder of the adapter it loads (`local.configured`, which
    takes the registry's active adapter only when it was trained on GENERATION_MODEL), else the registry's
    active adapter. Raises GenerationError when the local backend is misconfigured."""
    name = str(settings.GENERATION_ADAPTER or "").strip()
    if name:
        return name
    if _backend() == "local":
        from .serving import local

        path = local.configured().adapter_path
        return (Path(path).name or path) if path else None
    from .registry import active_adapter as registry_active

    active = registry_active()
    return active.name if active is not None else None


def generate(request: GenerationRequest) -> Iterator[str]:
    """Stream the draft for `request` as pieces of text (words or tokens) from the configured backend.

    Raises GenerationError for every expected failure: `retryable` for timeouts and unreachable or busy
    servers, not retryable for misconfiguration or a request the server refuses. The error may come before
    the first piece or in the middle of the stream; nothing is checked or loaded before the first `next()`."""
    backend = _backend()
    if backend == "extractive":
        from .serving import extractive

        yield from extractive.generate(request)
        return
    max_new_tokens = min(request.max_new_tokens, int(settings.GENERATION_MAX_NEW_TOKENS))
    if backend == "local":
        from .serving import local

        yield from local.generate(request, max_new_tokens=max_new_tokens)
        return
    from .serving import openai_compat

    yield from openai_compat.generate(request, max_new_tokens=max_new_tokens, adapter=active_adapter())


def backend_info() -> BackendInfo:
    """Which backend, model and adapter `generate` uses now."""
    backend = _backend()
    if backend == "extractive":
        return BackendInfo(backend=backend, model="extractive", adapter=None)
    if backend == "local":
        return BackendInfo(backend=backend, model=str(settings.GENERATION_MODEL), adapter=active_adapter())
    return BackendInfo(backend=backend, model=str(settings.GENERATION_OPENAI_MODEL), adapter=active_adapter())


def example_record(
    *,
    messages: Sequence[PromptMessage],
    draft: str,
    sent: str,
    outcome: str,
    ticket_id: int,
    customer_id: int,
    suggestion_id: int | None = None,
    message_id: int | None = None,
    person: dict[str, str] | None = None,
    sent_at: datetime | None = None,
    backfilled: bool = False,
) -> int:
    """Store what the model was shown, what it drafted and what the agent sent as a training example, and
    return its id. Only for customers who agreed to training: the caller checks.

    `outcome` is accepted, edited or rewritten (backfilled for a reply rebuilt by `backfill_examples`, which
    had no draft). `message_id` is the reply as posted on the ticket and `person` the customer's name,
    e-mail and phone as on record: dataset snapshots replace them by placeholders. Recording the same
    suggestion or reply again returns the first example's id. Raises ValueError for an unknown outcome or
    role, no messages, or an empty reply."""
    from .services import training_example_create

    return training_example_create(
        messages=messages,
        draft=draft,
        sent=sent,
        outcome=outcome,
        ticket_id=ticket_id,
        customer_id=customer_id,
        suggestion_id=suggestion_id,
        message_id=message_id,
        person=person,
        sent_at=sent_at,
        backfilled=backfilled,
    ).pk


def examples_forget(*, customer_id: int) -> int:
    """Delete every training example of a customer: they were erased or withdrew their consent. Snapshots
    built before keep theirs (frozen files); the next snapshot has none. Returns how many were deleted."""
    from .services import examples_forget as forget

    return forget(customer_id=customer_id)


def examples_recorded(*, message_ids: Sequence[int]) -> set[int]:
    """Which of these ticket replies are already training examples."""
    from .services import examples_recorded as recorded

    return recorded(message_ids=message_ids)
