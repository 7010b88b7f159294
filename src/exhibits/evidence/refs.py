"""Exhibit references in the UK form: producer's initials and a running number (``JS/1``).

Pure logic: the service supplies what the case already holds. References are unique in
a case; two producers with the same initials are told apart by a middle initial
(``JAS/1``), or failing that by a numeral (``JS2/1``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from exhibits.errors import InvalidInput

RANKS = {
    "PC", "PCSO", "DC", "PS", "DS", "SGT", "DSGT", "INSP", "DI", "CI", "DCI", "SUPT", "DSUPT",
    "CSUPT", "DCSUPT", "ACC", "DCC", "CC", "SPC", "SC", "SOCO", "CSI", "MR", "MRS", "MS", "MISS",
    "MX", "DR", "PROF", "SIR", "DAME", "CONSTABLE", "SERGEANT", "INSPECTOR", "DETECTIVE",
    "OFFICER", "STAFF",
}  # fmt: skip
_COLLAR = re.compile(r"^[A-Z]{0,2}\d{1,6}[A-Z]{0,2}$")


@dataclass(frozen=True)
class Producer:
    """The person who produces an exhibit, as written on the label: 'PC 1234 Jane Smith'."""

    text: str
    rank: str | None
    collar: str | None
    names: tuple[str, ...]

    @property
    def key(self) -> str:
        """Identity inside a case: collar if given, else the name."""
        name = " ".join(n.lower() for n in self.names)
        return f"{(self.collar or '').lower()}|{name}"

    def initials(self, with_middle: bool = False) -> str:
        names = self.names if with_middle else (self.names[0], self.names[-1])
        return "".join(_initial(n) for n in names if _initial(n))


def _initial(name: str) -> str:
    for char in unicodedata.normalize("NFKD", name):
        if char.isascii() and char.isalpha():
            return char.upper()
    return ""


def parse_producer(text: str) -> Producer:
    words = [w.strip(".,") for w in text.split()]
    words = [w for w in words if w]
    if not words or len(text) > 200:
        raise InvalidInput("a producer is written like 'PC 1234 Jane Smith' (at most 200 characters)")
    rank = None
    collar = None
    if words[0].upper().replace(".", "") in RANKS:
        rank = words.pop(0)
        while words and words[0].upper() in RANKS:  # "Detective Sergeant"
            rank += " " + words.pop(0)
    if words and _COLLAR.match(words[0].upper()) and any(c.isdigit() for c in words[0]):
        collar = words.pop(0).upper()
    names = tuple(w for w in words if any(c.isalpha() for c in w))
    if len(names) < 2 or not _initial(names[0]) or not _initial(names[-1]):
        raise InvalidInput(
            f"cannot read a first and last name in producer {text!r} (write it like 'PC 1234 Jane Smith')"
        )
    return Producer(text=" ".join(text.split()), rank=rank, collar=collar, names=names)


def choose_initials(producer: Producer, taken: dict[str, str]) -> str:
    """Initials for a producer new to a case; ``taken`` maps initials -> producer key."""
    plain = producer.initials()
    if plain not in taken:
        return plain
    if len(producer.names) > 2:
        middle = producer.initials(with_middle=True)
        if middle not in taken:
            return middle
    base = producer.initials(with_middle=len(producer.names) > 2)
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def format_ref(initials: str, number: int, *path: int) -> str:
    return "/".join([initials, str(number), *(str(p) for p in path)])


_REF = re.compile(r"^([A-Z]{1,6}\d*)/(\d+)((?:/\d+)*)$")


def parse_ref(text: str) -> tuple[str, int, tuple[int, ...]] | None:
    match = _REF.match(text.strip().upper())
    if not match:
        return None
    path = tuple(int(p) for p in match.group(3).split("/") if p)
    return match.group(1), int(match.group(2)), path
