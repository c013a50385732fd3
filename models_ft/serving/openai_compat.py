"""The openai backend: any server speaking OpenAI's streaming `/v1/chat/completions` (vLLM, `transformers
serve`, TGI, Ollama, llama.cpp's server, OpenAI itself), through the maintained `openai` SDK.

The active adapter, when there is one, is sent as the `model`: that is how vLLM serves several LoRA adapters
from one base model (`--lora-modules name=path`), and how most other servers pick a fine-tuned model.
Without an adapter the request names `GENERATION_OPENAI_MODEL`.

A stream is complete when a choice carries its `finish_reason` ("stop", "length"...): every server sends one
in its last chunk, while the `data: [DONE]` line after it is OpenAI's habit that some servers skip
(`transformers serve` ends with the `finish_reason` chunk). A stream that ends without one was cut off.

The SDK retries connection errors, timeouts, 429 and 5xx with backoff (honouring `Retry-After`) until the
server starts answering. Once the answer streams, text may have gone to the reader and a retry would repeat
it, so a failure then is raised (retryable) for the caller to start the draft over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
from django.conf import settings

from ..contracts import GenerationError, GenerationRequest

# The SDK insists on a key; servers started without one (vLLM, transformers serve) ignore the header.
NO_API_KEY = "no-key"


def endpoint() -> str:
    return f"{_base_url()}/chat/completions"


def _base_url() -> str:
    base = str(settings.GENERATION_OPENAI_BASE_URL or "").strip().rstrip("/")
    if not base:
        raise GenerationError(
            "The openai generation backend needs GENERATION_OPENAI_BASE_URL, the server's API root with its "
            "/v1 (http://vllm:8000/v1).",
            retryable=False,
        )
    return base


def _server_message(exc: openai.APIStatusError) -> str:
    """The error text the server sent: OpenAI's `{"error": {"message": ...}}` (the SDK keeps the inner
    object as `body`), FastAPI's `{"detail": ...}` (transformers serve), else the body itself."""
    body = exc.body
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
            if value:
                return value if isinstance(value, str) else json.dumps(value)[:500]
        return json.dumps(body)[:500]
    text = body if isinstance(body, str) else exc.response.text
    return text.strip()[:500] or exc.response.reason_phrase


def _stream_error(exc: openai.APIError) -> str:
    """The message of an error event inside the stream: `{"error": {"message": ...}}` or `{"error": "..."}`
    (the SDK keeps what `error` held as `body`)."""
    body = exc.body
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    if isinstance(body, str) and body:
        return body
    return exc.message


def _transport_message(exc: openai.APIConnectionError, url: str) -> str:
    # Timeouts get their own wording because the fix differs (a busy server or a low
    # GENERATION_TIMEOUT_SECONDS, not a wrong address). The SDK's own text is generic; the cause says more.
    cause = exc.__cause__
    detail = (str(cause) if cause else "") or (type(cause).__name__ if cause else exc.message)
    if isinstance(exc, openai.APITimeoutError):
        return f"The generation server at {url} timed out: {detail}"
    return f"The connection to the generation server at {url} failed: {detail}"


def _client() -> openai.OpenAI:
    seconds = float(settings.GENERATION_TIMEOUT_SECONDS)
    return openai.OpenAI(
        base_url=_base_url(),
        api_key=str(settings.GENERATION_OPENAI_API_KEY or "") or NO_API_KEY,
        # `read` bounds the wait for each piece of the stream, not the whole draft. The SDK's own Timeout:
        # it takes no other (the SDK moved from httpx to httpx2 in its 3.x line).
        timeout=openai.Timeout(seconds),
        max_retries=int(settings.GENERATION_RETRIES),
    )


def generate(request: GenerationRequest, *, max_new_tokens: int, adapter: str | None) -> Iterator[str]:
    """Stream the server's answer to `request.messages`."""
    url = endpoint()
    model = adapter or str(settings.GENERATION_OPENAI_MODEL or "").strip()
    if not model:
        raise GenerationError(
            "The openai generation backend needs GENERATION_OPENAI_MODEL (or an active GENERATION_ADAPTER).",
            retryable=False,
        )
    messages: Any = [{"role": m.role, "content": m.content} for m in request.messages]
    attempts = 1 + int(settings.GENERATION_RETRIES)
    tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"

    with _client() as client:
        try:
            stream = client.chat.completions.create(
                model=model, messages=messages, max_tokens=max_new_tokens, stream=True
            )
        except openai.APIStatusError as exc:
            code = exc.status_code
            if code in (408, 409, 429) or code >= 500:
                # The SDK retried these; the last answer stands for all of them.
                raise GenerationError(
                    f"The generation server answered {code}: {_server_message(exc)} (after {tries})",
                    retryable=True,
                ) from exc
            raise GenerationError(
                f"The generation server refused the request ({code}): {_server_message(exc)}",
                retryable=False,
            ) from exc
        except openai.APIConnectionError as exc:
            raise GenerationError(f"{_transport_message(exc, url)} (after {tries})", retryable=True) from exc

        streamed = False
        with stream:
            try:
                for chunk in stream:
                    finished = False
                    # The SDK builds chunks without validating them: a server may leave any field out.
                    for choice in getattr(chunk, "choices", None) or ():
                        content = getattr(getattr(choice, "delta", None), "content", None)
                        if content:
                            streamed = True
                            yield str(content)
                        finished = finished or bool(getattr(choice, "finish_reason", None))
                    if finished:
                        return
            except openai.APIConnectionError as exc:
                where = " (in the middle of the draft)" if streamed else ""
                raise GenerationError(_transport_message(exc, url) + where, retryable=True) from exc
            except openai.APIError as exc:
                # An error event in the stream: the server gave up on the answer (out of memory, dead engine).
                raise GenerationError(
                    f"The generation server stopped with an error: {_stream_error(exc)}", retryable=True
                ) from exc
            except ValueError as exc:
                data = getattr(exc, "doc", "") or str(exc)
                raise GenerationError(
                    f"The generation server did not answer in the OpenAI streaming format: {data[:200]!r}",
                    retryable=False,
                ) from None
    where = " (in the middle of the draft)" if streamed else ""
    raise GenerationError(
        f"The connection to the generation server at {url} failed: the stream ended before a "
        f"`finish_reason`{where}",
        retryable=True,
    )
