"""The tickets app's API addresses (under /api/v1/): the customers and organizations the caller reaches
through their teams' tickets, teams, tickets and their messages."""

from django.urls import path

from .views import customers, tickets

urlpatterns = [
    path("organizations", customers.OrganizationListApi.as_view(), name="organizations"),
    path("organizations/<int:pk>", customers.OrganizationDetailApi.as_view(), name="organization"),
    path("customers", customers.CustomerListApi.as_view(), name="customers"),
    path("customers/<int:pk>", customers.CustomerDetailApi.as_view(), name="customer"),
    path("customers/<int:pk>/erase", customers.CustomerEraseApi.as_view(), name="customer-erase"),
    path("teams", tickets.TeamListApi.as_view(), name="teams"),
    path("tickets", tickets.TicketListApi.as_view(), name="tickets"),
    path("tickets/<int:pk>", tickets.TicketDetailApi.as_view(), name="ticket"),
    path("tickets/<int:pk>/messages", tickets.TicketMessageListApi.as_view(), name="ticket-messages"),
    path("tickets/<int:pk>/read", tickets.TicketReadApi.as_view(), name="ticket-read"),
]
