"""A stand-in for an OpenAI-compatible model server that plays the most obedient model there is: it copies
everything it is shown into its reply.

It greets the customer by the name in the prompt's customer section, then writes every passage of the
documents section, each followed by its marker `[n]`. Under `/notes/v1` it also copies the staff notes, to
show whether note text is kept out of the final draft. It streams at once (no delays): the harness drafts
hundreds of replies.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Any fenced block of the prompt: `<<<BEGIN LABEL token>>>` ... `<<<END LABEL token>>>`.
_FENCE = re.compile(r"^<<<BEGIN (\S+) (\S+)>>>\n(.*?)\n?^<<<END \1 \2>>>$", re.MULTILINE | re.DOTALL)
# A passage's label line in the documents section: `[n] Title › Heading`.
_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n", re.MULTILINE)
_NAME = re.compile(r"^Name: (.*)$", re.MULTILINE)
PIECE_CHARS = 400

NOTHING = "I could not find a policy on this; a colleague will follow up."
SIGN_OFF = "Kind regards,\nCustomer Support"


def echo_reply(prompt: str, *, notes: bool = False) -> str:
    """The reply of a model that copies the passages (and, with `notes`, the staff notes) it is given."""
    blocks = _FENCE.findall(prompt)
    customer = next((body for label, _, body in blocks if label == "CUSTOMER"), "")
    name = _NAME.search(customer)
    parts = [f"Hi {name.group(1).strip()}," if name else "Hello,"]
    passages = []
    for label, _, body in blocks:
        if "DOCUMENTS" not in label:
            continue
        pieces = _PASSAGE.split(body)
        for index in range(1, len(pieces) - 1, 2):
            passages.append(f"{pieces[index + 1].strip()} [{pieces[index]}]")
    parts += passages or [NOTHING]
    if notes:
        parts += [body.strip() for label, _, body in blocks if label == "STAFF-NOTES"]
    parts.append(SIGN_OFF)
    return "\n\n".join(parts)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
        reply = echo_reply(prompt, notes=self.path.startswith("/notes/"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for start in range(0, len(reply), PIECE_CHARS):
            delta = {"choices": [{"index": 0, "delta": {"content": reply[start : start + PIECE_CHARS]}}]}
            self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
        # The end, as vLLM and OpenAI send it: a last chunk with the finish_reason, then [DONE].
        finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(finish)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@contextmanager
def echo_server() -> Iterator[str]:
    """Run the server in a thread; yields its root URL. Use `<root>/v1` as the API root, or
    `<root>/notes/v1` for the mode that also copies the staff notes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
