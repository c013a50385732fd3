"""Dataset snapshots: redacted (planted canaries never reach a file), filtered, deduplicated, split by time,
frozen under a content hash; and forgotten when a customer is erased or withdraws consent."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from models_ft import api
from models_ft.contracts import PromptMessage
from models_ft.datasets import DatasetConfig, DatasetError, snapshot_build, snapshot_path
from models_ft.models import DatasetSnapshot, TrainingExample

pytestmark = pytest.mark.django_db

PERSON = {"name": "Dana Whitfield", "email": "dana.w@harlow.example", "phone": "+44 7700 900123"}
# Planted in prompts, replies and drafts; none may appear in any snapshot file, in any spelling.
CANARIES = [
    "Dana",
    "Whitfield",
    "dana.w@harlow.example",
    "7700 900123",
    "7700900123",
    "canary.other@mail.example",
    "4111 1111 1111 1111",
    "4111111111111111",
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "198.51.100.23",
    "2001:db8:85a3::8a2e:370:7334",
    "+1 (555) 013-4477",
    "5550134477",
    "221B Baker Street",
    "Hauptstraße 5",
    "SW1A 1AA",
]
LEAKY_QUESTION = (
    "Hi, I'm Dana Whitfield (dana.w@harlow.example, 07700 900123). My card 4111 1111 1111 1111 and IBAN "
    "DE89 3704 0044 0532 0130 00 were both charged. I logged in from 198.51.100.23 and "
    "2001:db8:85a3::8a2e:370:7334. Ship to 221B Baker Street, London SW1A 1AA or Hauptstraße 5. "
    "My colleague canary.other@mail.example, +1 (555) 013-4477, can confirm."
)


def _example(
    *, sent: str, days_ago: float, outcome: str = "accepted", draft: str = "", question: str = ""
) -> int:
    return api.example_record(
        messages=[
            PromptMessage("system", "You draft replies for support agents."),
            PromptMessage("user", f"Customer: Name: Dana Whitfield\n{question or LEAKY_QUESTION}"),
        ],
        draft=draft or sent,
        sent=sent,
        outcome=outcome,
        ticket_id=1,
        customer_id=7,
        person=PERSON,
        sent_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.DATASET_STORE = tmp_path / "datasets"


def _config(**overrides):
    values = {"eval_fraction": 0.25, "min_reply_chars": 20, "max_age_days": 365}
    values.update(overrides)
    return DatasetConfig(**values)


def _rows(snapshot, name):
    path = snapshot_path(snapshot) / name
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_no_planted_personal_data_survives_into_any_file_of_a_snapshot():
    for day in range(8):
        _example(
            sent=f"Hi Dana, we refunded card 4111-1111-1111-1111 to DE89370400440532013000 (day {day}). "
            "Write to dana.w@harlow.example or call +44 7700 900123. — Support",
            draft="Hello Dana Whitfield, please send your card number 4111111111111111." if day % 2 else "",
            outcome="rewritten" if day % 2 else "accepted",
            days_ago=10 - day,
            question=f"{LEAKY_QUESTION} (day {day})",
        )
    snapshot, created = snapshot_build(config=_config())
    assert created
    folder = snapshot_path(snapshot)
    written = "".join(
        (folder / name).read_text() for name in ("train.jsonl", "eval.jsonl", "preference.jsonl")
    )
    written += (folder / "stats.json").read_text()
    assert written
    for canary in CANARIES:
        assert canary.lower() not in written.lower(), canary
    first = _rows(snapshot, "train.jsonl")[0]["messages"]
    # Typed placeholders, the same value the same placeholder across the messages of one example.
    assert "[CUSTOMER_NAME]" in first[1]["content"]
    assert first[2]["content"].startswith("Hi [CUSTOMER_FIRST_NAME],")
    assert "[CARD_1]" in first[1]["content"]
    assert "[CARD_1]" in first[2]["content"]
    assert "[CUSTOMER_EMAIL]" in first[2]["content"]
    assert "[CUSTOMER_PHONE]" in first[2]["content"]
    for kind in ("EMAIL", "IBAN", "IP", "PHONE", "ADDRESS", "POSTCODE"):
        assert f"[{kind}_1]" in first[1]["content"], kind
    assert snapshot.stats["redacted"]["CARD"] > 0


def test_filters_deduplication_and_the_time_split():
    old = _example(sent="A reply from long ago, long enough to count.", days_ago=400)
    _example(sent="Too short.", days_ago=30)
    rejected = _example(sent="An example an administrator rejected for training.", days_ago=29)
    TrainingExample.objects.filter(pk=rejected).update(
        rejected=True, rejected_reason="quoted a refund by mistake"
    )
    twice = [
        _example(sent="The same answer to the same question.", days_ago=d, question="Same?") for d in (20, 19)
    ]
    kept = [
        _example(sent=f"A good reply number {i}, long enough to count.", days_ago=10 - i) for i in range(6)
    ]
    snapshot, _ = snapshot_build(config=_config())
    stats = snapshot.stats
    assert stats["left_out"] == {"duplicate": 1, "rejected": 1, "stale": 1, "too_short": 1}
    assert (stats["examples"], stats["kept"], stats["train"], stats["eval"]) == (11, 7, 5, 2)
    train = [row["id"] for row in _rows(snapshot, "train.jsonl")]
    held_out = [row["id"] for row in _rows(snapshot, "eval.jsonl")]
    # The newest of the duplicates stays; evaluation holds the newest examples.
    assert twice[1] in train
    assert twice[0] not in train + held_out
    assert old not in train + held_out
    assert held_out == kept[-2:]
    assert train == [twice[1], *kept[:4]]
    assert snapshot.config == {"eval_fraction": 0.25, "min_reply_chars": 20, "max_age_days": 365}


def test_rewritten_drafts_become_preference_pairs_from_the_training_side_only():
    for i in range(4):
        _example(
            sent=f"The reply the agent wrote instead, number {i}.",
            draft=f"The draft the agent threw away, number {i}.",
            outcome="rewritten",
            days_ago=10 - i,
        )
    snapshot, _ = snapshot_build(config=_config(eval_fraction=0.25))
    pairs = _rows(snapshot, "preference.jsonl")
    assert snapshot.preference_count == len(pairs) == 3
    assert pairs[0]["chosen"] == [
        {"role": "assistant", "content": "The reply the agent wrote instead, number 0."}
    ]
    assert pairs[0]["rejected"][0]["content"] == "The draft the agent threw away, number 0."
    assert [m["role"] for m in pairs[0]["prompt"]] == ["system", "user"]


def test_the_same_examples_give_the_same_frozen_snapshot():
    for i in range(3):
        _example(sent=f"A perfectly ordinary reply number {i}.", days_ago=5 - i)
    first, created = snapshot_build(config=_config())
    again, created_again = snapshot_build(config=_config())
    assert created
    assert not created_again
    assert again.pk == first.pk
    folder = snapshot_path(first)
    assert folder.name == first.content_hash[:16]
    assert not os.access(folder / "train.jsonl", os.W_OK) or os.geteuid() == 0
    assert oct((folder / "train.jsonl").stat().st_mode & 0o777) == "0o444"
    _example(sent="One more reply changes the snapshot.", days_ago=1)
    third, created_third = snapshot_build(config=_config())
    assert created_third
    assert third.content_hash != first.content_hash
    assert DatasetSnapshot.objects.count() == 2


def test_too_few_examples_is_a_clear_error_and_stores_nothing(tmp_path):
    _example(sent="Only one usable reply in the whole table.", days_ago=1)
    _example(sent="Short.", days_ago=1)
    with pytest.raises(DatasetError, match=r"Only 1 of 2 examples are usable \(1 too_short\)"):
        snapshot_build(config=_config())
    with pytest.raises(CommandError, match="at least two"):
        call_command("build_dataset", "--no-progress")
    assert not DatasetSnapshot.objects.exists()
    with pytest.raises(CommandError, match=r"between 0 and 0\.5"):
        call_command("build_dataset", "--eval-fraction", "0.9", "--no-progress")


def test_build_dataset_command_prints_its_snapshot(capsys):
    for i in range(4):
        _example(sent=f"A reply about invoices, number {i}, long enough.", days_ago=4 - i)
    call_command("build_dataset", "--json", "--no-progress", "--eval-fraction", "0.25")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["train"], summary["eval"], summary["created"]) == (3, 1, True)
    assert Path(summary["path"], "train.jsonl").exists()
    call_command("build_dataset", "--no-progress", "--eval-fraction", "0.25")
    assert "already built from these examples" in capsys.readouterr().out


def test_forgetting_a_customer_deletes_their_examples_and_withdraws_snapshots_holding_them():
    for i in range(3):
        _example(sent=f"A reply to customer seven, number {i}.", days_ago=3 - i)
    other = api.example_record(
        messages=[PromptMessage("user", "Question")],
        draft="d",
        sent="A reply to another customer entirely.",
        outcome="accepted",
        ticket_id=2,
        customer_id=8,
    )
    snapshot, _ = snapshot_build(config=_config())
    assert api.examples_forget(customer_id=7) == 3
    assert list(TrainingExample.objects.values_list("pk", flat=True)) == [other]
    snapshot.refresh_from_db()
    assert snapshot.withdrawn_at is not None
    assert not snapshot_path(snapshot).exists()
    assert api.examples_forget(customer_id=7) == 0


def test_the_companys_contact_details_quoted_from_its_documents_are_kept():
    documents = (
        "<<<BEGIN DOCUMENTS 0123456789abcdef>>>\n[1] Returns\nE-mail returns@shop.example.\n"
        "<<<END DOCUMENTS 0123456789abcdef>>>"
    )
    for i in range(2):
        api.example_record(
            messages=[PromptMessage("user", f"{documents}\nMy address is dana.private@home.example ({i})")],
            draft="d",
            sent=f"Please write to returns@shop.example [1], not from dana.private@home.example ({i}).",
            outcome="accepted",
            ticket_id=1,
            customer_id=7,
        )
    snapshot, _ = snapshot_build(config=_config(min_reply_chars=5))
    reply = _rows(snapshot, "train.jsonl")[0]["messages"][-1]["content"]
    assert reply == "Please write to returns@shop.example [1], not from [EMAIL_1] (0)."


def test_an_eval_example_reads_its_passages_question_and_language_back_out_of_the_prompt():
    from models_ft.evaluation.matrix import NO_DOCUMENTS, EvalExample

    prompt = (
        "## Customer\n<<<BEGIN CUSTOMER 1111>>>\nName: [CUSTOMER_NAME]\nLanguage: de\n"
        "<<<END CUSTOMER 1111>>>\n"
        "## Conversation\n<<<BEGIN CONVERSATION 2222>>>\nSubject: Refund\n\n"
        "Customer [CUSTOMER_NAME], 2026-01-02 10:00 UTC:\nKann ich mein Geld zurück?\n"
        "<<<END CONVERSATION 2222>>>\n"
        "## Policy documents\n<<<BEGIN DOCUMENTS 3333>>>\n[1] Refunds › Monthly\nRefunds within 14 days.\n\n"
        "[2] Limits\nUp to 500 EUR.\n<<<END DOCUMENTS 3333>>>"
    )
    example = EvalExample(1, (PromptMessage("system", "rules"), PromptMessage("user", prompt)), "Hallo")
    assert example.passages == {1: "Refunds within 14 days.", 2: "Up to 500 EUR."}
    facts = example.facts()
    assert (facts.customer_name, facts.language, facts.question) == (
        "[CUSTOMER_NAME]",
        "de",
        "Kann ich mein Geld zurück?",
    )
    assert [(p.marker, p.title) for p in facts.passages] == [(1, "Refunds"), (2, "Limits")]
    emptied = example.without_retrieval()[-1].content
    assert NO_DOCUMENTS in emptied
    assert "Refunds within 14 days" not in emptied
    assert "<<<END DOCUMENTS 3333>>>" in emptied
