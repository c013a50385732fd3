"""The web console: the built front end's page for every console address, or a page saying how to build it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from .signin import sign_in_attempt

FRONTEND_INDEX = Path(settings.BASE_DIR) / "frontend" / "dist" / "index.html"


def _index_page() -> bytes:
    """The built page: the newer of the build folder's and the collected copy (a deployment may ship only
    STATIC_ROOT; on a developer's machine a rebuild must show at once, whatever was collected before)."""
    places = [p for p in (FRONTEND_INDEX, Path(settings.STATIC_ROOT) / "index.html") if p.exists()]
    if not places:
        raise FileNotFoundError(FRONTEND_INDEX)
    return max(places, key=lambda place: place.stat().st_mtime).read_bytes()


@ensure_csrf_cookie
def console(request: HttpRequest) -> HttpResponse:
    """The single page of the front end; it routes in the browser and reads everything from the API."""
    try:
        page = _index_page()
    except FileNotFoundError:
        return render(request, "landing.html", {"demo": settings.DEBUG}, status=503)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    # The page names its hashed assets: it must be fetched again after every build.
    response["Cache-Control"] = "no-cache"
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin's login page, under the sign-in limits of the console's (support.core.signin)."""
    if request.method == "POST":
        refusal = sign_in_attempt(request, str(request.POST.get("username", "")))
        if refusal is not None:
            response = HttpResponse(
                f"{refusal.message} Try again in {refusal.wait} seconds.\n",
                content_type="text/plain; charset=utf-8",
                status=429,
            )
            response["Retry-After"] = str(refusal.wait)
            return response
    return admin.site.login(request)
