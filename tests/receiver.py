"""A webhook subscriber's endpoint on this machine, for the tests of outbound deliveries: it answers with
`codes` in turn (then the last one again), can hold each answer until released, and keeps what it was
sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str = ""
    codes: list[int] = field(default_factory=lambda: [200])
    received: list[dict[str, Any]] = field(default_factory=list)
    hold_seconds: float = 0.0  # each answer waits this long for `release`, when set
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@contextmanager
def receiving(**fields: Any) -> Iterator[Receiver]:
    """A Receiver serving on a free port until the block ends."""
    state = Receiver(**fields)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            code = state.codes[min(len(state.received), len(state.codes) - 1)]
            state.received.append({"at": time.time(), "headers": dict(self.headers), "body": body})
            if state.hold_seconds:
                state.release.wait(state.hold_seconds)
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"thanks" if code < 300 else b"not now")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/openbook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
