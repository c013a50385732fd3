"""The fixed parts of the demo company: products, plans, organizations, teams, staff and incidents."""

from __future__ import annotations

PRODUCTS: tuple[tuple[str, str, bool, str], ...] = (
    ("books", "Quillfeather Books", False, "Bookkeeping and accounting with bank feeds and reconciliation."),
    ("invoicing", "Quillfeather Invoicing", False, "Quotes, invoices, reminders and payment links."),
    ("payroll", "Quillfeather Payroll", False, "Pay runs, payslips and automatic tax filings."),
    ("pos", "Quillfeather POS", False, "Point-of-sale software for shops and cafes, with offline mode."),
    ("inventory", "Quillfeather Inventory", False, "Stock levels, counts and purchase orders."),
    ("insights", "Quillfeather Insights", False, "Reports and dashboards across every Quillfeather product."),
    ("mobile", "Quillfeather Mobile", False, "The iOS and Android app."),
    ("api", "Quillfeather Developer API", False, "REST API and webhooks for integrations."),
    ("reader", "Q1 Card Reader", True, "Pocket card reader that pairs with the POS app over Bluetooth."),
    ("terminal", "Q3 Countertop Terminal", True, "Countertop card terminal with a built-in receipt printer."),
)

# code, name, rank, max users, first-response hours, monthly price
PLANS: tuple[tuple[str, str, int, int | None, int, str], ...] = (
    ("starter", "Starter", 1, 3, 24, "19.00"),
    ("growth", "Growth", 2, 25, 4, "59.00"),
    ("enterprise", "Enterprise", 3, None, 1, "249.00"),
)

# slug, name, domain, country, plan
ORGANIZATIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("harlow-group", "Harlow Group", "harlowgroup.example", "GB", "enterprise"),
    ("brightwater-cafes", "Brightwater Cafés", "brightwater.example", "IE", "growth"),
    ("nordlicht-handel", "Nordlicht Handel GmbH", "nordlicht.example", "DE", "enterprise"),
    ("copper-kettle", "The Copper Kettle", "copperkettle.example", "GB", "starter"),
    ("marlow-design", "Marlow Design Studio", "marlowdesign.example", "GB", "growth"),
    ("alpenrose-hotels", "Alpenrose Hotels AG", "alpenrose.example", "CH", "enterprise"),
    ("greenleaf-grocers", "Greenleaf Grocers", "greenleaf.example", "NL", "growth"),
    ("vega-fitness", "Vega Fitness Clubs", "vegafitness.example", "ES", "growth"),
    ("otter-books", "Otter & Finch Booksellers", "otterfinch.example", "GB", "starter"),
    ("lumen-dental", "Lumen Dental Practice", "lumendental.example", "IE", "growth"),
    ("kestrel-logistics", "Kestrel Logistics", "kestrellogistics.example", "DE", "enterprise"),
    ("pebble-toys", "Pebble Toys", "pebbletoys.example", "FR", "starter"),
)

# slug, name, product codes routed here, default team?
TEAMS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("billing", "Billing & Accounts", (), False),
    ("hardware", "Hardware & Shipping", ("reader", "terminal"), False),
    ("payroll", "Payroll", ("payroll",), False),
    (
        "technical",
        "Technical Support",
        ("books", "invoicing", "pos", "inventory", "insights", "mobile", "api"),
        True,
    ),
)

# Tags that send a ticket to the billing team whatever its product.
BILLING_TAGS = frozenset({"billing", "refund", "account", "plan", "privacy", "security", "payment"})

# username, first name, last name, role, teams
STAFF: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("agent", "Alex", "Morgan", "agent", ("billing", "technical")),
    ("sofia", "Sofia", "Reyes", "agent", ("billing", "technical")),
    ("priya", "Priya", "Natarajan", "agent", ("hardware",)),
    ("jonas", "Jonas", "Weber", "agent", ("hardware", "technical")),
    ("tom", "Tom", "Okafor", "agent", ("payroll",)),
    ("knowledge", "Kim", "Lee", "knowledge_admin", ()),
    ("admin", "Ada", "Lindqvist", "administrator", ()),
)

# key, title, products, status, started (days before the anchor), resolved (days before, or None), summary
INCIDENTS: tuple[tuple[str, str, tuple[str, ...], str, int, int | None, str], ...] = (
    (
        "inc-terminal-delays",
        "Card payments delayed on Q3 Countertop Terminal",
        ("terminal",),
        "resolved",
        245,
        244,
        "Some card payments taken on Q3 terminals took up to 20 minutes to be confirmed. No payment was lost "
        "or charged twice; all delayed payments were confirmed by 16:40 UTC.",
    ),
    (
        "inc-payslip-email",
        "Payroll e-mail payslips not delivered",
        ("payroll",),
        "resolved",
        125,
        123,
        "Payslip e-mails for pay runs approved on two days were not sent. Payslips were always available in "
        "the employee portal; the missing e-mails were re-sent once the fault was fixed.",
    ),
    (
        "inc-bank-feeds",
        "Bank feed sync delays in Quillfeather Books",
        ("books", "insights"),
        "identified",
        2,
        None,
        "New bank transactions are reaching Quillfeather Books several hours late for some banks. Nothing is "
        "lost: delayed transactions appear automatically once the sync catches up. Reports in Insights that use "
        "bank data may be behind until then.",
    ),
)

FIRST_NAMES = (
    "Amelia",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Katarina",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Pablo",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tara",
    "Umar",
    "Vera",
    "William",
    "Yara",
    "Zoe",
    "Aoife",
    "Bruno",
    "Clara",
    "Dev",
    "Emil",
    "Freya",
    "Gabriel",
    "Hannah",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nina",
    "Oscar",
    "Petra",
    "Rhys",
    "Sophie",
    "Theo",
    "Ursula",
    "Viktor",
    "Wen",
    "Ximena",
)
LAST_NAMES = (
    "Abbott",
    "Baker",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Hughes",
    "Ivanova",
    "Jansen",
    "Keller",
    "Lombardi",
    "Murphy",
    "Novak",
    "O'Brien",
    "Patel",
    "Quinlan",
    "Rossi",
    "Schmidt",
    "Turner",
    "Ueda",
    "Varga",
    "Walsh",
    "Young",
    "Zimmermann",
    "Brennan",
    "Costa",
    "Doyle",
    "Evans",
    "Ferreira",
    "Gruber",
    "Haas",
    "Kowalski",
    "Lindgren",
    "Moreau",
    "Nowak",
    "Petrov",
    "Richter",
    "Silva",
    "Vogel",
)
