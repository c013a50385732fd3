"""Drafts that answer: relevance before language, the reply in the language the customer writes, and the
team's earlier replies (precedents) reused, redacted and within the requesting agent's rights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assist import services
from assist.context import _language_preferred
from assist.language import reply_language
from assist.models import Suggestion
from assist.precedents import precedent_replies, precedents_embed
from knowledge import api as knowledge
from knowledge.contracts import RetrievedChunk
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

BANK_FEED = (
    "# Bank feed not syncing\n\n## What to do\n\n"
    "If your bank feed has not brought in new transactions, open Books > Banking > Bank feeds and select "
    "Sync now. A feed that has not synced for more than 2 business days needs its bank consent renewed. "
    "Do not disconnect and reconnect the feed: that imports older transactions again as duplicates."
)
PASSWORT = (
    "# Passwort zurücksetzen\n\nWählen Sie auf der Anmeldeseite Passwort vergessen. Sie erhalten eine E-Mail "
    "mit einem Link, der eine Stunde gültig ist. Das neue Passwort muss mindestens 12 Zeichen haben."
)
RUECKSENDUNG = (
    "# Rücksendung von Hardware\n\nUnbenutzte Hardware können Sie innerhalb von 30 Tagen zurücksenden. "
    "Die Rücksendung ist für Kunden in der EU kostenlos."
)


def _drafted(ticket: Ticket, user) -> Suggestion:
    suggestion = services.suggestion_request(ticket=ticket, user=user)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    return suggestion


def test_a_german_profile_writing_english_gets_relevant_english_passages_and_reply(team, agent):
    # Ticket 342 of the demo: the profile language filled every slot with German documents about other things.
    factories.indexed_document(title="Passwort zurücksetzen", text=PASSWORT, language="de")
    factories.indexed_document(title="Rücksendung von Hardware", text=RUECKSENDUNG, language="de")
    factories.indexed_document(title="Bank feed not syncing", text=BANK_FEED)
    customer = factories.customer(language="de", name="William Becker")
    subject = "Bank feed not updating since 7 December"
    ticket = factories.ticket(team=team, customer_=customer, subject=subject)
    factories.message(ticket, body="Bank feed is stuck again. Nothing new since 7 December, please fix this.")

    suggestion = _drafted(ticket, agent)

    assert suggestion.language == "en"
    assert suggestion.passages[0]["title"] == "Bank feed not syncing"
    assert "nothing on this question" not in suggestion.text
    assert [c["title"] for c in suggestion.citations] == ["Bank feed not syncing"]
    assert not [f for f in suggestion.flags if f["kind"] == "other_language"]


def test_an_answer_found_only_in_another_language_is_given_and_the_agent_is_told(team, agent):
    factories.indexed_document(title="Bank feed not syncing", text=BANK_FEED)
    customer = factories.customer(language="de")
    ticket = factories.ticket(team=team, customer_=customer, subject="Bank feed")
    factories.message(
        ticket, body="Unser Bank feed synchronisiert nicht mehr, seit Tagen keine neuen Umsätze. Was tun?"
    )

    suggestion = _drafted(ticket, agent)

    assert suggestion.language == "de"
    assert suggestion.citations
    flag = next(f for f in suggestion.flags if f["kind"] == "other_language")
    assert "Translate" in flag["reason"]


def _chunk(chunk_id: int, score: float, language: str) -> RetrievedChunk:
    return RetrievedChunk(
        chunk_id=chunk_id,
        document_id=chunk_id,
        version_id=chunk_id,
        document_title=f"doc {chunk_id}",
        document_slug=f"doc-{chunk_id}",
        kind="policy",
        heading_path=(),
        text="text",
        vector_score=None,
        keyword_score=None,
        fused_score=score,
        language=language,
    )


def test_the_reply_language_only_breaks_ties_between_equally_relevant_passages():
    close = [_chunk(1, 1.0, "en"), _chunk(2, 0.98, "de"), _chunk(3, 0.0, "de")]
    assert [c.chunk_id for c in _language_preferred(close, "de")] == [2, 1, 3]
    far = [_chunk(1, 1.0, "en"), _chunk(2, 0.5, "de"), _chunk(3, 0.0, "en")]
    assert [c.chunk_id for c in _language_preferred(far, "de")] == [1, 2, 3]


@pytest.mark.parametrize(
    ("messages", "profile", "expected"),
    [
        (["Bank feed is stuck again, nothing new since 7 December."], "de", "en"),
        (["Unser Bank feed hängt seit gestern, bitte helfen Sie uns."], "en", "de"),
        (["ok thanks"], "nl", "nl"),
        (["Merci, mais le lecteur ne s'allume toujours pas."], "", "fr"),
    ],
)
def test_the_customer_s_own_words_decide_the_language_and_the_profile_is_a_hint(messages, profile, expected):
    assert reply_language(messages, profile=profile) == expected


OTHER_REPLY = (
    "Hi Olivia,\n\nSorry the feed has left a gap.\n\n"
    "1. Open Books > Banking > Bank feeds and select Sync now.\n"
    "2. If the feed has not synced for more than 2 business days, renew the bank consent.\n"
    "3. Your order ORD-55812 and account olivia.brandt@example.org are fine; call me on +49 30 1234567.\n\n"
    "Kind regards,\nSofia\nQuillfeather Support"
)


def _solved_precedent(team, *, name: str = "Olivia Brandt") -> Ticket:
    customer = factories.customer(name=name, email="olivia.brandt@example.org", phone="+49 30 1234567")
    ticket = factories.ticket(team=team, customer_=customer, subject="Bank feed stuck - no new lines")
    factories.message(ticket, body="Our bank feed is stuck, no new transactions for days.")
    factories.message(ticket, author_kind="agent", body=OTHER_REPLY)
    Ticket.objects.filter(pk=ticket.pk).update(status="solved", solved_at=timezone.now())
    with knowledge.local_query_embedding():
        precedents_embed()
    return ticket


def test_a_draft_starts_from_the_team_s_reply_to_the_same_question_with_nothing_of_that_customer(team, agent):
    factories.indexed_document(title="Bank feed not syncing", text=BANK_FEED)
    precedent = _solved_precedent(team)
    customer = factories.customer(name="William Becker")
    ticket = factories.ticket(team=team, customer_=customer, subject="Bank feed stuck - no new lines")
    factories.message(ticket, body="Our bank feed is stuck, no new transactions for days.")

    suggestion = _drafted(ticket, agent)

    assert suggestion.precedents[0]["ticket_id"] == precedent.pk
    assert suggestion.precedents[0]["used"] is True
    assert suggestion.text.startswith("Hi William,")
    assert "1. Open Books > Banking > Bank feeds and select Sync now" in suggestion.text
    recorded = str(suggestion.precedents) + suggestion.text + str(suggestion.prompt_messages)
    for private in ("Olivia", "Brandt", "olivia.brandt@example.org", "ORD-55812", "1234567"):
        assert private not in recorded
    # The figure the policy states is cited to it.
    assert "2 business days, renew the bank consent [1]" in suggestion.text


def test_precedents_come_only_from_tickets_the_agent_may_see(team, agent):
    factories.indexed_document(title="Bank feed not syncing", text=BANK_FEED)
    _solved_precedent(factories.team())  # another team's ticket
    ticket = factories.ticket(team=team, subject="Bank feed stuck - no new lines")
    factories.message(ticket, body="Our bank feed is stuck, no new transactions for days.")

    suggestion = _drafted(ticket, agent)

    assert suggestion.precedents == []
    assert "Sorry the feed has left a gap" not in suggestion.text


def test_precedents_are_held_out_by_time(team, agent):
    precedent = _solved_precedent(team)
    with knowledge.local_query_embedding():
        vector = knowledge.query_vector("Bank feed stuck - no new lines")
    assert [p.ticket_id for p in precedent_replies(ticket_id=0, user=agent, vector=vector)] == [precedent.pk]
    earlier = timezone.now() - timedelta(days=1)
    assert precedent_replies(ticket_id=0, user=agent, vector=vector, before=earlier) == []
