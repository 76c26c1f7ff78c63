"""Server-rendered pages: templates, rendering, fragments, CSRF, flash messages.

Every page works as plain HTML forms and links; htmx (vendored in static/) makes the same
forms faster. `render()` answers the whole page, or one named block of it when htmx asks for
that block (see `is_fragment`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import UTC, format_date, format_time
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments.fastapi import Jinja2Blocks

from donations import clock, i18n
from donations.errors import Forbidden
from donations.tags import group_tag


def _assets_root() -> Path:
    """Where templates/ and static/ are: beside the package in a checkout or an editable
    install, else the working directory (the Docker image runs from its copy of the repo)."""
    for candidate in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (candidate / "templates").is_dir() and (candidate / "static").is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent


ROOT = _assets_root()
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

CSRF_COOKIE = "donations_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FLASH_COOKIE = "donations_flash"
LANG_COOKIE = "donations_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    extensions=["jinja2.ext.i18n"],
    autoescape=select_autoescape(),
)
env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)
templates = Jinja2Blocks(env=env)
env.globals["group_tag"] = group_tag
env.policies["ext.i18n.trimmed"] = True


@lru_cache(maxsize=256)
def _static_version(path: str) -> str:
    file = STATIC_DIR / path
    if not file.is_file():
        return "0"
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """The URL of a static file, with its content hash so browsers may cache it for ever."""
    return f"/static/{path}?v={_static_version(path)}"


env.globals["static_url"] = static_url


def _format_date(value: date | datetime | None, style: str = "medium") -> str:
    """A date in the page's language; a time is shown to the minute, in UTC."""
    if value is None:
        return ""
    locale = i18n.current_language()
    if isinstance(value, datetime):
        when = clock.as_utc(value)
        day = format_date(when.date(), style, locale=locale)
        return f"{day}, {format_time(when, 'short', tzinfo=UTC, locale=locale)} UTC"
    return format_date(value, style, locale=locale)


def _format_number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value, locale=i18n.current_language())


env.filters["date"] = _format_date
env.filters["number"] = _format_number
env.filters["tag"] = group_tag


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (double-submit: the cookie and the form must agree)."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """A dependency of every HTML router: unsafe requests must carry the token."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(
            i18n.gettext("The form has expired. Reload the page and try again."),
            csrf=True,
        )


def _set_cookies(request: Request, response: Response) -> None:
    settings = request.app.state.settings
    token = getattr(request.state, "csrf_token", None)
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=60 * 60 * 24 * 365,
        )
    for name, value, max_age in getattr(request.state, "set_cookies", []):
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=max_age,
        )
    for name in getattr(request.state, "delete_cookies", []):
        response.delete_cookie(name)


def set_cookie_later(request: Request, name: str, value: str, max_age: int | None) -> None:
    if not hasattr(request.state, "set_cookies"):
        request.state.set_cookies = []
    request.state.set_cookies.append((name, value, max_age))


def delete_cookie_later(request: Request, name: str) -> None:
    if not hasattr(request.state, "delete_cookies"):
        request.state.delete_cookies = []
    request.state.delete_cookies.append(name)


# --- flash messages (toasts) ---------------------------------------------------------------


def _sign(request: Request, payload: bytes) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:32]


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A message shown once, on the next page (a toast)."""
    messages = list(getattr(request.state, "flashes_out", []))
    messages.append({"m": message, "k": kind})
    request.state.flashes_out = messages


def _encode_flashes(request: Request, messages: list[dict[str, str]]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(messages).encode())
    return f"{payload.decode()}.{_sign(request, payload)}"


def take_flashes(request: Request) -> list[dict[str, str]]:
    """The messages left by the previous request, once."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    payload, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(signature, _sign(request, payload.encode())):
        return []
    delete_cookie_later(request, FLASH_COOKIE)
    try:
        messages = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return []
    return [m for m in messages if isinstance(m, dict)]


def _store_flashes(request: Request, response: Response) -> None:
    messages = getattr(request.state, "flashes_out", None)
    if messages:
        response.set_cookie(
            FLASH_COOKIE,
            _encode_flashes(request, messages),
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
            max_age=120,
        )


# --- responses -----------------------------------------------------------------------------


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )


def is_fragment(request: Request, element_id: str) -> bool:
    """An htmx request aimed at (or made from) the element, so only its block is needed."""
    return is_htmx(request) and element_id in (
        request.headers.get("hx-target"),
        request.headers.get("hx-trigger"),
    )


def context(request: Request, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    # Set for the request by i18n.LanguageMiddleware, then by the user's preference at sign-in.
    language = i18n.current_language()
    base = {
        "request": request,
        "user": user,
        "lang": language,
        "csrf_token": csrf_token(request),
        "flashes": take_flashes(request) + list(getattr(request.state, "flashes_out", [])),
        "base_url": request.app.state.settings.public_base_url,
        "today": clock.now().date(),
    }
    request.state.flashes_out = []
    return base | dict(extra or {})


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page, or only `block` of it."""
    ctx = context(request, values)
    if block is not None:
        response: Response = templates.TemplateResponse(
            request, template, ctx, status_code=status_code, block_name=block
        )
    else:
        response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    response.headers["Content-Language"] = ctx["lang"]
    for name, value in (headers or {}).items():
        response.headers[name] = value
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> Response:
    """Cookies the request left to set: CSRF, session, flash, language."""
    _set_cookies(request, response)
    _store_flashes(request, response)
    return response


def redirect(
    request: Request, url: str, *, message: str | None = None, kind: str = "success"
) -> Response:
    """Post/Redirect/Get: 303 to `url` (htmx follows it), with an optional toast."""
    if message:
        flash(request, message, kind)
    response = RedirectResponse(url, status_code=303)
    return finish(request, response)


def hx_redirect(request: Request, url: str) -> Response:
    response = Response(status_code=204, headers={"HX-Redirect": url})
    return finish(request, response)


# --- forms -----------------------------------------------------------------------------------


def field_errors(exc: Any) -> dict[str, str]:
    """{field: message} from a pydantic ValidationError, in the page's language, for
    re-rendered forms (the first message of each field).

    pydantic's own messages are translated by `i18n.validation_message`; a validator's were
    translated when raised. A model-level message written as "field: message" (or
    "lat, lon: message") is put on that (first) field; any other goes to "__all__".
    """
    errors: dict[str, str] = {}
    for error in exc.errors():
        message = i18n.validation_message(error)
        loc = [str(p) for p in error.get("loc", ())]
        field = loc[0] if loc else "__all__"
        if field == "__all__":
            named, sep, rest = message.partition(":")
            fields = [name.strip() for name in named.split(",")]
            if sep and all(name.isidentifier() for name in fields):
                field, message = fields[0], rest.strip()
        errors.setdefault(field, message)
    return errors


def domain_errors(exc: Any) -> dict[str, str]:
    """{field: message} for a domain error raised with the field of a form at fault, else
    {"__all__": message} for the form as a whole. The message is in the page's language
    (it was translated when raised) and has no field name in front."""
    if exc.field and str(exc.field).isidentifier():
        return {exc.field: exc.message}
    return {"__all__": exc.message}


def form_dict(form: Mapping[str, Any]) -> dict[str, str]:
    """What the user typed, to put back in a re-rendered form."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
