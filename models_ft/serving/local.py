"""The local backend: a transformers causal language model, optionally with a peft LoRA adapter on top,
generating in the worker process that asks.

torch, transformers and peft are imported inside the functions, so importing this module costs nothing;
only a process that actually generates (an `inference` worker) loads them. The model is loaded once per
process and kept until the settings name a different model, adapter or device.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ..contracts import GenerationError, GenerationRequest, PromptMessage


@dataclass(frozen=True)
class _Key:
    model: str
    adapter_path: str
    device: str


@dataclass(frozen=True)
class _Loaded:
    key: _Key
    model: Any
    tokenizer: Any


_lock = threading.Lock()
_loaded: _Loaded | None = None


def configured() -> _Key:
    """The model, adapter folder and device the settings ask for; GenerationError when they cannot work."""
    model = str(settings.GENERATION_MODEL or "").strip()
    if not model:
        raise GenerationError(
            "The local generation backend needs GENERATION_MODEL: the folder or hub id of a causal "
            "language model.",
            retryable=False,
        )
    adapter_path = str(settings.GENERATION_ADAPTER_PATH or "").strip()
    if str(settings.GENERATION_ADAPTER or "").strip() and not adapter_path:
        raise GenerationError(
            "GENERATION_ADAPTER names an adapter, but the local backend loads adapters from a folder: "
            "set GENERATION_ADAPTER_PATH too.",
            retryable=False,
        )
    if not adapter_path:
        # The registry's active adapter, when it was trained on this model: promoting another one (or
        # rolling back) changes this key, and the next draft loads it.
        from ..registry import active_adapter

        active = active_adapter()
        if active is not None and active.base_model == model:
            adapter_path = str(active.path)
    return _Key(model=model, adapter_path=adapter_path, device=str(settings.GENERATION_DEVICE or "cpu"))


def _load(key: _Key) -> _Loaded:
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(key.model)
        model: Any = AutoModelForCausalLM.from_pretrained(key.model)
        if key.adapter_path:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, key.adapter_path)
        model.to(key.device)
        model.eval()
    # Whatever goes wrong here (no such folder, offline hub, adapter for another base model, no CUDA) is a
    # setting to fix, not something a retry would cure.
    except Exception as exc:
        what = f"model {key.model!r}" + (f" with adapter {key.adapter_path!r}" if key.adapter_path else "")
        raise GenerationError(
            f"Could not load the generation {what} on {key.device}: {exc}", retryable=False
        ) from exc
    return _Loaded(key=key, model=model, tokenizer=tokenizer)


def loaded() -> _Loaded:
    """The configured model and tokenizer, loading them on first use (one load per process, even when two
    threads ask at once)."""
    global _loaded
    key = configured()
    with _lock:
        if _loaded is None or _loaded.key != key:
            # Let the previous model go before loading the next, so two never share the memory.
            _loaded = None
            _loaded = _load(key)
        return _loaded


def prompt_text(tokenizer: Any, messages: Sequence[PromptMessage]) -> str:
    """The prompt as the model reads it: its own chat template when the tokenizer has one, else one
    "role: content" block per message, ending where the assistant's answer begins."""
    chat = [{"role": m.role, "content": m.content} for m in messages]
    if getattr(tokenizer, "chat_template", None):
        return str(tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True))
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in chat) + "\n\nassistant:"


def generate(request: GenerationRequest, *, max_new_tokens: int) -> Iterator[str]:
    """Stream the model's answer to `request.messages`, greedy, at most `max_new_tokens` tokens (fewer when
    the prompt leaves less room in the model's context)."""
    model_and_tokenizer = loaded()
    model, tokenizer = model_and_tokenizer.model, model_and_tokenizer.tokenizer

    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    has_template = bool(getattr(tokenizer, "chat_template", None))
    inputs = tokenizer(
        prompt_text(tokenizer, request.messages),
        return_tensors="pt",
        # A chat template writes the special tokens itself.
        add_special_tokens=not has_template,
    ).to(model_and_tokenizer.key.device)
    prompt_tokens = int(inputs["input_ids"].shape[1])
    context = getattr(model.config, "max_position_embeddings", None)
    if context:
        room = int(context) - prompt_tokens
        if room <= 0:
            raise GenerationError(
                f"The prompt is {prompt_tokens} tokens; the generation model reads at most {context}.",
                retryable=False,
            )
        max_new_tokens = min(max_new_tokens, room)

    timeout = float(settings.GENERATION_TIMEOUT_SECONDS)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=timeout)
    stop = threading.Event()

    class _StopWhenAsked(StoppingCriteria):
        # Lets a reader that stops early (a cancelled draft) end the generation at the next token instead
        # of leaving the thread to run to max_new_tokens.
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

    failure: list[BaseException] = []

    def run() -> None:
        try:
            with torch.inference_mode():
                model.generate(
                    **inputs,
                    streamer=streamer,
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.pad_token_id
                    if tokenizer.pad_token_id is not None
                    else tokenizer.eos_token_id,
                    stopping_criteria=StoppingCriteriaList([_StopWhenAsked()]),
                )
        except BaseException as exc:
            failure.append(exc)
            streamer.end()

    thread = threading.Thread(target=run, name="local-generation", daemon=True)
    thread.start()
    try:
        for piece in streamer:
            if piece:
                yield piece
    except queue.Empty:
        raise GenerationError(
            f"The local generation model produced nothing for {timeout:g} seconds.", retryable=True
        ) from None
    finally:
        stop.set()
    thread.join()
    if failure:
        exc = failure[0]
        out_of_memory = isinstance(exc, torch.OutOfMemoryError)
        raise GenerationError(f"The local generation model failed: {exc}", retryable=out_of_memory) from exc
