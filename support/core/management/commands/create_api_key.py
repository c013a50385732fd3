"""`manage.py create_api_key NAME --scopes tickets:read,tickets:write` prints a new key once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from support.core import roles
from support.core.errors import DomainError
from support.core.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an integration and print its secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A name that tells the key apart, e.g. 'zendesk-prod'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated scopes, any of: " + ", ".join(roles.SCOPES),
        )
        parser.add_argument("--user", help="Username the key acts as (default: the integration account).")
        parser.add_argument("--expires-in-days", type=int, help="Expire the key after this many days.")
        parser.add_argument("--quiet", action="store_true", help="Print only the key.")

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        expires_at = None
        if options["expires_in_days"] is not None:
            if options["expires_in_days"] < 1:
                raise CommandError("--expires-in-days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=options["expires_in_days"])
        try:
            key, raw = api_key_create(name=options["name"], scopes=scopes, user=user, expires_at=expires_at)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["quiet"]:
            self.stdout.write(raw)
            return
        self.stdout.write(
            f"Created API key {key.name!r} (id {key.pk}) acting as {key.user.get_username()}, "
            f"scopes: {', '.join(key.scopes)}."
        )
        self.stdout.write("The key is shown once; store it now:")
        self.stdout.write(raw)
