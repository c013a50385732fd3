"""OpenAPI descriptions for our own authentication."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "support.core.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ob_…",
            "description": "An API key made by an administrator (`POST /api/v1/api-keys` or "
            "`manage.py create_api_key`), sent as `Authorization: Bearer <key>`.",
        }
