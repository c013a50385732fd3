from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from support.core.pages import admin_login
from support.core.pages import console as web_console

# Each app names its own addresses; they are included by name, so this module imports none of the apps.
api_v1 = [
    path("", include("support.core.urls")),
    path("", include("support.customers.urls")),
    path("", include("support.tickets.urls")),
    path("", include("knowledge.urls")),
    path("", include("assist.urls")),
    path("", include("models_ft.urls")),
    path("", include("support.integrations.urls")),
]

urlpatterns = [
    # The admin's own login view, behind the sign-in limits; every other admin page is the admin's.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`): no inline script, so the
    # page works under the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="openbook/swagger_ui.html"),
        name="docs",
    ),
    path("api/v1/", include(api_v1)),
    # Every other address belongs to the web console, which routes in the browser.
    path("", web_console, name="landing"),
    re_path(r"^(?:login|tickets|knowledge|models|integrations)(?:/.*)?$", web_console, name="console"),
]

handler400 = "support.core.errors.handler400"
handler404 = "support.core.errors.handler404"
handler500 = "support.core.errors.handler500"
