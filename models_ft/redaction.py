"""Personal data out before anything leaves the database for training.

A `Redactor` replaces what identifies a person with typed placeholders: `[EMAIL_1]`, `[PHONE_2]`,
`[CARD_1]`, `[IBAN_1]`, `[IP_1]`, `[ADDRESS_1]`, `[POSTCODE_1]`, and for the example's own customer (from
their record) `[CUSTOMER_NAME]`, `[CUSTOMER_FIRST_NAME]`, `[CUSTOMER_LAST_NAME]`, `[CUSTOMER_EMAIL]` and
`[CUSTOMER_PHONE]`. One redactor serves one example: the same value gets the same placeholder in every
message of it, so the model still learns that the name in the customer section is the name in the
greeting, without learning the name.

What is detected, and how false alarms are kept down:
- e-mail addresses by shape (except the public ones a caller names: a company's own contact details);
- payment card numbers: 13 to 19 digits from a card network (first digit 2-6), unspaced or grouped as
  cards are printed, that pass the Luhn check;
- IBANs: country code, check digits and account, that pass the mod-97 check;
- IP addresses: IPv4 with every part 0-255, and IPv6 with at least three groups;
- phone numbers: 8 to 15 digits, grouped as people write them, optionally with a +country code; dates,
  times and amounts are not phone numbers;
- street addresses where the shape says so: a house number with a street word ("12 Harbour Road",
  "221B Baker Street", "Hauptstraße 5", "Rue de la Paix 8"), and UK postcodes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# How card numbers are printed: 4-4-4-4 (most), 4-6-5 (Amex), 4-6-4 (Diners), 4-4-4-4-3 (19 digits).
_CARD_GROUPS = {(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), (4, 4, 4, 1), (4, 4, 4, 3)}
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]\d|\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(
    # Not after a letter, digit, "-", "/" or "#": INV-2026-00123 and #2026 1234 are references.
    r"(?<![\w+#/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{1,6}(?:[\s.-]\d{1,8}){1,5}(?![\w:/-])"
    r"|(?<![\w+#/-])\+\d{8,15}(?!\w)|(?<![\w+#/-])0\d{9,11}(?![\w/-])"
)
# For the customer's own number only: any run of digits and separators, compared digit by digit.
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?[\d(][\d\s().-]{6,}\d(?!\w)")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_DATE_OR_TIME = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d{1,2}[:.]\d{2}$")
_STREET_WORDS = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Sq|Terrace|"
    "Close|Crescent|Parkway|Pkwy|Highway|Hwy|Row|Walk|Gardens|Mews|Quay|Wharf"
)
# Case matters: "12 Harbour Road" is an address, "about 5 mm and close" is not.
_ADDRESS = re.compile(
    # 12 Harbour Road, 221B Baker Street, 5 Rue de la Paix / Rue de la Paix 8, Hauptstraße 5, Via Roma 10
    rf"(?<!\w)\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){{1,4}}(?:{_STREET_WORDS})(?!\w)"
    r"|(?<!\w)[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,5}[a-z]?(?!\w)"
    r"|(?<!\w)(?:Rue|Avenue|Boulevard|Via|Calle|Avenida|Rua|Plaza)\s+(?:[\w'’-]+\s+){0,4}\d{1,5}(?!\w)"
    r"|(?<!\w)\d{1,5},?\s+(?:Rue|Avenue|Boulevard|Via|Calle|Avenida|Rua|Plaza)\s+(?:[\w'’-]+\s+){0,3}[\w'’-]+"
)
# Order, invoice, account and similar references: a prefix of capitals and a number ("INV-2026-7289",
# "ORD-55812", "AC-3301"), or a number after the word that names it ("order #55812", "account no. 4471-22").
_REFERENCE = re.compile(
    r"(?<![\w-])[A-Z]{2,6}-\d[\d-]{2,}(?![\w-])"
    r"|(?i:\b(?:order|invoice|account|contract|subscription|customer|bestell|rechnung|kunden|commande|facture"
    r"|pedido|factura|bestelling|factuur)\w*\s*(?:no\.?|nr\.?|number|n°|#)?\s*:?\s*)#?\d[\d-]{3,}(?![\w-])"
)
# A UK postcode (SW1A 1AA, M1 1AE, B33 8TH): the outward code and the inward code.
_POSTCODE = re.compile(r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}(?![\w-])")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in moved)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class Person:
    """What the customer's record says about them, to be found in the text whatever the shape."""

    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class Redactor:
    """Redacts the texts of one example (see the module's docstring); call it on each text in turn."""

    person: Person = field(default_factory=Person)
    keep: frozenset[str] = frozenset()
    """Public contact details left as they are: e-mail addresses (lower case) and phone numbers (digits)."""
    references: bool = False
    """Also replace order, invoice and account references (for replies shown to another customer's agent;
    training keeps them, a model learning that references exist)."""
    _seen: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of `value`, the same each time within this example."""
        key = (kind, value)
        if key not in self._seen:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._seen[key] = f"[{kind}_{self._counts[kind]}]"
        return self._seen[key]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = self._person(text)
        text = _EMAIL.sub(self._email, text)
        text = _IBAN.sub(self._iban, text)
        text = _CARD.sub(self._card, text)
        text = _IPV4.sub(self._ipv4, text)
        text = _IPV6.sub(self._ipv6, text)
        if self.references:
            text = _REFERENCE.sub(lambda m: self.placeholder("REFERENCE", m.group()), text)
        text = _PHONE.sub(self._phone, text)
        text = _ADDRESS.sub(lambda m: self.placeholder("ADDRESS", " ".join(m.group().lower().split())), text)
        return _POSTCODE.sub(lambda m: self.placeholder("POSTCODE", m.group()), text)

    # The customer's own details first: they get their own placeholders, whatever shape they are written in.
    def _person(self, text: str) -> str:
        person = self.person
        if person.email:
            text = re.sub(re.escape(person.email), "[CUSTOMER_EMAIL]", text, flags=re.IGNORECASE)
        if person.phone and len(_digits(person.phone)) >= 6:
            wanted = _digits(person.phone)

            def phone(match: re.Match[str]) -> str:
                found = _digits(match.group())
                # The same number with or without its country code or trunk zero.
                same = found == wanted or (len(wanted) >= 9 and found.endswith(wanted[-9:]))
                return "[CUSTOMER_PHONE]" if same else match.group()

            text = _PHONE.sub(phone, text)
            text = _DIGIT_RUN.sub(phone, text)
        name = " ".join(person.name.split())
        if name:
            text = _word_sub(name, "[CUSTOMER_NAME]", text, ignore_case=True)
            # Parts as written in the record (capitalised): "Will" the name, not "will" the verb.
            parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 2 and p[0].isalpha()]
            if len(parts) >= 2:
                text = _word_sub(parts[-1], "[CUSTOMER_LAST_NAME]", text)
                text = _word_sub(parts[0], "[CUSTOMER_FIRST_NAME]", text)
            elif parts:
                text = _word_sub(parts[0], "[CUSTOMER_NAME]", text)
        return text

    def _email(self, match: re.Match[str]) -> str:
        value = match.group().lower()
        return match.group() if value in self.keep else self.placeholder("EMAIL", value)

    def _iban(self, match: re.Match[str]) -> str:
        value = match.group()
        if not iban_valid(value):
            return value
        return self.placeholder("IBAN", value.replace(" ", "").upper())

    def _card(self, match: re.Match[str]) -> str:
        value = match.group()
        digits = _digits(value)
        if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or not luhn_valid(digits):
            return value
        groups = tuple(len(g) for g in re.split(r"[ -]", value))
        if len(groups) > 1 and groups not in _CARD_GROUPS:
            return value  # digits grouped unlike a card (the account part of an IBAN, say)
        return self.placeholder("CARD", digits)

    def _ipv4(self, match: re.Match[str]) -> str:
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:  # 999.1.1.1, or leading zeros
            return match.group()
        return self.placeholder("IP", match.group())

    def _ipv6(self, match: re.Match[str]) -> str:
        # Times (10:30:00) and the like do not parse as addresses.
        try:
            address = ipaddress.IPv6Address(match.group())
        except ValueError:
            return match.group()
        return self.placeholder("IP", address.compressed)

    def _phone(self, match: re.Match[str]) -> str:
        value = match.group()
        digits = _digits(value)
        if not 8 <= len(digits) <= 15 or _DATE_OR_TIME.match(value.strip()) or _DATE.search(value):
            return value
        if digits in self.keep:
            return value
        if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", value):  # 1.250.000 or 12 500 000: an amount
            return value
        return self.placeholder("PHONE", digits)


def _word_sub(word: str, replacement: str, text: str, *, ignore_case: bool = False) -> str:
    """`word` replaced where it stands as a whole word."""
    flags = re.IGNORECASE if ignore_case else 0
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, text, flags=flags)


def public_contacts(texts: Iterable[str]) -> frozenset[str]:
    """The e-mail addresses (lower case) and phone numbers (digits) in `texts`: for `Redactor.keep`."""
    found: set[str] = set()
    for text in texts:
        found.update(m.group().lower() for m in _EMAIL.finditer(text))
        found.update(_digits(m.group()) for m in _PHONE.finditer(text) if 8 <= len(_digits(m.group())) <= 15)
    return frozenset(found)
