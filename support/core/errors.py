"""Errors: domain errors raised by services, and the one JSON error shape every API answer uses.

Shape: `{"detail": "<sentence>", "code": "<machine code>", "errors": {"<field>": ["<message>", ...]}}`;
`errors` is present for field-level problems.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response


class DomainError(Exception):
    """A rule of the domain was broken by the caller's input; reported as 400 (or `status_code`)."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


IN_USE_MESSAGE = "This external id or e-mail address is already in use."


class InUse(Conflict):
    """A create-or-update found a record the caller may not see by a key they typed (`source` +
    `external_id`, an e-mail address). Answered the same whatever the record is, and without a field: the
    answer must say nothing about the hidden record but that the key is taken."""

    def __init__(self) -> None:
        super().__init__(IN_USE_MESSAGE)


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _flatten(value).items():
                    head, _, rest = sub.partition(".")
                    # List items come back keyed by position: render them as `field[0]`.
                    name = (
                        f"{key}[{head}]" + (f".{rest}" if rest else "") if head.isdigit() else f"{key}.{sub}"
                    )
                    out[name] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, messages in _flatten(item).items():
                        out[f"{key}[{index}].{sub}"] = messages
            else:
                out[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def error_body(detail: str, code: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views loads DRF settings, which import our auth, which imports us.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, DomainError):
        set_rollback()
        errors = {exc.field: [exc.message]} if exc.field else None
        return Response(error_body(exc.message, exc.code, errors), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        errors = _flatten(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return Response(error_body("Invalid input.", "invalid", errors), status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("Request body too large.", "too_large"), status=413)
    if isinstance(exc, DataError):
        # The database refused a value the validators let through (a number out of range, a NUL byte...).
        set_rollback()
        return Response(error_body("A value is out of range or malformed.", "invalid"), status=400)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("Bad request.", "bad_request"), status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("Invalid input.", "invalid", _flatten(exc.detail))
    elif isinstance(exc, Http404):
        response.data = error_body("Not found.", "not_found")
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "Request failed."
        response.data = error_body(message, getattr(detail, "code", None) or exc.default_code)
    return response


def json_error(request: Any, detail: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status_code)


def handler404(request: Any, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error(request, "Not found.", "not_found", status.HTTP_404_NOT_FOUND)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: Any) -> Any:
    if request.path.startswith("/api/"):
        return json_error(request, "Internal error.", "server_error", 500)
    from django.views.defaults import server_error

    return server_error(request)


def csrf_failure(request: Any, reason: str = "") -> Any:
    """A session's write without a valid CSRF token: the API answers in its own error shape."""
    if request.path.startswith("/api/"):
        return json_error(
            request,
            "CSRF check failed: send the token from GET /api/v1/auth/session as the X-CSRFToken header.",
            "csrf_failed",
            status.HTTP_403_FORBIDDEN,
        )
    from django.views.csrf import csrf_failure as page

    return page(request, reason)


def handler400(request: Any, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error(request, "Bad request.", "bad_request", 400)
    from django.views.defaults import bad_request

    return bad_request(request, exception or SuspiciousOperation())
