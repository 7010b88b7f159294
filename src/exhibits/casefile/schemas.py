"""Typed content of each form record, validated before anything is stored.

The MG11's served part and its reverse ("not served": contact details, dates to avoid,
special measures, consents) are different types stored as different records, so the
reverse can never be rendered, shared or bundled as part of a served statement.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from exhibits import identifiers
from exhibits.errors import InvalidInput

Text = Annotated[str, Field(max_length=20000)]
Line = Annotated[str, Field(min_length=1, max_length=300)]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


PERSON_ROLES = ("suspect", "victim", "witness", "reporting-person", "officer")


class PersonInput(_Form):
    """A POLE person with validated UK identifiers (stored canonical, shown in display form)."""

    role: Literal["suspect", "victim", "witness", "reporting-person", "officer"]
    given_names: Line
    surname: Annotated[str, Field(min_length=1, max_length=100)]
    date_of_birth: date | None = None
    occupation: Annotated[str, Field(max_length=200)] | None = None
    pnc_id: str | None = None
    nino: str | None = None
    cro: str | None = None
    address: Annotated[str, Field(max_length=1000)] | None = None
    postcode: str | None = None
    phone: str | None = None
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    mopi_group: Annotated[int, Field(ge=1, le=4)] | None = None

    @field_validator("pnc_id")
    @classmethod
    def _pnc(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not identifiers.pnc_id_valid(value):
            raise ValueError("not a valid PNC ID (YY/NNNNNNND with its mod-23 check letter)")
        return identifiers.normalise_pnc_id(value)

    @field_validator("nino")
    @classmethod
    def _nino(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normal = identifiers.normalise_nino(value)
        if normal is None:
            raise ValueError("not a valid National Insurance number (e.g. AB123456C)")
        return normal

    @field_validator("cro")
    @classmethod
    def _cro(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normal = identifiers.compact(value)
        if not identifiers.COMPILED["cro"].match(normal):
            raise ValueError("not a valid CRO number (NNNNNN/YYD)")
        return normal

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normal = identifiers.normalise_postcode(value)
        if normal is None:
            raise ValueError("not a valid UK postcode")
        return normal

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normal = identifiers.normalise_phone(value)
        if normal is None:
            raise ValueError("not a valid telephone number")
        return normal

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value: date | None) -> date | None:
        if value is not None and (value > date.today() or value.year < 1880):
            raise ValueError("date of birth is not plausible")
        return value

    @property
    def identifier_map(self) -> dict[str, str]:
        return {k: v for k, v in (("pnc_id", self.pnc_id), ("nino", self.nino), ("cro", self.cro)) if v}


class MG11(_Form):
    """The served statement: what the court and the defence read."""

    statement_of: Line
    age: Literal["over 18"] | Annotated[int, Field(ge=0, le=17)] = "over 18"
    occupation: Annotated[str, Field(max_length=200)] | None = None
    statement_date: date
    body: Annotated[str, Field(min_length=1, max_length=200000)]
    exhibits_produced: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list)
    reader: Annotated[str, Field(max_length=200)] | None = None  # read to a witness who cannot read
    person_id: str | None = None


class DateRange(_Form):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError("a date range ends before it starts")
        return self


class MG11Reverse(_Form):
    """The reverse of the MG11: never served, never in a defence bundle."""

    home_address: Annotated[str, Field(max_length=1000)] | None = None
    postcode: str | None = None
    phones: list[str] = Field(default_factory=list)
    email: Annotated[str, Field(max_length=254)] | None = None
    preferred_contact: Annotated[str, Field(max_length=100)] | None = None
    dates_to_avoid: list[DateRange] | Literal["none"]  # explicit "none", never left blank
    consent_medical_records: bool | None = None
    special_measures: Annotated[str, Field(max_length=4000)] | None = None
    particular_needs: Annotated[str, Field(max_length=4000)] | None = None
    willing_to_attend_court: bool | None = None
    victim_personal_statement_offered: bool | None = None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return PersonInput._postcode(value)  # type: ignore[arg-type]

    @field_validator("phones")
    @classmethod
    def _phones(cls, values: list[str]) -> list[str]:
        return [PersonInput._phone(v) for v in values]  # type: ignore[misc]


class MG5(_Form):
    """Police report / case summary, in its sections; locked when a supervisor signs it off."""

    anticipated_plea: Literal["GAP", "NGAP"]
    headline: Annotated[str, Field(min_length=1, max_length=2000)]
    chronology: Text = ""
    key_witnesses: Text = ""
    interview_summary: Text = ""
    visual_evidence: Text = ""
    compensation: Text = ""
    other_information: Text = ""


class MG6EEntry(_Form):
    item_no: Annotated[int, Field(ge=1)]
    schedule: Literal["MG6C", "MG6D"]
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    copy_supplied: bool = False


class MG6E(_Form):
    """Disclosure officer's report: items that might undermine the prosecution or assist the defence."""

    entries: list[MG6EEntry] = Field(default_factory=list)
    comments: Text = ""


class NilReturn(_Form):
    """A signed MG6D nil return: there is no sensitive unused material."""

    nil_return: Literal[True] = True
    statement: Annotated[str, Field(max_length=2000)] = (
        "I certify that, to the best of my knowledge and belief, there is no relevant sensitive "
        "unused material in this case."
    )


class SDC(_Form):
    """Streamlined Disclosure Certificate (summary cases)."""

    items_to_disclose: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    statement: Text = (
        "I certify that I have reviewed the relevant unused material and that, to the best of "
        "my knowledge and belief, the material listed might reasonably be considered capable of "
        "undermining the case for the prosecution or of assisting the case for the accused."
    )


FORM_SCHEMAS: dict[str, type[_Form]] = {
    "MG11": MG11,
    "MG11R": MG11Reverse,
    "MG5": MG5,
    "MG6E": MG6E,
    "MG6D": NilReturn,
    "SDC": SDC,
}


def validate_form(form: str, data: dict) -> dict:
    """Validated, normalised content (JSON-ready) or InvalidInput naming each problem."""
    schema = FORM_SCHEMAS.get(form)
    if schema is None:
        raise InvalidInput(f"{form} is not a form record Exhibits keeps")
    return model_json(_validate(schema, data))


def validate_person(data: dict) -> PersonInput:
    return _validate(PersonInput, data)  # type: ignore[return-value]


def _validate(schema: type[_Form], data: dict) -> _Form:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(f"invalid {schema.__name__}: {problems}") from None


def model_json(model: BaseModel) -> dict:
    return model.model_dump(mode="json", exclude_none=False)
