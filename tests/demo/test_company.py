from demo import company
from support.customers.models import Incident


def test_the_company_facts_refer_to_each_other():
    product_codes = {p.code for p in company.PRODUCTS}
    plan_codes = {p.code for p in company.PLANS}
    team_slugs = {t.slug for t in company.TEAMS}
    assert {o.plan for o in company.ORGANIZATIONS} <= plan_codes
    assert {code for t in company.TEAMS for code in t.products} <= product_codes
    assert [t.slug for t in company.TEAMS if t.is_default] == ["technical"]
    assert {slug for s in company.STAFF for slug in s.teams} <= team_slugs
    assert {code for i in company.INCIDENTS for code in i.products} <= product_codes
    assert {i.status for i in company.INCIDENTS} <= set(Incident.Status.values)
