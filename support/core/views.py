"""Kernel endpoints: health, the caller's own identity, and API key management."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import roles
from .errors import DomainError
from .fields import InputSerializer
from .health import health_check
from .models import ApiKey
from .permissions import request_scopes
from .services import api_key_create, api_key_revoke
from .signin import sign_in_attempt


class HealthPartOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    version = serializers.CharField(required=False, allow_null=True)
    error = serializers.CharField(required=False, help_text="Why the part is not healthy.")


class QueueHealthOutput(serializers.Serializer):
    ok = serializers.BooleanField(help_text="A worker consumed a ping on this queue in the last minute.")
    last_ping_seconds_ago = serializers.FloatField(allow_null=True)


class WorkersHealthOutput(serializers.Serializer):
    ok = serializers.BooleanField(help_text="A worker on some queue consumed a ping in the last minute.")
    queues = serializers.DictField(child=QueueHealthOutput())


class HealthOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    database = HealthPartOutput()
    pgvector = HealthPartOutput()
    redis = HealthPartOutput()
    workers = WorkersHealthOutput()


class HealthApi(APIView):
    """Database, pgvector, Redis and worker liveness. 200 when all are healthy, else 503."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: OpenApiResponse(HealthOutput, description="Healthy"),
            503: OpenApiResponse(HealthOutput, description="Unhealthy: the report says which part"),
        }
    )
    def get(self, request: Request) -> Response:
        health = health_check()
        return Response(health.as_dict(), status=200 if health.ok else 503)


def _me(request: Request) -> dict[str, Any]:
    user = request.user
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "roles": sorted(roles.user_roles(user)),
        "scopes": sorted(request_scopes(request)),
        "teams": [{"id": t.pk, "name": t.name, "slug": t.slug} for t in user.teams.all()],
    }


class TeamRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.CharField())
    teams = TeamRef(many=True)


class MeApi(APIView):
    """Who the caller is: user, roles, scopes and teams."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        return Response(_me(request))


class SessionOutput(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = MeOutput(allow_null=True)
    csrf_token = serializers.CharField(help_text="Send it back as the X-CSRFToken header on writes.")


class SessionInput(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, trim_whitespace=False)


def _session(request: Request, status_code: int = 200) -> Response:
    authenticated = bool(request.user and request.user.is_authenticated)
    body = {
        "authenticated": authenticated,
        "user": _me(request) if authenticated else None,
        "csrf_token": get_token(request),
    }
    return Response(body, status=status_code)


@method_decorator(ensure_csrf_cookie, name="get")
@method_decorator(csrf_protect, name="post")
class SessionApi(APIView):
    """The browser's session: who is signed in (and the CSRF token for writes), sign in, sign out.

    Signing in is the one endpoint open to anonymous callers; it is CSRF-protected like every session write,
    and limited (support.core.signin) per client address and per username. Reading the session is not an
    attempt.
    """

    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]

    @extend_schema(responses=SessionOutput, auth=[])
    def get(self, request: Request) -> Response:
        return _session(request)

    @extend_schema(
        request=SessionInput,
        responses={
            200: SessionOutput,
            400: OpenApiResponse(description="Wrong username or password"),
            429: OpenApiResponse(
                description="Too many attempts from this address (SIGN_IN_ATTEMPTS_PER_MINUTE), or too many "
                "failed sign-ins for this username (SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR); `Retry-After` "
                "says how many seconds to wait",
                examples=[
                    OpenApiExample(
                        "throttled",
                        value={
                            "detail": "Too many sign-in attempts from this address. Expected available in "
                            "42 seconds.",
                            "code": "throttled",
                        },
                        status_codes=["429"],
                    )
                ],
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = SessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        refusal = sign_in_attempt(request._request, username)
        if refusal is not None:
            raise exceptions.Throttled(wait=refusal.wait, detail=refusal.message)
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise DomainError("Wrong username or password.", code="login_failed")
        login(request._request, user)
        request.user = user
        return _session(request)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyOutput(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "user",
            "is_active",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]


class ApiKeyInput(InputSerializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=roles.SCOPES), min_length=1, max_length=len(roles.SCOPES)
    )
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="The account the key acts as (its team memberships bound what the key sees). "
        "Default: the shared integration account, which sees everything its scopes allow.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreated(ApiKeyOutput):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown once; store it now.")

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]


class ApiKeyListApi(generics.ListAPIView):
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = ApiKeyOutput
    queryset = ApiKey.objects.select_related("user")
    filterset_fields = ["name"]
    search_fields = ["name", "prefix"]

    @extend_schema(
        request=ApiKeyInput,
        responses={201: ApiKeyCreated},
        examples=[
            OpenApiExample(
                "A key for the help desk",
                request_only=True,
                value={"name": "Zendesk sync", "scopes": ["tickets:read", "tickets:write", "assist"]},
            ),
            OpenApiExample(
                "Created",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 7,
                    "name": "Zendesk sync",
                    "prefix": "ob_Xk3vQ9aL",
                    "scopes": ["assist", "tickets:read", "tickets:write"],
                    "user": "integration",
                    "is_active": True,
                    "expires_at": None,
                    "last_used_at": None,
                    "revoked_at": None,
                    "created_at": "2026-01-31T12:00:00Z",
                    "key": "ob_Xk3vQ9aLr2…",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = ApiKeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = api_key_create(
            created_by=request.user, grantable=request_scopes(request), **data.validated_data
        )
        body: dict[str, Any] = dict(ApiKeyOutput(key).data)
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(generics.RetrieveAPIView):
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = ApiKeyOutput
    queryset = ApiKey.objects.select_related("user")

    @extend_schema(responses={200: ApiKeyOutput})
    def delete(self, request: Request, pk: int) -> Response:
        """Revoke the key. It stays listed, marked revoked."""
        key = api_key_revoke(key=self.get_object())
        return Response(ApiKeyOutput(key).data)
