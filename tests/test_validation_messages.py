"""pydantic's own validation messages in the page's language (`i18n.validation_message`).

Every error type of the table is produced here by a real pydantic validation, so the table's
templates and their placeholders are checked against what pydantic actually sends: in
English they give pydantic's words exactly, in French a French sentence with every
placeholder filled.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

import pytest
from pydantic import (
    AnyUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FutureDate,
    FutureDatetime,
    Json,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from donations import i18n
from donations.i18n import gettext as _


class Condition(Enum):
    good = "good"
    damaged = "damaged"


class Inner(BaseModel):
    number: int


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = 0


class Validated(BaseModel):
    """A validator of our own: its message is translated when it is raised."""

    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("must not be blank"))
        return value


def error_of(kind: Any, value: Any, *, json: bool = False, **options: Any) -> dict[str, Any]:
    """The (first) error pydantic reports for `value` validated as `kind`."""
    adapter = TypeAdapter(kind)
    try:
        if json:
            adapter.validate_json(value, **options)
        else:
            adapter.validate_python(value, **options)
    except ValidationError as exc:
        return dict(exc.errors()[0])
    raise AssertionError(f"{value!r} is a valid {kind}")


# One real error of every type the table translates: (type, how to get it). Several types
# come twice, to try both plural forms or both kinds of `ctx`.
CASES: list[tuple[str, Any]] = [
    ("missing", lambda: error_of(Inner, {})),
    ("extra_forbidden", lambda: error_of(Strict, {"other": 1})),
    ("none_required", lambda: error_of(None, 1)),
    ("string_type", lambda: error_of(str, 1)),
    ("string_unicode", lambda: error_of(str, b"\xff")),
    ("string_pattern_mismatch", lambda: error_of(Annotated[str, Field(pattern="^[A-Z]+$")], "a")),
    ("string_too_short", lambda: error_of(Annotated[str, Field(min_length=1)], "")),
    ("string_too_short", lambda: error_of(Annotated[str, Field(min_length=3)], "ab")),
    ("string_too_long", lambda: error_of(Annotated[str, Field(max_length=1)], "ab")),
    ("string_too_long", lambda: error_of(Annotated[str, Field(max_length=200)], "x" * 201)),
    ("int_type", lambda: error_of(int, [])),
    ("int_parsing", lambda: error_of(int, "abc")),
    ("int_parsing_size", lambda: error_of(int, "9" * 5000)),
    ("int_from_float", lambda: error_of(int, 1.5)),
    ("float_type", lambda: error_of(float, [])),
    ("float_parsing", lambda: error_of(float, "north")),
    ("finite_number", lambda: error_of(Annotated[float, Field(allow_inf_nan=False)], 1e400)),
    ("decimal_type", lambda: error_of(Decimal, [])),
    ("decimal_parsing", lambda: error_of(Decimal, "12,50")),
    ("decimal_max_digits", lambda: error_of(Annotated[Decimal, Field(max_digits=1)], "12")),
    ("decimal_max_digits", lambda: error_of(Annotated[Decimal, Field(max_digits=14)], "1" * 15)),
    (
        "decimal_max_places",
        lambda: error_of(Annotated[Decimal, Field(decimal_places=2)], "450.125"),
    ),
    (
        "decimal_whole_digits",
        lambda: error_of(Annotated[Decimal, Field(max_digits=4, decimal_places=2)], "123.4"),
    ),
    ("greater_than", lambda: error_of(Annotated[int, Field(gt=0)], 0)),
    ("greater_than_equal", lambda: error_of(Annotated[int, Field(ge=1)], 0)),
    ("less_than", lambda: error_of(Annotated[float, Field(lt=90)], 91)),
    ("less_than_equal", lambda: error_of(Annotated[int, Field(le=1_000_000)], 2_000_000)),
    ("multiple_of", lambda: error_of(Annotated[int, Field(multiple_of=5)], 7)),
    ("bool_type", lambda: error_of(bool, [])),
    ("bool_parsing", lambda: error_of(bool, "perhaps")),
    ("enum", lambda: error_of(Condition, "broken")),
    ("literal_error", lambda: error_of(Literal["receive", "deploy"], "scan")),
    ("literal_error", lambda: error_of(Literal["en", "fr", "es"], "de")),
    ("literal_error", lambda: error_of(Literal["fr"], "de")),
    ("date_type", lambda: error_of(date, [])),
    ("date_parsing", lambda: error_of(date, '"2026-13-01"', json=True, strict=True)),
    ("date_from_datetime_parsing", lambda: error_of(date, "20/12/2026")),
    ("date_from_datetime_parsing", lambda: error_of(date, "2026-02-30")),
    ("date_from_datetime_inexact", lambda: error_of(date, "2026-01-01T10:00")),
    ("date_past", lambda: error_of(PastDate, date(2999, 1, 1))),
    ("date_future", lambda: error_of(FutureDate, date(2000, 1, 1))),
    ("datetime_type", lambda: error_of(datetime, [])),
    ("datetime_parsing", lambda: error_of(datetime, '"2026-01-01T25:00"', json=True, strict=True)),
    ("datetime_from_date_parsing", lambda: error_of(datetime, "tomorrow")),
    ("datetime_past", lambda: error_of(PastDatetime, datetime(2999, 1, 1))),
    ("datetime_future", lambda: error_of(FutureDatetime, datetime(2000, 1, 1))),
    ("timezone_aware", lambda: error_of(AwareDatetime, datetime(2026, 1, 1))),
    ("timezone_naive", lambda: error_of(NaiveDatetime, datetime(2026, 1, 1).astimezone())),
    ("too_short", lambda: error_of(Annotated[list[int], Field(min_length=1)], [])),
    ("too_short", lambda: error_of(Annotated[list[int], Field(min_length=2)], [1])),
    ("too_long", lambda: error_of(Annotated[list[int], Field(max_length=1)], [1, 2])),
    ("too_long", lambda: error_of(Annotated[tuple[int, ...], Field(max_length=2)], (1, 2, 3))),
    ("list_type", lambda: error_of(list[int], 1)),
    ("dict_type", lambda: error_of(dict[str, int], 1)),
    ("model_attributes_type", lambda: error_of(Inner, 1, from_attributes=True)),
    ("json_invalid", lambda: error_of(Json[int], "{")),
    ("uuid_type", lambda: error_of(UUID, 1)),
    ("uuid_parsing", lambda: error_of(UUID, "7KQ2-9XHM")),
    ("url_parsing", lambda: error_of(AnyUrl, "not a url")),
]

# The types the pages meet, which the table must cover at the least.
REQUIRED = {
    "missing",
    "string_too_short",
    "string_too_long",
    "string_type",
    "string_pattern_mismatch",
    "int_parsing",
    "int_type",
    "int_from_float",
    "float_parsing",
    "decimal_parsing",
    "decimal_max_digits",
    "decimal_max_places",
    "decimal_whole_digits",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "bool_parsing",
    "enum",
    "literal_error",
    "date_parsing",
    "date_from_datetime_parsing",
    "datetime_parsing",
    "datetime_from_date_parsing",
    "too_short",
    "too_long",
    "list_type",
    "extra_forbidden",
    "json_invalid",
    "uuid_parsing",
}

PLACEHOLDER = re.compile(r"\{[a-z_]*(![rsa])?\}")
IDS = [f"{kind}-{n}" for n, (kind, _make) in enumerate(CASES)]


def table() -> set[str]:
    return set(i18n.VALIDATION_MESSAGES) | set(i18n._PLURAL_MESSAGES)


def test_the_table_covers_the_types_the_pages_meet() -> None:
    assert table() >= REQUIRED, sorted(REQUIRED - table())


def test_every_type_of_the_table_is_tried_here() -> None:
    assert {kind for kind, _make in CASES} == table()


@pytest.mark.parametrize(("kind", "make"), CASES, ids=IDS)
def test_english_is_pydantics_own_message(kind: str, make: Any) -> None:
    error = make()
    assert error["type"] == kind
    with i18n.language("en"):
        assert i18n.validation_message(error) == error["msg"]


@pytest.mark.parametrize(("kind", "make"), CASES, ids=IDS)
def test_french_is_a_french_sentence_with_its_placeholders_filled(kind: str, make: Any) -> None:
    error = make()
    assert error["type"] == kind
    with i18n.language("fr"):
        message = i18n.validation_message(error)
    assert message and message != error["msg"], message
    assert not PLACEHOLDER.search(message), message
    assert "Input should" not in message and " should " not in message, message
    for key, value in (error.get("ctx") or {}).items():
        if key in ("expected", "field_type", "error"):
            continue  # translated themselves (below)
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        assert str(shown) in message, (key, value, message)


def test_french_examples() -> None:
    with i18n.language("fr"):
        assert i18n.validation_message(error_of(Inner, {})) == "Champ obligatoire"
        assert i18n.validation_message(error_of(int, "abc")) == (
            "La valeur doit être un nombre entier valide, le texte saisi n’est pas un nombre entier"
        )
        assert i18n.validation_message(error_of(Annotated[int, Field(ge=1)], 0)) == (
            "La valeur doit être supérieure ou égale à 1"
        )
        short = error_of(Annotated[str, Field(max_length=1)], "ab")
        assert i18n.validation_message(short) == "La chaîne doit contenir au plus 1 caractère"
        long = error_of(Annotated[str, Field(max_length=100)], "x" * 101)
        assert i18n.validation_message(long) == "La chaîne doit contenir au plus 100 caractères"
        items = error_of(Annotated[list[int], Field(min_length=2)], [1])
        assert i18n.validation_message(items) == (
            "La liste doit contenir au moins 2 éléments après validation, et non 1"
        )
        choice = error_of(Condition, "broken")
        assert i18n.validation_message(choice) == "La valeur doit être 'good' ou 'damaged'"
        three = error_of(Literal["en", "fr", "es"], "de")
        assert i18n.validation_message(three) == "La valeur doit être 'en', 'fr' ou 'es'"
        when = error_of(date, "2026-13-01")
        assert i18n.validation_message(when) == (
            "La valeur doit être une date ou une date et heure valide, "
            "le mois est hors de la plage attendue (1-12)"
        )


def test_a_validators_own_message_comes_back_without_pydantics_prefix() -> None:
    for language, words in (("en", "must not be blank"), ("fr", "ne doit pas être vide")):
        with i18n.language(language):
            error = error_of(Validated, {"name": "  "})
            assert error["type"] == "value_error"
            assert error["msg"] == f"Value error, {words}"
            assert i18n.validation_message(error) == words


def test_an_unknown_type_keeps_pydantics_english() -> None:
    error = {"type": "no_such_type", "msg": "Something pydantic said", "ctx": {"x": 1}}
    with i18n.language("fr"):
        assert i18n.validation_message(error) == "Something pydantic said"


def test_a_template_whose_ctx_lacks_a_placeholder_keeps_pydantics_english() -> None:
    error = {"type": "greater_than", "msg": "Input should be greater than 0", "ctx": {}}
    with i18n.language("fr"):
        assert i18n.validation_message(error) == "Input should be greater than 0"
