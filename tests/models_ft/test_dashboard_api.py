"""What the models dashboard reads and does over the API: runs with their dataset and loss curve, evaluation
matrices with the cycle's decision and the promotion gate's checks, the registry's promote and roll back,
events; and clear 4xx answers to bad input. Rows are made directly: no training needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from models_ft.evaluation.matrix import Matrix, MatrixRow, decide, gate_checks
from models_ft.models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun

pytestmark = pytest.mark.django_db

STATS = {
    "examples": 12,
    "kept": 10,
    "left_out": {"duplicate": 1, "too_short": 1},
    "train": 8,
    "eval": 2,
    "preference": 1,
    "outcomes": {"accepted": 6, "edited": 4},
    "backfilled": 3,
    "eval_from": "2026-01-02T10:00:00+00:00",
    "reply_chars": {"mean": 120.5, "median": 110, "max": 300},
    "redacted": {"EMAIL": 2},
}


def _snapshot(content_hash: str = "a" * 64, **fields) -> DatasetSnapshot:
    return DatasetSnapshot.objects.create(
        content_hash=content_hash,
        folder=content_hash[:16],
        train_count=8,
        eval_count=2,
        preference_count=1,
        stats=STATS,
        **fields,
    )


def _run(snapshot: DatasetSnapshot, **fields) -> TrainingRun:
    values = {
        "base_model": "/models/base",
        "status": "succeeded",
        "active": None,
        "step": 3,
        "total_steps": 3,
        "losses": [[1, 3.5], [2, 2.75], [3, 2.25]],
        "tokens_per_second": 812.5,
        **fields,
    }
    return TrainingRun.objects.create(snapshot=snapshot, **values)


def _adapter(snapshot: DatasetSnapshot, name: str, status: str = "candidate", **fields) -> Adapter:
    return Adapter.objects.create(
        name=name, base_model="/models/base", snapshot=snapshot, folder=name, status=status, **fields
    )


def _rows(candidate_chrf: float, *, grounded: float = 0.8) -> list[dict]:
    return [
        {"model": "base", "retrieval": True, "scores": {"chrf": 0.2, "grounded_rate": 0.8, "style": 0.5}},
        {"model": "base", "retrieval": False, "scores": {"chrf": 0.1, "grounded_rate": None, "style": 0.4}},
        {
            "model": "candidate",
            "retrieval": True,
            "scores": {"chrf": candidate_chrf, "grounded_rate": grounded, "style": 0.9},
        },
        {
            "model": "extractive",
            "retrieval": True,
            "scores": {"chrf": 0.15, "grounded_rate": 1.0, "style": 0.6},
        },
    ]


def test_runs_name_their_dataset_and_serve_the_loss_curve_and_throughput(admin_api):
    snapshot = _snapshot()
    older = _run(snapshot, created_at=timezone.now() - timedelta(hours=1))
    newer = _run(snapshot, status="running", active=True, step=2, losses=[[1, 3.0], [2, 2.5]])

    listed = admin_api.get("/api/v1/training/runs").json()["results"]
    assert [r["id"] for r in listed] == [newer.pk, older.pk]  # newest first
    run = admin_api.get(f"/api/v1/training/runs/{older.pk}").json()
    assert run["snapshot_hash"] == snapshot.content_hash
    assert run["losses"] == [[1, 3.5], [2, 2.75], [3, 2.25]]
    assert (run["loss"], run["tokens_per_second"], run["status"]) == (2.25, 812.5, "succeeded")
    assert run["config"] == {}


def test_an_evaluation_carries_the_cycles_decision_and_every_check_of_the_gate(admin_api, settings):
    settings.FINETUNE_PROMOTE_MARGIN, settings.FINETUNE_MAX_PERPLEXITY_RATIO = 0.01, 1.5
    snapshot = _snapshot()
    adapter = _adapter(snapshot, "style-r1", status="rejected")
    matrix = EvaluationMatrix.objects.create(
        snapshot=snapshot,
        candidate=adapter,
        rows=_rows(0.205),
        perplexity={"base": 10.0, "candidate": 12.0},
        examples=2,
        seconds=4.5,
    )
    reason = "The candidate's chrF 0.2050 does not beat the base model's 0.2000 by 0.01."
    AdapterEvent.objects.create(
        action="kept", adapter=adapter, reason=reason, details={"matrix": matrix.pk, "run": 1}, by="schedule"
    )
    AdapterEvent.objects.create(action="promoted", adapter=adapter, reason="by hand", by="ana")  # no matrix

    body = admin_api.get(f"/api/v1/training/evaluations/{matrix.pk}").json()
    assert body["candidate"] == "style-r1"
    assert body["snapshot_hash"] == snapshot.content_hash
    assert body["rows"][2] == _rows(0.205)[2]
    assert body["perplexity"] == {"base": 10.0, "candidate": 12.0}
    decision = body["decision"]
    assert (decision["action"], decision["reason"], decision["by"], decision["adapter"]) == (
        "kept",
        reason,
        "schedule",
        "style-r1",
    )
    gate = body["gate"]
    assert (gate["promote"], gate["reason"], gate["margin"], gate["forgetting_limit"]) == (
        False,
        reason,
        0.01,
        1.5,
    )
    assert [(c["name"], c["passed"]) for c in gate["checks"]] == [
        ("chrf", False),
        ("grounding", True),
        ("forgetting", True),
    ]
    assert "within 1.5x" in gate["checks"][2]["detail"]
    listed = admin_api.get("/api/v1/training/evaluations").json()["results"]
    assert listed[0]["decision"]["id"] == decision["id"]


def test_a_hand_evaluation_has_no_decision_and_a_matrix_without_candidate_no_gate(
    admin_api, django_assert_max_num_queries
):
    snapshot = _snapshot()
    for i in range(3):
        EvaluationMatrix.objects.create(
            snapshot=snapshot,
            candidate=_adapter(snapshot, f"style-r{i}"),
            rows=_rows(0.4),
            perplexity={"base": 10.0, "candidate": 11.0},
        )
    bare = EvaluationMatrix.objects.create(snapshot=snapshot, rows=_rows(0.4)[:2], perplexity={"base": 9.0})
    odd = EvaluationMatrix.objects.create(snapshot=snapshot, rows=[{"nothing": "here"}])

    with django_assert_max_num_queries(6):  # the decisions of a page in one query, not one per matrix
        listed = admin_api.get("/api/v1/training/evaluations").json()["results"]
    assert len(listed) == 5
    hand = listed[-1]
    assert hand["decision"] is None
    assert hand["gate"]["promote"] is True
    assert hand["gate"]["reason"].startswith("chrF 0.4000 against the base model's 0.2000")
    bare_body = admin_api.get(f"/api/v1/training/evaluations/{bare.pk}").json()
    assert (bare_body["gate"], bare_body["decision"]) == (None, None)
    # Rows the gate cannot read are served without a gate rather than failing.
    response = admin_api.get(f"/api/v1/training/evaluations/{odd.pk}")
    assert response.status_code == 200
    assert response.json()["gate"] is None


def test_the_gate_checks_name_each_condition_and_decide_gives_the_first_failure():
    def matrix(chrf: float, grounded: float | None, ppl: float | None) -> Matrix:
        return Matrix(
            rows=[
                MatrixRow("base", True, {"chrf": 0.2, "grounded_rate": 0.8}),
                MatrixRow("active", True, {"chrf": 0.3, "grounded_rate": 0.8}),
                MatrixRow("candidate", True, {"chrf": chrf, "grounded_rate": grounded}),
            ],
            perplexity={"base": 10.0, **({"candidate": ppl} if ppl else {})},
            examples=2,
            seconds=1.0,
        )

    checks = gate_checks(matrix(0.2, 0.5, 40.0), margin=0.01)
    assert [(c.name, c.passed) for c in checks] == [
        ("chrf", False),
        ("grounding", False),
        ("forgetting", False),
    ]
    assert decide(matrix(0.2, 0.5, 40.0), margin=0.01).reason == checks[0].detail
    assert "active model's 0.3000" in checks[0].detail
    unmeasured = gate_checks(matrix(0.4, None, None), margin=0.01)
    assert [(c.name, c.passed) for c in unmeasured] == [
        ("chrf", True),
        ("grounding", None),
        ("forgetting", None),
    ]
    assert decide(matrix(0.4, None, None), margin=0.01).promote
    assert gate_checks(Matrix(rows=[], perplexity={}, examples=0, seconds=0.0), margin=0.01) == ()


def test_promote_and_roll_back_answer_with_the_registrys_messages(admin_api, settings, tmp_path):
    settings.ADAPTER_STORE = str(tmp_path)
    snapshot = _snapshot()
    adapter = _adapter(snapshot, "style-r7")
    missing = admin_api.post(f"/api/v1/training/adapters/{adapter.pk}/promote", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["detail"] == "The files of adapter style-r7 are missing from the store."
    (tmp_path / "style-r7").mkdir()
    (tmp_path / "style-r7" / "adapter_config.json").write_text("{}")

    promoted = admin_api.post(
        f"/api/v1/training/adapters/{adapter.pk}/promote", {"reason": "reads better"}, format="json"
    )
    assert promoted.status_code == 200
    assert (promoted.json()["status"], promoted.json()["is_active"]) == ("active", True)
    again = admin_api.post(f"/api/v1/training/adapters/{adapter.pk}/promote", {}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "Adapter style-r7 is already active.", "code": "already_active"}
    # Nothing was active before: back to the bare base model, with no adapter to show.
    assert admin_api.post("/api/v1/training/adapters/rollback", {}, format="json").status_code == 204
    nothing = admin_api.post("/api/v1/training/adapters/rollback", {}, format="json")
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == "No adapter is active: there is nothing to roll back."
    events = admin_api.get("/api/v1/training/events").json()["results"]
    assert [(e["action"], e["reason"]) for e in events] == [
        ("rolled_back", "Rolled back by " + events[0]["by"] + "."),
        ("promoted", "reads better"),
    ]
    assert events[0]["previous"] == "style-r7"


def test_snapshots_serve_their_statistics(admin_api):
    _snapshot(withdrawn_at=timezone.now())
    body = admin_api.get("/api/v1/training/snapshots").json()["results"][0]
    assert body["stats"] == STATS
    assert (body["train_count"], body["eval_count"], body["preference_count"]) == (8, 2, 1)
    assert body["withdrawn_at"] is not None


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"snapshot": "abc"}, "snapshot", "Must be an integer, not a string."),
        ({"snapshot": 0}, "snapshot", "greater than or equal to 1"),
        ({"snapshot": 10**30}, "snapshot", ""),
        ({"config": "fast"}, "config", ""),
        ({"config": {"target_modules": 5}}, "config", "target_modules must be a list of names"),
        ({"config": {"rank": "x"}}, "config", "rank must be a whole number, not 'x'"),
        ({"config": {"epochs": 1.5}}, "config", "epochs must be a whole number"),
        ({"config": {"rank": True}}, "config", "rank must be a whole number"),
        ({"config": {"colour": "blue"}}, "config", "Unknown training settings: colour."),
    ],
)
def test_starting_a_run_with_bad_input_is_a_clear_400(admin_api, payload, field, message):
    _snapshot()
    response = admin_api.post("/api/v1/training/runs", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body.get("errors", {}) or "snapshot" in body["detail"], body
    assert message in str(body)
    assert TrainingRun.objects.count() == 0


def test_bad_input_elsewhere_is_a_clear_4xx(admin_api, agent_api):
    assert admin_api.post("/api/v1/training/runs", [1, 2], format="json").status_code == 400
    unknown = admin_api.post("/api/v1/training/runs", {"snapshot": 999999}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "No such dataset snapshot (build one first)."
    assert admin_api.get("/api/v1/training/evaluations/999999").status_code == 404
    assert admin_api.get("/api/v1/training/evaluations?page=abc").status_code == 404
    assert admin_api.get("/api/v1/training/runs?page_size=0").status_code == 400
    long_reason = {"reason": "x" * 3000}
    assert admin_api.post("/api/v1/training/adapters/rollback", long_reason, format="json").status_code == 400
    assert agent_api.get("/api/v1/training/evaluations").status_code == 403
    assert agent_api.post("/api/v1/training/adapters/rollback", {}, format="json").status_code == 403


def test_a_running_runs_curve_grows_between_polls(admin_api):
    run = _run(_snapshot(), status="running", active=True, step=1, losses=[[1, 3.0]])
    first = admin_api.get(f"/api/v1/training/runs/{run.pk}").json()
    TrainingRun.objects.filter(pk=run.pk).update(step=2, losses=[[1, 3.0], [2, 2.0]], tokens_per_second=900.0)
    second = admin_api.get(f"/api/v1/training/runs/{run.pk}").json()
    assert (len(first["losses"]), len(second["losses"])) == (1, 2)
    assert (second["loss"], second["tokens_per_second"]) == (2.0, 900.0)


def test_the_events_details_link_a_decision_to_its_run_and_matrix(admin_api):
    AdapterEvent.objects.create(
        action="skipped",
        reason="3 new examples since the last snapshot; 50 are needed.",
        details={"snapshot": None, "run": None, "adapter": None, "matrix": None, "decision": "skipped"},
        by="schedule",
    )
    event = admin_api.get("/api/v1/training/events").json()["results"][0]
    assert (event["action"], event["by"], event["details"]["decision"]) == ("skipped", "schedule", "skipped")
