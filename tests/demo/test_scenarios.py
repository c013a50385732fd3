import pytest

from demo import company
from demo.datafiles import DataFileError
from demo.scenarios import SCENARIOS, load_scenarios
from support.tickets.models import Ticket

SCENARIO = """\
scenarios:
  - key: {key}
    products: [books]
    tags: [billing]
    priority: normal
    subjects: ["Refund {{invoice_ref}}"]
    openings: ["Please refund {{amount}}."]
    acknowledgements: ["Thanks, {{first_name}}."]
    steps:
      - ["Open {{invoice_ref}}.", Select Request refund.]
    closing: [Done.]
    followups: [When?]
    second_replies: [Soon.]
    internal_notes: [Approved.]
    resolutions: [refund issued]
"""


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_scenarios_come_in_file_name_order_then_in_the_order_written(tmp_path):
    _write(tmp_path, "b.yaml", SCENARIO.format(key="third"))
    _write(tmp_path, "a.yaml", SCENARIO.format(key="first") + SCENARIO.format(key="second").split("\n", 1)[1])
    scenarios = load_scenarios(tmp_path)
    assert [s.key for s in scenarios] == ["first", "second", "third"]
    assert scenarios[0].steps == (("Open {invoice_ref}.", "Select Request refund."),)
    assert scenarios[0].acknowledgements == ("Thanks, {first_name}.",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    priority: normal\n", ""), "scenario refund: lacks priority"),
        (("    tags:", "    colour: red\n    tags:"), "scenario refund: has unknown colour"),
        (("[Done.]", '["Done by {weekday}."]'), "closing: unknown placeholder 'weekday'"),
        (("[Done.]", '["Done {."]'), "closing: .*: 'Done {.'"),
        (("[Done.]", "[]"), "closing: not a list of texts"),
        (('      - ["Open {invoice_ref}.", Select Request refund.]', "      - Open it."), r"steps\[1\]"),
        (("  - key: refund", "  - key: refund\n  - key: refund"), "lacks products"),
        (("scenarios:", "scenarios: {"), "not valid YAML"),
        (("scenarios:", "stories:"), "`scenarios` is not a list"),
    ],
)
def test_a_bad_scenario_file_names_the_file_and_the_problem(tmp_path, change, message):
    _write(tmp_path, "billing.yaml", SCENARIO.format(key="refund").replace(*change))
    with pytest.raises(DataFileError, match=message) as error:
        load_scenarios(tmp_path)
    assert str(error.value).startswith("billing.yaml:")


def test_a_scenario_key_is_used_once(tmp_path):
    _write(tmp_path, "a.yaml", SCENARIO.format(key="refund"))
    _write(tmp_path, "b.yaml", SCENARIO.format(key="refund"))
    with pytest.raises(DataFileError, match="scenario keys used twice: refund"):
        load_scenarios(tmp_path)


def test_the_demo_scenarios_name_only_what_the_company_has():
    product_codes = {p.code for p in company.PRODUCTS}
    assert len(SCENARIOS) >= 30
    for scenario in SCENARIOS:
        assert scenario.products, scenario.key
        assert set(scenario.products) <= product_codes, scenario.key
        assert scenario.priority in Ticket.Priority.values, scenario.key
