"""A knowledge admin uploads a Markdown file, watches it become active as the worker embeds it, and finds
it in the search playground with its scores."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENT = """# Scanner warranty

## What is covered

Every Quillfeather receipt scanner carries a two-year warranty against faults in materials and workmanship.

## How to claim

Send the scanner's serial number and a photo of the fault to the hardware team; we ship a replacement
within five working days.
"""


def test_a_knowledge_admin_uploads_a_file_sees_it_indexed_and_finds_it(page, celery_worker, tmp_path):
    admin = factories.user(role="knowledge_admin")
    upload = tmp_path / "scanner-warranty.md"
    upload.write_text(DOCUMENT)

    sign_in(page, admin.username)
    expect(page.get_by_role("heading", name="Knowledge")).to_be_visible()
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Upload documents").set_input_files(str(upload))
    created = page.get_by_role("link", name="Scanner warranty", exact=True)
    expect(created).to_be_visible()
    screenshot(page, "knowledge-upload")
    created.click()
    covered = page.get_by_text("Every Quillfeather receipt scanner carries a two-year warranty")
    expect(covered.first).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("published").first).to_be_visible()
    screenshot(page, "knowledge-document")

    page.get_by_role("link", name="Knowledge", exact=True).first.click()
    row = page.get_by_role("row").filter(has_text="Scanner warranty")
    expect(row).to_contain_text("active", timeout=90_000)
    expect(row).to_contain_text("published")
    screenshot(page, "knowledge-list")

    page.goto("/knowledge/search")
    page.get_by_label("Query").fill("how long is the warranty on a receipt scanner")
    page.get_by_role("button", name="Search", exact=True).click()
    result = page.get_by_role("listitem", name=re.compile(r"^Result 1: Scanner warranty"))
    # The first query of the process loads the embedding model.
    expect(result).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("vector", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_text(re.compile("keyword", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_text(re.compile("fused", re.IGNORECASE)).first).to_be_visible()
    screenshot(page, "knowledge-playground")
