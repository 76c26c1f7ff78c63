"""English and French: gettext catalogues read with Babel, the language of each request.

The catalogues are `donations/locale/<lang>/LC_MESSAGES/messages.po`, compiled in memory at
start-up (no .mo files to keep in step). `gettext` here translates into the language of the
current request (a context variable set by the web layer); the JSON API stays in English.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


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
    return _language.get()


@contextmanager
def language(code: str) -> Iterator[None]:
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(code: str) -> None:
    _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


_ = gettext


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
