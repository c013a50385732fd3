"""Reply metrics: overlap scores on hand-worked examples, citation checks against the passages given, house
style on replies with and without greeting, sign-off and enough words."""

from __future__ import annotations

import pytest

from models_ft.evaluation.metrics import (
    ReplyScores,
    StyleReport,
    chrf,
    citation_validity,
    grounded_sentence_rate,
    mean,
    reply_scores,
    rouge_l,
    split_sentences,
    style_report,
)

PASSAGES = {
    1: "Refunds are issued to the original payment method within five business days.",
    2: "Premium plans include priority phone support around the clock.",
}

REPLY = """Hi Dana,

Thank you for getting in touch about the double charge on your account this month.
Your refund goes back to the original payment method within five business days [1].
If anything still looks wrong after that, reply to this message and we will look again.

Kind regards,
Alex
Harlow Support"""


def test_identical_texts_score_one() -> None:
    text = "Your refund was issued today."
    assert rouge_l(text, text) == 1.0
    assert chrf(text, text) == 1.0


def test_disjoint_texts_score_zero() -> None:
    assert rouge_l("refund issued", "password reset") == 0.0
    assert chrf("abc", "xyz") == 0.0


@pytest.mark.parametrize(("candidate", "reference"), [("", "text"), ("text", ""), ("  ", "  ")])
def test_empty_sides_score_zero(candidate: str, reference: str) -> None:
    assert rouge_l(candidate, reference) == 0.0
    assert chrf(candidate, reference) == 0.0


def test_punctuation_only_has_characters_but_no_words() -> None:
    assert rouge_l("!!!", "!!!") == 0.0
    assert chrf("!!!", "!!!") == 1.0


def test_rouge_l_hand_computed() -> None:
    # LCS "the cat on the mat" = 5 of 6 words on both sides: P = R = F = 5/6.
    assert rouge_l("the cat sat on the mat", "the cat lay on the mat") == pytest.approx(5 / 6)
    # LCS "a c" = 2: P = 2/3, R = 2/4, F = 2PR / (P + R) = 4/7.
    assert rouge_l("a b c", "a c d e") == pytest.approx(4 / 7)


def test_rouge_l_ignores_case_and_punctuation() -> None:
    assert rouge_l("The CAT, sat!", "the cat sat") == 1.0
    assert rouge_l("Viele Grüße", "viele grüße") == 1.0


def test_chrf_hand_computed() -> None:
    # Orders 1 and 2 only ("ab" has no trigram). Order 1: P = 2/2, R = 2/3; order 2: P = 1/1, R = 1/2.
    # Averages P = 1, R = 7/12; F2 = 5PR / (4P + R) = 7/11.
    assert chrf("ab", "abc") == pytest.approx(7 / 11)


def test_chrf_ignores_whitespace_and_weights_recall() -> None:
    assert chrf("a b  c", "abc") == 1.0
    # Missing half the reference costs more than adding as much again.
    assert chrf("refund", "refund issued") < chrf("refund issued", "refund")


def test_chrf_is_symmetric_with_balanced_weight() -> None:
    first, second = "Your refund was issued today.", "We issued your refund this morning."
    assert chrf(first, second, beta=1.0) == pytest.approx(chrf(second, first, beta=1.0))


def test_closer_paraphrase_scores_higher() -> None:
    reference = "Your refund was issued today and should arrive within five business days."
    paraphrase = "We issued your refund today; it should arrive within five working days."
    unrelated = "Our office is closed on public holidays in the summer."
    assert chrf(paraphrase, reference) > chrf(unrelated, reference)
    assert rouge_l(paraphrase, reference) > rouge_l(unrelated, reference)


def test_chrf_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="n must"):
        chrf("a", "a", n=0)
    with pytest.raises(ValueError, match="beta"):
        chrf("a", "a", beta=0)


def test_citation_validity() -> None:
    assert citation_validity("See [1] and [2].", {1, 2}) == 1.0
    assert citation_validity("See [1], [1] and [7].", {1, 2}) == pytest.approx(2 / 3)
    assert citation_validity("See [9].", set()) == 0.0
    assert citation_validity("No citations, only [CUSTOMER_NAME].", {1}) is None


def test_grounded_rate_one_of_two() -> None:
    text = (
        "Hi Dana,\n"
        "Your refund goes back to the original payment method within five business days [1]. "
        "Premium plans include free flights to Paris every month [2]."
    )
    assert grounded_sentence_rate(text, PASSAGES) == 0.5


def test_grounded_rate_unknown_passage_and_no_citations() -> None:
    assert grounded_sentence_rate("Refunds reach the original payment method [5].", PASSAGES) == 0.0
    assert grounded_sentence_rate("Refunds reach the original payment method.", PASSAGES) is None


def test_marker_after_full_stop_belongs_to_sentence_before() -> None:
    text = "Refunds go to the original payment method. [1]\nAnything else?"
    assert split_sentences(text) == ["Refunds go to the original payment method. [1]", "Anything else?"]
    assert grounded_sentence_rate(text, PASSAGES) == 1.0


def test_split_sentences_drops_pieces_without_letters() -> None:
    assert split_sentences("First one! Second one?\n\n--\n42\nThird.") == [
        "First one!",
        "Second one?",
        "Third.",
    ]


def test_style_report_full_marks() -> None:
    report = style_report(REPLY)
    assert report == StyleReport(greeting=True, sign_off=True, length_ok=True)
    assert report.score == 1.0


def test_style_report_without_greeting() -> None:
    report = style_report(REPLY.replace("Hi Dana,", "Dana,"))
    assert report == StyleReport(greeting=False, sign_off=True, length_ok=True)
    assert report.score == pytest.approx(2 / 3)


def test_style_report_too_short() -> None:
    report = style_report("Hello Dana,\nYour refund is on its way.\nBest,\nAlex")
    assert report == StyleReport(greeting=True, sign_off=True, length_ok=False)


def test_style_report_too_long() -> None:
    assert not style_report(REPLY, max_words=30).length_ok


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("Good morning Dana,", True),
        ("hallo zusammen", True),
        ("Guten Tag Frau Weber,", True),
        ("Hint: restart the app.", False),
        ("Thanks for writing in.", False),
    ],
)
def test_greeting_words(first_line: str, expected: bool) -> None:
    assert style_report(f"\n  {first_line}\nBody text.").greeting is expected


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        ("Mit freundlichen Grüßen\nAlex Weber", True),
        ("Cheers!", True),
        ("Sincerely,\nAlex\nHarlow", True),
        ("— Alex", True),
        ("- Alex Morgan", True),
        ("Alex\nThe Harlow Team", True),
        ("Alex", False),
        ("- reset your password", False),
        ("Let us know if that helps.", False),
    ],
)
def test_sign_off_variants(ending: str, expected: bool) -> None:
    text = f"Hi Dana,\nBestellung 123 is on its way.\nIt should arrive on Monday.\n{ending}"
    assert style_report(text).sign_off is expected


def test_sign_off_must_be_near_the_end() -> None:
    text = "Hi Dana,\nThanks for waiting.\nOne.\nTwo.\nThree."
    assert style_report(text).sign_off is False


def test_mean_ignores_none() -> None:
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None, None]) is None
    assert mean([]) is None


def test_reply_scores() -> None:
    scores = reply_scores(REPLY, REPLY, markers={1, 2}, passages=PASSAGES)
    assert scores == ReplyScores(rouge_l=1.0, chrf=1.0, citation_validity=1.0, grounded_rate=1.0, style=1.0)
    bare = reply_scores("Refund sent.", REPLY, markers={1}, passages=PASSAGES)
    assert bare.citation_validity is None
    assert bare.grounded_rate is None
    assert bare.style == 0.0
