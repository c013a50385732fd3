"""`manage.py eval_retrieval` on small files of our own in the shared/datasets format, with the real model."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import Document, EmbeddingCache

pytestmark = pytest.mark.django_db

DOCUMENTS = [
    {
        "id": "d1",
        "title": "Parcel lockers",
        "text": "Parcels can be collected from a locker within 72 hours.",
    },
    {
        "id": "d2",
        "title": "Cafe Aurora",
        "text": "Does Cafe Aurora have vegan food?\nYes, there is a vegan menu.",
    },
    {
        "id": "d3",
        "title": "Hotel Borealis",
        "text": "Does Hotel Borealis have vegan food?\nNo, it has no restaurant.",
    },
    {
        "id": "d4",
        "title": "Bicycle hire",
        "text": "Bicycles may be hired by the hour with a deposit of 50 pounds.",
    },
]
QUERIES = [
    {
        "id": "q1",
        "query": "How long will my parcel wait in the locker?",
        "scenario": "",
        "gold_doc_ids": ["d1"],
    },
    {
        "id": "q2",
        "query": "Is there a deposit to rent a bike?",
        "scenario": "I am a tourist",
        "gold_doc_ids": ["d4"],
    },
    {"id": "q3", "query": "not scored", "gold_doc_ids": []},
    {
        "id": "q4",
        "query": "Do they serve vegan dishes?",
        "dialogue": [
            {"role": "user", "text": "I want to stay at Hotel Borealis tonight."},
            {"role": "agent", "text": "Booked. Anything else?"},
            {"role": "user", "text": "Do they serve vegan dishes?"},
        ],
        "gold_doc_ids": ["d3"],
    },
]
KEYS = {"n", "mrr@10", "latency_ms_p50", "latency_ms_p95"} | {
    f"{metric}@{k}" for metric in ("recall", "hit") for k in (1, 5, 10)
}


def _files(tmp_path, documents=DOCUMENTS, queries=QUERIES):
    docs, qs = tmp_path / "documents.jsonl", tmp_path / "dev.jsonl"
    docs.write_text("".join(json.dumps(row) + "\n" for row in documents))
    qs.write_text("".join(json.dumps(row) + "\n" for row in queries))
    return docs, qs


def _run(*args: str) -> dict:
    out = io.StringIO()
    call_command("eval_retrieval", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_eval_retrieval_scores_queries_with_gold_ids_in_an_isolated_collection(tmp_path):
    docs, qs = _files(tmp_path)
    report = _run("--documents", str(docs), "--queries", str(qs), "--json")
    assert set(report) == KEYS
    assert report["n"] == 3  # the query without gold ids is skipped
    # Without the dialogue, "do they serve vegan dishes?" cannot tell the hotel from the cafe.
    assert report["hit@1"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["hit@5"] == 1.0
    assert 0 < report["latency_ms_p50"] <= report["latency_ms_p95"]
    assert not Document.objects.filter(collection="live").exists()
    # A second run finds the documents and their vectors already there.
    embedded = EmbeddingCache.objects.count()
    assert _run("--documents", str(docs), "--queries", str(qs), "--json")["n"] == 3
    assert EmbeddingCache.objects.count() == embedded


def test_conversation_input_uses_the_dialogue_and_the_place_it_names(tmp_path):
    docs, qs = _files(tmp_path)
    report = _run("--documents", str(docs), "--queries", str(qs), "--input", "conversation", "--json")
    # q4 asks about "they": only the named hotel's entry answers it, not the cafe's identical question.
    assert report["hit@1"] == 1.0


def test_eval_retrieval_rejects_bad_files(tmp_path):
    docs, qs = _files(tmp_path)
    with pytest.raises(CommandError, match="no such file"):
        call_command("eval_retrieval", "--documents", str(tmp_path / "missing.jsonl"), "--queries", str(qs))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "title": "t", "text": "fine"}\n{not json\n')
    with pytest.raises(CommandError, match=r"broken\.jsonl:2"):
        call_command("eval_retrieval", "--documents", str(broken), "--queries", str(qs), stderr=io.StringIO())
    empty = tmp_path / "nogold.jsonl"
    empty.write_text(json.dumps({"id": "q", "query": "x", "gold_doc_ids": []}) + "\n")
    with pytest.raises(CommandError, match="nothing to score"):
        call_command(
            "eval_retrieval", "--documents", str(docs), "--queries", str(empty), stderr=io.StringIO()
        )


def test_adapt_on_trains_on_one_file_scores_another_and_reuses_the_model(tmp_path):
    from django.test import override_settings

    docs, qs = _files(tmp_path)
    training = tmp_path / "train.jsonl"
    rows = [
        {"id": "t1", "query": "Where do I pick up my package?", "gold_doc_ids": ["d1"]},
        {"id": "t2", "query": "Can I rent a cycle for the afternoon?", "gold_doc_ids": ["d4"]},
        {"id": "t3", "query": "Vegan options at Cafe Aurora?", "gold_doc_ids": ["d2"]},
    ]
    training.write_text("".join(json.dumps(row) + "\n" for row in rows))
    stock = _run("--documents", str(docs), "--queries", str(qs), "--json")
    with override_settings(RETRIEVER_STORE=tmp_path / "store", RETRIEVER_CONFIG='{"min_steps": 2}'):
        first_err, second_err = io.StringIO(), io.StringIO()
        out = io.StringIO()
        args = ("--documents", str(docs), "--queries", str(qs), "--adapt-on", str(training), "--json")
        call_command("eval_retrieval", *args, stdout=out, stderr=first_err)
        adapted = json.loads(out.getvalue().strip().splitlines()[-1])
        call_command("eval_retrieval", *args, stdout=io.StringIO(), stderr=second_err)
    assert set(adapted) == set(stock) == KEYS
    assert adapted["n"] == stock["n"] == 3
    assert "3 pairs, trained in" in first_err.getvalue()
    assert "reused from an earlier run" in second_err.getvalue()
    # The adapted model's vectors live in a collection of their own; the stock collection keeps its own.
    collections = set(Document.objects.values_list("collection", flat=True))
    assert len(collections) == 2
    with pytest.raises(CommandError, match="--adapt-on: no such file"):
        call_command(
            "eval_retrieval",
            "--documents",
            str(docs),
            "--queries",
            str(qs),
            "--adapt-on",
            str(tmp_path / "x"),
        )
