"""The openai backend: any server speaking OpenAI's streaming `/v1/chat/completions` (vLLM, TGI, Ollama,
llama.cpp's server, OpenAI itself).

The active adapter, when there is one, is sent as the `model`: that is how vLLM serves several LoRA adapters
from one base model (`--lora-modules name=path`), and how most other servers pick a fine-tuned model.
Without an adapter the request names `GENERATION_OPENAI_MODEL`.

Connection errors, timeouts, 429 and 5xx are retried with backoff while nothing has been streamed yet;
once text has gone to the reader a retry would repeat it, so a failure then is raised (retryable) for the
caller to start the draft over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from django.conf import settings

from ..contracts import GenerationError, GenerationRequest

BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


class _Retry(Exception):
    """A failure worth another attempt, before anything was streamed."""

    def __init__(self, message: str, *, wait: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.wait = wait


def endpoint() -> str:
    base = str(settings.GENERATION_OPENAI_BASE_URL or "").strip().rstrip("/")
    if not base:
        raise GenerationError(
            "The openai generation backend needs GENERATION_OPENAI_BASE_URL, the server's API root with its "
            "/v1 (http://vllm:8000/v1).",
            retryable=False,
        )
    return f"{base}/chat/completions"


def _server_message(response: httpx.Response) -> str:
    """The error text the server sent: OpenAI's `{"error": {"message": ...}}`, else the body itself."""
    body = response.text.strip()
    try:
        data = json.loads(body)
    except ValueError:
        return body[:500] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return body[:500]


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def _pieces(response: httpx.Response) -> Iterator[str]:
    """The text deltas of a server-sent event stream, up to `data: [DONE]`. A stream that ends without it
    was cut off, and is treated like a dropped connection."""
    for line in response.iter_lines():
        if not line.startswith("data:"):
            # Blank separators, `: keep-alive` comments, `event:` lines.
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            raise GenerationError(
                f"The generation server did not answer in the OpenAI streaming format: {data[:200]!r}",
                retryable=False,
            ) from None
        if not isinstance(event, dict):
            continue
        if event.get("error"):
            error = event["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise GenerationError(f"The generation server stopped with an error: {message}", retryable=True)
        for choice in event.get("choices") or ():
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield str(content)
    raise httpx.RemoteProtocolError("the stream ended before `data: [DONE]`")


def generate(request: GenerationRequest, *, max_new_tokens: int, adapter: str | None) -> Iterator[str]:
    """Stream the server's answer to `request.messages`."""
    url = endpoint()
    model = adapter or str(settings.GENERATION_OPENAI_MODEL or "").strip()
    if not model:
        raise GenerationError(
            "The openai generation backend needs GENERATION_OPENAI_MODEL (or an active GENERATION_ADAPTER).",
            retryable=False,
        )
    payload: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": max_new_tokens,
        "stream": True,
    }
    headers = {"Accept": "text/event-stream"}
    key = str(settings.GENERATION_OPENAI_API_KEY or "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    seconds = float(settings.GENERATION_TIMEOUT_SECONDS)
    # `read` bounds the wait for each piece of the stream, not the whole draft.
    timeout = httpx.Timeout(seconds)
    attempts = 1 + int(settings.GENERATION_RETRIES)

    streamed = False
    failure = _Retry("no attempt was made")
    with httpx.Client(timeout=timeout) as client:
        for attempt in range(attempts):
            try:
                with client.stream("POST", url, json=payload, headers=headers) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        response.read()
                        raise _Retry(
                            f"The generation server answered {response.status_code}: "
                            f"{_server_message(response)}",
                            wait=_retry_after(response),
                        )
                    if not response.is_success:
                        response.read()
                        raise GenerationError(
                            f"The generation server refused the request ({response.status_code}): "
                            f"{_server_message(response)}",
                            retryable=False,
                        )
                    for piece in _pieces(response):
                        streamed = True
                        yield piece
                    return
            except httpx.TransportError as exc:
                # Timeouts are TransportErrors too; they get their own wording because the fix differs
                # (a busy server or a low GENERATION_TIMEOUT_SECONDS, not a wrong address).
                detail = str(exc) or type(exc).__name__
                if isinstance(exc, httpx.TimeoutException):
                    message = f"The generation server at {url} timed out: {detail}"
                else:
                    message = f"The connection to the generation server at {url} failed: {detail}"
                if streamed:
                    raise GenerationError(message + " (in the middle of the draft)", retryable=True) from exc
                failure = _Retry(message)
            except _Retry as exc:
                failure = exc
            if attempt + 1 < attempts:
                wait = failure.wait if failure.wait is not None else BACKOFF_SECONDS * 2**attempt
                time.sleep(min(wait, MAX_BACKOFF_SECONDS))
    tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
    raise GenerationError(f"{failure.message} (after {tries})", retryable=True)
