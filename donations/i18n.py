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
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
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
