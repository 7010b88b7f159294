"""Name matching across cases: phonetic keys to find candidates, edit distance to score them.

"Jon Smyth" and "John Smith" share a key (Metaphone of the first and last names, in either
order) and score 0.9+; "John Smith" and "Joan Smart" do not share one. Other entity types
(registrations, phone numbers, emails) match on their normalised value exactly.
"""

from __future__ import annotations

import jellyfish

NAME_MATCH_THRESHOLD = 0.85


def _tokens(name: str) -> list[str]:
    return [t for t in name.replace("-", " ").split() if t.isalpha() or "'" in t]


def name_key(name: str) -> str:
    """Phonetic key of a normalised name: Metaphone of its first and last words, sorted."""
    tokens = _tokens(name)
    if not tokens:
        return name
    ends = {tokens[0], tokens[-1]}
    return " ".join(sorted(jellyfish.metaphone(t) or t for t in ends))


def name_score(a: str, b: str) -> float:
    """Similarity in [0, 1]: 0.6 x Jaro-Winkler (best of the names in order and with words
    sorted) + 0.4 x (1 - Damerau-Levenshtein distance / length) of the sorted names."""
    if a == b:
        return 1.0
    in_order = jellyfish.jaro_winkler_similarity(a, b)
    sorted_a, sorted_b = " ".join(sorted(_tokens(a))), " ".join(sorted(_tokens(b)))
    any_order = jellyfish.jaro_winkler_similarity(sorted_a, sorted_b)
    distance = jellyfish.damerau_levenshtein_distance(sorted_a, sorted_b)
    edit = 1.0 - distance / max(len(sorted_a), len(sorted_b), 1)
    return round(0.6 * max(in_order, any_order) + 0.4 * edit, 3)
