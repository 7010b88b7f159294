"""Registrations spoken aloud: "alpha bravo one two charlie delta echo", "A B twelve C D E".

Speech recognition writes a spelled-out plate as words, letters and numbers in any mix
("Alpha Bravo 1-2 Charlie Delta Echo"). We turn each word into the characters it spells
and look for runs whose characters form a dated UK registration (current, prefix or
suffix: dateless plates are too easily made from ordinary words). A run must contain at
least one phonetic-alphabet word or spelled letter, so "at 10 past 4" never becomes a plate.
"""

from __future__ import annotations

import re

from exhibits import identifiers as ids
from exhibits.analysis.entities import Found

NATO = {
    "alpha": "A",
    "alfa": "A",
    "bravo": "B",
    "charlie": "C",
    "delta": "D",
    "echo": "E",
    "foxtrot": "F",
    "fox": "F",
    "golf": "G",
    "hotel": "H",
    "india": "I",
    "juliet": "J",
    "juliett": "J",
    "kilo": "K",
    "lima": "L",
    "mike": "M",
    "november": "N",
    "oscar": "O",
    "papa": "P",
    "quebec": "Q",
    "romeo": "R",
    "sierra": "S",
    "tango": "T",
    "uniform": "U",
    "victor": "V",
    "whiskey": "W",
    "whisky": "W",
    "x-ray": "X",
    "xray": "X",
    "yankee": "Y",
    "zulu": "Z",
}
UNITS = {
    "zero": 0,
    "oh": 0,
    "nought": 0,
    "nil": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
DATED = ("vrm_current", "vrm_prefix", "vrm_suffix")
TOKEN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?|[0-9]+(?:-[0-9]+)*")
MAX_TOKENS = 10


def _spell(tokens: list[str], i: int) -> tuple[str, int, bool] | None:
    """Characters spelled by the token(s) at i: (characters, tokens used, is a letter)."""
    word = tokens[i].lower()
    if word in NATO:
        return NATO[word], 1, True
    if re.fullmatch(r"[a-z]", word):
        return word.upper(), 1, True
    if re.fullmatch(r"[0-9]+(?:-[0-9]+)*", word):
        return word.replace("-", ""), 1, False
    if word == "double" and i + 1 < len(tokens):
        nxt = _spell(tokens, i + 1)
        if nxt and len(nxt[0]) == 1:
            return nxt[0] * 2, 1 + nxt[1], nxt[2]
        return None
    if word in UNITS:
        return str(UNITS[word]), 1, False
    if word in TEENS:
        return str(TEENS[word]), 1, False
    if word in TENS:
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if after in UNITS and UNITS[after] > 0:
            return str(TENS[word] + UNITS[after]), 2, False
        return str(TENS[word]), 1, False
    if "-" in word:  # "twenty-one"
        first, _, second = word.partition("-")
        if first in TENS and second in UNITS:
            return str(TENS[first] + UNITS[second]), 1, False
    return None


def find_spoken_vrms(text: str) -> list[Found]:
    matches = list(TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    found: list[Found] = []
    i = 0
    while i < len(tokens):
        best: tuple[int, str, str] | None = None  # (end token, value, kind)
        chars = ""
        letters = 0
        j = i
        while j < len(tokens) and j - i < MAX_TOKENS:
            spelled = _spell(tokens, j)
            if spelled is None:
                break
            part, used, is_letter = spelled
            chars += part
            letters += is_letter
            j += used
            kind = ids.vrm_kind(chars)
            if kind in DATED and letters and j - i >= 3:
                best = (j, chars, kind)
            if len(chars) > 8:
                break
        if best is None:
            i += 1
            continue
        end, value, kind = best
        start_char, end_char = matches[i].start(), matches[end - 1].end()
        found.append(
            Found(
                "vrm",
                text[start_char:end_char],
                value,
                start_char,
                end_char,
                "spoken",
                0.7,
                {"format": kind, "display": ids.display_vrm(value)},
            )
        )
        i = end
    return found
