"""Fixtures of the models_ft tests: a real OpenAI-compatible server (`transformers serve` over a tiny chat
model built here), started once per test session by the first test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.models_ft.serve import Server, tiny_chat_model, transformers_serve


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`transformers serve` on 127.0.0.1, offline, on CPU, serving the tiny chat model by its path; stopped
    at the end of the session."""
    model = tiny_chat_model(tmp_path_factory.mktemp("tiny-chat-model"))
    logs = tmp_path_factory.mktemp("transformers-serve") / "serve.log"
    with transformers_serve(model, logs) as server:
        yield server
