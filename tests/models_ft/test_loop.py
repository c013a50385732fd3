"""The fine-tuning loop around training: runs (one at a time, progress, cancel), the adapter registry
(promote, roll back, workers pick the active one up), the promotion gate, the cycle and the API."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from demo.documents import demo_documents
from models_ft import api as models_api
from models_ft.contracts import PromptMessage
from models_ft.cycle import finetune_cycle
from models_ft.datasets import DatasetConfig, snapshot_build, snapshot_path
from models_ft.evaluation.matrix import Matrix, MatrixRow, decide
from models_ft.models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun
from models_ft.registry import active_adapter, adapter_path, adapter_promote, adapter_rollback
from models_ft.runs import run_cancel, run_create, run_execute
from models_ft.serving import local
from models_ft.training.demo_model import DemoModelConfig, make_demo_model
from support.core.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = DemoModelConfig(vocab_size=1024, hidden_size=64, layers=2, heads=2, intermediate_size=128, steps=20)
QUICK = {"epochs": 1, "batch_size": 4, "max_length": 192, "checkpoint_every": 100}


@pytest.fixture(scope="module")
def demo_model(django_db_blocker):
    """The demo model at BASE_MODEL, small, built once (the test worker trains with it too)."""
    from pathlib import Path

    folder = Path(settings.BASE_MODEL)
    if not (folder / "config.json").exists():
        make_demo_model(folder, [d.body for d in demo_documents()][:12], config=SMALL)
    return str(folder)


def _examples(count: int = 8, *, days: float = 3) -> None:
    for i in range(count):
        models_api.example_record(
            messages=[
                PromptMessage("system", "You draft replies for support agents."),
                PromptMessage(
                    "user", f"Customer Ana, 2026-01-0{1 + i % 9} 10:00 UTC:\nQuestion {i} about refunds"
                ),
            ],
            draft="d",
            sent=f"Hi Ana,\n\nRefunds take five days, answer {i}.\n\nKind regards,\nQuill",
            outcome="accepted",
            ticket_id=i,
            customer_id=1,
            sent_at=timezone.now() - timedelta(days=days, minutes=i),
        )


def _snapshot() -> DatasetSnapshot:
    _examples()
    snapshot, _ = snapshot_build(
        config=DatasetConfig(eval_fraction=0.25, min_reply_chars=10, max_age_days=30)
    )
    return snapshot


def test_one_run_at_a_time_and_clear_refusals(demo_model):
    snapshot = _snapshot()
    run = run_create(snapshot=snapshot, config=QUICK, requested_by="ana")
    assert (run.status, run.active, run.base_model) == ("queued", True, demo_model)
    assert run.config["learning_rate"] == 2e-3  # the demo model's own recommendation
    with pytest.raises(Conflict, match=f"Training run {run.pk} is queued; one run at a time"):
        run_create(snapshot=snapshot)
    assert run_cancel(run=run).status == "cancelled"
    with pytest.raises(Conflict, match="already ended"):
        run_cancel(run=run)
    with pytest.raises(DomainError, match="rank and alpha"):
        run_create(snapshot=snapshot, config={"rank": 0})
    DatasetSnapshot.objects.filter(pk=snapshot.pk).update(withdrawn_at=timezone.now())
    snapshot.refresh_from_db()
    with pytest.raises(DomainError, match="withdrawn"):
        run_create(snapshot=snapshot)


def test_a_run_trains_registers_a_candidate_and_the_registry_switches_adapters(demo_model, settings):
    snapshot = _snapshot()
    first = run_execute(run_id=run_create(snapshot=snapshot, config=QUICK).pk)
    run = TrainingRun.objects.get(adapter=first)
    assert (run.status, run.active, run.step, run.total_steps) == ("succeeded", None, 2, 2)
    assert run.losses
    assert run.tokens_per_second > 0
    assert run.peak_memory_mb > 0
    assert (first.status, first.snapshot.content_hash, first.base_model) == (
        "candidate",
        snapshot.content_hash,
        demo_model,
    )
    assert (adapter_path(first) / "adapter_config.json").is_file()
    second = run_execute(run_id=run_create(snapshot=snapshot, config={**QUICK, "rank": 4}).pk)

    settings.GENERATION_BACKEND, settings.GENERATION_MODEL = "local", demo_model
    settings.GENERATION_ADAPTER, settings.GENERATION_ADAPTER_PATH = "", ""
    assert active_adapter() is None
    assert local.configured().adapter_path == ""
    adapter_promote(adapter=first, by="ana", reason="first one")
    assert local.configured().adapter_path == str(adapter_path(first))
    assert models_api.backend_info().adapter == first.name
    adapter_promote(adapter=second, by="ana")
    first.refresh_from_db()
    assert first.status == "retired"
    assert active_adapter().name == second.name
    with pytest.raises(Conflict, match="already active"):
        adapter_promote(adapter=second, by="ana")
    assert adapter_rollback(by="ana", reason="worse replies").name == first.name
    assert active_adapter().name == first.name
    assert adapter_rollback(by="ana") is None  # back to the bare base model
    with pytest.raises(Conflict, match="nothing to roll back"):
        adapter_rollback(by="ana")
    actions = list(AdapterEvent.objects.order_by("id").values_list("action", "by"))
    assert actions == [
        ("promoted", "ana"),
        ("promoted", "ana"),
        ("rolled_back", "ana"),
        ("rolled_back", "ana"),
    ]
    # Files are never overwritten: both adapters are still there, read-only.
    assert (adapter_path(second) / "adapter_model.safetensors").stat().st_mode & 0o222 == 0


def _matrix(
    candidate: float, incumbent: float, *, grounded=(0.9, 0.9), ppl=(10.0, 11.0), active=True
) -> Matrix:
    rows = [
        MatrixRow("base", True, {"chrf": 0.1, "grounded_rate": 0.5}),
        MatrixRow("candidate", True, {"chrf": candidate, "grounded_rate": grounded[0]}),
    ]
    if active:
        rows.append(MatrixRow("active", True, {"chrf": incumbent, "grounded_rate": grounded[1]}))
    return Matrix(rows=rows, perplexity={"base": ppl[0], "candidate": ppl[1]}, examples=4, seconds=1.0)


def test_the_promotion_gate():
    assert decide(_matrix(0.40, 0.30), margin=0.01).promote
    worse = decide(_matrix(0.28, 0.30), margin=0.01)
    assert not worse.promote
    assert "does not beat the active model's 0.3000" in worse.reason
    assert not decide(_matrix(0.305, 0.30), margin=0.01).promote  # within the margin
    assert "Grounding regressed" in decide(_matrix(0.4, 0.3, grounded=(0.5, 0.9)), margin=0.01).reason
    assert "forgot general language" in decide(_matrix(0.4, 0.3, ppl=(10.0, 40.0)), margin=0.01).reason
    no_active = decide(_matrix(0.4, 0.0, active=False), margin=0.01)
    assert no_active.promote
    assert "base model's 0.1000" in no_active.reason


def test_the_cycle_skips_without_new_examples_and_otherwise_runs_end_to_end(demo_model, settings):
    settings.TRAINING_CONFIG = json.dumps(QUICK)
    settings.FINETUNE_EVAL_EXAMPLES = 2
    settings.FINETUNE_MIN_NEW_EXAMPLES = 5
    skipped = finetune_cycle()
    assert (skipped.decision, skipped.reason) == (
        "skipped",
        "0 new examples since the last snapshot; 5 are needed.",
    )
    _examples(12)
    result = finetune_cycle(embed=lambda texts: [[float(len(t)), 1.0] for t in texts], by="schedule")
    assert result.decision in ("promoted", "kept"), result.reason
    summary = result.as_dict()
    assert set(summary) == {"snapshot", "run", "adapter", "matrix", "decision", "reason"}
    stored = EvaluationMatrix.objects.get(pk=summary["matrix"])
    models = {(r["model"], r["retrieval"]) for r in stored.rows}
    assert models == {
        ("base", True),
        ("base", False),
        ("candidate", True),
        ("candidate", False),
        ("extractive", True),
    }
    assert all(0.0 <= r["scores"]["chrf"] <= 1.0 for r in stored.rows)
    assert set(stored.perplexity) == {"base", "candidate"}
    event = AdapterEvent.objects.order_by("-id").first()
    assert event.reason == result.reason
    assert event.action == ("promoted" if result.decision == "promoted" else "kept")
    assert Adapter.objects.get(name=summary["adapter"]).metrics["examples"] == 2
    # Nothing new since: the next scheduled cycle skips, and says why.
    assert finetune_cycle().decision == "skipped"


def test_the_api_is_for_administrators_and_trains_on_the_worker(
    demo_model, admin_api, agent_api, celery_worker
):
    assert agent_api.get("/api/v1/training/runs").status_code == 403
    assert admin_api.post("/api/v1/training/runs", {}, format="json").status_code == 400  # no snapshot yet
    _examples(8)
    built = admin_api.post("/api/v1/training/snapshots")
    assert built.status_code == 201, built.content
    assert admin_api.post("/api/v1/training/snapshots").status_code == 200
    response = admin_api.post("/api/v1/training/runs", {"config": QUICK}, format="json")
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    assert admin_api.post("/api/v1/training/runs", {}, format="json").status_code == 409
    assert admin_api.post("/api/v1/training/runs", {"config": {"rank": "x"}}, format="json").status_code in (
        400,
        409,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = admin_api.get(f"/api/v1/training/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert run["status"] == "succeeded", run
    assert run["adapter"]
    assert run["losses"]
    adapters = admin_api.get("/api/v1/training/adapters").json()["results"]
    adapter_id = adapters[0]["id"]
    promoted = admin_api.post(
        f"/api/v1/training/adapters/{adapter_id}/promote", {"reason": "looks good"}, format="json"
    )
    assert promoted.status_code == 200
    assert promoted.json()["is_active"] is True
    assert (
        admin_api.post(f"/api/v1/training/adapters/{adapter_id}/promote", {}, format="json").status_code
        == 409
    )
    assert admin_api.post("/api/v1/training/adapters/999999/promote", {}, format="json").status_code == 404
    # Nothing was active before: back to the bare base model, with no adapter to show.
    assert admin_api.post("/api/v1/training/adapters/rollback", {}, format="json").status_code == 204
    events = admin_api.get("/api/v1/training/events").json()["results"]
    assert [e["action"] for e in events] == ["rolled_back", "promoted"]
    assert admin_api.post("/api/v1/training/runs/999999/cancel").status_code == 404


def test_administrators_list_and_reject_examples(admin_api, agent_api, demo_model):
    _examples(3)
    assert agent_api.get("/api/v1/training/examples").status_code == 403
    listed = admin_api.get("/api/v1/training/examples").json()
    assert listed["count"] == 3
    assert "messages" not in listed["results"][0]
    pk = listed["results"][0]["id"]
    rejected = admin_api.post(
        f"/api/v1/training/examples/{pk}/reject", {"reason": "wrong policy"}, format="json"
    )
    assert (rejected.json()["rejected"], rejected.json()["rejected_reason"]) == (True, "wrong policy")
    assert admin_api.get("/api/v1/training/examples?rejected=true").json()["count"] == 1
    assert admin_api.get("/api/v1/training/examples?rejected=maybe").status_code == 400
    back = admin_api.post(f"/api/v1/training/examples/{pk}/reject", {"rejected": False}, format="json").json()
    assert (back["rejected"], back["rejected_reason"]) == (False, "")
    assert admin_api.post("/api/v1/training/examples/999999/reject", {}, format="json").status_code == 404


def test_the_demo_model_is_labelled_as_such_over_the_api(admin_api, demo_model):
    snapshot = _snapshot()
    run = run_create(snapshot=snapshot, config=QUICK)
    body = admin_api.get(f"/api/v1/training/runs/{run.pk}").json()
    assert body["base_model_label"].startswith("Openbook demo model")
    run_cancel(run=run)


def test_a_candidate_no_better_than_the_base_is_refused(demo_model, settings):
    """A real adapter that learned nothing (a learning rate of almost zero) drafts as the base model does:
    the gate keeps the base model."""
    settings.FINETUNE_EVAL_EXAMPLES = 2
    snapshot = _snapshot()
    adapter = run_execute(run_id=run_create(snapshot=snapshot, config={**QUICK, "learning_rate": 1e-12}).pk)
    from models_ft.cycle import adapter_evaluate

    _, matrix = adapter_evaluate(adapter=adapter, embed=None)
    assert matrix.row("candidate").scores["chrf"] == matrix.row("base").scores["chrf"]
    decision = decide(matrix, margin=0.01)
    assert not decision.promote
    assert "does not beat the base model's" in decision.reason


def test_a_run_whose_worker_died_is_taken_over_and_resumes(demo_model):
    snapshot = _snapshot()
    run = run_create(snapshot=snapshot, config={**QUICK, "checkpoint_every": 1, "epochs": 2})
    asked = {"n": 0}
    from models_ft.training.train import LoraTrainingConfig, TrainingCancelled, train

    # The first worker trains two steps and dies (its checkpoint stays; the row still says running).
    with pytest.raises(TrainingCancelled):
        train(
            base_model=run.base_model,
            dataset=snapshot_path(snapshot) / "train.jsonl",
            out=Path(run.output_dir),
            config=LoraTrainingConfig.from_dict(run.config),
            should_stop=lambda: (asked.__setitem__("n", asked["n"] + 1), asked["n"] > 2)[1],
        )
    TrainingRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=timezone.now())
    assert run_execute(run_id=run.pk) is None  # alive as far as anyone knows: not taken
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    adapter = run_execute(run_id=run.pk)
    assert adapter is not None
    run.refresh_from_db()
    assert (run.status, run.step, run.total_steps) == ("succeeded", 4, 4)
    assert [step for step, _ in run.losses] == [1, 2, 3, 4]


def test_cancelling_a_run_whose_worker_died_ends_it_at_once(demo_model):
    run = run_create(snapshot=_snapshot(), config=QUICK)
    TrainingRun.objects.filter(pk=run.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    run.refresh_from_db()
    cancelled = run_cancel(run=run)
    assert (cancelled.status, cancelled.active, cancelled.error) == (
        "cancelled",
        None,
        "Cancelled after its worker stopped.",
    )
    # The next run may start.
    assert run_create(snapshot=run.snapshot, config=QUICK).status == "queued"


def test_a_run_asked_for_while_the_broker_is_down_is_a_clear_503(admin_api, demo_model, monkeypatch):
    from kombu.exceptions import OperationalError

    from support.core import queueing

    _examples(8)
    admin_api.post("/api/v1/training/snapshots")

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    # The broker's failure is simulated: stopping the real one would stop every other test's worker too.
    monkeypatch.setattr(queueing.current_app, "send_task", unreachable)
    response = admin_api.post("/api/v1/training/runs", {"config": QUICK}, format="json")
    assert response.status_code == 503
    assert "task queue cannot be reached" in response.json()["detail"]
    assert TrainingRun.objects.get().status == "cancelled"


def test_the_local_backend_names_only_an_adapter_it_loads(demo_model, settings, tmp_path):
    adapter = run_execute(run_id=run_create(snapshot=_snapshot(), config=QUICK).pk)
    adapter_promote(adapter=adapter, by="ana")
    settings.GENERATION_BACKEND = "local"
    settings.GENERATION_ADAPTER, settings.GENERATION_ADAPTER_PATH = "", ""
    settings.GENERATION_MODEL = demo_model
    assert models_api.backend_info().adapter == adapter.name
    # Trained on another base model: the local backend does not load it, and does not claim it.
    settings.GENERATION_MODEL = str(tmp_path / "another-model")
    assert local.configured().adapter_path == ""
    assert models_api.backend_info().adapter is None
    settings.GENERATION_BACKEND = "openai"
    assert models_api.backend_info().adapter == adapter.name


def test_the_benchmarks_doors_train_and_clear_outside_the_registry(demo_model, tmp_path):
    snapshot = _snapshot()
    latest = models_api.snapshot_latest()
    assert latest is not None
    assert (latest.id, latest.path) == (snapshot.pk, snapshot_path(snapshot))
    trained = models_api.lora_train(
        base_model=demo_model, dataset=latest.path / "train.jsonl", out=tmp_path / "run", config=QUICK
    )
    assert (trained.adapter_path / "adapter_config.json").is_file()
    assert trained.steps > 0
    assert trained.tokens_per_second > 0
    assert not TrainingRun.objects.exists()
    bare = models_api.lora_train_bare_throughput(
        base_model=demo_model, dataset=latest.path / "train.jsonl", config=QUICK
    )
    assert bare > 0
    models_api.training_history_delete()
    assert models_api.snapshot_latest() is None


def test_the_demo_model_is_built_through_the_api(tmp_path):
    made = models_api.demo_model_make(
        out=tmp_path / "model", texts=[d.body for d in demo_documents()][:6], steps=2
    )
    assert (made.path / "config.json").is_file()
    assert (made.texts, made.tokens > 0) == (6, True)
    assert models_api.DEMO_MODEL_STEPS == 300
