from django.contrib import admin

from .models import Customer, Incident, IncidentUpdate, Organization, Plan, Product, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


class IncidentUpdateInline(admin.TabularInline):
    model = IncidentUpdate
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "organization", "plan", "account_status", "training_consent"]
    list_filter = ["plan", "account_status", "training_consent", "language"]
    search_fields = ["name", "email"]
    inlines = [SubscriptionInline]
    autocomplete_fields = ["organization"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "country"]
    search_fields = ["name", "slug"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "started_at", "resolved_at"]
    list_filter = ["status"]
    inlines = [IncidentUpdateInline]


admin.site.register(Product)
admin.site.register(Plan)
