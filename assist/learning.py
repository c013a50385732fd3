"""Where the console's learning loop meets `knowledge` and `models_ft`: training examples backfilled from
replies sent before Openbook, the fine-tuning cycle, and an adapter's evaluation, each evaluated or assembled
with retrieval over the knowledge base (queries embedded in this process).

Backfill: each agent reply on a solved ticket becomes an example whose prompt is the one the console would
have assembled just before it was posted (the conversation up to it, the customer's context of that moment,
retrieval over the knowledge base as it is now). Replies to customers who did not agree to training are left
out, as are replies already recorded (sent through the console, or backfilled before): running it again adds
only what is new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from knowledge import api as knowledge
from models_ft import api as models_api
from models_ft.contracts import AdapterEvaluation, CycleOutcome
from support.core import roles
from support.core.errors import DomainError
from support.tickets.models import Ticket, TicketMessage

from .context import customer_person, reply_context
from .prompts import prompt_messages
from .relevance import relevance_backfill

SOLVED_STATUSES = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


@dataclass
class BackfillResult:
    replies: int = 0
    created: int = 0
    already: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backfill_replies(*, since: datetime | None = None) -> Any:
    """The replies a backfill would turn into examples: public agent replies on solved or closed tickets of
    customers who agreed to training, oldest first."""
    replies = TicketMessage.objects.filter(
        ticket__status__in=SOLVED_STATUSES,
        ticket__customer__training_consent=True,
        author_kind=TicketMessage.AuthorKind.AGENT,
        public=True,
    )
    if since is not None:
        replies = replies.filter(created_at__gte=since)
    return replies.select_related("ticket__customer", "author_user").order_by("created_at", "id")


def examples_backfill(
    *,
    since: datetime | None = None,
    acting_user: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillResult:
    """Turn the replies of `backfill_replies` into training examples. A reply's prompt is assembled with the
    rights of the agent who wrote it; replies without a known author (imported history) use `acting_user`
    (by default the first active administrator)."""
    replies = list(backfill_replies(since=since))
    result = BackfillResult(replies=len(replies))
    recorded = models_api.examples_recorded(message_ids=[r.pk for r in replies])
    fallback = acting_user or roles.first_administrator()
    with knowledge.local_query_embedding():
        for done, reply in enumerate(replies, start=1):
            if reply.pk in recorded:
                result.already += 1
            else:
                _one(reply, fallback, result)
            if progress is not None:
                progress(done, len(replies))
    return result


def _one(reply: TicketMessage, fallback: Any, result: BackfillResult) -> None:
    context = reply_context(reply, fallback)
    if isinstance(context, str):
        result.skipped.append({"message_id": reply.pk, "reason": context})
        return
    customer = reply.ticket.customer
    models_api.example_record(
        messages=prompt_messages(context),
        draft="",
        sent=reply.body,
        outcome="backfilled",
        ticket_id=reply.ticket_id,
        customer_id=customer.pk,
        message_id=reply.pk,
        person=customer_person(customer),
        sent_at=reply.created_at,
        backfilled=True,
    )
    result.created += 1


def _embed(texts: list[str]) -> list[list[float]]:
    return knowledge.text_vectors(texts)[1]


def finetune_cycle(
    *, force: bool = False, by: str, progress: Callable[[str], None] | None = None
) -> CycleOutcome:
    """Run the fine-tuning cycle (snapshot, train, evaluate, decide; see `models_ft.api.finetune_cycle`), its
    evaluation scoring semantic similarity with the knowledge base's embedding model. `by` is recorded on
    its decision (schedule, finetune_cycle, bench)."""
    with knowledge.local_query_embedding():
        return models_api.finetune_cycle(force=force, embed=_embed, by=by, progress=progress)


def adapter_evaluate(*, name: str, progress: Callable[[int, int], None] | None = None) -> AdapterEvaluation:
    """Evaluate the adapter `name` against the base model and the active adapter, with and without
    retrieval (see `models_ft.api.adapter_evaluate`), scoring semantic similarity with the knowledge base's
    embedding model. Raises DomainError for an unknown adapter or nothing to evaluate on."""
    with knowledge.local_query_embedding():
        return models_api.adapter_evaluate(name=name, embed=_embed, progress=progress)


def retriever_cycle(*, by: str, force: bool = False) -> dict[str, Any]:
    """The retriever's nightly step (on the `training` worker, after the fine-tuning cycle): relevance pairs
    from the tickets resolved since, then an adaptation run when enough new relevant pairs arrived since the
    last run (or `force`), promoted when it passes the gate and RETRIEVER_AUTO_PROMOTE is on."""
    backfill = relevance_backfill()
    summary = knowledge.retriever_summary()
    last = next(iter(knowledge.retriever_runs(limit=1)), None)
    relevant = int(summary["pairs"]["positive"])
    trained_on = (last.pairs_train + last.pairs_held_out) if last is not None else 0
    outcome: dict[str, Any] = {"backfill": backfill.as_dict(), "relevant_pairs": relevant}
    if not force and (
        relevant < settings.RETRIEVER_MIN_PAIRS or relevant - trained_on < settings.RETRIEVER_MIN_PAIRS // 4
    ):
        outcome["action"] = "skipped"
        outcome["reason"] = f"{relevant} relevant pairs, {trained_on} at the last run"
        return outcome
    try:
        run = knowledge.retriever_run_create(by=by)
    except DomainError as exc:
        outcome["action"] = "skipped"
        outcome["reason"] = exc.message
        return outcome
    with knowledge.local_query_embedding():
        run = knowledge.retriever_adapt(run_id=run.pk)
    outcome |= {
        "action": "trained",
        "run": run.pk,
        "state": run.state,
        "metrics": run.metrics,
        "gate": run.gate,
    }
    if run.state == "candidate" and settings.RETRIEVER_AUTO_PROMOTE:
        knowledge.retriever_promote(run_id=run.pk, by=by)
        outcome["action"] = "promoted"
    return outcome
