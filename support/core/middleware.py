"""Middleware: probes and metrics answered first; the client's address behind trusted proxies; a request id,
an access log line and a latency sample for every request; and the refusal of requests no view should ever
see (oversize bodies, NUL bytes)."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import metrics
from .errors import json_error
from .health import health_check
from .logs import REQUEST_ID, request_id_from

access_log = logging.getLogger("openbook.access")

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def readiness() -> tuple[dict[str, Any], bool]:
    """The health check (support.core.health) as an unauthenticated caller may see it: which part is
    up, and each queue's ping age, without server versions or error texts."""
    health = health_check()
    body = {
        "ok": health.ok,
        "database": bool(health.database.get("ok")),
        "pgvector": bool(health.pgvector.get("ok")),
        "redis": bool(health.redis.get("ok")),
        "workers": {
            "ok": bool(health.workers.get("ok")),
            "queues": {
                queue: {
                    "ok": bool(state.get("ok")),
                    "last_ping_seconds_ago": state.get("last_ping_seconds_ago"),
                }
                for queue, state in health.workers.get("queues", {}).items()
            },
        },
    }
    return body, health.ok


class ProbeMiddleware:
    """`/healthz` (the process answers; touches nothing), `/readyz` (database, pgvector, Redis, and a
    worker that consumed a ping within the last minute; 503 otherwise) and `/metrics` (Prometheus; a
    bearer METRICS_TOKEN, see `metrics.metrics_access`).

    First in the chain: a kubelet or Prometheus calls the pod by its address, which is not in
    ALLOWED_HOSTS, over plain HTTP, which SECURE_SSL_REDIRECT would bounce; and a probe must not cost a
    session lookup. Nothing here reads the Host header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in PROBE_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response: HttpResponse = JsonResponse({"detail": "Use GET."}, status=405)
            response["Allow"] = "GET, HEAD"
        elif path == "/healthz":
            response = JsonResponse({"ok": True})
        elif path == "/readyz":
            body, ok = readiness()
            response = JsonResponse(body, status=200 if ok else 503)
        else:
            response = self._metrics(request)
        response["Cache-Control"] = "no-store"
        # A failing probe is an answer, not an incident: Django would log a line per probe otherwise.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    def _metrics(self, request: HttpRequest) -> HttpResponse:
        status = metrics.metrics_access(
            authorization=request.headers.get("Authorization", ""),
            token=settings.METRICS_TOKEN,
            debug=settings.DEBUG,
        )
        if status == 404:
            return JsonResponse({"detail": "Metrics are off: set METRICS_TOKEN."}, status=404)
        if status == 401:
            response = JsonResponse({"detail": "A bearer token is required."}, status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        return HttpResponse(metrics.exposition(include_scrape=True), content_type=metrics.CONTENT_TYPE)


def client_address(meta: Mapping[str, Any], *, trusted_proxies: int) -> str:
    """The address of the client that sent the request.

    With no trusted proxy, the peer of the connection (`REMOTE_ADDR`): `X-Forwarded-For` is written by
    whoever sends the request, so trusting it would let a client pick a new address for every guess.
    Behind `trusted_proxies` proxies, each appends the address it received the request from, so the N-th
    entry from the right is what the outermost trusted proxy saw; anything left of it is the client's own
    writing. A header with fewer entries than that, or an entry that is not an IP address, means the
    request did not come through the proxies as configured: the peer's address is used then."""
    peer = str(meta.get("REMOTE_ADDR") or "")
    if trusted_proxies <= 0:
        return peer
    entries = [entry.strip() for entry in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    if len(entries) < trusted_proxies or not entries[-trusted_proxies]:
        return peer
    candidate = entries[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


class ClientAddressMiddleware:
    """Puts the client's address (see `client_address`, with `TRUSTED_PROXY_COUNT`) in `REMOTE_ADDR`, where
    Django, DRF's throttles (`NUM_PROXIES` is 0: they read `REMOTE_ADDR` only), the sign-in limits and the
    access log read it. The connection's own peer stays in `OPENBOOK_PEER_ADDR`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["OPENBOOK_PEER_ADDR"] = request.META.get("REMOTE_ADDR", "")
        request.META["REMOTE_ADDR"] = client_address(
            request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT
        )
        return self.get_response(request)


def _route(request: HttpRequest) -> str:
    """The URL pattern that served the request (`api/v1/tickets/<int:pk>`), never the path itself: one
    label value per pattern, however many tickets there are."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    if request.path_info.startswith("/" + str(settings.STATIC_URL).lstrip("/")):
        return "static"
    return "unmatched"


class RequestContextMiddleware:
    """Every request gets an id (the caller's `X-Request-ID` when it is a sane token, else a new one),
    bound for the request's log lines and the tasks it queues, and returned as `X-Request-ID`. Each
    request then adds one access log line and one latency sample (by route and status)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            route = _route(request)
            metrics.http_request_observed(
                method=request.method or "", route=route, status=response.status_code, seconds=seconds
            )
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path_info,
                response.status_code,
                seconds * 1000,
                extra={
                    "client": request.META.get("REMOTE_ADDR", ""),
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        finally:
            REQUEST_ID.reset(token)
        return response


UPLOAD_PATHS = frozenset({"/api/v1/knowledge/documents/upload"})


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return json_error(request, "Content-Length is not a number.", "bad_request", 400)
        limit = settings.MAX_REQUEST_BYTES
        if request.path in UPLOAD_PATHS:
            # Document uploads may be larger; each file is checked again against the upload limit.
            limit = max(limit, getattr(settings, "KNOWLEDGE_MAX_UPLOAD_BYTES", 0) * 5 + 65_536)
        if size > limit:
            return json_error(
                request,
                f"Request body too large: the limit is {limit} bytes.",
                "too_large",
                413,
            )
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return json_error(request, "The query string contains a NUL byte.", "bad_request", 400)
        return self.get_response(request)


class NoStoreMiddleware:
    """Every answer under /api/ is `Cache-Control: no-store`: they hold personal data (tickets, customers,
    drafts, the signed-in user and their CSRF token), which no browser cache or proxy may keep."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response
