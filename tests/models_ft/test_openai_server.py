"""The openai backend against a real OpenAI-compatible server: `transformers serve` over a tiny chat model
(tests/models_ft/serve.py). It ends its streams with a `finish_reason` chunk and no `data: [DONE]` line.

The model has random weights and writes nonsense; what is checked is the plumbing: the streamed pieces, the
request the backend sends, the adapter named as the model, a refusal, and a whole draft through the console
pipeline. The error cases a real server does not produce on demand (429, 500, a cut stream, garbage) are
in test_openai.py, against a small in-test server."""

from __future__ import annotations

import re

import httpx
import pytest

from assist import services, streams
from models_ft.api import (
    BackendInfo,
    DraftFacts,
    GenerationError,
    GenerationRequest,
    PromptMessage,
    backend_info,
    generate,
)
from models_ft.serving import openai_compat
from tests import factories
from tests.models_ft.serve import Server, recording_proxy

# The active adapter is read from the registry (the database).
pytestmark = pytest.mark.django_db

REFUNDS = (
    "# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge. "
    "Annual plans are refunded pro rata for the unused months."
)


@pytest.fixture
def served(settings, openai_server: Server):
    settings.GENERATION_BACKEND = "openai"
    settings.GENERATION_OPENAI_BASE_URL = openai_server.url
    settings.GENERATION_OPENAI_API_KEY = ""
    settings.GENERATION_OPENAI_MODEL = openai_server.model
    settings.GENERATION_ADAPTER = ""
    settings.GENERATION_ADAPTER_PATH = ""
    settings.GENERATION_MAX_NEW_TOKENS = 400
    settings.GENERATION_TIMEOUT_SECONDS = 60.0
    settings.GENERATION_RETRIES = 2
    return settings


def ask(content: str = "Can I get a refund?", *, max_new_tokens: int = 16) -> GenerationRequest:
    messages = (
        PromptMessage(role="system", content="You draft replies for support agents."),
        PromptMessage(role="user", content=content),
    )
    facts = DraftFacts(customer_name="Dana", language="en", question=content, situation=(), passages=())
    return GenerationRequest(messages=messages, facts=facts, max_new_tokens=max_new_tokens)


def test_a_draft_streams_in_pieces_that_join_into_the_servers_whole_answer(served, openai_server):
    served.GENERATION_OPENAI_API_KEY = "sk-test"
    with recording_proxy(openai_server.url) as proxy:
        served.GENERATION_OPENAI_BASE_URL = proxy.url
        pieces = list(generate(ask(max_new_tokens=12)))

    assert len(pieces) > 1
    # The same question without streaming: the model decodes greedily, so the answer is the same.
    messages = proxy.requests[0]["json"]["messages"]
    question = {"model": openai_server.model, "messages": messages, "max_tokens": 12}
    answer = httpx.post(f"{openai_server.url}/chat/completions", json=question, timeout=60).json()
    whole = answer["choices"][0]["message"]["content"]
    assert whole.strip()
    assert "".join(pieces) == whole
    (sent,) = proxy.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == "Bearer sk-test"
    assert sent["json"] == {
        "model": openai_server.model,
        "messages": [
            {"role": "system", "content": "You draft replies for support agents."},
            {"role": "user", "content": "Can I get a refund?"},
        ],
        "max_tokens": 12,
        "stream": True,
    }


def test_the_active_adapter_is_sent_as_the_model(served, openai_server):
    # transformers serve cannot load a LoRA adapter; the proxy serves the adapter's name with the base model,
    # as vLLM does with `--lora-modules support-style-v3=/adapters/support-style-v3`.
    served.GENERATION_ADAPTER = "support-style-v3"
    with recording_proxy(openai_server.url, models={"support-style-v3": openai_server.model}) as proxy:
        served.GENERATION_OPENAI_BASE_URL = proxy.url
        text = "".join(generate(ask()))

    assert text.strip()
    assert [r["json"]["model"] for r in proxy.requests] == ["support-style-v3"]
    info = backend_info()
    assert info == BackendInfo(backend="openai", model=openai_server.model, adapter="support-style-v3")


def test_without_an_api_key_the_request_carries_a_placeholder(served, openai_server):
    # The SDK insists on a key; a server started without one ignores the header.
    with recording_proxy(openai_server.url) as proxy:
        served.GENERATION_OPENAI_BASE_URL = proxy.url
        assert "".join(generate(ask())).strip()

    assert proxy.requests[0]["headers"]["authorization"] == f"Bearer {openai_compat.NO_API_KEY}"


def test_a_model_the_server_does_not_serve_is_refused_with_its_message(served, openai_server):
    served.GENERATION_ADAPTER = "support-style-v3"
    with recording_proxy(openai_server.url) as proxy:
        served.GENERATION_OPENAI_BASE_URL = proxy.url
        with pytest.raises(GenerationError, match=r"refused the request \(400\): .*support-style-v3") as got:
            list(generate(ask()))

    assert got.value.retryable is False
    assert len(proxy.requests) == 1


def test_a_whole_draft_through_the_console_pipeline(team, agent, served, openai_server):
    served.GENERATION_MAX_NEW_TOKENS = 24
    factories.indexed_document(title="Refunds for software", text=REFUNDS)
    ticket = factories.ticket(team=team, subject="Refund request")
    factories.message(ticket, body="Can I get a refund for my monthly subscription? I was charged 3 days ago")

    suggestion = services.suggestion_request(ticket=ticket, user=agent)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()

    assert suggestion.status == "ready", suggestion.error
    assert (suggestion.backend, suggestion.model) == ("openai", openai_server.model)
    events = streams.events_after(suggestion.pk)
    tokens = [e.data["text"] for e in events if e.event == "token"]
    assert len(tokens) > 1
    assert "".join(tokens) == suggestion.raw_text
    assert events[-1].event == "done"
    assert events[-1].data["text"] == suggestion.text
    # Whatever the model wrote, only markers of passages retrieved for this draft survive, each resolving
    # to its passage; any other marker it wrote was taken out and flagged, not a failure.
    retrieved = {p["marker"]: p for p in suggestion.passages}
    assert retrieved
    assert {int(m) for m in re.findall(r"\[(\d+)\]", suggestion.text)} <= set(retrieved)
    for citation in suggestion.citations:
        assert citation["chunk_id"] == retrieved[citation["marker"]]["chunk_id"]
    written = {int(m) for m in re.findall(r"\[(\d+)\]", suggestion.raw_text)}
    removed = {f["marker"] for f in suggestion.flags if f["kind"] == "removed_marker"}
    assert removed == written - set(retrieved)
