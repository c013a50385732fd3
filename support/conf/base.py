"""Core Django settings: paths, apps, middleware, DRF. Concern modules add databases, Celery, security."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(
    env_str(
        "DATA_DIR", str(BASE_DIR / "var"), help="Folder for embedded Postgres/Redis data and local files."
    )
    or BASE_DIR / "var"
).resolve()

# Zero-config (no DATABASE_URL, so the embedded Postgres) is a development stack by definition; anything
# pointed at a real database is production unless it says otherwise.
DEBUG = env_bool(
    "DEBUG", not os.environ.get("DATABASE_URL"), help="Development mode. Never true in production."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "support.core",
    "support.customers",
    "support.tickets",
    "assist",
    "support.integrations",
    "knowledge",
    "models_ft",
]
# The demo company's commands (`seed_demo`, `make_demo_model`): in a checkout, never in a production image.
if importlib.util.find_spec("demo") is not None:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    # Probes and metrics first: answered before host checks, HTTPS redirects, sessions or authentication,
    # so a kubelet or Prometheus reaching the pod by its address gets them cheaply.
    "support.core.middleware.ProbeMiddleware",
    # The client's address behind TRUSTED_PROXY_COUNT proxies, for everything after: logs, throttles.
    "support.core.middleware.ClientAddressMiddleware",
    "support.core.middleware.RequestContextMiddleware",
    # Cache-Control: no-store on every /api/ answer, the early refusals below included.
    "support.core.middleware.NoStoreMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy of every answer (CONTENT_SECURITY_POLICY, support/conf/security.py).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "support.core.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "support.urls"
WSGI_APPLICATION = "support.wsgi.application"
ASGI_APPLICATION = "support.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "support" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC", help="Time zone for display and scheduling.") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [p for p in [BASE_DIR / "frontend" / "dist"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"
# Django's model backend behind the sign-in limits (support.core.signin), for every caller of authenticate.
AUTHENTICATION_BACKENDS = ["support.core.signin.SignInLimitBackend"]

# Request bodies larger than this are refused with 413 before any view reads them.
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024, help="Largest accepted request body, in bytes."
)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# JSON bodies nested deeper than this are refused with 400 before they are parsed (support.core.jsonbody).
JSON_MAX_DEPTH = env_int(
    "JSON_MAX_DEPTH",
    32,
    minimum=2,
    maximum=200,
    help="How deep a JSON request body may nest arrays and objects; deeper bodies get 400.",
)

API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1, maximum=500, help="Default page size of API lists.")
SIGN_IN_ATTEMPTS_PER_MINUTE = env_int(
    "SIGN_IN_ATTEMPTS_PER_MINUTE",
    10,
    minimum=1,
    help="Sign-in attempts one client address may make per minute (console and admin); more get 429.",
)
SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR = env_int(
    "SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR",
    20,
    minimum=1,
    help="Failed sign-ins one username may have per hour, from any address; then it is refused (429) until "
    "the hour is over.",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "support.core.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["support.core.permissions.HasScope"],
    "DEFAULT_PAGINATION_CLASS": "support.core.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "support.core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["support.core.jsonbody.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "support.core.schema.OpenbookAutoSchema",
    "EXCEPTION_HANDLER": "support.core.errors.exception_handler",
    # Throttles read REMOTE_ADDR only: ClientAddressMiddleware has put the client's address there (DRF's
    # default would take X-Forwarded-For as it comes, letting a client choose its address).
    "NUM_PROXIES": 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Openbook API",
    "DESCRIPTION": "Customer-support assistant: tickets, customers, knowledge and grounded draft replies.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "support.tickets.models.Ticket.Status",
        "IncidentStatusEnum": "support.customers.models.Incident.Status",
        "AccountStatusEnum": "support.customers.models.Customer.AccountStatus",
        "DocumentStatusEnum": "knowledge.models.Document.Status",
        "DocumentKindEnum": "knowledge.models.Document.Kind",
        "RetrieverRunStateEnum": "knowledge.models.RetrieverRun.State",
        "VersionStateEnum": "knowledge.models.DocumentVersion.State",
        "VersionWarningKindEnum": "knowledge.models.DocumentVersion.WarningKind",
        "RoleEnum": "support.core.roles.ROLES",
        "SuggestionStatusEnum": "assist.models.Suggestion.Status",
        "SuggestionRatingEnum": "assist.models.Suggestion.Rating",
        "GroundingFlagKindEnum": "assist.contracts.FLAG_KINDS",
        "SuggestionOutcomeEnum": "assist.models.Suggestion.Outcome",
        "ExampleOutcomeEnum": "models_ft.models.TrainingExample.Outcome",
        "TrainingRunStatusEnum": "models_ft.models.TrainingRun.Status",
        "AdapterStatusEnum": "models_ft.models.Adapter.Status",
        "AdapterEventActionEnum": "models_ft.models.AdapterEvent.Action",
        "InboundDeliveryStatusEnum": "support.integrations.models.InboundDelivery.Status",
        "IntegrationSourceKindEnum": "support.integrations.models.IntegrationSource.Kind",
        "OutboundDeliveryStatusEnum": "support.integrations.models.OutboundDelivery.Status",
        "EventTypeEnum": "support.core.events.EVENT_TYPES",
    },
}

DEMO_PASSWORD = env_str(
    "DEMO_PASSWORD", "openbook-demo", help="Password of the demo users made by seed_demo."
)

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"], help="Log level.")
LOG_FORMAT = env_choice(
    "LOG_FORMAT",
    "plain" if DEBUG else "json",
    ["json", "plain"],
    help="json (one object a line, for a log pipeline) or plain (for reading in a terminal).",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "support.core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "support.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per request (support.core.middleware); runserver prints its own in development.
        "openbook.access": {"level": "WARNING" if DEBUG else "INFO"},
    },
}

SLA_HOURS = {
    "starter": env_int("SLA_HOURS_STARTER", 24, minimum=1, help="First-response SLA for Starter, hours."),
    "growth": env_int("SLA_HOURS_GROWTH", 4, minimum=1, help="First-response SLA for Growth, hours."),
    "enterprise": env_int(
        "SLA_HOURS_ENTERPRISE", 1, minimum=1, help="First-response SLA for Enterprise, hours."
    ),
}

ALLOWED_HOSTS_DEFAULT = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ALLOWED_HOSTS_DEFAULT, help="Comma-separated host names the site answers to."
)
