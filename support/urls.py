from importlib import import_module

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from support.core.pages import admin_login
from support.core.pages import console as web_console

# Each app names its own addresses in its urls.py. They are gathered here by module name, so this module
# imports none of the apps, into one flat list of the /api/v1/ endpoints (the scope tests walk it).
API_V1_URLCONFS = (
    "support.core.urls",
    "support.customers.urls",
    "support.tickets.urls",
    "knowledge.urls",
    "assist.urls",
    "models_ft.urls",
    "support.integrations.urls",
)
api_v1 = [pattern for name in API_V1_URLCONFS for pattern in import_module(name).urlpatterns]

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
