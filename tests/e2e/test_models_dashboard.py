"""An administrator sees the nightly cycle's work on the models dashboard: the training run with its loss
curve, the evaluation matrix, the adapter and the decision with its reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from demo.documents import demo_documents
from models_ft.cycle import finetune_cycle
from models_ft.models import TrainingRun
from models_ft.training.demo_model import make_demo_model
from tests import factories
from tests.e2e.conftest import screenshot, sign_in
from tests.models_ft.test_loop import QUICK, SMALL, _examples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def demo_model() -> str:
    folder = Path(settings.BASE_MODEL)
    if not (folder / "config.json").exists():
        make_demo_model(folder, [d.body for d in demo_documents()][:12], config=SMALL)
    return str(folder)


def test_an_administrator_sees_the_run_the_matrix_and_the_decision(page, demo_model, settings):
    settings.TRAINING_CONFIG = json.dumps(QUICK)
    settings.FINETUNE_EVAL_EXAMPLES = 2
    settings.FINETUNE_MIN_NEW_EXAMPLES = 5
    _examples(12)
    result = finetune_cycle(embed=lambda texts: [[float(len(t)), 1.0] for t in texts], by="schedule")
    run = TrainingRun.objects.get(pk=result.run.pk)
    admin = factories.user(role="administrator")

    sign_in(page, admin.username)
    page.get_by_role("link", name="Models").click()
    expect(page.get_by_role("heading", name="Training runs")).to_be_visible()
    expect(page.get_by_role("cell", name=run.status).first).to_be_visible()
    expect(page.get_by_role("img", name=f"Loss curve of run {run.pk}")).to_be_visible()
    expect(page.get_by_role("heading", name="Evaluation matrix")).to_be_visible()
    base_with = page.get_by_role("rowheader", name=re.compile("base, with retrieval"))
    matrix = page.get_by_role("table").filter(has=base_with)
    expect(matrix).to_be_visible()
    expect(matrix.get_by_role("rowheader", name=re.compile("candidate, without retrieval"))).to_be_visible()
    expect(matrix.get_by_role("rowheader", name=re.compile("extractive"))).to_be_visible()
    expect(page.get_by_text(result.reason).first).to_be_visible()
    screenshot(page, "models-dashboard")
    screenshot(page, "models-dashboard-full", full_page=True)
