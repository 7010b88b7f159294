"""UK identifiers in free text: candidates by regular expression, kept only when they validate.

Candidates are deliberately loose (any spacing, any case where the shape is distinctive);
acceptance is strict (the patterns of standards.md section 5.2, check characters, the
phonenumbers library). Formats that look like ordinary words or road numbers are only
taken in capitals, and with lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time

from exhibits import identifiers as ids
from exhibits.analysis.entities import Found

B = r"(?<![A-Za-z0-9])"  # not glued to a letter or digit before
E = r"(?![A-Za-z0-9])"  # ... or after

VRM_CURRENT = re.compile(B + r"([A-Za-z]{2}[0-9]{2}) ?([A-Za-z]{3})" + E)
VRM_PREFIX = re.compile(B + r"([A-Z][0-9]{1,3}) ?([A-Z]{3})" + E)
VRM_SUFFIX = re.compile(B + r"([A-Z]{3}) ?([0-9]{1,3}[A-Z])" + E)
VRM_OLD = re.compile(B + r"([A-Z]{2,3}) ?([0-9]{1,4})" + E + r"|" + B + r"([0-9]{1,4}) ?([A-Z]{2,3})" + E)
POSTCODE = re.compile(B + r"([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})" + E)
NINO = re.compile(B + r"([A-Za-z]{2}) ?([0-9]{2}) ?([0-9]{2}) ?([0-9]{2}) ?([A-Da-d])" + E)
PNC_ID = re.compile(B + r"([0-9]{2}(?:[0-9]{2})?/[0-9]{1,7}[A-Za-z])" + E)
CRO = re.compile(B + r"([0-9]{1,6}/[0-9]{2}[A-Za-z])" + E)
CCRN = re.compile(B + r"([0-9]{2}/[0-9]{4}/[0-9]{1,6}[A-Za-z])" + E)
ASN = re.compile(B + r"([0-9]{2}/?[A-Z0-9]{2}/?[A-Z0-9]{2}/?[A-Z0-9]{2,3}/?[0-9]{11}[A-Z])" + E)
URN = re.compile(B + r"([0-9]{2}[A-Z0-9]{2}[0-9]{7}(?:/[0-9A-Z]{1,4})?)" + E)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_NUMERIC = re.compile(B + r"([0-3]?[0-9])[/.-]([01]?[0-9])[/.-]((?:19|20)?[0-9]{2})" + E)
DATE_ISO = re.compile(B + r"((?:19|20)[0-9]{2})-([01][0-9])-([0-3][0-9])" + E)
DATE_WORDS = re.compile(
    B + r"([0-3]?[0-9])(?:st|nd|rd|th)?(?: of)? (" + MONTH_WORDS + r")\.?,? ((?:19|20)[0-9]{2})" + E,
    re.IGNORECASE,
)
TIME_CLOCK = re.compile(
    B + r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])(?:[:.]([0-5][0-9]))? ?([ap]\.?m\.?)?" + E, re.I
)
TIME_AMPM = re.compile(B + r"(1[0-2]|0?[1-9]) ?([ap])\.?m\.?" + E, re.IGNORECASE)
TIME_HOURS = re.compile(B + r"([01][0-9]|2[0-3])([0-5][0-9]) ?(?:hours|hrs)" + E, re.IGNORECASE)
ROAD = re.compile(r"^[ABM][0-9]{1,4}$")


def find_identifiers(text: str) -> list[Found]:
    found: list[Found] = []
    found += _vrms(text)
    found += _simple(text, POSTCODE, "postcode", ids.normalise_postcode, 0.9, upper_only=False)
    found += _simple(text, NINO, "nino", ids.normalise_nino, 0.95, upper_only=False)
    found += _simple(text, PNC_ID, "pnc_id", ids.normalise_pnc_id, 0.99, upper_only=False)
    found += _simple(text, CCRN, "ccrn", lambda v: ids.compact(v) if ids.ccrn_valid(v) else None, 0.99)
    found += _simple(text, CRO, "cro", lambda v: v if ids.matches("cro", v) else None, 0.6)
    found += _simple(
        text, ASN, "asn", lambda v: ids.compact(v).replace("/", "") if ids.asn_valid(v) else None, 0.99
    )
    found += _simple(text, URN, "urn", _urn, 0.8)
    found += _emails(text)
    found += _phones(text)
    found += _dates(text)
    found += _times(text)
    return sorted(found, key=lambda f: (f.start, f.end))


def _simple(text, pattern, kind, normalise, confidence, *, upper_only: bool = True) -> Iterator[Found]:
    for match in pattern.finditer(text):
        raw = match.group(0)
        if upper_only and raw != raw.upper():
            continue
        value = normalise(raw.upper())
        if value:
            yield Found(kind, raw, value, match.start(), match.end(), "pattern", confidence)


def _urn(text: str) -> str | None:
    # An 11-digit run is far more often a phone number: a URN's unit code has a letter.
    if not re.search(r"[A-Z]", text[2:4]):
        return None
    return ids.normalise_urn(text)


def _vrms(text: str) -> Iterator[Found]:
    for pattern, confidence, any_case in (
        (VRM_CURRENT, 0.95, True),
        (VRM_PREFIX, 0.85, False),
        (VRM_SUFFIX, 0.85, False),
        (VRM_OLD, 0.6, False),
    ):
        for match in pattern.finditer(text):
            raw = match.group(0)
            if not any_case and raw != raw.upper():
                continue
            if pattern is VRM_OLD and not VEHICLE_CONTEXT.search(
                text[max(0, match.start() - 40) : match.start()]
            ):
                continue  # "PNC 21", "QQ 12": dateless shapes are taken only where a plate is being read
            if any_case and not (raw.isupper() or raw.islower()):
                continue  # "Ab12 Cde" reads as words, not a plate
            value = ids.compact(raw)
            kind = ids.vrm_kind(value)
            if kind is None or ROAD.match(value) or value in COMMON_CAPITALS:
                continue
            yield Found(
                "vrm",
                raw,
                value,
                match.start(),
                match.end(),
                "pattern",
                confidence,
                {"format": kind, "display": ids.display_vrm(value)},
            )


VEHICLE_CONTEXT = re.compile(
    r"(?i)\b(?:registration|reg(?:istered)?|plate|index|vrm|number plate|vehicle)\b[^.;]*$"
)
# Capitalised words-and-numbers that fit the dateless plate shape but are usually something else.
COMMON_CAPITALS = {"NHS111", "NHS999", "PC999", "MG11", "MG5", "MG6", "MG3", "MG1", "MG6C", "MG6D", "MG6E"}


def _emails(text: str) -> Iterator[Found]:
    for match in ids.EMAIL.finditer(text):
        value = ids.normalise_email(match.group(0))
        if value:
            yield Found("email", match.group(0), value, match.start(), match.end(), "pattern", 0.99)


def _phones(text: str) -> Iterator[Found]:
    import phonenumbers  # its metadata is large: loaded only when text is analysed

    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        # Valid numbers, and UK numbers of a valid shape (Ofcom's ranges reserved for drama and
        # tests, such as 07700 900xxx, are not "valid" to libphonenumber but are UK numbers).
        if not (phonenumbers.is_valid_number(match.number) or ids.matches("phone_uk", value)):
            continue
        yield Found(
            "phone",
            match.raw_string,
            value,
            match.start,
            match.end,
            "pattern",
            0.95,
            {"national": phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL)},
        )


def _year(text: str) -> int:
    year = int(text)
    return year + (2000 if year < 70 else 1900) if len(text) == 2 else year


def _dates(text: str) -> Iterator[Found]:
    def make(match, day, month, year) -> Found | None:
        try:
            value = date(year, month, day).isoformat()
        except ValueError:
            return None
        return Found("date", match.group(0), value, match.start(), match.end(), "pattern", 0.9)

    for match in DATE_NUMERIC.finditer(text):  # UK order: day first
        item = make(match, int(match[1]), int(match[2]), _year(match[3]))
        if item:
            yield item
    for match in DATE_ISO.finditer(text):
        item = make(match, int(match[3]), int(match[2]), int(match[1]))
        if item:
            yield item
    for match in DATE_WORDS.finditer(text):
        item = make(match, int(match[1]), MONTHS[match[2].lower()], int(match[3]))
        if item:
            yield item


def _times(text: str) -> Iterator[Found]:
    seen: set[tuple[int, int]] = set()

    def make(match, hour: int, minute: int, second: int = 0, meridiem: str | None = None) -> Found | None:
        if meridiem:
            if hour > 12:
                return None
            hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
        try:
            value = time(hour, minute, second).isoformat(timespec="minutes" if not second else "seconds")
        except ValueError:
            return None
        span = (match.start(), match.end())
        if any(a < span[1] and span[0] < b for a, b in seen):
            return None
        seen.add(span)
        return Found("time", match.group(0), value, *span, "pattern", 0.8)

    for match in TIME_CLOCK.finditer(text):
        if match[3] is None and match[4] is None and "." in match.group(0):
            continue  # "4.10" alone is as likely a price or a decimal
        item = make(match, int(match[1]), int(match[2]), int(match[3] or 0), match[4])
        if item:
            yield item
    for match in TIME_HOURS.finditer(text):
        item = make(match, int(match[1]), int(match[2]))
        if item:
            yield item
    for match in TIME_AMPM.finditer(text):
        item = make(match, int(match[1]), 0, 0, match[2])
        if item:
            yield item
