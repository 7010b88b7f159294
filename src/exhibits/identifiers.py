"""UK policing identifiers: validated patterns, normalisation and the mod-23 check character.

Patterns follow shared/reference/standards.md section 5.2 (each checked there on positive
and negative samples). Always normalise (upper-case, strip spaces) before matching.
"""

from __future__ import annotations

import re

PATTERNS: dict[str, str] = {
    "vrm_current": r"^[A-HJ-PR-Y]{2}[0-9]{2} ?[A-HJ-PR-Z]{3}$",
    "vrm_prefix": r"^[A-HJ-NP-Y][0-9]{1,3} ?[A-Z]{3}$",
    "vrm_suffix": r"^[A-Z]{3} ?[0-9]{1,3}[A-HJ-NP-Y]$",
    "vrm_dateless": r"^(?:[A-Z]{1,3} ?[0-9]{1,4}|[0-9]{1,4} ?[A-Z]{1,3})$",
    "vrm_ni": r"^(?=[A-Z]*[IZ])[A-Z]{2,3} ?[0-9]{1,4}$",
    "postcode": (
        r"^(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
        r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])"
        r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
    ),
    "nino": r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$",
    "phone_uk": r"^(?:\+44|0044|0)(?:7[1-57-9][0-9]{8}|[1-3][0-9]{8,9}|8[0-9]{8,9}|9[0-9]{9})$",
    "ptiurn": r"^[0-9]{2}[A-Z0-9]{2}[0-9]{7}$",
    "ptiurn_bichard": r"^[A-Z0-9]{4}[0-9]{3,7}$",
    "asn": r"^[0-9]{2}[A-Z0-9]{6,7}[0-9]{11}[A-HJ-NP-RT-Z]$",
    "pnc_id": r"^[0-9]{2}(?:[0-9]{2})?/[0-9]{1,7}[A-HJ-NP-RT-Z]$",
    "cro": r"^[0-9]{1,6}/[0-9]{2}[A-HJ-NP-RT-Z]$",
    "ccrn": r"^[0-9]{2}/[0-9]{4}/[0-9]{1,6}[A-HJ-NP-RT-Z]$",
    "driver_no": r"^[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}$",
    "collar": r"^[A-Z]{0,2} ?[0-9]{1,5} ?[A-Z]{0,2}$",
}
COMPILED = {name: re.compile(pattern) for name, pattern in PATTERNS.items()}
VRM_KINDS = ("vrm_current", "vrm_prefix", "vrm_suffix", "vrm_ni", "vrm_dateless")

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"  # remainder 0 -> Z, 1 -> A, ...; no I, O, S
PTI_SUFFIX = re.compile(r"^[0-9A-Z]{1,4}$")


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def matches(kind: str, text: str) -> bool:
    return bool(COMPILED[kind].match(text.strip().upper()))


def mod23_check(number: int) -> str:
    return CHECK_ALPHABET[number % 23]


def vrm_kind(text: str) -> str | None:
    """Which UK registration format a plate is in, or None."""
    value = compact(text)
    for kind in VRM_KINDS:
        if COMPILED[kind].match(value):
            return kind
    return None


def normalise_vrm(text: str) -> str | None:
    value = compact(text)
    return value if vrm_kind(value) else None


def normalise_postcode(text: str) -> str | None:
    value = compact(text)
    if not COMPILED["postcode"].match(value):
        return None
    return f"{value[:-3]} {value[-3:]}"


def normalise_nino(text: str) -> str | None:
    value = compact(text)
    return value if COMPILED["nino"].match(value) else None


def pnc_id_valid(text: str) -> bool:
    """PNC ID ``YY/NNNNNNND`` or ``YYYY/NNNNNNND`` whose last letter is the mod-23 check."""
    value = compact(text)
    if not COMPILED["pnc_id"].match(value):
        return False
    year, rest = value.split("/")
    serial, check = rest[:-1], rest[-1]
    return mod23_check(int(year[-2:] + serial.zfill(7))) == check


def normalise_pnc_id(text: str) -> str | None:
    """Display form ``YY/NNNNNNND`` (leading zeros of the serial suppressed)."""
    value = compact(text)
    if not pnc_id_valid(value):
        return None
    year, rest = value.split("/")
    return f"{year[-2:]}/{int(rest[:-1])}{rest[-1]}"


def ccrn_valid(text: str) -> bool:
    value = compact(text)
    if not COMPILED["ccrn"].match(value):
        return False
    year, court, rest = value.split("/")
    return mod23_check(int(year + court + rest[:-1].zfill(6))) == rest[-1]


def asn_valid(text: str) -> bool:
    """Arrest/Summons Number: YY force(2) unit(2) system(2) sequence(11) + check character."""
    value = compact(text).replace("/", "")
    if not COMPILED["asn"].match(value):
        return False
    year, force, system = value[:2], value[2:4], value[6:8]
    sequence = value[-12:-1]
    digits = re.sub(r"[^0-9]", "", force + system)
    return mod23_check(int(digits + year + sequence)) == value[-1]


def split_urn(text: str) -> tuple[str, str | None]:
    """Validate a CPS/court URN, optionally with a PTI-URN split suffix (``01ZD0300108/2``).

    Returns (urn, suffix). Raises ValueError with a readable reason.
    """
    value = compact(text)
    urn, _, suffix = value.partition("/")
    if len(urn) != 11 or not COMPILED["ptiurn"].match(urn):
        raise ValueError(
            "a URN is 11 characters: 2-digit force code, 2-character unit, "
            "5-digit sequence and 2-digit year (e.g. 01ZD0300108)"
        )
    if suffix and not PTI_SUFFIX.match(suffix):
        raise ValueError("a PTI-URN suffix is 1-4 letters or digits after a '/'")
    return urn, suffix or None


# --- values found in free text (entity extraction), normalised for cross-case matching ---

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def normalise_email(text: str) -> str | None:
    """Lower-case address, or None. Local parts are case-sensitive in theory, never in practice."""
    value = text.strip().rstrip(".")
    return value.lower() if EMAIL.fullmatch(value) else None


def normalise_phone(text: str, region: str = "GB") -> str | None:
    """E.164 (``+447700900123``) for a valid number, national numbers read as UK."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_urn(text: str) -> str | None:
    """A CPS/court URN (with any PTI-URN suffix) in compact form, or None."""
    try:
        urn, suffix = split_urn(text)
    except ValueError:
        return None
    return f"{urn}/{suffix}" if suffix else urn


def display_vrm(value: str) -> str:
    """The usual printed form: current plates split 4+3, older ones before the last letters/digits."""
    value = compact(value)
    kind = vrm_kind(value)
    if kind == "vrm_current":
        return f"{value[:4]} {value[4:]}"
    match = re.match(r"^([A-Z]+)([0-9]+)([A-Z]*)$", value)
    if kind == "vrm_prefix" and match:
        return f"{match[1]}{match[2]} {match[3]}"
    if kind == "vrm_suffix" and match:
        return f"{match[1]} {match[2]}{match[3]}"
    match = re.match(r"^([A-Z]+|[0-9]+)([0-9]+|[A-Z]+)$", value)
    return f"{match[1]} {match[2]}" if match else value
