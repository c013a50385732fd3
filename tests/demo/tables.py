"""The tables the demo seed fills, children first: the demo tests empty them around a seed."""

DEMO_TABLES = [
    "tickets_ticketmessage",
    "tickets_ticket_products",
    "tickets_ticket",
    "tickets_team_members",
    "tickets_team_products",
    "tickets_team",
    "customers_subscription",
    "customers_customer_products",
    "customers_customer",
    "customers_organization",
    "customers_incidentupdate",
    "customers_incident_products",
    "customers_incident",
    "customers_product",
    "customers_plan",
    "auth_user_groups",
    "auth_user",
]
