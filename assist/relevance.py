"""Where the retriever's relevance pairs come from in the console's own use (stored by `knowledge`, which
adapts the retriever on them):

- a sent draft: each passage it cited is relevant to the question if the agent kept its citation, not
  relevant if they removed it; and when the draft was composed from a precedent, the passages that
  precedent's reply kept are relevant to this question too;
- a resolved ticket (backfill, and the nightly step): the passage among those retrieved for the question that
  the agent's reply relied on (by meaning, and clearly more than on the others) is relevant, the retrieved
  passages the reply did not use at all are not;
- a search playground judgment, and an imported file in the datasets' query format.

The question is formed as the console forms it and redacted like a training example. Only customers who
agreed to training contribute; their pairs go when they are erased or withdraw consent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from knowledge import api as knowledge
from knowledge.contracts import RelevancePairInput
from models_ft import api as models_api
from support.core import roles
from support.core.errors import DomainError
from support.customers.models import Customer
from support.tickets.models import Ticket, TicketMessage

from .context import customer_person, reply_context
from .grounding import citation_markers
from .models import Suggestion

Progress = Callable[[int, int], None]

# A resolved ticket's reply relied on a passage when it is this close to it in meaning, and closer by this
# margin than to any other passage retrieved; passages below the floor were not used at all.
RELIED_SIMILARITY = 0.55
RELIED_MARGIN = 0.05
UNUSED_SIMILARITY = 0.25
MAX_NEGATIVES = 2


def _redacted(text: str, customer: Customer) -> str:
    """Redacted as the customer's training examples are."""
    return models_api.reply_redact(text, person=customer_person(customer))


def _passage_text(passage: dict[str, Any]) -> str:
    heading = [part for part in str(passage.get("heading") or "").split(" › ") if part]
    return knowledge.embedding_text(str(passage.get("title") or ""), heading, str(passage.get("text") or ""))


def pairs_from_send(*, suggestion: Suggestion) -> int:
    """Pairs from a draft that was just sent: the citations the agent kept (relevant) or removed (not)."""
    customer = suggestion.ticket.customer
    if not customer.training_consent or not suggestion.retrieval_query.strip():
        return 0
    query = _redacted(suggestion.retrieval_query, customer)
    kept = set(citation_markers(suggestion.sent_text))
    by_marker = {int(p.get("marker", 0)): p for p in suggestion.passages if isinstance(p, dict)}
    cited = {int(c.get("marker", 0)) for c in suggestion.citations if isinstance(c, dict)}
    pairs = []
    for marker in sorted(cited):
        passage = by_marker.get(marker)
        if passage is None or passage.get("audience") == "internal":
            continue
        relevant = marker in kept
        pairs.append(
            RelevancePairInput(
                query=query,
                passage=_passage_text(passage),
                relevant=relevant,
                source="citation_kept" if relevant else "citation_removed",
                source_key=f"suggestion:{suggestion.pk}:{passage.get('chunk_id')}",
                document_id=passage.get("document_id"),
                ticket_id=suggestion.ticket_id,
                customer_id=customer.pk,
                created_by=suggestion.sent_by.get_username() if suggestion.sent_by else "",
                occurred_at=suggestion.sent_at,
            )
        )
    pairs += _precedent_pairs(suggestion, query)
    return knowledge.relevance_pairs_record(pairs)


def _precedent_pairs(suggestion: Suggestion, query: str) -> list[RelevancePairInput]:
    """When the draft reused a precedent's reply: the passages that precedent's sent draft kept citing answer
    this question as well."""
    used = [
        int(p["ticket_id"])
        for p in suggestion.precedents
        if isinstance(p, dict) and p.get("used") and isinstance(p.get("ticket_id"), int)
    ]
    if not used:
        return []
    pairs = []
    for earlier in Suggestion.objects.filter(ticket_id__in=used, sent_at__isnull=False).exclude(
        pk=suggestion.pk
    ):
        kept = set(citation_markers(earlier.sent_text))
        for passage in earlier.passages:
            if isinstance(passage, dict) and int(passage.get("marker", 0)) in kept:
                pairs.append(
                    RelevancePairInput(
                        query=query,
                        passage=_passage_text(passage),
                        relevant=True,
                        source="precedent",
                        source_key=f"suggestion:{suggestion.pk}:precedent:{passage.get('chunk_id')}",
                        document_id=passage.get("document_id"),
                        ticket_id=suggestion.ticket_id,
                        customer_id=suggestion.ticket.customer_id,
                        occurred_at=suggestion.sent_at,
                    )
                )
    return pairs


@dataclass
class RelevanceBackfill:
    tickets: int = 0
    relevant: int = 0
    not_relevant: int = 0
    unclear: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _answers(since: datetime | None) -> list[TicketMessage]:
    """The last public agent reply of each solved ticket of a consenting customer: what resolved it."""
    replies = TicketMessage.objects.filter(
        ticket__status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED),
        ticket__customer__training_consent=True,
        author_kind=TicketMessage.AuthorKind.AGENT,
        public=True,
    )
    if since is not None:
        replies = replies.filter(created_at__gte=since)
    last: dict[int, TicketMessage] = {}
    for reply in replies.select_related("ticket__customer", "author_user").order_by("created_at", "id"):
        last[reply.ticket_id] = reply
    return list(last.values())


def relevance_backfill(
    *, since: datetime | None = None, acting_user: Any = None, progress: Progress | None = None
) -> RelevanceBackfill:
    """Pairs from resolved tickets: for each, the question as the console would have searched it just before
    the resolving reply, and the retrieved passages that reply did (relevant) or did not (not relevant) rely
    on. Recording is idempotent: running it again adds what is new."""
    answers = _answers(since)
    result = RelevanceBackfill(tickets=len(answers))
    fallback = acting_user or roles.first_administrator()
    with knowledge.local_query_embedding():
        for done, reply in enumerate(answers, start=1):
            _backfill_one(reply, fallback, result)
            if progress:
                progress(done, len(answers))
    return result


def _backfill_one(reply: TicketMessage, fallback: Any, result: RelevanceBackfill) -> None:
    context = reply_context(reply, fallback)
    if isinstance(context, str):
        result.skipped.append({"ticket_id": reply.ticket_id, "reason": context})
        return
    passages = [p for p in context.passages if not p.internal]
    if not passages or not context.retrieval_query.strip():
        result.unclear += 1
        return
    texts = [
        knowledge.embedding_text(p.chunk.document_title, p.chunk.heading_path, p.chunk.text) for p in passages
    ]
    _, vectors = knowledge.text_vectors([reply.body, *texts])
    answer = vectors[0]
    similarity = [sum(a * b for a, b in zip(answer, vector, strict=True)) for vector in vectors[1:]]
    order = sorted(range(len(passages)), key=lambda i: -similarity[i])
    best = order[0]
    runner_up = similarity[order[1]] if len(order) > 1 else 0.0
    if similarity[best] < RELIED_SIMILARITY or similarity[best] - runner_up < RELIED_MARGIN:
        result.unclear += 1
        return
    customer = reply.ticket.customer
    query = _redacted(context.retrieval_query, customer)
    unused = [i for i in order[::-1] if similarity[i] < UNUSED_SIMILARITY][:MAX_NEGATIVES]
    chosen = [(best, True), *((i, False) for i in unused)]
    pairs = [
        RelevancePairInput(
            query=query,
            passage=texts[i],
            relevant=relevant,
            source="resolved_reply",
            source_key=f"message:{reply.pk}:{passages[i].chunk.chunk_id}",
            document_id=passages[i].chunk.document_id,
            ticket_id=reply.ticket_id,
            customer_id=customer.pk,
            occurred_at=reply.created_at,
        )
        for i, relevant in chosen
    ]
    knowledge.relevance_pairs_record(pairs)
    result.relevant += 1
    result.not_relevant += len(pairs) - 1


def judgment_record(*, query: str, chunk_id: int, relevant: bool, user: Any) -> bool:
    """A search playground mark: the passage `chunk_id` answers (or not) `query`. The query is redacted (an
    admin may paste a customer's words); a passage the user may not see is refused as unknown."""
    passage = knowledge.passage_for_judgment(chunk_id=chunk_id, roles=roles.user_roles(user))
    if passage is None:
        raise DomainError("No such passage.", field="chunk_id")
    text, document_id = passage
    query = models_api.reply_redact(query.strip(), person={})
    if not query:
        raise DomainError("The question is empty.", field="query")
    key = hashlib.sha256(f"{query}\x00{chunk_id}".encode()).hexdigest()[:32]
    return bool(
        knowledge.relevance_pairs_record(
            [
                RelevancePairInput(
                    query=query,
                    passage=text,
                    relevant=relevant,
                    source="judgment",
                    source_key=f"{user.pk}:{key}",
                    document_id=document_id,
                    created_by=user.get_username(),
                )
            ]
        )
    )


@dataclass
class RelevanceImport:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    unknown_documents: list[str] = field(default_factory=list)
    without_gold: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def relevance_import(path: Path, *, by: str, progress: Progress | None = None) -> RelevanceImport:
    """Pairs from a file in the datasets' query format (JSONL rows with `query` or `dialogue`, an optional
    `scenario`, and `gold_doc_ids` naming live documents by external id, slug or id). Each question is formed
    as the console forms it, redacted, and paired with the gold document's passage that best matches it.
    A malformed line stops the import before anything is stored."""
    rows = _import_rows(path)
    result = RelevanceImport(rows=len(rows))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    references = knowledge.documents_by_reference([g for _, _, gold in rows for g in gold])
    missing: set[str] = set()
    pairs: list[RelevancePairInput] = []
    with knowledge.local_query_embedding():
        for done, (key, query, gold) in enumerate(rows, start=1):
            if not gold:
                result.without_gold += 1
                continue
            missing |= {g for g in gold if g not in references}
            known = [references[g] for g in gold if g in references]
            vector = knowledge.query_vector(query) if known else None
            for document_id in dict.fromkeys(known):
                passage = knowledge.relevance_passage(document_id=document_id, query_vector=vector)
                if passage is None:
                    continue
                pairs.append(
                    RelevancePairInput(
                        query=models_api.reply_redact(query, person={}),
                        passage=passage[0],
                        relevant=True,
                        source="import",
                        source_key=f"{digest}:{key}:{document_id}",
                        document_id=document_id,
                        content_hash=passage[1],
                        created_by=by,
                    )
                )
            if progress:
                progress(done, len(rows))
    result.recorded = knowledge.relevance_pairs_record(pairs)
    result.already = len(pairs) - result.recorded
    result.unknown_documents = sorted(missing)[:50]
    return result


def _import_rows(path: Path) -> list[tuple[str, str, list[str]]]:
    """(row key, question text, gold references) per line; ValueError naming the line for a bad one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ValueError(f"{path.name} is empty.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name} is not UTF-8 text (byte {exc.start}).") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(
                f"{path.name}:{number}: not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})."
            ) from None
        if not isinstance(row, dict):
            raise ValueError(f"{path.name}:{number}: expected a JSON object.")
        rows.append(
            (str(row.get("id") or number), _question(row, path.name, number), _gold(row, path.name, number))
        )
    return rows


def _question(row: dict[str, Any], name: str, number: int) -> str:
    scenario = row.get("scenario") or ""
    if not isinstance(scenario, str):
        raise ValueError(f"{name}:{number}: scenario must be a string.")
    dialogue = row.get("dialogue")
    if dialogue:
        if not isinstance(dialogue, list) or not all(
            isinstance(t, dict)
            and isinstance(t.get("text", ""), str)
            and isinstance(t.get("role", "user"), str)
            for t in dialogue
        ):
            raise ValueError(f"{name}:{number}: dialogue must be a list of {{role, text}} objects.")
        turns = [
            knowledge.Turn(role=str(t.get("role", "user")), text=str(t.get("text", ""))) for t in dialogue
        ]
        question = knowledge.conversation_text(turns, scenario=scenario)
    else:
        query = row.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"{name}:{number}: needs a query (a string) or a dialogue.")
        question = knowledge.question_text(query, scenario=scenario)
    if not question.strip():
        raise ValueError(f"{name}:{number}: the question is empty.")
    return question


def _gold(row: dict[str, Any], name: str, number: int) -> list[str]:
    gold = row.get("gold_doc_ids") or []
    if not isinstance(gold, list) or not all(
        isinstance(g, str | int) and not isinstance(g, bool) for g in gold
    ):
        raise ValueError(f"{name}:{number}: gold_doc_ids must be a list of document ids.")
    return [str(g) for g in gold]


def relevance_forget(*, customer_id: int) -> int:
    return knowledge.relevance_pairs_forget(customer_id=customer_id)
