"""One permission rule for sessions and API keys: the view names the scope it needs."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from . import roles
from .models import ApiKey


def request_scopes(request: Request) -> frozenset[str]:
    """What the caller may do: an API key's own scopes, or the scopes of the session user's roles."""
    if isinstance(request.auth, ApiKey):
        return frozenset(request.auth.scopes)
    return roles.user_scopes(request.user)


class HasScope(permissions.BasePermission):
    """Authenticated, and holding the view's `read_scope` (safe methods) or `write_scope` (the rest).

    A view without declared scopes requires `admin`: forgetting to declare one fails closed.
    """

    message = "Your role or API key lacks the scope this endpoint needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            needed = getattr(view, "read_scope", roles.ADMIN)
        else:
            needed = getattr(view, "write_scope", roles.ADMIN)
        scopes = request_scopes(request)
        if needed in scopes:
            return True
        self.message = f"This endpoint needs the '{needed}' scope."
        return False
