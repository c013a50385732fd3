from django.contrib import admin

from .models import Team, Ticket, TicketMessage


class MessageInline(admin.StackedInline):
    model = TicketMessage
    extra = 0


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "status", "priority", "team", "assignee", "customer", "created_at"]
    list_filter = ["status", "priority", "channel", "team"]
    search_fields = ["subject", "customer__email", "external_id"]
    raw_id_fields = ["customer"]
    inlines = [MessageInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default"]
    filter_horizontal = ["members", "products"]
