"""`manage.py eval_drafts`: drafts made as the console makes them (extractive backend, real model and
database), scored against replies, on small files of our own in the shared/datasets format and on solved
tickets created here."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assist import evaluation
from assist.context import ticket_context_assemble
from assist.drafting import draft_answered
from assist.models import Suggestion
from knowledge import api as knowledge
from knowledge.models import Document
from models_ft import api as models_api
from models_ft.models import TrainingExample
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

KEYS = [*evaluation.METRICS, "skipped"]
LOCKER = "Parcels can be collected from a locker within 72 hours of the delivery."
DOCUMENTS = [
    {"id": "d1", "title": "Parcel lockers", "text": f"{LOCKER} Lockers open from six in the morning."},
    {
        "id": "d2",
        "title": "Cafe Aurora",
        "text": "Does Cafe Aurora have vegan food?\nYes, Cafe Aurora serves a vegan menu every day.",
    },
    {
        "id": "d3",
        "title": "Hotel Borealis",
        "text": "Does Hotel Borealis have vegan food?\nNo vegan food is served at Hotel Borealis.",
    },
    {
        "id": "d4",
        "title": "Bicycle hire",
        "text": "Bicycles may be hired by the hour with a deposit of fifty pounds.",
    },
]
QUERIES = [
    {
        "id": "q1",
        "query": "How long will my parcel wait in the locker?",
        "scenario": "",
        "gold_doc_ids": ["d1"],
        "gold_reply": "Your parcel can be collected from the locker within 72 hours of the delivery.",
    },
    {
        "id": "q2",
        "query": "Is there a deposit to hire a bicycle?",
        "scenario": "I am visiting for a week.",
        "gold_doc_ids": ["d4"],
        "gold_reply": "Yes, bicycles are hired by the hour with a deposit of fifty pounds.",
    },
    # Not a question for the knowledge base: no reply to compare with, so not scored.
    {"id": "q3", "query": "Book me a table for two.", "gold_doc_ids": [], "gold_reply": None},
    {
        "id": "q4",
        "query": "Do they have vegan food?",
        "dialogue": [
            {"role": "user", "text": "I would like a room at Hotel Borealis tonight."},
            {"role": "agent", "text": "Booked. Anything else?"},
            {"role": "user", "text": "Do they have vegan food?"},
        ],
        "gold_doc_ids": ["d3"],
        "gold_reply": "I am afraid Hotel Borealis has no restaurant, so there is no vegan food there.",
    },
]


def _files(tmp_path, documents=DOCUMENTS, queries=QUERIES):
    docs, qs = tmp_path / "documents.jsonl", tmp_path / "dev.jsonl"
    docs.write_text("".join(json.dumps(row) + "\n" for row in documents))
    qs.write_text("".join(json.dumps(row) + "\n" for row in queries))
    return docs, qs


def _run(*args: str) -> dict:
    out = io.StringIO()
    call_command("eval_drafts", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_token_f1_is_squads():
    assert evaluation.token_f1("The parcel waits 72 hours!", "a parcel waits for 72 hours") == pytest.approx(
        2 * (4 / 4) * (4 / 5) / (4 / 4 + 4 / 5)
    )
    assert evaluation.token_f1("An apple.", "the apple") == 1.0
    assert evaluation.token_f1("", "") == 1.0
    assert evaluation.token_f1("the", "apple") == 0.0
    assert evaluation.token_f1("pear", "apple") == 0.0


def test_a_draft_answers_when_it_cites_and_has_no_nothing_found_note():
    citation = object()
    assert draft_answered("Parcels wait 72 hours [1].", (citation,))  # type: ignore[arg-type]
    assert not draft_answered("Parcels wait 72 hours.", ())
    # A reply composed from what the team sent on a similar ticket answers, cited or not.
    assert draft_answered("Glad it is sorted; the new limit is active.", (), precedent_used=True)
    assert not draft_answered(f"Hello.\n\n{models_api.nothing_found_note()}", (citation,))  # type: ignore[arg-type]


def test_the_report_averages_rows_and_counts_citations_over_all_of_them():
    rows = [
        evaluation.Scored(True, 0.5, 0.4, 0.3, True, 10.0, cited=3, cited_gold=1),
        evaluation.Scored(False, 0.1, 0.2, 0.1, False, 30.0, cited=1, cited_gold=1),
    ]
    report = evaluation.report(rows, skipped=2)
    assert report == report | {
        "n": 2,
        "answered": 0.5,
        "chrf": 0.3,
        "rouge_l": 0.3,
        "token_f1": 0.2,
        "citation_precision": 0.5,
        "grounded_rate": 0.5,
        "latency_ms_p50": 20.0,
        "skipped": 2,
    }
    assert list(report) == KEYS
    assert evaluation.report(rows, gold=False)["citation_precision"] is None
    assert evaluation.report([])["n"] == 0


def test_query_input_drafts_each_row_with_a_reply_and_scores_it(tmp_path):
    docs, qs = _files(tmp_path)
    report = _run("--documents", str(docs), "--queries", str(qs), "--json")
    assert list(report) == KEYS
    assert report["n"] == 3  # the row without a gold reply is left out
    assert report["skipped"] == 0
    assert report["answered"] == 1.0
    assert report["grounded_rate"] == 1.0
    # q1 and q2 cite their gold documents; "do they have vegan food?" may be answered from both vegan entries.
    assert 0.5 <= report["citation_precision"] <= 1.0
    assert 0.3 < report["chrf"] < 1.0
    assert 0 < report["rouge_l"] < 1.0
    assert 0 < report["token_f1"] < 1.0
    assert 0 < report["latency_ms_p50"] <= report["latency_ms_p95"]
    # An isolated collection, and nothing stored of the drafts.
    assert not Document.objects.filter(collection="live").exists()
    assert not Suggestion.objects.exists()
    assert not TrainingExample.objects.exists()
    # A second run reuses the collection; --limit takes the first rows with a reply.
    assert Document.objects.count() == len(DOCUMENTS)
    assert _run("--documents", str(docs), "--queries", str(qs), "--limit", "2", "--json")["n"] == 2
    assert Document.objects.count() == len(DOCUMENTS)


def test_conversation_input_drafts_for_the_dialogue(tmp_path):
    docs, qs = _files(tmp_path)
    report = _run("--documents", str(docs), "--queries", str(qs), "--input", "conversation", "--json")
    assert report["n"] == 3
    assert report["answered"] == 1.0
    assert 0.5 <= report["citation_precision"] <= 1.0


def test_the_context_is_a_new_customers_ticket_holding_the_conversation(tmp_path):
    docs, qs = _files(tmp_path)
    collection = knowledge.evaluation_collection_load(docs)
    knowledge.evaluation_collection_embed(collection)
    case = evaluation.cases_load(qs, input_mode="conversation")[2]
    with knowledge.local_query_embedding():
        context = evaluation.case_context(case, collection=collection)
    sections = {s.name: s.text for s in context.sections}
    assert list(sections) == ["conversation", "staff_notes", "customer", "history", "incidents"]
    assert (
        "Customer, 2000-01-01 00:00 UTC:\nI would like a room at Hotel Borealis tonight."
        in (sections["conversation"])
    )
    assert "Agent, 2000-01-01 00:01 UTC:\nBooked. Anything else?" in sections["conversation"]
    assert sections["customer"].startswith("Name: \n")
    assert context.customer_name == ""
    assert context.question == "Do they have vegan food?"
    assert context.passages[0].chunk.external_id == "d3"  # the hotel the dialogue names comes first
    assert len({p.marker for p in context.passages}) == len(context.passages) <= 6

    query = evaluation.cases_load(qs, input_mode="query")[1]
    assert query.messages == (
        ("customer", "I am visiting for a week.\n\nIs there a deposit to hire a bicycle?"),
    )
    assert query.subject == ""


def _timeless(text: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "(time)", text)


@pytest.mark.parametrize("input_mode", ["conversation", "query"])
def test_a_row_gets_the_context_the_console_assembles_for_a_ticket_holding_it(
    tmp_path, team, admin_user, input_mode
):
    """The dataset context mirrors `ticket_context_assemble`: the same library in the live collection and a
    ticket of a new customer holding the row's conversation give the same sections, question, search,
    passages and sentence relevance. When the console's assembly changes, this fails until
    `evaluation.case_context` follows."""
    docs, qs = _files(tmp_path)
    collection = knowledge.evaluation_collection_load(docs)
    knowledge.evaluation_collection_embed(collection)
    for row in DOCUMENTS:
        factories.indexed_document(title=row["title"], text=row["text"])
    for case in evaluation.cases_load(qs, input_mode=input_mode):
        customer = factories.customer(name="", plan=None)
        ticket = factories.ticket(team=team, customer_=customer, subject=case.subject)
        for index, (role, text) in enumerate(case.messages):
            factories.message(ticket, author_kind=role, body=text, created_at=NOW + timedelta(minutes=index))
        with knowledge.local_query_embedding():
            console = ticket_context_assemble(ticket=ticket, user=admin_user)
            dataset = evaluation.case_context(case, collection=collection)
        assert [(s.name, _timeless(s.text)) for s in dataset.sections] == [
            (s.name, _timeless(s.text)) for s in console.sections
        ]
        for field in ("customer_name", "language", "question", "retrieval_query", "reply_language"):
            assert getattr(dataset, field) == getattr(console, field), field
        for field in ("agent_turns", "subject", "situation", "staff_notes", "precedents"):
            assert getattr(dataset, field) == getattr(console, field), field
        assert [(p.marker, p.chunk.document_title, p.chunk.text) for p in dataset.passages] == [
            (p.marker, p.chunk.document_title, p.chunk.text) for p in console.passages
        ]
        assert dataset.relevance.keys() == console.relevance.keys()
        for sentence, score in console.relevance.items():
            assert dataset.relevance[sentence] == pytest.approx(score, abs=1e-5)


def test_bad_input_is_a_command_error(tmp_path):
    docs, qs = _files(tmp_path)

    def fails(*args: str, match: str) -> None:
        with pytest.raises(CommandError, match=match):
            call_command("eval_drafts", *args, stdout=io.StringIO(), stderr=io.StringIO())

    fails("--documents", str(tmp_path / "missing.jsonl"), "--queries", str(qs), match="no such file")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(QUERIES[0]) + "\n{not json\n")
    fails("--documents", str(docs), "--queries", str(broken), match=r"broken\.jsonl:2")
    fails("--documents", str(docs), "--queries", str(qs), "--limit", "0", match="at least 1")
    fails("--tickets", "--documents", str(docs), match="no --documents")
    fails(match="--tickets")
    fails("--documents", str(docs), match="--queries is missing")
    fails("--tickets", "--since", "yesterday", match="not a date")
    silent = tmp_path / "silent.jsonl"
    silent.write_text(json.dumps(QUERIES[2]) + "\n")
    fails("--documents", str(docs), "--queries", str(silent), match="nothing to score")


NOW = timezone.now()


def _say(ticket, kind, body, days, **fields):
    return factories.message(
        ticket, author_kind=kind, body=body, created_at=NOW - timedelta(days=days), **fields
    )


@pytest.fixture
def solved(team, agent, admin_user):
    factories.indexed_document(
        title="Parcel lockers", text=f"# Parcel lockers\n\n{LOCKER} Lockers open from six in the morning."
    )
    # A customer who did not agree to training counts too: evaluation is not training.
    customer = factories.customer(name="Dana Whitfield", training_consent=False)
    ticket = factories.ticket(team=team, customer_=customer, subject="Parcel locker")
    _say(ticket, "customer", "How long will my parcel wait in the locker?", 10)
    first = _say(ticket, "agent", "Your parcel waits in the locker for 72 hours.", 9.9, author_user=agent)
    _say(ticket, "customer", "Thanks. When do the lockers open?", 9)
    second = _say(ticket, "agent", "Lockers open from six in the morning.", 8.9, author_user=agent)
    outreach = factories.ticket(team=team, customer_=customer, subject="Delivery notice")
    _say(outreach, "agent", "Your parcel has been delivered to a locker.", 5)  # nothing to answer yet
    still_open = factories.ticket(team=team, customer_=customer, subject="Another question")
    _say(still_open, "customer", "How long will my parcel wait?", 2)
    _say(still_open, "agent", "72 hours.", 1.9, author_user=agent)
    Ticket.objects.exclude(pk=still_open.pk).update(status=Ticket.Status.SOLVED)
    Ticket.objects.filter(pk=outreach.pk).update(solved_at=NOW - timedelta(days=4))
    return {"replies": (first, second)}


def test_tickets_mode_drafts_each_reply_of_a_solved_ticket_as_just_before_it(solved):
    report = _run("--tickets", "--json")
    assert list(report) == KEYS
    # The two replies of the solved ticket; the agent-first one is skipped; the open ticket's is not scored.
    assert (report["n"], report["skipped"]) == (2, 1)
    assert report["answered"] == 1.0
    assert report["citation_precision"] is None  # no gold documents for tickets
    assert report["chrf"] > 0.3
    assert report["token_f1"] > 0.2
    # Evaluation stores nothing.
    assert not Suggestion.objects.exists()
    assert not TrainingExample.objects.exists()

    since = solved["replies"][1].created_at.date().isoformat()
    assert _run("--tickets", "--since", since, "--json")["n"] == 1


def test_the_readable_table_names_every_metric(solved):
    out = io.StringIO()
    call_command("eval_drafts", "--tickets", "--limit", "1", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().strip().splitlines()
    assert [line.split()[0] for line in lines] == KEYS
    assert lines[KEYS.index("citation_precision")].split()[-1] == "-"


def test_the_recent_cut_is_the_first_reply_of_the_newest_solved_tickets(solved, team, agent):
    # The outreach ticket was solved last (4 days ago); the other, by its last reply, 8.9 days ago.
    later = factories.ticket(team=team, customer_=factories.customer(), subject="Later")
    _say(later, "customer", "Hello?", 7)
    reply = _say(later, "agent", "Hello!", 6.5, author_user=agent)
    Ticket.objects.filter(pk=later.pk).update(status=Ticket.Status.CLOSED)
    # Three solved tickets: the newest third is the outreach, and its only reply is 5 days old.
    assert evaluation.recent_replies_cut(share=0.34) == NOW - timedelta(days=5)
    # The newest two thirds: outreach and "Later", whose first reply is the earlier.
    assert evaluation.recent_replies_cut(share=0.67) == reply.created_at
    Ticket.objects.update(status=Ticket.Status.OPEN)
    assert evaluation.recent_replies_cut() is None


def test_open_tickets_get_the_draft_the_console_makes_now(solved, team, agent):
    waiting = factories.ticket(team=team, customer_=factories.customer(), subject="Nothing yet")
    _say(waiting, "agent", "We will be in touch.", 1, author_user=agent)  # no customer message: skipped
    Ticket.objects.filter(pk=waiting.pk).update(status=Ticket.Status.PENDING)
    result = evaluation.open_tickets_evaluate()
    # The open ticket, drafted for the first administrator (it has no assignee).
    assert result == {"n": 1, "answered": 1.0, "markers_resolved": 1.0, "skipped": 1}
    assert evaluation.open_tickets_evaluate(statuses=[Ticket.Status.PENDING])["n"] == 0
    assert not Suggestion.objects.exists()
