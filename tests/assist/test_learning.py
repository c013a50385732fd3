"""`assist.learning` through its commands: the fine-tuning cycle and an adapter's evaluation, with retrieval
and the knowledge base's embeddings, as `finetune_cycle` and `evaluate_adapter` print them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from demo.documents import demo_documents
from models_ft.models import AdapterEvent, EvaluationMatrix
from models_ft.runs import run_create, run_execute
from models_ft.training.demo_model import make_demo_model
from tests.models_ft.test_loop import QUICK, SMALL, _snapshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def demo_model(django_db_blocker):
    """The same small demo model at BASE_MODEL as the models_ft tests build (whichever runs first)."""
    folder = Path(settings.BASE_MODEL)
    if not (folder / "config.json").exists():
        make_demo_model(folder, [d.body for d in demo_documents()][:12], config=SMALL)
    return str(folder)


def test_the_cycle_command_says_it_skipped_without_new_examples(settings):
    settings.FINETUNE_MIN_NEW_EXAMPLES = 5
    out = io.StringIO()
    call_command("finetune_cycle", "--json", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue().splitlines()[-1]) == {
        "snapshot": None,
        "run": None,
        "adapter": None,
        "matrix": None,
        "decision": "skipped",
        "reason": "0 new examples since the last snapshot; 5 are needed.",
    }
    event = AdapterEvent.objects.get()
    assert (event.action, event.by) == ("skipped", "finetune_cycle")


def test_evaluating_an_unknown_adapter_is_a_clear_error():
    with pytest.raises(CommandError, match=r"No adapter named 'style-r404'\."):
        call_command("evaluate_adapter", "style-r404", "--no-progress")


def test_the_evaluate_command_prints_the_stored_matrix(demo_model, settings):
    settings.FINETUNE_EVAL_EXAMPLES = 2
    adapter = run_execute(run_id=run_create(snapshot=_snapshot(), config=QUICK).pk)
    out = io.StringIO()
    call_command("evaluate_adapter", adapter.name, "--json", "--no-progress", stdout=out)
    printed = json.loads(out.getvalue())
    stored = EvaluationMatrix.objects.get()
    assert printed["id"] == stored.pk
    assert printed["rows"] == stored.rows
    assert (printed["examples"], printed["seconds"]) == (stored.examples, stored.seconds)
    assert {(row["model"], row["retrieval"]) for row in printed["rows"]} >= {
        ("base", True),
        ("base", False),
        ("candidate", True),
        ("candidate", False),
        ("extractive", True),
    }
    # Semantic similarity comes from the knowledge base's embedding model.
    assert isinstance(printed["rows"][0]["scores"]["semantic_similarity"], float)

    table = io.StringIO()
    call_command("evaluate_adapter", adapter.name, "--no-progress", stdout=table)
    lines = table.getvalue().splitlines()
    assert lines[0].split()[:3] == ["model", "retrieval", "chrf"]
    assert lines[-1].startswith("perplexity on general text: base ")
