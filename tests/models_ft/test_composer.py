"""The extractive composer's answer: chosen by meaning, never about the opposite of the question, lists kept
as lists, nothing said twice, and the team's own reply to the same question reused when there is one."""

from __future__ import annotations

from models_ft.api import DraftFacts, GenerationRequest, Passage, PrecedentText, PromptMessage, generate
from models_ft.serving import extractive

PLANS = Passage(
    marker=1,
    title="Changing your plan (upgrades and downgrades)",
    heading="Changing your plan › When does a downgrade take effect?",
    text="A downgrade takes effect at the end of the current billing period. Your data stays as it is "
    "after a downgrade, and features missing from the lower plan are switched off.",
)
UPGRADES = Passage(
    marker=2,
    title="Changing your plan (upgrades and downgrades)",
    heading="Changing your plan › When does an upgrade take effect?",
    text="An upgrade takes effect immediately. Your data and settings stay the same after an upgrade, and "
    "the new plan's features are available at once.",
)
SIGN_IN = Passage(
    marker=3,
    title="Cannot sign in to the mobile app",
    heading="Steps to fix",
    text=(
        "Work through these steps in order:\n\n"
        "1. Update the app to the latest version. Old versions cannot open a session.\n"
        "2. Check that the phone's clock is set automatically.\n"
        "3. Sign out everywhere, then sign in again with a fresh code.\n"
    ),
)
SHIPPING = Passage(
    marker=4,
    title="Shipping of hardware orders",
    heading="Delivery times",
    text="Orders leave the warehouse within 2 business days. Standard delivery takes 3-5 business days "
    "after dispatch. Express delivery takes 1 business day and costs **15 EUR**.",
)


def facts(question: str, *passages: Passage, **extra: object) -> DraftFacts:
    values: dict[str, object] = {
        "customer_name": "Dana Whitfield",
        "language": "en",
        "question": question,
        "situation": (),
        "passages": passages,
    }
    values.update(extra)
    return DraftFacts(**values)  # type: ignore[arg-type]


def draft(f: DraftFacts) -> str:
    return "".join(generate(GenerationRequest(messages=(PromptMessage(role="user", content="x"),), facts=f)))


def test_a_question_about_upgrading_is_not_answered_about_downgrading():
    text = draft(facts("Will our data and settings stay the same after upgrading?", PLANS, UPGRADES))

    assert "Your data and settings stay the same after an upgrade" in text
    assert "downgrade" not in text.lower()


def test_a_sentence_close_in_meaning_is_quoted_though_it_shares_no_word_with_the_question():
    # "log in" / "sign in", "kicks me out" / "session": word overlap alone threw these passages away.
    question = "The app keeps kicking me out when I try to log on."
    relevance = {s: 0.1 for s in extractive.quotable_sentences(SHIPPING.text)} | {
        s: 0.55 for s in extractive.quotable_sentences(SIGN_IN.text)
    }
    text = draft(facts(question, SHIPPING, SIGN_IN, relevance=relevance))

    assert extractive.NOTHING_FOUND not in text
    assert "[3]" in text
    assert "[4]" not in text


def test_unrelated_sentences_are_not_quoted_however_many_words_they_share():
    relevance = {s: 0.05 for s in extractive.quotable_sentences(SHIPPING.text)}
    text = draft(facts("What does express delivery of a coffee machine cost?", SHIPPING, relevance=relevance))

    assert extractive.NOTHING_FOUND in text


def test_steps_are_quoted_as_a_numbered_list_with_each_step_whole():
    text = draft(facts("How do I fix the sign-in loop in the mobile app? Which steps?", SIGN_IN))

    assert "1. Update the app to the latest version [3]. Old versions cannot open a session [3]." in text
    assert "\n2. Check that the phone's clock is set automatically [3].\n3. Sign out everywhere" in text


def test_markdown_marks_are_not_quoted():
    text = draft(facts("How much does express delivery cost?", SHIPPING))

    assert "**" not in text
    assert "costs 15 EUR [4]." in text


def test_no_sentence_is_said_twice():
    twice = Passage(marker=5, title="Shipping FAQ", heading="Delivery", text=SHIPPING.text)
    text = draft(facts("How long does standard delivery take after dispatch?", SHIPPING, twice))

    assert text.count("Standard delivery takes 3-5 business days after dispatch") == 1


def test_signed_by_the_agent_and_without_filler():
    text = draft(facts("How long does standard delivery take?", SHIPPING, agent_name="Ada"))

    assert text.endswith("Kind regards,\nAda")
    assert "I have looked into your question" not in text


def test_a_chat_that_never_greets_is_answered_without_a_letter():
    text = draft(
        facts(
            "How long does standard delivery take?",
            SHIPPING,
            agent_turns=("Sure, which item would you like to order?",),
        )
    )

    assert not text.startswith("Hi")
    assert "regards" not in text.lower()
    assert text.startswith("Standard delivery takes 3-5 business days")


PRECEDENT = PrecedentText(
    ticket_id=108,
    similarity=0.91,
    question="My hardware order [REFERENCE_1] has not arrived. Where is it?",
    reply=(
        "Hi [CUSTOMER_FIRST_NAME],\n\n"
        "Sorry for the wait, let's find your parcel.\n\n"
        "1. Check the dispatch e-mail for the tracking number; it is sent when the order leaves the "
        "warehouse.\n"
        "2. Your order [REFERENCE_1] was sent to [EMAIL_1].\n"
        "3. Allow 4 business days for standard delivery after dispatch.\n\n"
        "Warm regards,\nSofia Reyes\nQuillfeather Support"
    ),
)


def test_the_teams_reply_to_the_same_question_is_the_draft_adapted_to_this_customer():
    text = draft(
        facts(
            "My hardware order has not arrived yet, where is it?",
            SHIPPING,
            precedents=(PRECEDENT,),
            agent_name="Ada",
        )
    )

    assert text.startswith("Hi Dana,\n\nSorry for the wait, let's find your parcel.")
    # Its steps kept; the other customer's reference and address left out; signed by this agent.
    assert "1. Check the dispatch e-mail for the tracking number" in text
    assert "REFERENCE" not in text
    assert "EMAIL" not in text
    assert text.endswith("Warm regards,\nAda\nQuillfeather Support")
    assert "Sofia" not in text


def test_a_figure_the_current_policy_states_otherwise_is_replaced_and_cited():
    question = "My hardware order has not arrived yet, where is it?"
    text = draft(facts(question, SHIPPING, precedents=(PRECEDENT,)))

    assert "Allow 3-5 business days for standard delivery after dispatch [4]." in text
    assert "4 business days" not in text


def test_a_precedent_is_not_reused_for_a_follow_up_or_for_the_opposite_question():
    follow_up = draft(
        facts(
            "It still has not arrived, where is it?",
            SHIPPING,
            precedents=(PRECEDENT,),
            agent_turns=("Hi Dana,\n\nIt is on its way.\n\nKind regards,\nAda",),
        )
    )
    assert "Sorry for the wait" not in follow_up

    downgrade = PrecedentText(
        ticket_id=9, similarity=0.9, question="How do I downgrade my plan?", reply="Hi X,\n\nDowngrades wait."
    )
    upgrade = draft(facts("How do I upgrade my plan?", UPGRADES, precedents=(downgrade,)))
    assert "Downgrades wait" not in upgrade
    assert "[2]" in upgrade


def test_a_precedent_not_close_enough_is_not_used():
    far = PrecedentText(**{**PRECEDENT.__dict__, "similarity": extractive.PRECEDENT_SIMILARITY - 0.05})
    text = draft(facts("My hardware order has not arrived yet, where is it?", SHIPPING, precedents=(far,)))

    assert "Sorry for the wait" not in text
