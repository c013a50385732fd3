from django.contrib import admin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "last_used_at", "created_at"]
    search_fields = ["name", "prefix"]

    def has_add_permission(self, request: object) -> bool:
        return (
            False  # keys are created with the API or `manage.py create_api_key`, which show the secret once
        )
