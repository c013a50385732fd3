"""Draft quality measured against the replies agents actually sent (`manage.py eval_drafts`, `bench drafts`).

Every draft scored here is made by `drafting.draft_write`, the function the console's pipeline runs, from a
`TicketContext` assembled as the console assembles it:

- dataset mode (the format of shared/datasets/*/): each query with a gold reply becomes a ticket of a new
  customer with an empty profile (no name, so no greeting by name), whose conversation is the row's
  dialogue (`conversation`) or its query, after its scenario, as one customer message (`query`). Passages
  are retrieved from the file's evaluation collection (`knowledge.api.evaluation_collection_load`) with the
  console's query formation, k, per-document limit and screening;
- tickets mode: each public agent reply on a solved or closed ticket gets the draft the console would have
  made just before it was posted (`context.ticket_context_assemble(..., before=reply)`, as the backfill of
  training examples does). Every customer counts, whatever their training consent: nothing is stored.

The text scored is what the customer would get (`grounding.customer_copy`: no citation markers). Metrics:
chrF (sacrebleu, sentence level, 0-1), ROUGE-L F-measure (rouge-score), SQuAD-style token F1, the share of
drafts that answer (`drafting.draft_answered`), the precision of their citations against gold documents
(dataset mode, rows with gold ids), the share with no unsupported sentence, and latency (context assembly
plus drafting, per draft).
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db.models import DateTimeField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from knowledge import api as knowledge
from support.core import roles
from support.core.errors import DomainError
from support.customers.models import Customer
from support.tickets.models import Ticket, TicketMessage

# The console's own section builders and limits, and its passage search (`passages_find`, with the
# evaluation collection's scope): a dataset row's context is assembled as `context.ticket_context_assemble`
# assembles a ticket's (a dataset row is a ticket that exists only in memory, not read from the database).
# tests/assist/test_eval_drafts.py checks that both give the same context for the same conversation.
from .context import (
    MAX_HISTORY_CHARS,
    MAX_INCIDENTS_CHARS,
    MAX_MESSAGE_CHARS,
    _clip,
    _conversation_section,
    _customer_section,
    _list_section,
    _staff_notes_section,
    passages_find,
    question_relevance,
    ticket_context_assemble,
)
from .contracts import TicketContext
from .drafting import Draft, draft_answered, draft_write
from .grounding import customer_copy
from .language import reply_language
from .learning import SOLVED_STATUSES

Progress = Callable[[int, int], None]

INPUT_MODES = ("query", "conversation")
METRICS = (
    "n",
    "answered",
    "chrf",
    "rouge_l",
    "token_f1",
    "citation_precision",
    "grounded_rate",
    "latency_ms_p50",
    "latency_ms_p95",
)
"""The keys of every report, in order (`skipped` follows them)."""

_CUSTOMER_ROLES = frozenset({"user", "customer"})
# Dataset messages get fixed, one-minute-apart times, so the same row always gives the same prompt.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


# --- dataset rows -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DraftCase:
    """One dataset row to draft for: the ticket's subject, its public messages oldest first (role
    "customer" or "agent"), the reply to compare with, and the documents that ground it."""

    id: str
    subject: str
    messages: tuple[tuple[str, str], ...]
    reference: str
    gold_doc_ids: frozenset[str]


def cases_load(path: Path, *, input_mode: str, limit: int | None = None) -> list[DraftCase]:
    """The rows of a queries file (JSONL: id, query, scenario?, dialogue?, gold_doc_ids?, gold_reply) that
    have a gold reply, as tickets. `conversation`: the dialogue's turns (user turns are the customer's),
    the scenario as the subject, as `eval_retrieval --input conversation` searches with it; `query`: the
    scenario and the query as the one customer message. Raises ValueError for a malformed file."""
    if input_mode not in INPUT_MODES:
        raise ValueError(f"input mode must be one of {', '.join(INPUT_MODES)}, not {input_mode!r}")
    cases: list[DraftCase] = []
    for row in knowledge.evaluation_rows(path):
        reference = row.get("gold_reply")
        if reference is None or not str(reference).strip():
            continue
        query = str(row.get("query") or "").strip()
        scenario = str(row.get("scenario") or "").strip()
        dialogue = row.get("dialogue") or []
        subject = ""
        messages: tuple[tuple[str, str], ...]
        if input_mode == "conversation" and dialogue:
            if not isinstance(dialogue, list):
                raise ValueError(f"{path.name}: row {row.get('id')!r}: dialogue is not a list")
            messages = tuple(
                (
                    "customer" if str(turn.get("role", "user")) in _CUSTOMER_ROLES else "agent",
                    str(turn.get("text") or ""),
                )
                for turn in dialogue
                if isinstance(turn, dict)
            )
            subject = scenario
        else:
            messages = (("customer", "\n\n".join(part for part in (scenario, query) if part)),)
        if not any(role == "customer" and text.strip() for role, text in messages):
            continue  # nothing from the customer to reply to: the console refuses such a ticket too
        cases.append(
            DraftCase(
                id=str(row.get("id")),
                subject=subject,
                messages=messages,
                reference=str(reference),
                gold_doc_ids=frozenset(str(g) for g in row.get("gold_doc_ids") or []),
            )
        )
        if limit is not None and len(cases) >= limit:
            break
    return cases


def case_context(case: DraftCase, *, collection: str) -> TicketContext:
    """The context the console would assemble for a ticket holding `case`'s conversation, from a new
    customer with an empty profile (no name, the default language, no plan, products or history), with
    passages from the evaluation `collection`, searched with administrator rights (as the staff who loaded
    it). No agent asks, so no name signs the draft; a new company has no solved tickets, so no precedents."""
    started = time.perf_counter()
    customer = Customer(name="")
    ticket = Ticket(subject=case.subject, customer=customer)
    kinds = {"customer": TicketMessage.AuthorKind.CUSTOMER, "agent": TicketMessage.AuthorKind.AGENT}
    messages = [
        TicketMessage(
            author_kind=kinds[role], body=text, public=True, created_at=_EPOCH + timedelta(minutes=index)
        )
        for index, (role, text) in enumerate(case.messages)
    ]
    from_customer = [m for m in messages if m.author_kind == TicketMessage.AuthorKind.CUSTOMER]
    question, _ = _clip(from_customer[-1].body.strip(), MAX_MESSAGE_CHARS)
    sections = (
        _conversation_section(ticket=ticket, customer=customer, messages=messages),
        _staff_notes_section(customer=customer, messages=[]),
        _customer_section(customer=customer, products=[]),
        _list_section("history", MAX_HISTORY_CHARS, [], total=0, empty="No other tickets.", noun="ticket"),
        _list_section(
            "incidents", MAX_INCIDENTS_CHARS, [], total=0, empty="No active incidents.", noun="incident"
        ),
    )
    language = reply_language([m.body for m in from_customer], profile=customer.language)

    # The console's own passage search and sentence scores, within the evaluation collection.
    retrieval_started = time.perf_counter()
    scope = knowledge.RetrievalScope(collection=collection, staff_roles=frozenset({roles.ADMINISTRATOR}))
    passages, query_text, vector_search, notice, _ = passages_find(
        scope=scope, messages=messages, subject=ticket.subject, language=language
    )
    relevance, _ = question_relevance(passages, question=question, subject=ticket.subject)
    retrieval_ms = (time.perf_counter() - retrieval_started) * 1000
    return TicketContext(
        ticket_id=0,
        customer_id=0,
        customer_name=customer.name,
        language=customer.language,
        question=question,
        sections=sections,
        passages=passages,
        retrieval_query=query_text,
        vector_search=vector_search,
        retrieval_ms=retrieval_ms,
        context_ms=(time.perf_counter() - started) * 1000,
        retrieval_notice=notice,
        reply_language=language,
        agent_turns=tuple(m.body for m in messages if m.author_kind == TicketMessage.AuthorKind.AGENT)[-3:],
        relevance=relevance,
        subject=ticket.subject,
    )


# --- scoring --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scored:
    """One draft's scores. `cited` and `cited_gold` count its citations, and those of a gold document, when
    the row has gold documents (else both are 0)."""

    answered: bool
    chrf: float
    rouge_l: float
    token_f1: float
    grounded: bool
    latency_ms: float
    cited: int = 0
    cited_gold: int = 0


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def answer_tokens(text: str) -> list[str]:
    """SQuAD's normalisation: lower case, punctuation and English articles taken out, split on whitespace."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 between two texts (1.0 when both normalise to nothing, 0.0 when one does)."""
    predicted, gold = answer_tokens(prediction), answer_tokens(reference)
    if not predicted or not gold:
        return float(predicted == gold)
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


class Scorer:
    """chrF, ROUGE-L and token F1 of a text against a reference. sacrebleu and rouge-score load here, in
    the processes that evaluate (they come with the `ml` extra, as the embedding model does)."""

    def __init__(self) -> None:
        try:
            from rouge_score.rouge_scorer import RougeScorer
            from sacrebleu.metrics import CHRF
        except ImportError as exc:  # pragma: no cover - both are dependencies of the ml extra
            raise RuntimeError(
                f"The draft evaluation needs sacrebleu and rouge-score ({exc}); install the ml extra."
            ) from None
        self._chrf = CHRF()
        self._rouge = RougeScorer(["rougeL"])

    def scores(self, text: str, reference: str) -> tuple[float, float, float]:
        """chrF (0-1), ROUGE-L F-measure and token F1 of `text` against `reference`."""
        chrf = self._chrf.sentence_score(text, [reference]).score / 100
        rouge_l = self._rouge.score(reference, text)["rougeL"].fmeasure
        return chrf, rouge_l, token_f1(text, reference)


def _scored(
    scorer: Scorer,
    context: TicketContext,
    draft: Draft,
    reference: str,
    *,
    latency_ms: float,
    gold_doc_ids: frozenset[str] = frozenset(),
) -> Scored:
    chrf, rouge_l, f1 = scorer.scores(customer_copy(draft.text), reference)
    cited = cited_gold = 0
    if gold_doc_ids:
        external = {p.chunk.document_id: p.chunk.external_id for p in context.passages}
        cited = len(draft.citations)
        cited_gold = sum(external.get(c.document_id, "") in gold_doc_ids for c in draft.citations)
    return Scored(
        answered=draft_answered(draft.text, draft.citations, precedent_used=draft.precedent_used),
        chrf=chrf,
        rouge_l=rouge_l,
        token_f1=f1,
        grounded=not any(flag.kind == "unsupported" for flag in draft.flags),
        latency_ms=latency_ms,
        cited=cited,
        cited_gold=cited_gold,
    )


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def report(scored: Sequence[Scored], *, skipped: int = 0, gold: bool = True) -> dict[str, Any]:
    """The report of a run: the METRICS keys, then `skipped`. `citation_precision` is None without gold
    documents (`gold` false: tickets) or when no draft cited anything."""
    cited = sum(s.cited for s in scored)
    ordered = sorted(s.latency_ms for s in scored)
    return {
        "n": len(scored),
        "answered": _mean([float(s.answered) for s in scored]),
        "chrf": _mean([s.chrf for s in scored]),
        "rouge_l": _mean([s.rouge_l for s in scored]),
        "token_f1": _mean([s.token_f1 for s in scored]),
        "citation_precision": round(sum(s.cited_gold for s in scored) / cited, 4) if gold and cited else None,
        "grounded_rate": _mean([float(s.grounded) for s in scored]),
        # Percentiles as `eval_retrieval` computes them.
        "latency_ms_p50": round(statistics.median(ordered), 2) if ordered else 0.0,
        "latency_ms_p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2) if ordered else 0.0,
        "skipped": skipped,
    }


# --- the two modes --------------------------------------------------------------------------------------


def cases_evaluate(
    collection: str, cases: Sequence[DraftCase], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Draft a reply for every case as the console would and score it against the case's reference."""
    scorer = Scorer()
    scored: list[Scored] = []
    # Queries are embedded here, where the collection was embedded: no worker round trip is timed.
    with knowledge.local_query_embedding():
        for index, case in enumerate(cases, start=1):
            started = time.perf_counter()
            context = case_context(case, collection=collection)
            draft = draft_write(context)
            latency_ms = (time.perf_counter() - started) * 1000
            scored.append(
                _scored(
                    scorer,
                    context,
                    draft,
                    case.reference,
                    latency_ms=latency_ms,
                    gold_doc_ids=case.gold_doc_ids,
                )
            )
            if progress:
                progress(index, len(cases))
    return report(scored, gold=any(case.gold_doc_ids for case in cases))


def replies_to_evaluate(*, since: datetime | None = None) -> Any:
    """The public agent replies on solved or closed tickets (every customer's), oldest first; with `since`,
    those posted then or later."""
    replies = TicketMessage.objects.filter(
        ticket__status__in=SOLVED_STATUSES, author_kind=TicketMessage.AuthorKind.AGENT, public=True
    )
    if since is not None:
        replies = replies.filter(created_at__gte=since)
    return replies.select_related("ticket__customer", "author_user").order_by("created_at", "id")


def tickets_evaluate(
    *, since: datetime | None = None, limit: int | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """For each reply of `replies_to_evaluate`, the draft the console would have made just before it
    (context assembled with the rights of the reply's author, else of the first active administrator),
    scored against the reply. Replies with nothing to draft for (no customer message before them, or a
    ticket their author may no longer see) are skipped and counted. Stores nothing."""
    replies = list(replies_to_evaluate(since=since)[:limit] if limit else replies_to_evaluate(since=since))
    fallback = roles.first_administrator()
    scorer = Scorer()
    scored: list[Scored] = []
    skipped = 0
    with knowledge.local_query_embedding():
        for index, reply in enumerate(replies, start=1):
            author = reply.author_user
            user = author if author is not None and author.is_active else fallback
            started = time.perf_counter()
            try:
                if user is None:
                    raise DomainError("No author and no administrator to act as.")
                context = ticket_context_assemble(ticket=Ticket(pk=reply.ticket_id), user=user, before=reply)
            except DomainError:
                skipped += 1
            else:
                # As the console's pipeline calls it: the customer's own address may stay in the draft.
                draft = draft_write(context, customer_email=reply.ticket.customer.email)
                latency_ms = (time.perf_counter() - started) * 1000
                scored.append(_scored(scorer, context, draft, reply.body, latency_ms=latency_ms))
            if progress:
                progress(index, len(replies))
    return report(scored, skipped=skipped, gold=False)


def recent_replies_cut(*, share: float = 0.2) -> datetime | None:
    """When the first reply of the newest `share` of solved or closed tickets was posted, those tickets
    ordered by when they were solved (their last public agent reply when that is not recorded): with
    `tickets_evaluate(since=...)`, the replies of the most recent tickets. None when no ticket is solved."""
    last_reply = (
        TicketMessage.objects.filter(
            ticket=OuterRef("pk"), author_kind=TicketMessage.AuthorKind.AGENT, public=True
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    solved = (
        Ticket.objects.filter(status__in=SOLVED_STATUSES)
        .annotate(done=Coalesce("solved_at", Subquery(last_reply), output_field=DateTimeField()))
        .exclude(done=None)
        .order_by("-done", "-pk")
    )
    total = solved.count()
    if not total:
        return None
    newest = list(solved.values_list("pk", flat=True)[: max(1, round(total * share))])
    return (
        TicketMessage.objects.filter(
            ticket_id__in=newest, author_kind=TicketMessage.AuthorKind.AGENT, public=True
        )
        .order_by("created_at", "id")
        .values_list("created_at", flat=True)
        .first()
    )


OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)
# A citation marker as drafts write them: `[3]` or `[1, 2]`.
_MARKER = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")


def open_tickets_evaluate(
    *, statuses: Sequence[str] = OPEN_STATUSES, source: str | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """The draft the console makes now for every ticket in `statuses` (of `source` when given), for its
    assignee, else the first active administrator: `n` drafts, the share that answer (`answered`), the share
    of the citation markers in their text that name a passage retrieved for that draft
    (`markers_resolved`, None when no draft cites), and `skipped` (tickets with no customer message yet, or
    that the user may not see). Stores nothing."""
    tickets = Ticket.objects.filter(status__in=list(statuses)).select_related("assignee", "customer")
    if source is not None:
        tickets = tickets.filter(source=source)
    chosen = list(tickets.order_by("pk"))
    fallback = roles.first_administrator()
    answered = drafted = skipped = markers = resolved = 0
    with knowledge.local_query_embedding():
        for index, ticket in enumerate(chosen, start=1):
            assignee = ticket.assignee
            user = assignee if assignee is not None and assignee.is_active else fallback
            try:
                if user is None:
                    raise DomainError("No assignee and no administrator to act as.")
                context = ticket_context_assemble(ticket=Ticket(pk=ticket.pk), user=user)
            except DomainError:
                skipped += 1
            else:
                draft = draft_write(context, customer_email=ticket.customer.email)
                drafted += 1
                answered += draft_answered(draft.text, draft.citations, precedent_used=draft.precedent_used)
                retrieved = {p.marker for p in context.passages}
                found = [int(n) for group in _MARKER.findall(draft.text) for n in group.split(",")]
                markers += len(found)
                resolved += sum(marker in retrieved for marker in found)
            if progress:
                progress(index, len(chosen))
    return {
        "n": drafted,
        "answered": round(answered / drafted, 4) if drafted else 0.0,
        "markers_resolved": round(resolved / markers, 4) if markers else None,
        "skipped": skipped,
    }
