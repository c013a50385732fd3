"""Integrations under load: signed inbound events through a real web server, and outbound events through a
real worker to a receiver that is up.

Inbound: gunicorn serves the benchmark database (the production entry point, not the test client). Fifty
senders, each with its own keep-alive connection, post signed `ticket.created` deliveries: a new ticket with
its customer's first message, the customer new or already known. A delivery's time runs from the start of
its request to its answer, which comes once the ticket, its customer and its message are committed.

- sustained: the fifty senders together offer SUSTAINED_RATE deliveries a second at random (Poisson)
  moments — a help desk's busiest hour many times over. The target is met, or not, here.
- saturated: each sender posts its next delivery as soon as the last is answered, so fifty are always in
  flight. This measures the most the server stores per second; the latency then is mostly queueing (fifty
  in flight / the deliveries per second), and is printed for information.

Outbound: a Celery worker serves the `default` queue, and a receiver on this machine answers 200. A ticket
changes status every 50 ms; each change's time is from its commit to the receiver holding the signed event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .report import Row, Target, percentile, progress_bar, say
from .worker import celery_worker, child_process

SENDERS = 50
SUSTAINED_RATE = 50.0  # deliveries a second, offered by the fifty senders together
SUSTAINED_SECONDS = 30.0
SATURATED_PER_SENDER = 20
INBOUND_P95_MS = 50.0
OUTBOUND_CHANGES = 40
OUTBOUND_P95_MS = 2000.0
ROWS = (
    f"inbound event to stored ticket p50 ({SENDERS} senders, {SUSTAINED_RATE:g}/s)",
    f"inbound event to stored ticket p95 ({SENDERS} senders, {SUSTAINED_RATE:g}/s)",
    f"inbound saturated: deliveries stored per second ({SENDERS} in flight)",
    f"inbound saturated: p95 ({SENDERS} in flight, queueing included)",
    "outbound change to receiver p95 (receiver up)",
    "outbound events received, signed, exactly once",
)
SOURCE_SLUG = "bench-desk"


def run() -> list[Row]:
    from support.integrations.models import IntegrationSource
    from support.integrations.services import source_create
    from support.tickets.models import Team, Ticket

    logging.getLogger("httpx").setLevel(logging.WARNING)
    Team.objects.get_or_create(slug="support", defaults={"name": "Support", "is_default": True})
    IntegrationSource.objects.filter(slug=SOURCE_SLUG).delete()
    source, secret = source_create(name="Benchmark desk", slug=SOURCE_SLUG)
    run_id = uuid.uuid4().hex[:8]
    with web_server() as base_url:
        sustained, _ = asyncio.run(
            _inbound(base_url, secret, run_id=f"{run_id}s", rate=SUSTAINED_RATE, seconds=SUSTAINED_SECONDS)
        )
        saturated, elapsed = asyncio.run(
            _inbound(base_url, secret, run_id=f"{run_id}x", per_sender=SATURATED_PER_SENDER)
        )
    answered = len(sustained) + len(saturated)
    stored = Ticket.objects.filter(source=source.slug, external_id__startswith=run_id).count()
    if stored != answered:
        raise RuntimeError(f"{answered} deliveries were answered 200 but {stored} tickets exist")
    delays, intact = _outbound()
    return [
        Row(ROWS[0], percentile(sustained, 0.5), "ms"),
        Row(ROWS[1], percentile(sustained, 0.95), "ms", Target("<=", INBOUND_P95_MS)),
        Row(ROWS[2], len(saturated) / elapsed, "/s"),
        Row(ROWS[3], percentile(saturated, 0.95), "ms"),
        Row(ROWS[4], percentile(delays, 0.95), "ms", Target("<=", OUTBOUND_P95_MS)),
        Row(ROWS[5], intact, "%", Target(">=", 1.0)),
    ]


# --- inbound ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def web_server() -> Iterator[str]:
    """The production web server (`python -m support.serve web`: gunicorn with support/conf/gunicorn.py and
    its WEB_WORKERS and WEB_THREADS) on the benchmark settings, on a free port, until the block ends."""
    import httpx
    from django.conf import settings

    from support.serve import web_command

    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
        except httpx.HTTPError:
            return False
        return True

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONUNBUFFERED": "1"}
    with child_process(
        web_command(),
        name="web server",
        log_path=Path(settings.DATA_DIR) / "bench-web.log",
        env={**env, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"},
        ready=answers,
        wait=60,
    ):
        yield url


def _event(run_id: str, sender: int, number: int) -> dict[str, Any]:
    # One customer in three writes again (known already); the others are new to Openbook.
    customer = f"{run_id}-c{sender}-{number // 3}"
    return {
        "type": "ticket.created",
        "ticket": {
            "external_id": f"{run_id}-t{sender}-{number}",
            "subject": "My card reader will not pair with the till",
            "priority": "normal",
            "tags": ["hardware"],
            "customer": {"external_id": customer, "email": f"{customer}@bench.example.com", "name": "Bench"},
            "messages": [
                {
                    "external_id": f"{run_id}-m{sender}-{number}",
                    "author": "customer",
                    "body": "Since this morning the Q1 reader does not show up in Bluetooth settings. "
                    "We restarted both devices. What else can we try?",
                    "created_at": "2026-12-01T09:00:00Z",
                }
            ],
        },
    }


async def _inbound(
    base_url: str,
    secret: str,
    *,
    run_id: str,
    rate: float = 0.0,
    seconds: float = 0.0,
    per_sender: int = 0,
    senders: int = SENDERS,
) -> tuple[list[float], float]:
    """Deliveries from `senders` concurrent senders: at `rate` a second in all for `seconds` (open loop),
    or `per_sender` each, back to back (closed loop). The time of each, in ms, and the run's duration."""
    import httpx

    from support.integrations.services import signature

    url = f"{base_url}/api/v1/integrations/{SOURCE_SLUG}/events"
    latencies: list[float] = []
    randomness = random.Random(7)
    count = round(rate * seconds / senders) if rate else per_sender
    total = count * senders
    started = time.perf_counter()

    async def post(client: httpx.AsyncClient, prefix: str, number: int, turn: int) -> float:
        body = json.dumps(_event(prefix, number, turn)).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Openbook-Delivery": f"{prefix}-{number}-{turn}",
            "X-Openbook-Timestamp": timestamp,
            "X-Openbook-Signature": signature(secret=secret, timestamp=timestamp, body=body),
        }
        sent = time.perf_counter()
        response = await client.post(url, content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"a delivery was answered {response.status_code}: {response.text[:300]}")
        return (time.perf_counter() - sent) * 1000

    async def sender(number: int, client: httpx.AsyncClient, progress: Any) -> None:
        due = started
        for turn in range(count):
            if rate:
                due += randomness.expovariate(rate / senders)
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            latencies.append(await post(client, run_id, number, turn))
            progress(len(latencies), total)

    async def warm(number: int, client: httpx.AsyncClient) -> None:
        for turn in range(3):
            await post(client, f"warm-{run_id}", number, turn)

    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # Untimed: fifty at once, three times, so the server's threads have opened their database
        # connections (a thread opens one on its first request and keeps it) before anything is timed.
        await asyncio.gather(*(warm(n, client) for n in range(senders)))
        label = f"inbound, {rate:g}/s" if rate else f"inbound, {senders} in flight"
        with progress_bar(label, unit="delivery", total=total) as progress:
            started = time.perf_counter()
            await asyncio.gather(*(sender(n, client, progress) for n in range(senders)))
            elapsed = time.perf_counter() - started
    return latencies, elapsed


# --- outbound -----------------------------------------------------------------------------------------------


def _outbound() -> tuple[list[float], float]:
    from support.integrations import outbound
    from support.integrations.models import WebhookSubscription
    from support.integrations.services import signature
    from support.tickets.models import Ticket
    from support.tickets.services import ticket_change_status

    received: dict[str, tuple[float, dict[str, str], bytes]] = {}
    posts = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                posts[0] += 1
                received.setdefault(
                    self.headers["X-Openbook-Delivery"], (time.time(), dict(self.headers), body)
                )
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    WebhookSubscription.objects.filter(name="Benchmark receiver").delete()
    subscription, secret = outbound.subscription_create(
        name="Benchmark receiver",
        url=f"http://127.0.0.1:{server.server_address[1]}/hook",
        events=["ticket.updated"],
    )
    tickets = list(Ticket.objects.filter(source=SOURCE_SLUG, status="new").order_by("-pk")[:OUTBOUND_CHANGES])
    changed: dict[int, float] = {}
    try:
        with celery_worker(queues=("default",), concurrency=2):
            with progress_bar("outbound changes", unit="change", total=len(tickets)) as progress:
                for done, ticket in enumerate(tickets, start=1):
                    ticket_change_status(ticket=ticket, status="open")  # committed on return (autocommit)
                    changed[ticket.pk] = time.time()
                    progress(done, len(tickets))
                    time.sleep(0.05)
            deadline = time.monotonic() + 30
            while len(received) < len(tickets) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        server.shutdown()
        subscription.delete()
    delays: list[float] = []
    intact = 0
    for at, headers, body in received.values():
        payload = json.loads(body)
        ticket_id = payload["data"]["ticket"]["id"]
        delays.append((at - changed[ticket_id]) * 1000)
        expected = signature(secret=secret, timestamp=headers["X-Openbook-Timestamp"], body=body)
        intact += int(headers["X-Openbook-Signature"] == expected)
    missing = len(tickets) - len(received)
    if missing:
        say(f"integrations: {missing} outbound events did not arrive within 30 s")
        delays.extend([float("inf")] * missing)
    if posts[0] != len(received):
        say(f"integrations: {posts[0] - len(received)} outbound events arrived more than once")
        intact = min(intact, len(tickets) - (posts[0] - len(received)))
    return delays, intact / len(tickets) if tickets else 0.0
