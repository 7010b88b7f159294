"""The questions a force asks the public, and the answers' rules.

Built-in question sets follow Operation Snap practice (shared/reference/standards.md section 8):
for dashcam reports the date and time, place, the offending vehicle's registration (mandatory:
plates are never "enhanced"), its make and colour, and what happened. A force may replace them
in ``[portal] forms``. Labels are English msgids: the web pages translate them (gettext).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from exhibits import identifiers
from exhibits.errors import InvalidInput

UK = ZoneInfo("Europe/London")


def N_(message: str) -> str:
    """Mark an English message for the catalogue: the web pages translate it when shown."""
    return message


NIP_DAYS = 14  # Road Traffic Offenders Act 1988 s.1: notice within 14 days of the offence


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: str = Field(min_length=1, max_length=200)
    label_cy: str | None = Field(default=None, max_length=200)  # Welsh, for force-written questions
    kind: Literal["text", "textarea", "date", "time", "vrm"] = "text"
    required: bool = True
    hint: str | None = Field(default=None, max_length=300)
    max_length: int = Field(default=300, ge=1, le=20000)


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    driving: bool = False  # a moving-traffic report: the NIP clock runs from the offence date
    questions: list[Question]


def _q(name: str, label: str, kind: str = "text", **extra) -> Question:
    return Question(name=name, label=label, kind=kind, **extra)  # type: ignore[arg-type]


DEFAULT_FORMS: dict[str, Form] = {
    "dashcam": Form(
        title=N_("Report a driving offence with dashcam footage"),
        driving=True,
        questions=[
            _q("offence_date", N_("Date of the incident"), "date"),
            _q("offence_time", N_("Time of the incident"), "time"),
            _q("location", N_("Where it happened"), hint=N_("Road name, town, and direction of travel")),
            _q(
                "vrm",
                N_("Registration of the vehicle you are reporting"),
                "vrm",
                hint=N_("For example AB12 CDE"),
            ),
            _q("vehicle", N_("Make, model and colour of that vehicle"), required=False),
            _q(
                "account",
                N_("What happened"),
                "textarea",
                max_length=10000,
                hint=N_("Describe what the driver did and how you were involved"),
            ),
        ],
    ),
    "general": Form(
        title=N_("Send evidence to the police"),
        questions=[
            _q("offence_date", N_("Date of the incident"), "date"),
            _q("location", N_("Where it happened")),
            _q("account", N_("What your footage or photographs show"), "textarea", max_length=10000),
        ],
    ),
}


def validate_answers(form: Form, answers: dict[str, object], now: datetime) -> dict[str, str]:
    """Clean answers, or InvalidInput naming each problem (never echoing the input)."""
    clean: dict[str, str] = {}
    problems: list[str] = []
    unknown = set(answers) - {q.name for q in form.questions}
    if unknown:
        problems.append(f"{len(unknown)} answer(s) to questions this form does not ask")
    for question in form.questions:
        raw = answers.get(question.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if raw is not None and not isinstance(raw, str):
            problems.append(f"{question.name}: " + N_("must be text"))
            continue
        if not text:
            if question.required:
                problems.append(f"{question.name}: " + N_("required"))
            continue
        if len(text) > question.max_length:
            problems.append(f"{question.name}: at most {question.max_length} characters")
            continue
        try:
            clean[question.name] = _check(question, text, now)
        except ValueError as exc:
            problems.append(f"{question.name}: {exc}")
    if problems:
        raise InvalidInput("the answers need attention: " + "; ".join(problems))
    return clean


def _check(question: Question, text: str, now: datetime) -> str:
    if question.kind == "date":
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(N_("a date such as 2026-11-21")) from None
        if value > now.astimezone(UK).date():
            raise ValueError(N_("cannot be in the future"))
        return value.isoformat()
    if question.kind == "time":
        if not re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", text) or int(text[:2]) > 23:
            raise ValueError(N_("a time such as 14:30"))
        return text
    if question.kind == "vrm":
        value = identifiers.compact(text)
        if not re.fullmatch(r"[A-Z0-9]{2,8}", value):
            raise ValueError(N_("letters and numbers only, as on the number plate"))
        return value  # unknown formats (foreign, diplomatic) are kept and flagged, never refused
    return text


def vrm_note(value: str) -> str | None:
    """Why an officer should look twice at a registration (shared/reference/standards.md)."""
    if identifiers.vrm_kind(value):
        return None
    return N_("not a recognised GB or NI format: foreign, diplomatic, trade or misread plate")


def offence_time(answers: dict[str, str]) -> datetime | None:
    """When the offence happened (UK local time in the answers), as UTC."""
    day = answers.get("offence_date")
    if not day:
        return None
    clock = time.fromisoformat(answers["offence_time"]) if answers.get("offence_time") else time(0, 0)
    return datetime.combine(date.fromisoformat(day), clock, tzinfo=UK).astimezone(UTC)


def nip_deadline(offence_at: datetime | None) -> datetime | None:
    """The last moment to serve a Notice of Intended Prosecution: the end of the 14th day
    after the offence (UK local time)."""
    if offence_at is None:
        return None
    local = offence_at.astimezone(UK).date() + timedelta(days=NIP_DAYS)
    return datetime.combine(local, time(23, 59, 59), tzinfo=UK).astimezone(UTC)


DECLARATION = N_(
    "This statement is true to the best of my knowledge and belief and I make it knowing that, "
    "if it is tendered in evidence, I shall be liable to prosecution if I have wilfully stated in "
    "it anything which I know to be false, or do not believe to be true."
)  # Criminal Justice Act 1967 s.9 (the MG11 declaration)
