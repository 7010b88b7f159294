"""Finding a phrase in a run of recognised words, whatever the spacing, case or punctuation."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def find_runs(words: list[str], phrase: str, max_words: int = 24) -> list[tuple[int, int]]:
    """(first, last) word indexes of every run of words that spells ``phrase``."""
    target = normalise(phrase)
    if not target:
        return []
    keys = [normalise(w) for w in words]
    runs = []
    for i in range(len(keys)):
        if not keys[i] or not target.startswith(keys[i]):
            continue
        joined = ""
        for j in range(i, min(len(keys), i + max_words)):
            joined += keys[j]
            if joined == target:
                runs.append((i, j))
                break
            if not target.startswith(joined):
                break
    return runs
