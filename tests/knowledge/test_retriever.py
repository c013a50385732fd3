"""The retriever that learns: relevance pairs, an adaptation run on the real embedding model (trained, scored
on time-held-out pairs, judged by the gate), the cache of trained models, promotion through the background
model switch (search serves the adapted vectors after it), rollback, and the administrators' API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from knowledge import adaptation, api, embedding, indexing, model_switch, relevance, retrievers
from knowledge.adaptation import AdaptConfig, TrainingPair
from knowledge.contracts import RelevancePairInput, RetrievalScope
from knowledge.models import Chunk, IndexState, RelevancePair, RetrieverRun
from support.core.errors import Conflict, DomainError
from tests import factories

pytestmark = pytest.mark.django_db

# Questions a company's customers ask in their own words, which the stock model does not connect with the
# policy titles; each topic has its own document.
TOPICS = {
    "Invoices and receipts": (
        "Invoices are issued on the first working day of the month and can be downloaded as PDF from the "
        "billing page. Receipts for card payments are e-mailed within an hour.",
        ["where do I find my bill", "need the paperwork for accounting", "send me last month's statement"],
    ),
    "Moving house with your router": (
        "When you relocate, take the router with you and register the new address under Settings. Service "
        "moves with you within two working days.",
        ["I am relocating next week", "new flat, what happens to my internet box", "changing address soon"],
    ),
    "Closing your account": (
        "You can cancel at any time from the account page. Data is kept for thirty days after closing so "
        "that you can change your mind.",
        ["I want to leave", "how do I stop being a customer", "terminate everything please"],
    ),
    "Two-step sign-in": (
        "Turn on two-step sign-in under Security. You will need an authenticator app; recovery codes are "
        "shown once, keep them safe.",
        ["my phone code thing", "extra login protection", "authenticator setup help"],
    ),
}

SMALL = {"epochs": 2, "batch_size": 8, "hard_negatives": 1, "learning_rate": 5e-5, "min_steps": 0}


@pytest.fixture
def topics() -> dict[str, Any]:
    return {title: factories.indexed_document(title=title, text=text) for title, (text, _) in TOPICS.items()}


def _record(documents: dict[str, Any], *, per_topic: int = 3, start: Any = None) -> int:
    """Relevance pairs as the console records them: each question with its topic's passage."""
    start = start or timezone.now() - timedelta(days=30)
    pairs = []
    index = 0
    for title, (_, questions) in TOPICS.items():
        passage = relevance.passage_for(document_id=documents[title].pk, query_vector=None)
        assert passage is not None
        for question in questions[:per_topic]:
            index += 1
            pairs.append(
                RelevancePairInput(
                    query=question,
                    passage=passage[0],
                    relevant=True,
                    source="import",
                    source_key=f"t:{index}",
                    document_id=documents[title].pk,
                    occurred_at=start + timedelta(hours=index),
                )
            )
    return api.relevance_pairs_record(pairs)


def test_pairs_are_recorded_once_per_source_key_and_forgotten_with_their_customer(topics):
    passage = relevance.passage_for(document_id=topics["Closing your account"].pk, query_vector=None)
    pair = RelevancePairInput(
        query="I want to leave",
        passage=passage[0],
        relevant=True,
        source="citation_kept",
        source_key="suggestion:1:1",
        customer_id=77,
    )
    assert api.relevance_pairs_record([pair, pair]) == 1
    assert api.relevance_pairs_record([pair]) == 0
    assert api.relevance_summary()["by_source"]["citation_kept"] == 1
    assert api.relevance_pairs_forget(customer_id=77) == 1
    assert RelevancePair.objects.count() == 0


def test_held_out_pairs_are_the_newest_questions_and_never_trained_on(topics):
    _record(topics)
    split = relevance.pairs_split(held_out_fraction=0.25, max_negatives=1)
    newest = set(RelevancePair.objects.order_by("-occurred_at").values_list("query", flat=True)[:3])
    assert {pair.query for pair in split.held_out} == newest
    assert not {pair.query for pair in split.train} & newest
    assert len(split.train) + len(split.held_out) == RelevancePair.objects.count()


def test_batches_never_hold_the_same_passage_twice():
    pairs = [TrainingPair(query=f"q{i}", positive=f"p{i % 3}") for i in range(12)]
    batches = adaptation._batches(pairs, 8, adaptation.random.Random(0))
    assert sum(len(b) for b in batches) == 12
    for batch in batches:
        assert len({pair.positive for pair in batch}) == len(batch)


def test_training_settings_are_validated():
    with pytest.raises(DomainError, match="epochs"):
        AdaptConfig.from_dict({"epochs": 0})
    with pytest.raises(DomainError, match="Unknown retriever training settings: rank"):
        AdaptConfig.from_dict({"rank": 8})
    with pytest.raises(DomainError, match="learning_rate"):
        AdaptConfig.from_dict({"learning_rate": "fast"})


def test_the_gate_wants_both_recall_at_5_and_mrr_to_improve_by_the_margin():
    current = {"recall@1": 0.5, "recall@5": 0.8, "mrr@10": 0.6}
    assert retrievers.gate_judge(current, {"recall@1": 0.9, "recall@5": 0.9, "mrr@10": 0.7})["passed"]
    verdict = retrievers.gate_judge(current, {"recall@1": 0.9, "recall@5": 0.8, "mrr@10": 0.9})
    assert not verdict["passed"]
    assert "recall@5" in verdict["reasons"][0]
    # Already perfect: matching it is enough.
    perfect = {"recall@1": 1.0, "recall@5": 1.0, "mrr@10": 1.0}
    assert retrievers.gate_judge(perfect, perfect)["passed"]


def test_a_run_needs_enough_relevant_pairs(topics):
    _record(topics, per_topic=1)
    with (
        override_settings(RETRIEVER_MIN_PAIRS=10),
        pytest.raises(DomainError, match="4 relevant ones so far"),
    ):
        retrievers.run_create(by="test")


def test_one_run_at_a_time(topics):
    _record(topics)
    with override_settings(RETRIEVER_MIN_PAIRS=4):
        retrievers.run_create(by="test")
        with pytest.raises(Conflict):
            retrievers.run_create(by="test")


def test_a_run_trains_is_judged_on_held_out_pairs_and_is_promoted_and_rolled_back(topics):
    _record(topics)
    stock = indexing.active_model()
    with override_settings(RETRIEVER_MIN_PAIRS=4, RETRIEVER_HELD_OUT_FRACTION=0.25):
        run = retrievers.run_create(by="test", config=SMALL)
        steps: list[tuple[int, int]] = []
        run = retrievers.retriever_adapt(
            run_id=run.pk, progress=lambda done, total: steps.append((done, total))
        )

    assert run.state in ("candidate", "rejected"), run.error
    assert steps
    assert steps[-1][0] == steps[-1][1]
    assert (run.pairs_train, run.pairs_held_out) == (9, 3)
    assert set(run.metrics) == {"current", "adapted", "current_model"}
    assert run.metrics["current_model"] == stock
    assert run.metrics["adapted"]["n"] == 3
    assert run.gate["passed"] == (run.state == "candidate")
    assert (retrievers.run_path(run) / "modules.json").is_file()
    assert len(run.data_hash) == 64

    # Promoting a run the gate did not pass takes a reason; either way it is recorded.
    if not run.gate["passed"]:
        with pytest.raises(Conflict, match="did not pass the gate"):
            retrievers.retriever_promote(run=run, by="admin")
    run = retrievers.retriever_promote(run=run, by="admin", override_reason="tried on the demo")
    assert run.state == "active"
    assert indexing.chosen_model() == run.model_name == f"retriever:{run.name}"
    assert run.replaced_model == stock

    # The background switch (run here) re-embeds the library; search then serves the adapted vectors.
    model_switch.embedding_model_switch(model=indexing.chosen_model())
    assert indexing.active_model() == run.model_name
    assert set(Chunk.objects.filter(collection="live").values_list("embedding_model", flat=True)) == {
        run.model_name
    }
    found = api.retrieve(
        "I am relocating next week", scope=RetrievalScope(staff_roles=frozenset({"administrator"})), k=1
    )
    assert found[0].document_title == "Moving house with your router"
    assert indexing.index_sweep() == 0  # nothing to switch: the chosen model is served

    assert retrievers.retriever_rollback(by="admin") == stock
    assert RetrieverRun.objects.get(pk=run.pk).state == "retired"
    assert indexing.chosen_model() == stock
    model_switch.embedding_model_switch(model=indexing.chosen_model())
    assert indexing.active_model() == stock
    with pytest.raises(Conflict, match="No adapted retriever is active"):
        retrievers.retriever_rollback(by="admin")


def test_a_promoted_retriever_is_left_behind_when_embedding_model_changes(topics):
    IndexState.objects.update_or_create(pk=1, defaults={"chosen_model": "retriever:retriever-r999"})
    RetrieverRun.objects.create(
        state="active", base_model="some/other-model", folder="retriever-r999", config={}
    )
    assert indexing.chosen_model() == embedding.configured_model()


def test_a_trained_model_is_reused_by_its_data_hash(tmp_path):
    pairs = [
        TrainingPair(query=question, positive=f"{title}\n\n{text}")
        for title, (text, questions) in TOPICS.items()
        for question in questions[:2]
    ]
    config = AdaptConfig(epochs=1, batch_size=4, hard_negatives=0, min_steps=0)
    with override_settings(RETRIEVER_STORE=tmp_path):
        name, first = adaptation.model_train_cached(base_model="all-MiniLM-L6-v2", pairs=pairs, config=config)
        again_name, again = adaptation.model_train_cached(
            base_model="all-MiniLM-L6-v2", pairs=pairs, config=config
        )
        assert (first.reused, again.reused, again_name) == (False, True, name)
        assert embedding.resolve_model_path(name).startswith(str(tmp_path))
        other, third = adaptation.model_train_cached(
            base_model="all-MiniLM-L6-v2", pairs=pairs[:-1], config=config
        )
        assert other != name
        assert not third.reused
    with pytest.raises(ValueError, match="adapted retriever"):
        embedding.resolve_model_path("retriever:../../etc")


def test_the_api_is_for_administrators(topics, admin_api, agent_api):
    assert agent_api.get("/api/v1/knowledge/retriever").status_code == 403
    body = admin_api.get("/api/v1/knowledge/retriever").json()
    assert (body["runs"], body["pairs"]["total"], body["switch"]) == ([], 0, None)

    response = admin_api.post("/api/v1/knowledge/retriever/train", {}, format="json")
    assert response.status_code == 400
    assert "relevant ones so far" in str(response.json())

    _record(topics)
    with override_settings(RETRIEVER_MIN_PAIRS=4):
        response = admin_api.post(
            "/api/v1/knowledge/retriever/train", {"config": {"epochs": 1}}, format="json"
        )
        assert response.status_code == 202, response.content
        assert response.json()["state"] == "queued"
        assert admin_api.post("/api/v1/knowledge/retriever/train", {}, format="json").status_code == 409
        bad = admin_api.post(
            "/api/v1/knowledge/retriever/train", {"config": {"epochs": "many"}}, format="json"
        )
    assert bad.status_code == 400  # the settings are checked before anything else
    assert "epochs" in str(bad.json())

    run = RetrieverRun.objects.get()
    RetrieverRun.objects.filter(pk=run.pk).update(
        state="rejected", gate={"passed": False, "reasons": ["held-out recall@5 did not improve"]}
    )
    response = admin_api.post(f"/api/v1/knowledge/retriever/runs/{run.pk}/promote", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "gate_failed"
    assert (
        admin_api.post("/api/v1/knowledge/retriever/runs/999999/promote", {}, format="json").status_code
        == 404
    )
    assert admin_api.post("/api/v1/knowledge/retriever/rollback", {}, format="json").status_code == 409


def test_few_pairs_get_more_epochs_up_to_the_minimum_of_steps(tmp_path):
    pairs = [TrainingPair(query=f"question {i}", positive=f"passage {i}") for i in range(8)]
    config = AdaptConfig(epochs=1, batch_size=4, hard_negatives=0, min_steps=6)
    seen: list[tuple[int, int]] = []
    result = adaptation.model_train(
        base_model="all-MiniLM-L6-v2",
        pairs=pairs,
        output=tmp_path / "model",
        config=config,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.steps == 6  # two batches an epoch, three epochs
    assert seen[-1] == (6, 6)


def test_the_nightly_step_trains_when_enough_new_pairs_arrived(topics):
    from assist import learning

    with override_settings(RETRIEVER_MIN_PAIRS=20):
        _record(topics)
        assert learning.retriever_cycle(by="schedule")["action"] == "skipped"
    with override_settings(RETRIEVER_MIN_PAIRS=4, RETRIEVER_CONFIG='{"min_steps": 0, "batch_size": 8}'):
        outcome = learning.retriever_cycle(by="schedule")
        assert outcome["action"] == "trained"
        assert outcome["state"] in ("candidate", "rejected")
        # Nothing new since: no second run.
        assert learning.retriever_cycle(by="schedule")["action"] == "skipped"
    assert RetrieverRun.objects.count() == 1
