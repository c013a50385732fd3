"""Writes of the shared kernel: API keys and role groups."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from . import roles
from .errors import DomainError
from .models import ApiKey

KEY_PREFIX = "ob_"
INTEGRATION_USERNAME = "integration"


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def roles_ensure() -> None:
    """Create the role groups with their model permissions; safe to run any number of times."""
    for role in roles.ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = roles.ROLE_PERMISSIONS[role]
        if wanted == ("*",):
            perms = list(Permission.objects.all())
        else:
            perms = []
            for dotted in wanted:
                app_label, codename = dotted.split(".")
                perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def integration_user_get_or_create() -> Any:
    """The service account that API keys act as unless another user is named."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=INTEGRATION_USERNAME, defaults={"is_active": True, "first_name": "Integration"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group, _ = Group.objects.get_or_create(name=roles.INTEGRATION)
    user.groups.add(group)
    return user


def api_key_create(
    *,
    name: str,
    scopes: Iterable[str],
    user: Any = None,
    created_by: Any = None,
    grantable: frozenset[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored.

    `created_by` (over the API) hands out at most what they hold: scopes within `grantable` (the scopes of
    the key they call with, or of their roles when signed in; default their roles'), and a key acting as
    themselves unless they are an administrator (who sees everything anyway)."""
    scope_list = sorted(set(scopes))
    unknown = [s for s in scope_list if s not in roles.SCOPES]
    if unknown:
        raise DomainError(f"Unknown scope(s): {', '.join(unknown)}.", field="scopes")
    if not scope_list:
        raise DomainError("At least one scope is required.", field="scopes")
    if not name.strip():
        raise DomainError("A key needs a name.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.", field="expires_at")
    if created_by is not None:
        # Nobody hands out more than they hold: a key calling with fewer scopes than its user's roles grant
        # holds only its own.
        held = roles.user_scopes(created_by) if grantable is None else grantable
        beyond = set(scope_list) - held
        if beyond:
            raise DomainError(
                f"You cannot grant scope(s) you do not hold: {', '.join(sorted(beyond))}.", field="scopes"
            )
        # Nor reaches further: a key acting as another account would see what that account sees.
        user = user or integration_user_get_or_create()
        if not roles.is_administrator(created_by) and user.pk != created_by.pk:
            raise DomainError(
                "You can only make keys that act as yourself: name your own username as the user.",
                field="user",
            )
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name.strip(),
            prefix=raw[:11],
            digest=_digest(raw),
            scopes=scope_list,
            user=user or integration_user_get_or_create(),
            created_by=created_by,
            expires_at=expires_at,
        )
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, with its last-used time touched (at most once a minute)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    key = ApiKey.objects.select_related("user").filter(digest=_digest(raw_key)).first()
    if key is None or not key.is_active or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
