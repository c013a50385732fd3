"""The openai backend's failures, against a small HTTP server in a thread that answers what a real server
does not on demand: 429, 500, a stream cut off, an error event, garbage, silence. What works (streaming, the
request, the adapter as the model, a refusal) is checked against `transformers serve` in
test_openai_server.py; here too, a stream that ends with its `finish_reason` and no `data: [DONE]` line."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from models_ft.api import (
    DraftFacts,
    GenerationError,
    GenerationRequest,
    PromptMessage,
    generate,
)

# The active adapter is read from the registry (the database).
pytestmark = pytest.mark.django_db

Reply = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FakeServer:
    """Answers each request with the next reply in `replies` (the last one repeats) and keeps what it got."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""


def stream(*pieces: str, finish: str | None = "stop", done: bool = True) -> Reply:
    """A streamed answer as OpenAI sends it: the pieces, a last chunk with the `finish_reason`, then
    `data: [DONE]`. `finish=None, done=False` is a stream cut off after the pieces."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        handler.wfile.write(b": keep-alive\n\n")
        for piece in pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
        if finish is not None:
            event = {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        if done:
            handler.wfile.write(b"data: [DONE]\n\n")

    return reply


def status(code: int, body: dict[str, Any]) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return reply


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(
                # Header names in lower case: HTTP does not care, and clients differ.
                {
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "json": json.loads(body),
                }
            )
            reply = state.replies[min(len(state.requests), len(state.replies)) - 1]
            reply(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield state
    state.released.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def openai_backend(settings, server: FakeServer):
    settings.GENERATION_BACKEND = "openai"
    settings.GENERATION_OPENAI_BASE_URL = server.url
    settings.GENERATION_OPENAI_API_KEY = "sk-test"
    settings.GENERATION_OPENAI_MODEL = "base-model"
    settings.GENERATION_ADAPTER = ""
    settings.GENERATION_ADAPTER_PATH = ""
    settings.GENERATION_MAX_NEW_TOKENS = 400
    settings.GENERATION_TIMEOUT_SECONDS = 5.0
    settings.GENERATION_RETRIES = 2
    return settings


def ask(content: str = "Can I get a refund?", *, max_new_tokens: int = 100) -> GenerationRequest:
    messages = (
        PromptMessage(role="system", content="You draft replies for support agents."),
        PromptMessage(role="user", content=content),
    )
    facts = DraftFacts(customer_name="Dana", language="en", question=content, situation=(), passages=())
    return GenerationRequest(messages=messages, facts=facts, max_new_tokens=max_new_tokens)


@pytest.mark.parametrize("done", [True, False], ids=["then-DONE", "no-DONE"])
def test_a_stream_that_ends_with_its_finish_reason_is_complete(openai_backend, server, done):
    # vLLM and OpenAI send `data: [DONE]` after the `finish_reason` chunk; `transformers serve` closes the
    # stream there.
    server.replies = [stream("Hi ", "Dana", finish="stop", done=done), stream("never sent")]

    assert list(generate(ask())) == ["Hi ", "Dana"]
    assert len(server.requests) == 1


def test_a_server_error_before_the_first_token_is_retried(openai_backend, server):
    server.replies = [status(500, {"error": {"message": "engine restarting"}}), stream("Hi ", "Dana")]

    assert "".join(generate(ask())) == "Hi Dana"
    assert len(server.requests) == 2


def test_busy_server_errors_give_up_after_the_retries_as_retryable(openai_backend, server):
    openai_backend.GENERATION_RETRIES = 1
    server.replies = [status(429, {"error": {"message": "too many requests"}})]

    with pytest.raises(GenerationError, match="429: too many requests") as caught:
        list(generate(ask()))
    assert caught.value.retryable is True
    assert len(server.requests) == 2


def test_rejected_credentials_are_not_retried(openai_backend, server):
    server.replies = [status(401, {"error": {"message": "Invalid API key provided"}})]

    with pytest.raises(GenerationError, match="Invalid API key provided") as caught:
        list(generate(ask()))
    assert caught.value.retryable is False
    assert len(server.requests) == 1


def test_a_server_that_never_answers_times_out_as_retryable(openai_backend, server):
    openai_backend.GENERATION_TIMEOUT_SECONDS = 0.3
    openai_backend.GENERATION_RETRIES = 0
    server.replies = [lambda handler: server.released.wait(10)]

    with pytest.raises(GenerationError, match="timed out") as caught:
        list(generate(ask()))
    assert caught.value.retryable is True


def test_a_stream_cut_off_after_text_is_not_retried(openai_backend, server):
    server.replies = [stream("Hi ", "Da", finish=None, done=False), stream("never sent")]
    pieces = generate(ask())
    assert [next(pieces), next(pieces)] == ["Hi ", "Da"]

    with pytest.raises(GenerationError, match="in the middle of the draft") as caught:
        next(pieces)
    assert caught.value.retryable is True
    assert len(server.requests) == 1


def test_an_unreachable_server_is_retryable(openai_backend, server):
    openai_backend.GENERATION_OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    openai_backend.GENERATION_RETRIES = 1

    with pytest.raises(GenerationError, match="after 2 attempts") as caught:
        list(generate(ask()))
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("GENERATION_OPENAI_BASE_URL", "GENERATION_OPENAI_BASE_URL"),
        ("GENERATION_OPENAI_MODEL", "GENERATION_OPENAI_MODEL"),
    ],
)
def test_missing_settings_are_configuration_errors(openai_backend, server, setting, message):
    setattr(openai_backend, setting, "")

    with pytest.raises(GenerationError, match=message) as caught:
        list(generate(ask()))
    assert caught.value.retryable is False
    assert server.requests == []


def events(*lines: str) -> Reply:
    """A 200 answer whose body is `lines`, each sent as one server-sent event's `data:`."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        for line in lines:
            handler.wfile.write(f"data: {line}\n\n".encode())

    return reply


def piece(content: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]})


def test_an_error_event_in_the_stream_is_raised_as_retryable(openai_backend, server):
    server.replies = [events(piece("Hi "), json.dumps({"error": {"message": "CUDA out of memory"}}))]
    pieces = generate(ask())
    assert next(pieces) == "Hi "

    with pytest.raises(GenerationError, match="stopped with an error: CUDA out of memory") as caught:
        next(pieces)
    assert caught.value.retryable is True
    assert len(server.requests) == 1


def test_an_answer_not_in_the_streaming_format_is_not_retried(openai_backend, server):
    server.replies = [events("<html>Bad gateway</html>")]

    with pytest.raises(GenerationError, match="not answer in the OpenAI streaming format") as caught:
        list(generate(ask()))
    assert "<html>Bad gateway</html>" in caught.value.message
    assert caught.value.retryable is False


def test_a_stream_that_ends_before_any_text_or_finish_reason_is_retryable(openai_backend, server):
    server.replies = [stream(finish=None, done=False)]

    with pytest.raises(GenerationError, match="stream ended before a `finish_reason`") as caught:
        list(generate(ask()))
    assert "middle of the draft" not in caught.value.message
    assert caught.value.retryable is True


def test_chunks_without_choices_or_text_are_passed_over(openai_backend, server):
    # A role-only first chunk (transformers serve, vLLM), a usage chunk with no choices, a bare id.
    role = json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
    end = json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    usage = json.dumps({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 1}})
    server.replies = [events(role, json.dumps({"id": "x"}), piece("Hi"), usage, end)]

    assert list(generate(ask())) == ["Hi"]
