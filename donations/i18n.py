"""English and French: gettext catalogues read with Babel, the language of each request.

The catalogues are `donations/locale/<lang>/LC_MESSAGES/messages.po`, compiled in memory at
start-up (no .mo files to keep in step). `gettext` here translates into the language of the
current request (a context variable set by the web layer); the JSON API stays in English.

Error messages are translated when they are raised (`_("... {name} ...").format(...)`), so
they follow the same rule: French on a French page, English on the API and outside requests.
`validation_message` does the same for pydantic's own messages. This module depends on
nothing else of the app, so pure modules (the lifecycle, the S10 and tag checks) may use it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


class _Box:
    """The request's language, shared by every context copied from the request's (the
    threadpool runs sync dependencies and handlers in copies), so a dependency that learns
    the user's preference can change it for the handler too."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


_language: ContextVar[_Box | None] = ContextVar("language", default=None)


@lru_cache
def translations(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def current_language() -> str:
    box = _language.get()
    return box.value if box is not None else DEFAULT_LANGUAGE


@contextmanager
def language(code: str) -> Iterator[None]:
    """Translate into `code` inside the block (a request, a test, a command)."""
    token = _language.set(_Box(code if code in LANGUAGES else DEFAULT_LANGUAGE))
    try:
        yield
    finally:
        _language.reset(token)


def set_language(code: str) -> None:
    """Change the current request's language (visible to the rest of the request)."""
    value = code if code in LANGUAGES else DEFAULT_LANGUAGE
    box = _language.get()
    if box is None:
        _language.set(_Box(value))
    else:
        box.value = value


def gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the sense `context` gives it (a state, a role...): the same English word
    may need different French ones."""
    return str(translations(current_language()).pgettext(context, message))


_ = gettext


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it: for strings written in a table
    and translated later by a call on a variable (`gettext(TITLES[code])`)."""
    return message


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an Accept-Language header (q-values respected), or None."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip().replace("-", "_")))
    preferred = [tag for _q, _p, tag in sorted(weighted)]
    negotiated = Locale.negotiate(preferred, list(LANGUAGES), sep="_")
    return str(negotiated.language) if negotiated else None


class LanguageMiddleware:
    """Starts every request in the language its browser asks for (the footer's choice, then
    Accept-Language); a signed-in user's preference replaces it once the user is known."""

    def __init__(self, app: ASGIApp, *, cookie: str, default: str) -> None:
        self.app = app
        self.cookie = cookie.encode()
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)  # the JSON API stays in English
            return
        chosen, accept = None, None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.split(b";"):
                    key, _sep, val = part.strip().partition(b"=")
                    if key == self.cookie and val.decode("latin-1") in LANGUAGES:
                        chosen = val.decode("latin-1")
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        with language(chosen or negotiate(accept) or self.default):
            await self.app(scope, receive, send)


# --- pydantic's validation messages ------------------------------------------------------------

# pydantic writes its messages in English. These are its templates (pydantic_core's
# `message_template_python`), marked for translation; the placeholders are filled from the
# error's `ctx`. With the English catalogue they give exactly pydantic's own words.
VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "none_required": N_("Input should be None"),
    "string_type": N_("Input should be a valid string"),
    "string_unicode": N_(
        "Input should be a valid string, unable to parse raw data as a unicode string"
    ),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": N_(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "date_past": N_("Date should be in the past"),
    "date_future": N_("Date should be in the future"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "datetime_past": N_("Input should be in the past"),
    "datetime_future": N_("Input should be in the future"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_naive": N_("Input should not have timezone info"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "json_invalid": N_("Invalid JSON: {error}"),
    "uuid_type": N_("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": N_("Input should be a valid UUID, {error}"),
    "url_parsing": N_("Input should be a valid URL, {error}"),
}

# The messages that count something: their plural depends on the number under `count`.
_PLURAL_MESSAGES: dict[str, tuple[str, Callable[[int], str]]] = {
    "string_too_short": (
        "min_length",
        lambda n: ngettext(
            "String should have at least {min_length} character",
            "String should have at least {min_length} characters",
            n,
        ),
    ),
    "string_too_long": (
        "max_length",
        lambda n: ngettext(
            "String should have at most {max_length} character",
            "String should have at most {max_length} characters",
            n,
        ),
    ),
    "too_short": (
        "min_length",
        lambda n: ngettext(
            "{field_type} should have at least {min_length} item after validation, "
            "not {actual_length}",
            "{field_type} should have at least {min_length} items after validation, "
            "not {actual_length}",
            n,
        ),
    ),
    "too_long": (
        "max_length",
        lambda n: ngettext(
            "{field_type} should have at most {max_length} item after validation, "
            "not {actual_length}",
            "{field_type} should have at most {max_length} items after validation, "
            "not {actual_length}",
            n,
        ),
    ),
    "decimal_max_digits": (
        "max_digits",
        lambda n: ngettext(
            "Decimal input should have no more than {max_digits} digit in total",
            "Decimal input should have no more than {max_digits} digits in total",
            n,
        ),
    ),
    "decimal_max_places": (
        "decimal_places",
        lambda n: ngettext(
            "Decimal input should have no more than {decimal_places} decimal place",
            "Decimal input should have no more than {decimal_places} decimal places",
            n,
        ),
    ),
    "decimal_whole_digits": (
        "whole_digits",
        lambda n: ngettext(
            "Decimal input should have no more than {whole_digits} digit before the decimal point",
            "Decimal input should have no more than {whole_digits} digits before the decimal point",
            n,
        ),
    ),
}


def _field_type(name: str) -> str:
    """The collection named in "List should have at least 2 items" (`too_short`)."""
    names = {
        # Translators: the subject of "... should have at least N items" (validation
        # messages): write it with its article if the language needs one ("La liste").
        "List": pgettext("validation", "List"),
        "Tuple": pgettext("validation", "Tuple"),
        "Set": pgettext("validation", "Set"),
        "Frozenset": pgettext("validation", "Frozenset"),
        "Dictionary": pgettext("validation", "Dictionary"),
        "Value": pgettext("validation", "Value"),
        "Data": pgettext("validation", "Data"),
    }
    return names.get(name, name)


# Why a date or a time could not be read (the `{error}` of the date and datetime messages,
# speedate's words).
_TEMPORAL_ERRORS = frozenset(
    (
        N_("input is too short"),
        N_("input is too long"),
        N_("unexpected extra characters at the end of the input"),
        N_("invalid datetime separator, expected `T`, `t`, `_` or space"),
        N_("invalid date separator, expected `-`"),
        N_("invalid character in year"),
        N_("invalid character in month"),
        N_("invalid character in day"),
        N_("invalid time separator, expected `:`"),
        N_("invalid character in hour"),
        N_("invalid character in minute"),
        N_("invalid character in second"),
        N_("invalid character in second fraction"),
        N_("invalid timezone sign"),
        N_("invalid timezone hour"),
        N_("invalid timezone minute"),
        N_("timezone minute value is outside expected range of 0-59"),
        N_("timezone offset must be less than 24 hours"),
        N_("month value is outside expected range of 1-12"),
        N_("day value is outside expected range"),
        N_("hour value is outside expected range of 0-23"),
        N_("minute value is outside expected range of 0-59"),
        N_("second value is outside expected range of 0-59"),
        N_("second fraction value is more than 6 digits long"),
        N_("second fraction digits missing after `.`"),
    )
)


def _alternatives(expected: str) -> str:
    """pydantic's "'good' or 'damaged'", with the "or" in the current language."""
    head, sep, last = expected.rpartition("' or '")
    if not sep:
        return expected
    # Translators: the last two values of a list of choices: "'good' or 'damaged'".
    return gettext("{first} or {last}").format(first=head + "'", last="'" + last)


def validation_message(error: Mapping[str, object]) -> str:
    """The message of one pydantic error (an item of `ValidationError.errors()`), in the
    current language.

    A validator's own message (`value_error`) was translated when it was raised: it comes
    back without pydantic's "Value error, " prefix. Any other error type is looked up in
    the templates above; one not there keeps pydantic's English message.
    """
    kind = str(error.get("type", ""))
    english = str(error.get("msg", ""))
    if kind == "value_error":
        return english.removeprefix("Value error, ")
    raw_ctx = error.get("ctx")
    ctx: dict[str, object] = dict(raw_ctx) if isinstance(raw_ctx, Mapping) else {}
    if kind in _PLURAL_MESSAGES:
        key, template = _PLURAL_MESSAGES[kind]
        count = ctx.get(key)
        message = template(count if isinstance(count, int) else 2)
    elif kind in VALIDATION_MESSAGES:
        message = gettext(VALIDATION_MESSAGES[kind])
    else:
        return english
    if isinstance(ctx.get("field_type"), str):
        ctx["field_type"] = _field_type(str(ctx["field_type"]))
    if isinstance(ctx.get("expected"), str):
        ctx["expected"] = _alternatives(str(ctx["expected"]))
    if isinstance(ctx.get("error"), str) and ctx["error"] in _TEMPORAL_ERRORS:
        ctx["error"] = gettext(str(ctx["error"]))
    for key, value in ctx.items():
        if isinstance(value, float) and value.is_integer():
            ctx[key] = int(value)  # as pydantic writes a bound: 90, not 90.0
    try:
        return message.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return english
