"""What a draft may quote of a document: planted payloads of every class (in 80 documents written apart from
the detector's training data) are screened out whole, canary included, in any decoded form, and the policy
sentence beside each one is kept; ordinary sentences that look a little like instructions are all kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from knowledge.safety.hidden import visible_text
from knowledge.safety.instructions import instruction_findings
from tests.security.injection.checks import canaries_in

DATA = Path(__file__).parent / "data"
PAYLOADS = yaml.safe_load((DATA / "planted_payloads.yaml").read_text())
ORDINARY = yaml.safe_load((DATA / "ordinary_sentences.yaml").read_text())


def _document(payload: dict) -> str:
    parts = payload["payload"].split("\n-----\n")
    if len(parts) == 2:  # a payload split across two sections, so two chunks
        planted = f"{parts[0].strip()}\n\n## Limits\n\n{parts[1].strip()}"
    else:
        planted = payload["payload"].strip()
    return f"# Policy\n\n{payload['context']}\n\n{planted}\n\nContact us if anything is unclear."


def _quotable(text: str) -> str:
    for finding in sorted(instruction_findings(text, directives=True), key=lambda f: -f.start):
        text = text[: finding.start] + text[finding.end :]
    return text


def test_planted_payloads_of_every_class_are_screened_out_and_the_policy_beside_them_kept():
    leaked, classes = [], Counter()
    for payload in PAYLOADS:
        classes[payload["class"]] += 1
        kept = _quotable(visible_text(_document(payload)).text)
        if canaries_in(kept, [payload["canary"]]):
            leaked.append(payload["id"])
        assert payload["context"].strip() in kept, payload["id"]
    assert len(classes) == 12
    assert min(classes.values()) >= 6
    assert len(leaked) <= len(PAYLOADS) // 20, leaked


def test_ordinary_sentences_that_look_like_instructions_are_all_kept():
    flagged = [row["text"] for row in ORDINARY if instruction_findings(row["text"], directives=True)]
    assert flagged == []
