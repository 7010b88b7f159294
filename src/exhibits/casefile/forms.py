"""The MG case-file forms and whether the defence may ever see each one.

Disclosability follows the table in shared/reference/standards.md section 1 (National File
Standard / Manual of Guidance). It is an attribute of the form *type*: a record's form
decides whether it can be served, shared with the defence or put into a defence bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Disclosure(StrEnum):
    SERVED = "served"  # served on the defence when used (evidence, schedules, summary)
    NEVER = "never"  # police and prosecution only ("non-disclosable" chequered banding)
    EDITED = "edited-copy"  # only an edited copy is served (MG19 without the victim's address)
    UNUSED = "unused"  # unused material: reaches the defence only if the prosecutor marks it D


@dataclass(frozen=True)
class FormType:
    code: str
    title: str
    disclosure: Disclosure

    @property
    def defence_may_see(self) -> bool:
        return self.disclosure in (Disclosure.SERVED, Disclosure.EDITED)


_TABLE = [
    ("MG1", "File front sheet", Disclosure.NEVER),
    ("MG2", "Special measures assessment", Disclosure.NEVER),
    ("MG3", "Report to Crown Prosecutor for charging decision", Disclosure.NEVER),
    ("MG3A", "Further report to Crown Prosecutor", Disclosure.NEVER),
    ("MG4", "Charges", Disclosure.SERVED),
    ("MG5", "Police report (case summary)", Disclosure.SERVED),
    ("MG6", "Case file evidence and information (confidential to prosecutor)", Disclosure.NEVER),
    ("MG6A", "Record of pre-interview briefing", Disclosure.UNUSED),
    ("MG6B", "Police officer or staff misconduct record", Disclosure.NEVER),
    ("MG6C", "Schedule of relevant non-sensitive unused material", Disclosure.SERVED),
    ("MG6D", "Schedule of relevant sensitive unused material", Disclosure.NEVER),
    ("MG6E", "Disclosure officer's report", Disclosure.NEVER),
    ("MG9", "Witness list", Disclosure.NEVER),
    ("MG10", "Witness non-availability", Disclosure.NEVER),
    ("MG11", "Witness statement (s.9 CJA 1967)", Disclosure.SERVED),
    ("MG11R", "Witness statement, reverse (not served)", Disclosure.NEVER),
    ("MG12", "Exhibit list", Disclosure.SERVED),
    ("MG15", "Record of interview", Disclosure.SERVED),
    ("MG16", "Bad character and dangerous offender", Disclosure.EDITED),
    ("MG17", "Proceeds of Crime Act review", Disclosure.NEVER),
    ("MG18", "Offences taken into consideration", Disclosure.SERVED),
    ("MG19", "Compensation claim (unedited original)", Disclosure.NEVER),
    ("MG19E", "Compensation claim (edited copy, victim's address removed)", Disclosure.EDITED),
    ("MG20", "Further evidence covering report", Disclosure.NEVER),
    ("MG21", "Forensic submission", Disclosure.NEVER),
    ("SDC", "Streamlined Disclosure Certificate", Disclosure.SERVED),
]

FORM_TYPES: dict[str, FormType] = {code: FormType(code, title, d) for code, title, d in _TABLE}

# The forms Exhibits builds as records (the others are listed for their disclosability).
BUILT_FORMS = ("MG5", "MG6C", "MG6D", "MG6E", "MG11", "MG11R", "MG12", "SDC")


def form_type(code: str) -> FormType:
    try:
        return FORM_TYPES[code.strip().upper()]
    except KeyError:
        raise KeyError(f"unknown form {code!r}") from None


def defence_may_see(code: str) -> bool:
    return form_type(code).defence_may_see
