"""The OpenAPI schema's shared parts: our authentication schemes, the error body, and one AutoSchema that adds
to every operation what every operation has in common (who may call it, and the errors it can answer)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication

from . import roles
from .permissions import HasScope


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "support.core.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ob_…",
            "description": "An API key made by an administrator (`POST /api/v1/api-keys` or "
            "`manage.py create_api_key`), sent as `Authorization: Bearer <key>`. It acts with its own "
            "scopes, whatever its user's role grants.",
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """The browser's session; replaces drf-spectacular's own description to say what a write needs."""

    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The web console's session, set by signing in (`POST /api/v1/auth/session`). "
            "Writes (POST, PATCH, DELETE) must also send the CSRF token as the `X-CSRFToken` header; "
            "`GET /api/v1/auth/session` returns it. The session acts with the scopes of its user's roles.",
        }


class ErrorOutput(serializers.Serializer):
    """Every 4xx and 5xx answer of the API."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    code = serializers.CharField(
        help_text="A stable machine-readable code: invalid, parse_error, too_deep, not_found, "
        "not_authenticated, authentication_failed, permission_denied, conflict, too_large, "
        "unsupported_media_type, throttled..."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="The messages for each field at fault, by field name (nested fields as "
        "`messages[0].body`). Present only for field-level problems.",
    )


# The errors the API answers with, with what each means and a typical body.
ERRORS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "Invalid input: malformed JSON (`parse_error`), JSON nested deeper than JSON_MAX_DEPTH levels "
        "(`too_deep`), a missing field, a wrong type or a value out of range or too long. `errors` names "
        "each field at fault.",
        {
            "detail": "Invalid input.",
            "code": "invalid",
            "errors": {"subject": ["This field is required."]},
        },
    ),
    "401": (
        "No credentials, or credentials that are invalid, expired or revoked.",
        {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
    ),
    "403": (
        "The credentials lack the scope this operation needs (or, for a session, the CSRF token is missing).",
        {"detail": "This endpoint needs the 'admin' scope.", "code": "permission_denied"},
    ),
    "404": (
        "No such object, or not one the caller may see (a page past the last one, for lists).",
        {"detail": "Not found.", "code": "not_found"},
    ),
    "409": (
        "The request conflicts with what is stored.",
        {"detail": "An organization with this slug already exists.", "code": "conflict"},
    ),
    "413": (
        "The request body is larger than MAX_REQUEST_BYTES.",
        {"detail": "Request body too large: the limit is 1048576 bytes.", "code": "too_large"},
    ),
    "415": (
        "The request body is not in a media type this operation reads.",
        {"detail": 'Unsupported media type "text/plain" in request.', "code": "unsupported_media_type"},
    ),
    "429": (
        "Too many requests; wait and try again.",
        {"detail": "Request was throttled. Expected available in 60 seconds.", "code": "throttled"},
    ),
    "503": (
        "A service the operation depends on is unavailable.",
        {"detail": "The task queue cannot be reached.", "code": "unavailable"},
    ),
}


def _describe_reference(field: Any, schema: dict[str, Any]) -> None:
    """What a relation field takes: an id counts from 1; a code or slug has the slug's shape."""
    relation = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
    if isinstance(relation, serializers.PrimaryKeyRelatedField) and schema.get("type") == "integer":
        schema["minimum"] = 1
    elif isinstance(relation, serializers.SlugRelatedField) and relation.queryset is not None:
        target = relation.queryset.model._meta.get_field(relation.slug_field)
        if isinstance(target, models.SlugField):
            # A nullable relation also takes "" (read as null): see _map_serializer_field.
            empty_ok = field.allow_null and relation is field
            schema.update(pattern=r"^[-a-zA-Z0-9_]*$" if empty_ok else r"^[-a-zA-Z0-9_]+$")
            schema["maxLength"] = target.max_length


class OpenbookAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus what every operation shares: the scope it needs (in its description
    and as `x-openbook-scope`) and its error answers with the common error body."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        scope = self.required_scope()
        if scope:
            operation["x-openbook-scope"] = scope
        access = self._access_text(scope)
        operation["description"] = f"{operation.get('description', '')}\n\n{access}".strip()
        return operation

    def required_scope(self) -> str | None:
        """The scope `HasScope` asks of this method, or None when the view does not check scopes."""
        if not any(isinstance(p, HasScope) for p in self.view.get_permissions()):
            return None
        attribute = "read_scope" if self.method in permissions.SAFE_METHODS else "write_scope"
        return str(getattr(self.view, attribute, roles.ADMIN))

    def _is_public(self) -> bool:
        return any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _access_text(self, scope: str | None) -> str:
        if scope:
            holders = sorted(role for role, scopes in roles.ROLE_SCOPES.items() if scope in scopes)
            return (
                f"**Access:** the `{scope}` scope: an API key that holds it, or a session of a user whose "
                f"role grants it ({', '.join(holders)})."
            )
        if self._is_public() and not self.view.get_authenticators():
            return (
                "**Access:** no API key or session: each request is authenticated by its signature (or "
                "token) with the source's own secret, as described above."
            )
        if self._is_public():
            return "**Access:** open to anonymous callers."
        return "**Access:** any authenticated caller, by API key or session."

    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if not self._is_public():
            codes.append("401")
        # A session's write without its CSRF token is refused with 403, even where anyone may call.
        writes_by_session = self.method not in permissions.SAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
        )
        if self.required_scope() or writes_by_session:
            codes.append("403")
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        if "{" in self.path or paginated:
            codes.append("404")
        if self._get_request_body():
            codes += ["413", "415"]
        return codes

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_format_parameters()
        for parameter in parameters:
            parameter["allowEmptyValue"] = True  # `?format=`: the Accept header decides
        return parameters

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter.get("in") == "query" and not parameter.get("required"):
                # `?status=` is the same as leaving the filter out, as a form with an empty field sends it.
                parameter["allowEmptyValue"] = True
        return parameters

    def _resolve_path_parameters(self, variables: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1  # ids and version numbers count from 1
        return parameters

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        _describe_reference(field, schema.get("items", schema) if schema.get("type") == "array" else schema)
        if isinstance(field, serializers.RelatedField) and field.allow_null:
            # DRF reads an empty string sent for a nullable relation as null ("no plan"): it is valid input.
            schema.pop("minLength", None)
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            responses.setdefault(code, {})
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                responses[code] = self._error_response(code, response.get("description", ""))
        return dict(sorted(responses.items()))

    def _error_response(self, code: str, description: str) -> dict[str, Any]:
        meaning, example = ERRORS.get(code, ("", {"detail": "Request failed.", "code": "error"}))
        if code == "403" and self.required_scope():
            example = {**example, "detail": f"This endpoint needs the '{self.required_scope()}' scope."}
        return self._get_response_for_code(
            OpenApiResponse(
                ErrorOutput,
                description=description or meaning,
                examples=[OpenApiExample(example["code"], value=example, status_codes=[code])],
            ),
            code,
            media_types=["application/json"],
        )
