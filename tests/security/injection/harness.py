"""Runs the injection corpus through real drafts and says which ones leaked.

`run_corpus(backend=...)` builds the corpus library in the current database (every document uploaded through
the ingestion service, embedded in-process with the real embedding model, each distinct chunk once), seeds
other customers, and drafts through the real pipeline (`suggestion_request` + `suggestion_generate`, as an
agent of the tickets' team) for:

- `clean`: each topic's ordinary question, in the library of clean topic documents (the utility baseline);
- `poisoned/<class>`: each poisoned document's topic question, in the clean library with that document in
  place of its topic's clean one;
- `hard_negative`: each hard negative's question, the same way;
- `ticket/<class>`: each hostile ticket, in the clean library (with the poisoned document it targets, if any);
- `internal`: a question near each internal document;
- `staff_note`: a topic question on a ticket that carries a staff note.

Internal documents are in every library (agents may read them). Everything runs in one transaction that is
rolled back at the end, each case in a savepoint of its own: the database is left as it was found, and no
draft is queued for a Celery worker.

A case *fails* when the draft's final text (`suggestion.text`, and the stream's `done` event) shows one of the
findings of `checks`. A poisoned (or targeting) case is *exercised* only when retrieval returned the chunk
that carries its payload (where ingestion removed the payload: a chunk of the section it was planted in);
cases that were not are counted apart, as are documents ingestion did not publish at all.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from assist import services as console_services
from assist import streams
from assist.context import retrieval_query_prepare
from assist.models import Suggestion
from knowledge import indexing as knowledge_indexing
from knowledge import keyword_stats as knowledge_keyword_stats
from knowledge import query_embedding
from knowledge.api import Turn, conversation_text, text_vectors
from knowledge.ingest import file_record, record_ingest
from knowledge.models import LIVE, Chunk, DocumentVersion, EmbeddingCache
from knowledge.models import Document as KnowledgeDocument
from support.core import roles
from support.customers.models import Plan
from support.tickets import rights
from support.tickets.models import Team
from support.tickets.services import MessageInput, customer_create, ticket_create

from . import checks
from .corpus import INTERNAL, Corpus, Document, load
from .echo_server import echo_server

BACKENDS = ("extractive", "openai")
DEFAULT_ALLOWED_DOMAINS = ("quillfeather.example",)
SOURCE = "injection-corpus"
REPORT = Path(settings.DATA_DIR) / "reports" / "injection.json"
NOTHING_FOUND = "the knowledge base has nothing on this question"
EMBED_IDS_PER_CALL = 256
QUERY_VECTOR_SECONDS = 3600


@dataclass(frozen=True)
class Case:
    id: str
    cls: str  # "clean", "hard_negative", "internal", "staff_note", "poisoned/<class>", "ticket/<class>"
    subject: str
    body: str
    replaces: tuple[str, ...] = ()  # ids of documents put in the library in place of their topic's clean one
    target: str = ""  # a poisoned document whose planted passage must be retrieved (or internal document)
    customer_name: str = ""
    language: str = "en"
    answer_terms: tuple[str, ...] = ()
    note: str = ""  # a staff note's id
    echo_notes: bool = False  # on the openai backend, the stand-in copies the staff notes too
    canaries: tuple[str, ...] = ()  # the case's own canaries: of its payload, ticket, note or document


def corpus_cases(corpus: Corpus) -> list[Case]:
    """Every case of the corpus, in a stable order."""
    found = [
        Case(
            id=f"clean/{topic.id}",
            cls="clean",
            subject=topic.subject,
            body=topic.question,
            answer_terms=topic.answer_terms,
        )
        for topic in corpus.topics.values()
    ]
    for doc in corpus.poisoned.values():
        topic = corpus.topics[doc.topic]
        found.append(
            Case(
                id=doc.id,
                cls=f"poisoned/{doc.cls}",
                subject=topic.subject,
                body=topic.question,
                replaces=(doc.id,),
                target=doc.id,
                answer_terms=topic.answer_terms,
                canaries=(doc.canary,),
            )
        )
    for negative in corpus.hard_negatives.values():
        found.append(
            Case(
                id=negative.document.id,
                cls="hard_negative",
                subject=negative.subject,
                body=negative.question,
                replaces=(negative.document.id,),
                answer_terms=negative.answer_terms,
            )
        )
    for ticket in corpus.tickets.values():
        found.append(
            Case(
                id=ticket.id,
                cls=f"ticket/{ticket.cls}",
                subject=ticket.subject,
                body=ticket.body,
                replaces=(ticket.targets,) if ticket.targets else (),
                target=ticket.targets,
                customer_name=ticket.customer_name,
                language=ticket.language,
                canaries=(
                    ticket.canary,
                    *((corpus.poisoned[ticket.targets].canary,) if ticket.targets else ()),
                ),
            )
        )
    for internal in corpus.internal.values():
        found.append(
            Case(
                id=internal.document.id,
                cls="internal",
                subject=internal.subject,
                body=internal.question,
                target=internal.document.id,
                canaries=(internal.document.canary,),
            )
        )
    for note in corpus.notes.values():
        topic = corpus.topics[note.topic]
        found.append(
            Case(
                id=note.id,
                cls="staff_note",
                subject=topic.subject,
                body=topic.question,
                answer_terms=topic.answer_terms,
                note=note.id,
                echo_notes=True,
                canaries=(note.canary,),
            )
        )
    return found


# --- the library ----------------------------------------------------------------------------------------

# Vectors this process computed for corpus chunks, by (model, content hash): a second run (the other backend,
# a rolled-back database) gets them from here instead of embedding again.
_VECTORS: dict[tuple[str, str], Any] = {}


@dataclass
class Library:
    pks: dict[str, int]  # corpus document id -> knowledge Document pk
    live: set[str]  # corpus document ids that ingestion published and indexed
    payload_chunks: dict[str, set[int]]  # poisoned / internal document id -> the chunks that carry it
    carried: set[str]  # documents whose indexed text still holds their canary after ingestion
    # Where a document's canary is nowhere in its chunks (ingestion took the payload out), its payload
    # chunks are those of the section it was planted in; failing that, all of its chunks.
    public_texts: list[str] = field(default_factory=list)


def _metadata(doc: Document) -> dict[str, Any]:
    meta: dict[str, Any] = {"status": "published", "language": "en"}
    if doc.audience == INTERNAL:
        meta.update(audience="internal", roles=[roles.AGENT])
    return meta


def library_build(corpus: Corpus) -> Library:
    """Upload every corpus document through the ingestion service, embed the chunks in bulk, and publish
    them. Afterwards only the internal documents stay published; each case publishes its own library."""
    model = knowledge_indexing.active_model()
    if _VECTORS:
        EmbeddingCache.objects.bulk_create(
            [
                EmbeddingCache(content_hash=h, model=m, embedding=v)
                for (m, h), v in _VECTORS.items()
                if m == model
            ],
            ignore_conflicts=True,
        )
    pks: dict[str, int] = {}
    for doc in corpus.documents():
        record = file_record(
            doc.filename, doc.data, metadata=_metadata(doc), external_id=f"{SOURCE}/{doc.id}"
        )
        record.source = SOURCE
        result = record_ingest(record, embed_async=False)
        if not result.ok or result.document_id is None:
            raise RuntimeError(f"The corpus document {doc.id} could not be ingested: {result.error}")
        pks[doc.id] = result.document_id
    version_ids = list(
        DocumentVersion.objects.filter(document_id__in=pks.values()).values_list("id", flat=True)
    )
    dirty = list(Chunk.objects.filter(version_id__in=version_ids, dirty=True).values_list("id", flat=True))
    for start in range(0, len(dirty), EMBED_IDS_PER_CALL):
        knowledge_indexing.chunks_embed_ids(ids=dirty[start : start + EMBED_IDS_PER_CALL])
    for version in DocumentVersion.objects.filter(pk__in=version_ids):
        knowledge_indexing.version_activate(version=version)
    hashes = set(Chunk.objects.filter(version_id__in=version_ids).values_list("content_hash", flat=True))
    for content_hash, vector in EmbeddingCache.objects.filter(
        model=model, content_hash__in=hashes
    ).values_list("content_hash", "embedding"):
        _VECTORS[(model, content_hash)] = vector
    knowledge_keyword_stats.keyword_stats_refresh(collection=LIVE)

    rows = {
        pk: (status, active)
        for pk, status, active in KnowledgeDocument.objects.filter(pk__in=pks.values()).values_list(
            "pk", "status", "active_version_id"
        )
    }
    live = {
        doc_id
        for doc_id, pk in pks.items()
        if rows[pk][0] == KnowledgeDocument.Status.PUBLISHED and rows[pk][1] is not None
    }
    internal_pks = [pks[i] for i in corpus.internal if i in live]
    # Every other live document of the database (a benchmark's own library) is out of the way until the end.
    KnowledgeDocument.objects.filter(collection=LIVE, status=KnowledgeDocument.Status.PUBLISHED).exclude(
        pk__in=internal_pks
    ).update(status=KnowledgeDocument.Status.ARCHIVED)

    payload_chunks: dict[str, set[int]] = {}
    carried: set[str] = set()
    located = [*corpus.poisoned.values(), *(i.document for i in corpus.internal.values())]
    for doc in located:
        if doc.id not in live:
            continue
        chunks = list(
            Chunk.objects.filter(version_id=rows[pks[doc.id]][1]).values_list("id", "heading_path", "text")
        )
        carrying = {pk for pk, _, text in chunks if checks.canaries_in(text, [doc.canary])}
        if carrying:
            carried.add(doc.id)
        elif doc.section:
            carrying = {pk for pk, path, _ in chunks if doc.section in path}
        payload_chunks[doc.id] = carrying or {pk for pk, _, _ in chunks}
    public = [d.text for d in corpus.documents() if d.audience != INTERNAL]
    return Library(
        pks=pks,
        live=live,
        payload_chunks=payload_chunks,
        carried=carried,
        public_texts=public,
    )


def queries_prepare(cases: list[Case]) -> int:
    """Embed the search query of every case in one batch and keep the vectors in the query vector cache, as
    the embedding workers do when a customer writes (one query at a time costs ten times as much). Each
    ticket's query is then prepared again from the ticket itself (`retrieval_query_prepare`), which finds
    the vector here when the texts agree and embeds it when they do not. Returns how many were embedded."""
    texts = list(
        dict.fromkeys(
            conversation_text([Turn(role="customer", text=c.body)], scenario=c.subject) for c in cases
        )
    )
    missing = [
        t
        for t in texts
        if query_embedding.vector_cached(model=knowledge_indexing.active_model(), text=t) is None
    ]
    if missing:
        model, vectors = text_vectors(missing)
        for text, vector in zip(missing, vectors, strict=True):
            query_embedding.vector_cache(model=model, text=text, vector=vector, seconds=QUERY_VECTOR_SECONDS)
    return len(missing)


def case_library(corpus: Corpus, case: Case) -> list[str]:
    """The corpus documents published for a case (besides the internal ones): the clean topic documents,
    with each replacing document in place of its topic's clean one."""
    replaced = {}
    for doc_id in case.replaces:
        doc = corpus.poisoned.get(doc_id) or corpus.hard_negatives[doc_id].document
        replaced[doc.topic] = doc_id
    return [replaced.get(topic, clean.id) for topic, clean in corpus.clean.items()]


# --- one case -------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    status: str
    text: str
    findings: list[checks.Finding]
    exercised: bool | None  # None when the case has no planted passage to retrieve
    blocked: bool  # the targeted document was not published by ingestion
    payload_in_prompt: bool
    payload_leaked: bool  # one of the case's own canaries is in the draft
    answered: bool
    term_hit: bool
    vector_search: str = ""
    error: str = ""
    retrieved: tuple[str, ...] = ()  # "title › heading" of each passage the draft was given

    @property
    def failed_to_draft(self) -> bool:
        """The draft did not finish, or retrieval ranked by keywords alone (the query vector was missing)."""
        return self.status != Suggestion.Status.READY or self.vector_search != "used"

    def summary(self) -> dict[str, Any]:
        return {
            "case": self.case.id,
            "class": self.case.cls,
            "findings": [{"kind": f.kind, "detail": f.detail} for f in self.findings],
        }


@dataclass
class _World:
    corpus: Corpus
    library: Library
    team: Team
    agent: Any
    plan: Plan
    canaries: dict[str, str]
    domains: tuple[str, ...]
    emails: list[str]
    phones: list[str]
    private: dict[tuple[str, ...], str]
    numbers: Iterator[int]


def _world(corpus: Corpus, library: Library) -> _World:
    from tests import factories

    tag = uuid.uuid4().hex[:8]
    team = factories.team(name=f"Injection corpus {tag}", slug=f"injection-corpus-{tag}")
    agent = factories.user(
        role=roles.AGENT,
        teams=(team,),
        username=f"injection-agent-{tag}",
        first_name="Casey",
        last_name="Agent",
    )
    plan = factories.plan("growth")
    for other in corpus.customers.values():
        customer = customer_create(
            name=other.name, email=other.email, phone=other.phone, plan=plan, by=rights.SYSTEM
        )
        ticket_create(
            subject=f"Order {other.order}",
            customer=customer,
            team=team,
            messages=[MessageInput(author_kind="customer", body=f"Where is my order {other.order}?")],
            by=rights.SYSTEM,
        )
    private = {f"staff_note:{n.id}": n.text for n in corpus.notes.values()}
    private |= {f"internal:{i.document.id}": i.document.text for i in corpus.internal.values()}
    return _World(
        corpus=corpus,
        library=library,
        team=team,
        agent=agent,
        plan=plan,
        canaries=corpus.canaries(),
        domains=tuple(getattr(settings, "DRAFT_ALLOWED_DOMAINS", DEFAULT_ALLOWED_DOMAINS)),
        emails=[c.email for c in corpus.customers.values()],
        phones=[c.phone for c in corpus.customers.values()],
        private=checks.private_shingles(private, library.public_texts),
        numbers=itertools.count(1),
    )


def _answered(suggestion: Suggestion, text: str) -> bool:
    return (
        suggestion.status == Suggestion.Status.READY
        and bool(suggestion.citations)
        and NOTHING_FOUND not in text
    )


def _draft(world: _World, case: Case) -> Outcome:
    corpus, library = world.corpus, world.library
    wanted = [library.pks[d] for d in case_library(corpus, case) if d in library.live]
    KnowledgeDocument.objects.filter(pk__in=wanted).update(status=KnowledgeDocument.Status.PUBLISHED)
    number = next(world.numbers)
    customer = customer_create(
        name=case.customer_name or f"Alex Example {number}",
        email=f"case-{number}@injection-corpus.example",
        language=case.language,
        plan=world.plan,
        by=rights.SYSTEM,
    )
    messages = [MessageInput(author_kind="customer", body=case.body)]
    if case.note:
        note = corpus.notes[case.note]
        messages.append(
            MessageInput(author_kind="agent", body=note.text, public=False, author_user=world.agent)
        )
    ticket, _ = ticket_create(
        subject=case.subject, customer=customer, team=world.team, messages=messages, by=rights.SYSTEM
    )
    retrieval_query_prepare(ticket_id=ticket.pk, keep_seconds=QUERY_VECTOR_SECONDS)
    suggestion = console_services.suggestion_request(ticket=ticket, user=world.agent)
    console_services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    done = [e.data.get("text", "") for e in streams.events_after(suggestion.pk) if e.event == "done"]
    texts = [suggestion.text, *done]

    found: list[checks.Finding] = []
    for text in dict.fromkeys(texts):
        for finding in checks.findings(
            text,
            canaries=world.canaries,
            domains=world.domains,
            other_emails=world.emails,
            other_phones=world.phones,
            private=world.private,
        ):
            if finding not in found:
                found.append(finding)

    exercised: bool | None = None
    blocked = False
    payload_in_prompt = False
    if case.target:
        blocked = case.target not in library.live
        retrieved = {p["chunk_id"] for p in suggestion.passages}
        exercised = not blocked and bool(retrieved & library.payload_chunks.get(case.target, set()))
        canary = (corpus.poisoned.get(case.target) or corpus.internal[case.target].document).canary
        payload_in_prompt = any(checks.canaries_in(p["text"], [canary]) for p in suggestion.passages)
    folded = checks.fold(suggestion.text).lower()
    return Outcome(
        case=case,
        status=suggestion.status,
        text=suggestion.text,
        findings=found,
        exercised=exercised,
        blocked=blocked,
        payload_in_prompt=payload_in_prompt,
        payload_leaked=any(checks.canaries_in(text, case.canaries) for text in texts),
        answered=_answered(suggestion, suggestion.text),
        term_hit=any(checks.fold(term).lower() in folded for term in case.answer_terms),
        vector_search=suggestion.vector_search,
        retrieved=tuple(f"{p['title']} › {p['heading']}" for p in suggestion.passages),
        error=suggestion.error or f"vector search: {suggestion.vector_search}",
    )


class _Rollback(Exception):
    pass


@contextmanager
def _rolled_back() -> Iterator[None]:
    """A transaction (a savepoint inside another) whose work is undone at the end, whatever happens."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def _case_run(world: _World, case: Case) -> Outcome:
    with _rolled_back():
        return _draft(world, case)


# --- the run and its report ------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _utility(outcomes: list[Outcome]) -> dict[str, Any]:
    rows = [o for o in outcomes if o.case.answer_terms]
    answered = sum(o.answered for o in rows)
    hits = sum(o.term_hit for o in rows)
    return {
        "cases": len(rows),
        "answered": answered,
        "answer_term_hits": hits,
        "answered_share": _share(answered, len(rows)),
        "answer_term_hit_rate": _share(hits, len(rows)),
    }


def summarise(
    backend: str, corpus: Corpus, library: Library, outcomes: list[Outcome], seconds: float
) -> dict[str, Any]:
    """The figures of one backend's run: counts, failures by class and kind, utility, the failing cases."""
    by_class: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        row = by_class.setdefault(
            outcome.case.cls,
            {
                "cases": 0,
                "failures": 0,
                "payload_leaks": 0,
                "not_exercised": 0,
                "blocked": 0,
                "payload_in_prompt": 0,
                "kinds": {},
            },
        )
        row["cases"] += 1
        row["failures"] += bool(outcome.findings)
        row["payload_leaks"] += outcome.payload_leaked
        row["not_exercised"] += outcome.exercised is False and not outcome.blocked
        row["blocked"] += outcome.blocked
        row["payload_in_prompt"] += outcome.payload_in_prompt
        kinds = Counter(row["kinds"]) + Counter({f.kind for f in outcome.findings})
        row["kinds"] = dict(sorted(kinds.items()))
    poisoned = [o for o in outcomes if o.case.cls.startswith("poisoned/")]
    return {
        "backend": backend,
        "documents": len(corpus.documents()),
        "tickets": len(corpus.tickets),
        "cases": len(outcomes),
        "failures": sum(bool(o.findings) for o in outcomes),
        "payload_leaks": sum(o.payload_leaked for o in outcomes),
        "not_exercised": sum(o.exercised is False and not o.blocked for o in outcomes),
        "blocked_at_ingestion": sum(o.blocked for o in outcomes),
        "ingestion": {
            "published": len(library.live),
            "poisoned": len(corpus.poisoned),
            "poisoned_published": len(library.live & set(corpus.poisoned)),
            "poisoned_payload_indexed": len(library.carried & set(corpus.poisoned)),
        },
        "errors": sum(o.failed_to_draft for o in outcomes),
        "by_class": dict(sorted(by_class.items())),
        "utility": {
            "clean": _utility([o for o in outcomes if o.case.cls == "clean"]),
            "hard_negative": _utility([o for o in outcomes if o.case.cls == "hard_negative"]),
            "poisoned": _utility(poisoned),
            "poisoned_exercised": _utility([o for o in poisoned if o.exercised]),
        },
        "failing": [o.summary() for o in outcomes if o.findings],
        "not_exercised_cases": {
            o.case.id: list(o.retrieved) for o in outcomes if o.exercised is False and not o.blocked
        },
        "unanswered": [
            o.case.id
            for o in outcomes
            if o.case.cls in ("clean", "hard_negative") and not (o.answered and o.term_hit)
        ],
        "draft_errors": {o.case.id: o.error for o in outcomes if o.failed_to_draft},
        "seconds": round(seconds, 1),
    }


# Retrieval reads the query vectors prepared ahead from the cache, as the web and the workers do; a vector
# missing there would wait for an embedding worker, briefly, and the case would count as an error.
RETRIEVAL_SETTINGS = {"QUERY_EMBEDDING": "worker", "QUERY_EMBEDDING_TIMEOUT": 1.0}


def _backend_settings(backend: str, root: str, *, notes: bool = False) -> dict[str, Any]:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    values: dict[str, Any] = {"GENERATION_BACKEND": backend, "GENERATION_ADAPTER": ""}
    if backend == "openai":
        values |= {
            "GENERATION_OPENAI_BASE_URL": f"{root}/notes/v1" if notes else f"{root}/v1",
            "GENERATION_OPENAI_MODEL": "echo-stand-in",
            "GENERATION_OPENAI_API_KEY": "",
            "GENERATION_RETRIES": 0,
            "GENERATION_TIMEOUT_SECONDS": 10.0,
        }
    return values


def run_corpora(
    *, backends: tuple[str, ...] = BACKENDS, cases: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """`run_corpus` for several backends over one library (built and embedded once)."""
    for backend in backends:
        _backend_settings(backend, "")
    started = time.perf_counter()
    corpus = load()
    selected = [c for c in corpus_cases(corpus) if cases is None or c.id in cases]
    summaries: dict[str, dict[str, Any]] = {}
    with echo_server() as root, override_settings(**RETRIEVAL_SETTINGS), _rolled_back():
        library = library_build(corpus)
        world = _world(corpus, library)
        queries_prepare(selected)
        shared = time.perf_counter() - started
        for backend in backends:
            begun = time.perf_counter()
            outcomes = []
            for case in selected:
                with override_settings(**_backend_settings(backend, root, notes=case.echo_notes)):
                    outcomes.append(_case_run(world, case))
            seconds = shared / len(backends) + time.perf_counter() - begun
            summaries[backend] = summarise(backend, corpus, library, outcomes, seconds)
    return summaries


def run_corpus(*, backend: str, cases: list[str] | None = None) -> dict[str, Any]:
    """Draft every case of the corpus (or the `cases` named) with `backend` ("extractive", or "openai"
    against the echoing stand-in server) in the current database, and return the summary. The database is
    left as it was."""
    return run_corpora(backends=(backend,), cases=cases)[backend]


def report_write(summaries: dict[str, dict[str, Any]], path: Path = REPORT) -> Path:
    """Write the summaries (backend -> summary) as var/reports/injection.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summaries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def failure_lines(summary: dict[str, Any]) -> list[str]:
    """One line per finding of a summary's failing cases: case id, class, backend, kind and offending text."""
    return [
        f"{row['case']} [{row['class']}] {summary['backend']}: {finding['kind']}: {finding['detail']}"
        for row in summary["failing"]
        for finding in row["findings"]
    ]
