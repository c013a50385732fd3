"""Grounding a draft in its passages: markers, support of cited sentences, links and e-mail addresses."""

from __future__ import annotations

from assist.contracts import Citation, GroundingFlag
from assist.grounding import customer_copy, draft_ground, sentences
from tests.assist.values import cited_passage

REFUNDS = (
    "Monthly subscriptions are refundable in full within 14 days of the charge. "
    "Annual plans are refunded pro rata for the unused months. "
    "Details are at https://help.example.com/refunds."
)
CONTACT = "For invoices, write to billing@example.com. We answer within two working days."


PASSAGES = (
    cited_passage(1, REFUNDS, title="Refunds for software", heading=("Refunds", "Subscriptions")),
    cited_passage(2, CONTACT, title="Billing contacts", heading=("Invoices",)),
)


def test_unknown_markers_are_removed_flagged_and_the_spacing_tidied():
    draft = (
        "Hi Dana. Monthly subscriptions are refundable within 14 days [1] [7]. See our terms [9] , thanks."
    )

    grounded = draft_ground(draft, PASSAGES)

    assert (
        grounded.text
        == "Hi Dana. Monthly subscriptions are refundable within 14 days [1]. See our terms, thanks."
    )
    assert [f for f in grounded.flags if f.kind == "removed_marker"] == [
        GroundingFlag(kind="removed_marker", text="[7]", marker=7),
        GroundingFlag(kind="removed_marker", text="[9]", marker=9),
    ]


def test_an_unknown_marker_inside_a_group_is_dropped_from_the_group():
    grounded = draft_ground("Monthly subscriptions are refundable within 14 days [1, 4].", PASSAGES)

    assert grounded.text == "Monthly subscriptions are refundable within 14 days [1]."
    assert grounded.flags == (GroundingFlag(kind="removed_marker", text="[4]", marker=4),)


def test_a_sentence_its_passage_backs_is_supported():
    grounded = draft_ground(
        "You can get a full refund of a monthly subscription within 14 days [1].", PASSAGES
    )

    assert grounded.flags == ()


def test_a_sentence_its_passage_does_not_back_is_flagged_unsupported():
    draft = "Your monthly subscription is refundable within 14 days [1]. Hardware swaps ship overnight [2]."

    grounded = draft_ground(draft, PASSAGES)

    assert grounded.flags == (
        GroundingFlag(kind="unsupported", text="Hardware swaps ship overnight [2].", marker=2),
    )


def test_a_wrong_number_makes_a_sentence_contradicted():
    # 30 days where the passage says 14 for the same thing: "contradicted" (tests/assist/test_claims.py).
    grounded = draft_ground("Refundable within 30 days [1].", PASSAGES)

    assert [(f.kind, f.text, f.marker) for f in grounded.flags] == [
        ("contradicted", "Refundable within 30 days [1].", 1)
    ]


def test_a_number_its_passage_does_not_state_makes_a_sentence_unsupported():
    text = "Monthly subscriptions are refundable in full within 14 days, 3 times [1]."

    grounded = draft_ground(text, PASSAGES)

    assert grounded.flags == (GroundingFlag(kind="unsupported", text=text, marker=1),)


def test_links_and_e_mail_addresses_found_in_no_passage_are_flagged():
    draft = (
        "Read https://help.example.com/refunds or https://evil.example/claim. "
        "Write to billing@example.com or refunds@fake.example."
    )

    grounded = draft_ground(draft, PASSAGES)

    assert grounded.flags == (
        GroundingFlag(kind="unknown_link", text="https://evil.example/claim"),
        GroundingFlag(kind="unknown_email", text="refunds@fake.example"),
    )


def test_citations_carry_the_passages_ids_and_the_sentence_that_backs_the_claim():
    draft = "Annual plans are refunded pro rata for unused months [1]. Invoices: billing@example.com [2]."

    grounded = draft_ground(draft, PASSAGES)

    assert grounded.citations == (
        Citation(
            marker=1,
            document_id=101,
            version_id=201,
            chunk_id=301,
            title="Refunds for software",
            heading="Refunds › Subscriptions",
            quote="Annual plans are refunded pro rata for the unused months.",
        ),
        Citation(
            marker=2,
            document_id=102,
            version_id=202,
            chunk_id=302,
            title="Billing contacts",
            heading="Invoices",
            quote="For invoices, write to billing@example.com.",
        ),
    )


def test_a_marker_never_cited_gets_no_citation():
    grounded = draft_ground("Monthly subscriptions are refundable within 14 days [1].", PASSAGES)

    assert [c.marker for c in grounded.citations] == [1]


def test_sentences_keep_markers_written_after_the_full_stop_and_decimals_whole():
    assert sentences("Uptime is 99.9 percent. [1] Credits apply [2].\nThanks!") == [
        "Uptime is 99.9 percent. [1]",
        "Credits apply [2].",
        "Thanks!",
    ]


def test_the_customer_copy_leaves_citation_markers_out():
    copy = customer_copy("Refunds take 5 days [1]. Ask us [1, 2]!\nThanks")
    assert copy == "Refunds take 5 days. Ask us!\nThanks"
    assert customer_copy("No markers here.") == "No markers here."
