"""Secrets, hosts, cookies, HTTPS.

Production (DEBUG=false) must pass `check --deploy --fail-level WARNING`.
"""

from __future__ import annotations

import secrets

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .base import DATA_DIR, DEBUG
from .env import env_bool, env_int, env_list, env_str

_MIN_SECRET_LENGTH = 50


def _development_secret() -> str:
    """A random key kept under the data folder, so sessions survive restarts of a development stack."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = (
    env_str("SECRET_KEY", help="Django secret key; required (50+ characters) when DEBUG is false.") or ""
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY must be set when DEBUG is false "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    SECRET_KEY = _development_secret()
elif not DEBUG and (len(SECRET_KEY) < _MIN_SECRET_LENGTH or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        f"Environment variable SECRET_KEY is too weak: use at least {_MIN_SECRET_LENGTH} random characters."
    )

CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", help="Comma-separated origins (https://host) allowed to POST with a session."
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG, help="Redirect HTTP to HTTPS.")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env_bool("TRUST_X_FORWARDED_PROTO", False, help="Behind a TLS-terminating proxy that sets the header.")
    else None
)
TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT",
    0,
    minimum=0,
    maximum=10,
    help="Proxies in front of the web server that append to X-Forwarded-For (0: the header is ignored and "
    "the connection's peer is the client).",
)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0, help="HSTS max-age in seconds."
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_FAILURE_VIEW = "support.core.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# The same strict policy in every mode (django-csp's CSPMiddleware sends it). Only the site's own files run
# or style anything: no inline script or style anywhere (the console's build has none, the admin has none,
# Swagger UI starts from a file: see support/urls.py), no plugins, no <base> rewriting, no framing, forms post
# to the site only. Images may also be data: URIs (the console's icon, Swagger UI's).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
