"""A draft as server-sent events: what the relay (`assist.streams`) holds for it, from the start or from
where a reconnecting reader left off, then the stored draft."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import streams
from ..models import Suggestion
from .access import AssistScoped, visible_suggestion


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


STREAM_SECONDS = 120


class SuggestionStreamApi(AssistScoped, APIView):
    """The draft as server-sent events: `token` events with text as it is generated, then one `done`
    (the checked draft, its citations and flags) or `error` (why there is no draft). A reader that connects
    late gets every event from the start."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # An error is a JSON body, even for a client that asked for the event stream.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                str,
                OpenApiParameter.HEADER,
                description="Resume after this event (browsers send it when they reconnect).",
            )
        ],
        # Each event of the stream, as its `event`, `data` (JSON) and `id` lines give it.
        responses={
            (200, "text/event-stream"): {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"type": "string", "enum": ["token", "done", "error"]},
                    "data": {
                        "type": "string",
                        "description": 'JSON. token: {"text": ...}, the next piece of the draft; done: '
                        '{"text", "citations", "flags"}, the checked draft; error: {"message"}, why there is '
                        "none.",
                    },
                    "id": {"type": "string", "description": "Send it back as Last-Event-ID to resume."},
                },
            }
        },
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        suggestion = visible_suggestion(request, pk)
        resume = request.headers.get("Last-Event-ID", "").strip()
        after = resume if streams.event_id_valid(resume) else streams.START
        response = StreamingHttpResponse(_events(suggestion, after), content_type="text/event-stream")
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # a proxy must not hold the stream back
        return response


def _sse(event: str, data: dict[str, Any], event_id: str = "") -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


# While no event comes, the reader checks the draft's row this often (a draft failed before its first
# event, or one whose events expired) and sends a comment line that keeps proxies from closing the stream.
IDLE_CHECK_SECONDS = 2.0


def _events(suggestion: Suggestion, after: str = streams.START) -> Iterator[bytes]:
    if suggestion.status == Suggestion.Status.READY and after == streams.START:
        yield _sse("done", _done_data(suggestion))
        return
    if suggestion.status == Suggestion.Status.FAILED and after == streams.START:
        yield _sse("error", {"message": suggestion.error})
        return
    deadline = time.monotonic() + STREAM_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        events = streams.events_after(suggestion.pk, after, block_seconds=min(left, IDLE_CHECK_SECONDS))
        for event in events:
            yield _sse(event.event, event.data, event.id)
            if event.terminal:
                return
        if events:
            after = events[-1].id
            continue
        current = Suggestion.objects.filter(pk=suggestion.pk).first()
        if current is None or current.status == Suggestion.Status.FAILED:
            yield _sse("error", {"message": current.error if current else "The draft was deleted."})
            return
        if current.status == Suggestion.Status.READY:
            # Finished, but its events are gone (expired): the stored draft says the same.
            yield _sse("done", _done_data(current))
            return
        yield b": waiting\n\n"
    yield _sse("error", {"message": "The draft is taking too long; reload it later."})


def _done_data(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "text": suggestion.text,
        "citations": suggestion.citations,
        "flags": suggestion.flags,
        "agent_note": suggestion.agent_note,
    }
