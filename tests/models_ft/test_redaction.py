"""PII redaction: each kind of personal data planted and found, consistently within one example; look-alikes
(dates, times, amounts, order numbers, numbers failing their checksums) left alone."""

from __future__ import annotations

import pytest

from models_ft.redaction import (
    Person,
    Redactor,
    iban_valid,
    luhn_valid,
    public_contacts,
)

DANA = Person(name="Dana Whitfield", email="dana.w@harlow.example", phone="+44 7700 900123")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to bob.smith+billing@mail.example.co.uk today", "Write to [EMAIL_1] today"),
        ("Card 4111 1111 1111 1111 was charged", "Card [CARD_1] was charged"),
        ("Card 4111-1111-1111-1111 was charged", "Card [CARD_1] was charged"),
        ("Amex 378282246310005.", "Amex [CARD_1]."),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN_1] please"),
        ("to GB82WEST12345698765432.", "to [IBAN_1]."),
        ("from 192.0.2.44, blocked", "from [IP_1], blocked"),
        ("from 2001:db8::1 and ::1", "from [IP_1] and [IP_2]"),
        ("call +1 (555) 123-4567", "call [PHONE_1]"),
        ("call 555-123-4567 or 020 7946 0958", "call [PHONE_1] or [PHONE_2]"),
        ("call +4930901820", "call [PHONE_1]"),
        ("ship to 221B Baker Street, London", "ship to [ADDRESS_1], London"),
        ("ship to 12 Harbour Road.", "ship to [ADDRESS_1]."),
        ("Hauptstraße 5 in Berlin", "[ADDRESS_1] in Berlin"),
        ("Rue de la Paix 8, Paris", "[ADDRESS_1], Paris"),
        ("postcode NW1 6XE", "postcode [POSTCODE_1]"),
    ],
)
def test_each_kind_of_personal_data_gets_its_typed_placeholder(text, expected):
    assert Redactor()(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "On 2026-11-21 at 10:30:00 we restarted version 1.2.3.",
        "Open 09:00-17:00, ticket #4521, order 123456789012.",
        "12 500 000 units cost 1.250.000 EUR; 3 x 12.50.",
        "Card 4111 1111 1111 1112 fails the Luhn check.",
        "IBAN DE89 3704 0044 0532 0130 01 fails mod 97.",
        "Address 999.1.1.1 is not an address; nor is 10:30:00.",
        "We will refund the annual plan within 30 days.",
        "Customer Dana Ortiz, 2026-11-21 10:38 UTC: the app loops.",
        "Invoice INV-2026-000123, part 12/2026 3344.",
        "Pull out about 5 mm and close the cover; press 2 Buttons and Close.",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert Redactor()(text) == text


def test_the_customers_own_details_are_found_in_any_shape():
    redact = Redactor(person=DANA)
    text = (
        "Hi Dana, DANA.W@HARLOW.EXAMPLE is on file. Call 07700 900123, +44 7700 900123 or 447700900123. "
        "Dana Whitfield and dana whitfield; Mrs Whitfield. The team will call."
    )
    assert redact(text) == (
        "Hi [CUSTOMER_FIRST_NAME], [CUSTOMER_EMAIL] is on file. Call [CUSTOMER_PHONE], [CUSTOMER_PHONE] or "
        "[CUSTOMER_PHONE]. [CUSTOMER_NAME] and [CUSTOMER_NAME]; Mrs [CUSTOMER_LAST_NAME]. The team will call."
    )


def test_a_name_that_is_also_a_word_is_replaced_only_as_written():
    redact = Redactor(person=Person(name="Will May"))
    assert redact("Will May asked; we will reply in May? May says yes.") == (
        "[CUSTOMER_NAME] asked; we will reply in [CUSTOMER_LAST_NAME]? [CUSTOMER_LAST_NAME] says yes."
    )


def test_placeholders_are_consistent_across_the_texts_of_one_example_and_fresh_for_the_next():
    redact = Redactor(person=DANA)
    prompt = redact("From a@x.example and b@x.example, card 4111111111111111")
    reply = redact("Thanks b@x.example; card 4111111111111111")
    assert prompt == "From [EMAIL_1] and [EMAIL_2], card [CARD_1]"
    assert reply == "Thanks [EMAIL_2]; card [CARD_1]"
    assert Redactor(person=DANA)("b@x.example") == "[EMAIL_1]"


def test_checksums():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")
    assert not iban_valid("DE89")


def test_public_contact_details_are_kept():
    keep = public_contacts(["Write to returns@shop.example or call +44 20 7946 0000."])
    redact = Redactor(keep=keep)
    assert redact("Returns: RETURNS@shop.example, +44 20 7946 0000; me: dana@home.example") == (
        "Returns: RETURNS@shop.example, +44 20 7946 0000; me: [EMAIL_1]"
    )
