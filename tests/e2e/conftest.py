"""Browser tests: Chromium driven by Playwright against a live server on the test database and Redis, with
a real Celery worker. They run in a pytest process of their own (`make test` runs `pytest -m browser` after
the rest) because their worker drafts with the `openai` backend against a model server the tests run: a
stand-in for vLLM that writes slowly enough for the stream to be seen, and cites what the prompt gave it.
Screenshots of each main screen go to var/screenshots/."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from models_ft.contracts import DOCUMENTS_SECTION
from support.core.pages import FRONTEND_INDEX

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-for-tests-only"  # what tests.factories.user gives every user
WORD_DELAY_SECONDS = 0.04


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def model_reply(prompt: str) -> str:
    """A reply that cites the first passage with a sentence copied from it, as a grounded model would."""
    section = DOCUMENTS_SECTION.search(prompt)
    if not section:
        return "Hello,\n\nI could not find a policy on this; a colleague will follow up.\n\nKind regards"
    passages = re.split(r"^\[(\d+)\] [^\n]*\n", section.group(3), flags=re.MULTILINE)
    marker, text = passages[1], passages[2]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 5]
    quote = sentences[0].rstrip(".") if sentences else text.strip().split("\n")[0]
    return f"Hello,\n\nThank you for asking. {quote} [{marker}].\n\nKind regards,\nSupport"


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """An OpenAI-compatible chat completions server that streams `model_reply` word by word."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in re.findall(r"\S+\s*", model_reply(prompt)):
                chunk = {"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(WORD_DELAY_SECONDS)
            # The end, as vLLM and OpenAI send it: a last chunk with the finish_reason, then [DONE].
            finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(finish)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


@pytest.fixture(scope="session")
def django_subprocess_env(django_db_setup: Any, model_server: str) -> dict[str, str]:
    """The worker of the browser tests drafts with the openai backend against `model_server`."""
    from tests.conftest import _database_url

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "support.conf.testing",
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
        "GENERATION_BACKEND": "openai",
        "GENERATION_OPENAI_BASE_URL": model_server,
        "GENERATION_OPENAI_MODEL": "stand-in",
    }


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, or a failure saying why it cannot start (never a skip)."""
    from playwright.sync_api import Error, sync_playwright

    if not FRONTEND_INDEX.exists():
        pytest.fail(f"The front end is not built ({FRONTEND_INDEX} is missing): run `make frontend`.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
    # steps are still plain synchronous calls. Only while the browser tests run (never in a subprocess
    # that checks the deployment settings).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium ({CHROMIUM}) did not start: {exc}. `make browser` installs it.")
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Reports every Content-Security-Policy violation on the page to the test (through an exposed function: the
# page's own scripts are what the policy checks; this one is put there by the browser's driver).
CSP_WATCH = """document.addEventListener('securitypolicyviolation', (event) => {
  const where = `${event.sourceFile || 'the page'}:${event.lineNumber}`;
  window.__openbookCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI} on ${location.pathname}`
    + ` (${where}) ${event.sample || ''}`.trim());
});"""


def csp_violations(page: Any) -> list[str]:
    """The Content-Security-Policy violations the page has reported so far (the `page` fixture fails the
    test on any left at its end)."""
    return page.context.openbook_csp_violations  # type: ignore[no-any-return]


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context at a laptop's 1280x800; on failure, a screenshot of where it stopped. Every
    page runs under the site's real Content-Security-Policy: a violation fails the test, as does a
    JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(20_000)
    violations: list[str] = []
    context.openbook_csp_violations = violations
    context.expose_function("__openbookCspViolation", lambda text: violations.append(text))
    context.add_init_script(CSP_WATCH)
    # axe-core for the accessibility checks, put there by the driver as well: the policy refuses the
    # inline script a test would otherwise have to add.
    context.add_init_script(path=str(AXE))
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    # (Chromium also logs each policy violation as an error: those are counted as violations, above.)
    tab.on(
        "console",
        lambda m: m.type == "error" and "Content Security Policy" not in m.text and errors.append(m.text),
    )
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()
    if errors:
        (SCREENSHOTS / f"ERRORS-{request.node.name}.txt").write_text("\n\n".join(errors))
    assert not violations, f"Content-Security-Policy violations: {violations}"
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def accessibility_problems(page: Any) -> list[str]:
    """What axe-core (the accessibility rules engine, from the front end's dev dependencies) finds serious
    or critical on the page as it is now: unlabelled controls, missing names, too little contrast..."""
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map(n => n.target).join(', ')})`)"""
    )
    return list(found)


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save the screen under var/screenshots, after checking it has no serious accessibility problem."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    problems = accessibility_problems(page)
    assert not problems, f"{name}: accessibility problems:\n" + "\n".join(problems)
    return path
