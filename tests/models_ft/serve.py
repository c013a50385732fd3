"""A real OpenAI-compatible server for the openai backend's tests: `transformers serve` (Hugging Face's, from
`transformers[serving]`, the project's own transformers) over a tiny chat model built here, offline, on CPU.

`transformers serve` loads the model a request names by its path, and cannot load a peft adapter (it reads
a `config.json`, which an adapter folder lacks). What vLLM does with `--lora-modules name=path`, serve an
adapter under its name, `RecordingProxy` stands in for: it keeps every request as the backend sent it (the
`model` it names, headers, body), maps model names it is given to ones the server has, and relays the real
server's answer as it streams.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

# Words the model may write, markers of passages among them ([9] is one no draft of these tests retrieves),
# so whatever it writes goes through the pipeline's citation checks.
CORPUS = [
    "Annual plans can be refunded in full within 30 days of purchase [1].",
    "Refunds go back to the original payment method within 5 business days [2].",
    "Passwords must be at least 12 characters long [3].",
    "Invoices are emailed on the first day of each month [9].",
    "Hi Dana, yes you can. Kind regards, Support",
]
SPECIAL = ["[UNK]", "[PAD]", "[EOS]"]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
STARTUP_SECONDS = 90


def tiny_chat_model(folder: Path) -> Path:
    """A GPT-2 shaped causal LM with random weights, a word-level tokenizer over `CORPUS` (split on spaces,
    so `[1]` is one word) and a chat template; the context is long enough for a whole draft's prompt (words
    it does not know are one `[UNK]` token each). It has no end-of-text token: it always writes
    `max_tokens` words, none of them special."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with spaces
    raw.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=8192,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = GPT2LMHeadModel(config)
    # Its special tokens decode to nothing, and a random model may well pick one every time: it never
    # writes them, so every answer has text.
    model.generation_config.suppress_tokens = tokenizer.convert_tokens_to_ids(SPECIAL)
    model.save_pretrained(folder)
    return folder


@dataclass(frozen=True)
class Server:
    url: str
    """The API root, with its /v1."""
    model: str
    """The model it serves, as requests name it: the folder's path."""
    startup_seconds: float


def _serve_command() -> list[str]:
    found = shutil.which("transformers", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("The `transformers` command is missing from the virtualenv (make install).")
    return [found, "serve"]


@contextmanager
def transformers_serve(model: Path, logs: Path) -> Iterator[Server]:
    """Run `transformers serve MODEL` on a free port of 127.0.0.1 until the block ends; its output goes to
    `logs`. The model is loaded (one short request answered) before the server is handed over."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    # The model on the command line is loaded at start and is the only one served. Port 0: the system
    # picks a free one, and uvicorn's "running on" line says which.
    command = [*_serve_command(), str(model), "--host", "127.0.0.1", "--port", "0", "--device", "cpu"]
    started = time.monotonic()
    with logs.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        url = _wait_for_address(process, logs, started)
        _wait_for_model(url, str(model), process, logs, started)
        yield Server(url=url, model=str(model), startup_seconds=time.monotonic() - started)
    finally:
        _stop(process)


def _failure(why: str, logs: Path) -> RuntimeError:
    tail = logs.read_text(errors="replace")[-3000:]
    return RuntimeError(f"`transformers serve` {why}. Its output:\n{tail}")


def _wait_for_address(process: subprocess.Popen[bytes], logs: Path, started: float) -> str:
    while time.monotonic() - started < STARTUP_SECONDS:
        if process.poll() is not None:
            raise _failure(f"exited with code {process.returncode} while starting", logs)
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", logs.read_text(errors="replace"))
        if found:
            return f"{found.group(1)}/v1"
        time.sleep(0.2)
    raise _failure(f"did not listen within {STARTUP_SECONDS} s", logs)


def _wait_for_model(
    url: str, model: str, process: subprocess.Popen[bytes], logs: Path, started: float
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    while time.monotonic() - started < STARTUP_SECONDS:
        if process.poll() is not None:
            raise _failure(f"exited with code {process.returncode} while loading {model}", logs)
        try:
            response = httpx.post(f"{url}/chat/completions", json=body, timeout=STARTUP_SECONDS)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
        raise _failure(f"answered {response.status_code} to a first request: {response.text[:500]}", logs)
    raise _failure(f"did not answer within {STARTUP_SECONDS} s", logs)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (it runs the model in a child process), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@dataclass
class RecordingProxy:
    """Forwards `/v1/...` POSTs to `upstream` and relays its answer as it streams. Keeps each request as it
    came (`path`, lower-case `headers`, `json`); a request's `model` found in `models` goes upstream as the
    name mapped to."""

    upstream: str
    models: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def recording_proxy(upstream: str, models: dict[str, str] | None = None) -> Iterator[RecordingProxy]:
    """Run a `RecordingProxy` in front of `upstream` (an API root with its /v1) until the block ends; its
    `url` is the API root to give the backend."""
    state = RecordingProxy(upstream=upstream.rstrip("/"), models=dict(models or {}))
    client = httpx.Client(timeout=httpx.Timeout(60.0))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "json": body,
                }
            )
            forwarded = {**body, "model": state.models.get(body.get("model"), body.get("model"))}
            path = self.path.removeprefix("/v1")
            with client.stream("POST", f"{state.upstream}{path}", json=forwarded) as answer:
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for data in answer.iter_raw():
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        client.close()
