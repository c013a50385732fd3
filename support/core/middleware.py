"""Refuse requests that no view should ever see: oversize bodies and NUL bytes in the query string."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .errors import json_error

UPLOAD_PATHS = frozenset({"/api/v1/knowledge/documents/upload"})


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return json_error(request, "Content-Length is not a number.", "bad_request", 400)
        limit = settings.MAX_REQUEST_BYTES
        if request.path in UPLOAD_PATHS:
            # Document uploads may be larger; each file is checked again against the upload limit.
            limit = max(limit, getattr(settings, "KNOWLEDGE_MAX_UPLOAD_BYTES", 0) * 5 + 65_536)
        if size > limit:
            return json_error(
                request,
                f"Request body too large: the limit is {limit} bytes.",
                "too_large",
                413,
            )
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return json_error(request, "The query string contains a NUL byte.", "bad_request", 400)
        return self.get_response(request)
