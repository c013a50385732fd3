"""Structured logs: one JSON object a line, each carrying the id of the request (or task) it belongs to.

The request id comes from the caller's `X-Request-ID` when it is a sane token, else it is made here; the
middleware binds it for the request, the Celery hooks carry it into the tasks the request queued, and
`RequestIdFilter` stamps it on every record, whichever formatter prints it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str] = ContextVar("openbook_request_id", default="")
TASK: ContextVar[tuple[str, str]] = ContextVar("openbook_task", default=("", ""))
"""(task name, task id) of the Celery task running in this thread, if any."""

# Long enough for a UUID, a W3C trace id or a proxy's own format; nothing that could break a log line.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one: a log line must never carry text
    a client chose freely (newlines, megabytes), and every request gets an id either way."""
    if header and _VALID_REQUEST_ID.match(header.strip()):
        return header.strip()
    return uuid.uuid4().hex


@contextmanager
def request_id_bound(value: str) -> Iterator[None]:
    token = REQUEST_ID.set(value)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts `request_id` (and, inside a task, `task` and `task_id`) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get() or "-"
        task, task_id = TASK.get()
        if task and not getattr(record, "task", None):
            record.task = task
            record.task_id = task_id
        return True


# Attributes every LogRecord has; anything else on a record came through `extra=` and is logged as a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ms), level, logger, message, request_id, and the `extra=`
    fields the call passed (the access log's method, route, status and duration, say)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or REQUEST_ID.get()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
