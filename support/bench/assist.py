"""Agent assist under load: drafts with the extractive backend for the demo company's tickets, ten agents
asking at once.

The demo company is loaded into the benchmark database (`seed_demo`, idempotent) and its library embedded by
a real worker, which also serves the `inference` queue. Each agent (a thread with its own database
connection) asks for a draft of a demo ticket through the API view, as the console does (POST, answered
202), and watches the relay the stream endpoint reads: the time to the first `token` event is the first
streamed token, the time to `done` is POST to finished draft. Overhead outside generation is the pipeline's
own total minus its generation time. Finally every stored draft's citation markers are checked against the
passages retrieved for it.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client

from knowledge.models import Document
from support.console import streams
from support.console.models import Suggestion
from support.tickets.models import Ticket

from .report import Row, Target, percentile, progress_bar, say
from .worker import celery_worker

AGENTS = 10
DRAFTS_PER_AGENT = 10
FINISHED_P95_MS, FIRST_TOKEN_P95_MS, OVERHEAD_P95_MS = 300.0, 200.0, 150.0
ROWS = (
    f"assist POST to finished draft p95 ({AGENTS} agents)",
    f"assist first streamed token p95 ({AGENTS} agents)",
    "assist pipeline overhead outside generation p95",
    "assist citation markers resolved to retrieved passages",
)
_MARKER = re.compile(r"\[(\d+)\]")


def run(*, agents: int = AGENTS, drafts: int = DRAFTS_PER_AGENT) -> list[Row]:
    call_command("seed_demo", no_progress=True, verbosity=0)
    with celery_worker(queues=("embeddings", "inference"), concurrency=4):
        _library_wait()
        tickets = _demo_tickets()
        say(f"assist: {agents} agents, {drafts} drafts each, over {len(tickets)} demo tickets")
        _draft_timed(tickets[0], 0)  # every pool process loads what it needs before the timing starts
        results: list[dict[str, float]] = []
        lock = threading.Lock()
        with progress_bar("drafting", unit="draft", total=agents * drafts) as progress:

            def agent(number: int) -> None:
                try:
                    for turn in range(drafts):
                        timing = _draft_timed(tickets[(number * drafts + turn) % len(tickets)], number)
                        with lock:
                            results.append(timing)
                            progress(len(results), agents * drafts)
                finally:
                    connection.close()

            with ThreadPoolExecutor(max_workers=agents) as pool:
                list(pool.map(agent, range(agents)))
    suggestions = Suggestion.objects.filter(pk__in=[int(r["id"]) for r in results])
    failed = suggestions.exclude(status=Suggestion.Status.READY).count()
    if failed:
        say(f"assist: {failed} drafts did not finish; see var/bench-worker.log")
    overhead = [s.timings["total"] - s.timings["generation"] for s in suggestions if s.timings]
    return [
        Row(ROWS[0], percentile([r["finished"] for r in results], 0.95), "ms", Target("<=", FINISHED_P95_MS)),
        Row(ROWS[1], percentile([r["first"] for r in results], 0.95), "ms", Target("<=", FIRST_TOKEN_P95_MS)),
        Row(ROWS[2], percentile(overhead, 0.95), "ms", Target("<=", OVERHEAD_P95_MS)),
        Row(ROWS[3], _resolved_share(suggestions), "%", Target(">=", 1.0)),
    ]


def _library_wait(timeout: float = 600) -> None:
    """The demo library is embedded by the worker; drafts need it active."""
    deadline = time.monotonic() + timeout
    demo = Document.objects.filter(collection="live", source="demo")
    while demo.filter(active_version__isnull=True).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the demo library was not embedded in time; see var/bench-worker.log")
        time.sleep(0.5)


def _demo_tickets() -> list[int]:
    tickets = list(
        Ticket.objects.filter(source="demo", messages__author_kind="customer", messages__public=True)
        .exclude(status=Ticket.Status.CLOSED)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    if not tickets:
        raise RuntimeError("no demo ticket with a customer message; did seed_demo run?")
    return tickets


_clients: dict[int, Client] = {}


def _client(number: int) -> Client:
    """One signed-in session per agent thread, as the demo administrator (who sees every ticket)."""
    from django.contrib.auth import get_user_model

    if number not in _clients:
        user = get_user_model().objects.get(username="admin")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        _clients[number] = client
    return _clients[number]


def _draft_timed(pk: int, number: int) -> dict[str, float]:
    started = time.perf_counter()
    response = _client(number).post(f"/api/v1/tickets/{pk}/suggestions")
    if response.status_code != 202:
        raise RuntimeError(f"asking for a draft answered {response.status_code}: {response.content[:300]!r}")
    suggestion_id = response.json()["id"]
    first: float | None = None
    offset = 0
    deadline = started + 60
    while time.perf_counter() < deadline:
        events = streams.events_since(suggestion_id, offset)
        offset += len(events)
        for event in events:
            if event["event"] == "token" and first is None:
                first = time.perf_counter()
            if event["event"] in streams.TERMINAL:
                finished = time.perf_counter()
                return {
                    "id": suggestion_id,
                    "first": ((first or finished) - started) * 1000,
                    "finished": (finished - started) * 1000,
                }
        time.sleep(0.002)
    raise RuntimeError(f"draft {suggestion_id} did not finish within 60 s")


def _resolved_share(suggestions: Any) -> float:
    """Of every citation marker in every stored draft, the share naming a passage retrieved for that draft."""
    markers = resolved = 0
    for suggestion in suggestions:
        retrieved = {p["marker"] for p in suggestion.passages}
        for found in _MARKER.findall(suggestion.text):
            markers += 1
            resolved += int(found) in retrieved
    return resolved / markers if markers else 1.0
