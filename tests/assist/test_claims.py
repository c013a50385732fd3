"""Claims checked before send: every sentence that states a fact (a figure, a price, a time limit, a date, an
entitlement, a negation) is backed by a cited passage, a similar ticket's reply or the customer's record;
one that says the opposite of its passage, or another figure for the same thing, is flagged; greetings,
thanks and closings are not claims."""

from __future__ import annotations

import pytest

from assist import grounding
from assist.contracts import PrecedentReply, Section, TicketContext
from assist.grounding import claim_kinds, context_support, draft_ground
from demo.documents import demo_documents
from tests.assist.values import cited_passage

REFUNDS = (
    "Monthly subscriptions are refundable in full within 14 days of the charge. "
    "Annual plans can be refunded within 14 days of purchase. "
    "If you are not satisfied with a monthly plan, you can cancel it at any time. "
    "The Growth plan costs 39 EUR per month."
)
SHIPPING = "Hardware orders ship within 2 business days. Express delivery is not available to Switzerland."
PASSAGES = (
    cited_passage(1, REFUNDS, title="Refunds for software"),
    cited_passage(2, SHIPPING, title="Shipping of hardware orders", heading=("Shipping",)),
)


def _kinds(text: str, passages=PASSAGES, support=()) -> list[str]:
    return [flag.kind for flag in draft_ground(text, passages, support=support).flags]


# The two sentences of the report.


def test_a_free_month_of_credit_no_passage_grants_is_an_uncited_claim():
    grounded = draft_ground(
        "Monthly subscriptions are refundable within 14 days [1]. We will also add a free month of credit.",
        PASSAGES,
    )

    [flag] = grounded.flags
    assert (flag.kind, flag.text, flag.marker) == (
        "uncited_claim",
        "We will also add a free month of credit.",
        None,
    )
    assert "without a citation" in flag.reason
    assert "nothing this draft was given says so" in flag.reason


def test_a_negated_sentence_its_passage_states_positively_is_contradicted():
    grounded = draft_ground("Annual plans cannot be refunded within 14 days [1].", PASSAGES)

    [flag] = grounded.flags
    assert (flag.kind, flag.marker) == ("contradicted", 1)
    assert flag.text == "Annual plans cannot be refunded within 14 days [1]."
    assert "the opposite of [1] Refunds for software" in flag.reason
    assert "Annual plans can be refunded within 14 days of purchase." in flag.reason


def test_a_positive_sentence_its_passage_negates_is_contradicted():
    assert _kinds("Express delivery is available to Switzerland [2].") == ["contradicted"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Annual plans are non-refundable [1].",
        "Annual plans can't be refunded within 14 days [1].",
        "Annual plans can’t be refunded within 14 days [1].",
        "You will never get annual plans refunded within 14 days [1].",
    ],
)
def test_every_english_form_of_negation_counts(sentence):
    assert _kinds(sentence) == ["contradicted"]


@pytest.mark.parametrize(
    ("passage", "negated", "affirmed"),
    [
        (
            "Jahrespläne können innerhalb von 14 Tagen erstattet werden.",
            "Jahrespläne können nicht innerhalb von 14 Tagen erstattet werden [1].",
            "Jahrespläne können innerhalb von 14 Tagen erstattet werden [1].",
        ),
        (
            "Jahrespläne werden ohne Gebühr erstattet.",
            "Jahrespläne werden ohne Gebühr erstattet [1].",
            "Jahrespläne werden mit einer Gebühr erstattet [1].",
        ),
        (
            "Les forfaits annuels peuvent être remboursés dans les 14 jours.",
            "Les forfaits annuels ne peuvent pas être remboursés dans les 14 jours [1].",
            "Les forfaits annuels peuvent être remboursés dans les 14 jours [1].",
        ),
        (
            "Jaarabonnementen kunnen binnen 14 dagen worden terugbetaald.",
            "Jaarabonnementen kunnen niet binnen 14 dagen worden terugbetaald [1].",
            "Jaarabonnementen kunnen binnen 14 dagen worden terugbetaald [1].",
        ),
        (
            "Los planes anuales se pueden reembolsar en 14 días.",
            "Los planes anuales no se pueden reembolsar en 14 días [1].",
            "Los planes anuales se pueden reembolsar en 14 días [1].",
        ),
    ],
    ids=["de", "de-ohne", "fr", "nl", "es"],
)
def test_negation_in_german_french_dutch_and_spanish(passage, negated, affirmed):
    passages = (cited_passage(1, passage),)
    if "ohne" in passage:
        # The passage negates ("ohne Gebühr"); the claim that drops the negation is the contradiction.
        negated, affirmed = affirmed, negated
    assert _kinds(negated, passages) == ["contradicted"]
    assert _kinds(affirmed, passages) == []


def test_a_short_negated_claim_is_contradicted_by_the_sentence_it_reverses():
    passages = (cited_passage(1, "Refunds are possible within 14 days. Recent transactions do not appear."),)
    assert _kinds("Refunds are not possible [1].", passages) == ["contradicted"]
    # Two words in common out of three is not the same statement reversed.
    assert "contradicted" not in _kinds("The same transaction appears twice [1].", passages)


def test_a_negation_in_another_clause_of_the_passage_is_not_a_contradiction():
    # The passage's "not" is about being satisfied, not about cancelling.
    assert _kinds("You can cancel a monthly plan at any time [1].") == []


def test_sentences_that_both_negate_or_merely_name_the_same_words_are_not_contradicted():
    passages = (
        cited_passage(1, "We cannot ship to other countries, to PO boxes or to parcel lockers."),
        cited_passage(
            2,
            "Quillfeather has three plans: Starter (up to 3 users), Growth (up to 25 users) and Enterprise "
            "(unlimited users).",
        ),
    )
    assert _kinds("We don't ship to PO boxes [1].", passages) == []
    assert _kinds("The Growth plan allows up to 25 users [2].", passages) == []
    assert _kinds("The Growth plan allows up to 30 users [2].", passages) == ["contradicted"]


def test_the_customers_own_figure_beside_the_policys_is_no_contradiction():
    # The 3 days are the customer's (unsupported: no passage says them), the 14 days the policy's.
    text = "You were charged 3 days ago, so you are within the 14 days of the charge for a full refund [1]."
    assert _kinds(text) == ["unsupported"]


def test_another_figure_for_the_same_thing_is_contradicted_and_says_both():
    grounded = draft_ground("Annual plans can be refunded within 30 days of purchase [1].", PASSAGES)

    [flag] = grounded.flags
    assert (flag.kind, flag.marker) == ("contradicted", 1)
    assert "30 days where [1] Refunds for software says 14 days" in flag.reason


def test_another_price_is_contradicted():
    grounded = draft_ground("The Growth plan costs 49 EUR per month [1].", PASSAGES)

    [flag] = grounded.flags
    assert flag.kind == "contradicted"
    assert "says 49 eur where [1] Refunds for software says 39 eur" in flag.reason


def test_the_same_quantity_in_other_units_or_notation_is_not_a_contradiction():
    passages = (cited_passage(1, "Refunds are possible within 14 days. The fee is 1,200 EUR a year."),)
    assert _kinds("Refunds are possible within 2 weeks [1].", passages) == []
    assert _kinds("The fee is €1200 a year [1].", passages) == []


def test_a_figure_its_passage_does_not_state_at_all_stays_unsupported():
    # The passage gives no count of invoices to set 3 against: nothing contradicts it, nothing backs it.
    text = "Monthly subscriptions are refundable in full within 14 days for up to 3 invoices [1]."
    assert _kinds(text) == ["unsupported"]


# Claims that cite nothing.


def test_a_claim_a_similar_tickets_reply_backs_needs_no_citation():
    precedent = "Good news: we have added a free month of credit to your account, as a goodwill gesture."
    assert _kinds("We will also add a free month of credit.", support=[precedent]) == []


def test_a_claim_the_customers_record_backs_needs_no_citation():
    incidents = "- Bank feed delays — Investigating since 2026-11-21 09:00 UTC: Two banks are late."
    text = "We are aware of an ongoing incident: Bank feed delays, investigating since 2026-11-21 09:00 UTC."
    assert _kinds(text) == ["uncited_claim"]
    assert _kinds(text, support=[incidents]) == []


def test_support_must_hold_the_figures_and_the_entitlement_too():
    record = "Name: Dana Whitfield\nPlan: Growth\nProducts: Books\nAccount status: Active"
    # Half the words are on the record, but not the seats, nor a refund.
    assert _kinds("Your Growth plan includes 25 seats.", support=[record]) == ["uncited_claim"]
    assert _kinds("On the Growth plan you qualify for a refund.", support=[record]) == ["uncited_claim"]


def test_a_claim_a_passage_says_but_does_not_cite_is_told_which_marker_to_add():
    grounded = draft_ground("Hardware orders ship within 2 business days.", PASSAGES)

    [flag] = grounded.flags
    assert flag.kind == "uncited_claim"
    assert "[2] Shipping of hardware orders seems to say it: add [2]" in flag.reason


def test_a_similar_tickets_reply_the_current_policy_contradicts_is_flagged():
    old_reply = "Annual plans can be refunded within 30 days of purchase, no questions asked."
    grounded = draft_ground(
        "Annual plans can be refunded within 30 days of purchase.", PASSAGES, support=[old_reply]
    )

    [flag] = grounded.flags
    assert (flag.kind, flag.marker) == ("contradicted", 1)
    assert "says 30 days, but [1] Refunds for software says 14 days now" in flag.reason


@pytest.mark.parametrize(
    "sentence",
    [
        "Hi Dana,",
        "Hello,",
        "Thank you for getting in touch.",
        "Thanks for your patience.",
        "I have looked into your question.",
        "I'm sorry to hear you can't sign in.",
        "Thanks for reaching out, and sorry to hear Books wasn't the right fit.",
        "I completely understand how frustrating this must be.",
        "Don't worry, your data is safe.",
        "I hope this helps!",
        "Our team is always happy to help.",
        "I understand this is not what you hoped for.",
        "If anything is unclear or you need more help, just reply to this message.",
        "Please don't hesitate to contact us if you have any other questions.",
        "Let me know if that doesn't work.",
        "Could you tell me when the charge was made?",
        "Kind regards,",
        "Customer Support",
        "Mit freundlichen Grüßen",
        "N'hésitez pas à nous contacter.",
        "No dude en escribirnos.",
        "Note for the agent: the knowledge base has nothing on this question.",
        "You can update your credit card under Settings > Billing.",
        "The Q1 Card Reader pairs over Bluetooth.",
        "Open invoice INV-2024-0042 under Settings > Billing > Invoices.",
        "1.",
        "Refunds:",
    ],
)
def test_greetings_thanks_closings_and_questions_are_not_claims(sentence):
    assert claim_kinds(sentence) == ()
    assert _kinds(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("We will also add a free month of credit.", "eligibility"),
        ("Refunds arrive within 5-10 business days.", "duration"),
        ("The Growth plan costs 39 EUR.", "price"),
        ("Your plan renews on 1 March.", "date"),
        ("Only the account owner can request a refund.", "eligibility"),
        ("Annual plans cannot be changed after renewal.", "negation"),
        ("Hi Dana, annual plans cannot be changed after renewal.", "negation"),
        ("Thanks for writing, but annual plans cannot be changed after renewal.", "negation"),
        ("No problem, annual plans cannot be changed after renewal.", "negation"),
        ("Good news: you qualify for a refund, as you asked in time.", "eligibility"),
        ("Thanks for waiting, your refund of 50 EUR is on its way.", "price"),
        ("Wir erstatten Jahrespläne nicht.", "negation"),
        ("Votre remboursement arrive dans 5 jours.", "duration"),
    ],
)
def test_facts_are_claims(sentence, kind):
    assert kind in claim_kinds(sentence)


def test_the_customers_record_and_the_precedents_are_the_context_support():
    context = TicketContext(
        ticket_id=1,
        customer_id=2,
        customer_name="Dana",
        language="en",
        question="?",
        sections=(
            Section("conversation", 100, "Customer: you promised me a free month", False),
            Section("staff_notes", 100, "Goodwill credit approved", False),
            Section("customer", 100, "Plan: Growth", False),
            Section("history", 100, "- #7 Refund request — Solved", False),
            Section("incidents", 100, "No active incidents.", False),
        ),
        passages=(),
        retrieval_query="",
        vector_search="off",
        retrieval_ms=0.0,
        context_ms=0.0,
        precedents=(
            PrecedentReply(ticket_id=7, subject="s", similarity=0.9, question="q", reply="We did it."),
        ),
    )

    assert context_support(context) == (
        "Plan: Growth",
        "- #7 Refund request — Solved",
        "No active incidents.",
        "We did it.",
    )


def test_a_normal_reply_passes_clean():
    draft = (
        "Hi Dana,\n\n"
        "Thank you for getting in touch. I have looked into your question.\n\n"
        "Monthly subscriptions are refundable in full within 14 days of the charge [1]. "
        "If you are not satisfied with a monthly plan, you can cancel it at any time [1].\n\n"
        "- Hardware orders ship within **2 business days** [2].\n"
        "- Express delivery is not available to Switzerland [2].\n\n"
        "If anything is unclear or you need more help, just reply to this message.\n\n"
        "Kind regards,\nCustomer Support"
    )
    assert draft_ground(draft, PASSAGES).flags == ()


DEMO_SLUGS = (
    "refund-policy-software",
    "plan-changes-upgrade-downgrade",
    "hardware-shipping",
    "hardware-returns-and-warranty",
    "billing-invoices-and-vat",
    "account-cancellation-retention-and-reactivation",
)


def test_a_ten_sentence_reply_against_six_passages_is_checked_from_cold_caches():
    documents = {document.slug: document for document in demo_documents()}
    # Passages as drafts get them: at most 1,500 characters (context.MAX_PASSAGE_CHARS) of demo policies.
    passages = tuple(
        cited_passage(n, documents[slug].body[:1500], title=documents[slug].title)
        for n, slug in enumerate(DEMO_SLUGS, start=1)
    )
    reply = " ".join(
        [
            "Hi Dana, thank you for getting in touch.",
            "A monthly subscription charge is refundable in full within 14 days of the charge [1].",
            "Annual plans cannot be refunded within 30 days of renewal [1].",
            "We will also add a free month of credit.",
            "Hardware orders ship within 2 business days [3].",
            "Upgrades take effect immediately [2].",
            "Refunds take 5-10 business days to appear.",
            "You can cancel at any time [6].",
            "Let me know if you need anything else.",
            "Kind regards, Support.",
        ]
    )
    draft_ground(reply, passages)  # the vocabulary, word by word, as any process that checked a draft has it
    # Cold for this draft's sentences and passages (a new draft's are new); the vocabulary warm. Its cost is
    # measured where speed is, by `make bench` (assist: the pipeline's overhead outside generation), not here.
    for cached in (
        grounding._facts,
        grounding._source,
        grounding._source_sentences,
        grounding._passage_sentences,
        grounding.claim_kinds,
        grounding._content_stems,
    ):
        cached.cache_clear()
    grounded = draft_ground(reply, passages, support=["We added a month of credit once."])
    assert [flag.kind for flag in grounded.flags] == ["contradicted", "uncited_claim", "uncited_claim"]


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        (
            "A monthly charge is refundable **in full within 14 days of the charge** [1].",
            "A monthly charge is refundable in full within 14 days of the charge [1].",
        ),
        ("## Refunds\n\n* one\n+ two\n1. three\n> quoted", "Refunds\n\n- one\n- two\n1. three\nquoted"),
        (
            "See [the policy](https://x.example/a) or [https://y.example](https://y.example), *very* _nice_ "
            "snake_case `code` 2 * 3 * 4 and \\*not\\*.",
            "See the policy (https://x.example/a) or https://y.example, very nice snake_case code 2 * 3 * 4 "
            "and *not*.",
        ),
        (
            "Settings > Billing > Invoices [1]. Price: 11 × 100 EUR = **1,100 EUR**.",
            "Settings > Billing > Invoices [1]. Price: 11 × 100 EUR = 1,100 EUR.",
        ),
        ("Kind regards,\nCustomer Support", "Kind regards,\nCustomer Support"),
    ],
)
def test_markdown_plain_reads_as_the_console_inserts(markdown, plain):
    # The same cases as frontend/src/console/draft.test.ts ("is plain text in the reply box").
    assert grounding.markdown_plain(markdown) == plain
