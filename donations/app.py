"""The application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from donations import i18n, migrate, web
from donations.auth import api as auth_api
from donations.auth import views as auth_views
from donations.auth.web import LoginRequired, login_url
from donations.config import Settings, get_settings
from donations.dashboard import views as dashboard_views
from donations.db import Database
from donations.errors import DomainError
from donations.events import api as events_api
from donations.events import views as event_views
from donations.home import views as home_views
from donations.i18n import N_, LanguageMiddleware
from donations.labels import api as labels_api
from donations.organisations import api as organisations_api
from donations.organisations import views as organisation_views
from donations.pledges import api as pledges_api
from donations.pledges import views as pledge_views
from donations.reports import api as reports_api
from donations.scans import api as scans_api
from donations.scans import views as scan_views
from donations.security import SecurityHeaders
from donations.shipments import api as shipments_api
from donations.shipments import views as shipment_views
from donations.tags import api as tags_api
from donations.tags import views as tag_views
from donations.users import api as users_api
from donations.users import views as user_views

log = logging.getLogger("donations")

DESCRIPTION = """
Follow in-kind equipment donations between postal operators, from the donor's pledge through
allocation, shipment, QR-tagged receipt and deployment.

**Authentication**: `POST /api/v1/auth/token` with the form fields `username` and `password`
returns a bearer token; send it as `Authorization: Bearer <token>` (the *Authorize* button
above does this for you).

**Errors** answer `{"detail": "..."}` in English: the message names the field or row at fault
and, for a refused lifecycle step (409), the item's state and the actions allowed from it.
Nothing is written when a request is refused.

**Lists** answer `{"data": [...], "next": CURSOR_OR_NULL}`; pass `?after=CURSOR` for the next
page and `?limit=` (1-1000, default 50).
"""


OPENAPI_TAGS = [
    {"name": "auth", "description": "Bearer tokens: issue, inspect, revoke."},
    {"name": "organisations", "description": "Donor and recipient posts (coordinators)."},
    {"name": "users", "description": "Accounts and roles (coordinators)."},
    {"name": "pledges", "description": "What donors offer, their items and allocations."},
    {"name": "shipments", "description": "Packing, dispatch and closing of shipments."},
    {"name": "tags", "description": "What a QR tag stands for."},
    {"name": "scans", "description": "Receiving and deploying items by their tag."},
    {"name": "reports", "description": "Pipeline figures and exports (CSV, XLSX, IATI)."},
    {"name": "events", "description": "The append-only audit trail."},
    {"name": "labels", "description": "QR images and label sheets."},
    {"name": "health", "description": "Liveness and database checks."},
]
"""The sections of /docs, in the order of the work (routes are registered in another order:
the hottest first)."""


def _freeze_startup_objects() -> None:
    """Leave what start-up built (routes, mappers, templates: long-lived) out of the garbage
    collector's full passes, which otherwise walk all of it every few thousand requests and
    stall every request in flight (the scan benchmark's p99 drops by a quarter). Once per
    process: a test run that starts many apps does not pile them up."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            migrate.upgrade(database.engine)
        await database.start()
        _freeze_startup_objects()
        yield
        database.dispose()

    app = FastAPI(
        title="Donation tracker",
        version="1.0",
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.add_middleware(GZipMiddleware, minimum_size=600)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.add_middleware(
        LanguageMiddleware, cookie=web.LANG_COOKIE, default=settings.default_language
    )
    app.mount("/static", CachedStaticFiles(directory=web.STATIC_DIR), name="static")
    _install_error_handlers(app)
    # Routes are matched in order: the recipients' scan, the hottest, is tried first.
    for module in (
        scans_api,
        auth_api,
        organisations_api,
        users_api,
        pledges_api,
        shipments_api,
        tags_api,
        reports_api,
        events_api,
        labels_api,
    ):
        app.include_router(module.router)
    for views in (
        auth_views,
        home_views,
        tag_views,
        scan_views,
        pledge_views,
        shipment_views,
        event_views,
        dashboard_views,
        organisation_views,
        user_views,
    ):
        app.include_router(views.router)

    @app.get(
        "/healthz",
        tags=["health"],
        name="healthz",
        responses={503: {"description": "The database does not answer."}},
    )
    def healthz(request: Request) -> JSONResponse:
        """For load balancers: 200 when the database answers, 503 otherwise."""
        try:
            database.ping()
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            log.exception("health check failed")
            return JSONResponse(
                {"status": "unavailable", "detail": "database does not answer"}, status_code=503
            )
        return JSONResponse({"status": "ok"})

    _document_extra_schemas(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        """The API reference, from the vendored Swagger UI (works offline)."""
        return Response(DOCS_PAGE, media_type="text/html")

    return app


DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Donation tracker API</title>
<link rel="stylesheet" href="{web.static_url("vendor/swagger-ui/swagger-ui.css")}">
<link rel="icon" href="{web.static_url("favicon.svg")}" type="image/svg+xml">
</head><body><div id="swagger-ui"></div>
<script src="{web.static_url("vendor/swagger-ui/swagger-ui-bundle.js")}"></script>
<script src="{web.static_url("js/swagger-init.js")}"></script>
</body></html>"""


def _document_extra_schemas(app: FastAPI) -> None:
    """Add the schemas that routes reading their body by hand (JSON or a file upload) refer
    to from `openapi_extra`."""
    from fastapi.openapi.utils import get_openapi

    from donations.pledges.schemas import ItemsCreate
    from donations.scans.schemas import ScanRequest

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in (ItemsCreate, ScanRequest):
                extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(extra.pop("$defs", {}))
                schemas[model.__name__] = extra
            schemas["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
            _summaries_from_docstrings(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "description": "A request that does not validate: `detail` names the field(s) at fault; "
    "`errors` lists them for programs.",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "example": "quantity: Input should be greater than 0"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _summaries_from_docstrings(spec: dict[str, Any]) -> None:
    """Each operation's summary is the first sentence of its description (its docstring),
    not the route's name."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            first = operation.get("description", "").strip().split("\n\n")[0].replace("\n", " ")
            sentence = first.split(". ")[0].rstrip(".").rstrip(":")
            if len(sentence) > 100:
                sentence = sentence[:100].rsplit(" ", 1)[0].rstrip(",;:") + "…"
            if sentence:
                operation["summary"] = sentence


def _field_message(error: dict[str, Any], *, translated: bool = False) -> str:
    """One error of a request that does not validate, as "where: message". The JSON API
    keeps pydantic's English; a page (`translated`) gets the message in its language."""
    loc = [
        str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "form")
    ]
    if translated:
        message = i18n.validation_message(error)
    else:
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    where = ".".join(loc)
    if where and message.startswith(where.split(".")[-1] + ":"):
        return message
    if not where:
        return message
    if translated:
        # Translators: a field's name (as the form sends it) and what is wrong with it.
        return i18n.gettext("{field}: {message}").format(field=where, message=message)
    return f"{where}: {message}"


class CachedStaticFiles(StaticFiles):
    """Static files are referenced with their content hash (`?v=`), so they never go stale."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


ERROR_TITLES = {
    400: N_("Bad request"),
    401: N_("Sign in first"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    413: N_("Too large"),
    422: N_("Check the form"),
}
ERROR_TITLE_DEFAULT = N_("Something went wrong")  # any other status

# What a page says for an HTTP error of the framework (a route's own errors are DomainErrors,
# with their own messages); any other status shows the framework's English detail.
HTTP_MESSAGES = {
    404: N_("There is no page at this address."),
    405: N_("This address does not take this kind of request."),
}


def _html_error(request: Request, status_code: int, message: str) -> Response:
    """A friendly page, or for an htmx action a toast that leaves the page as it is."""
    if web.is_htmx(request) and request.headers.get("hx-boosted") != "true":
        body = web.env.get_template("macros/toast.html").module.oob_toast(message)  # type: ignore[attr-defined]
        response = Response(str(body), status_code=status_code, media_type="text/html")
        response.headers["HX-Reswap"] = "none"
        return response
    title = i18n.gettext(ERROR_TITLES.get(status_code, ERROR_TITLE_DEFAULT))
    return web.render(
        request,
        "errors/error.html",
        {"status_code": status_code, "title": title, "message": message},
        status_code=status_code,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.detail, **exc.extra},
                status_code=exc.status_code,
                headers=exc.headers,
            )
        if isinstance(exc, LoginRequired):
            return web.redirect(request, login_url(exc.extra.get("next")))
        # The message alone: it was written in the page's language when raised, and a
        # field's code name (`item_ids[3]`) would mean little to a person.
        return _html_error(request, exc.status_code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        known = HTTP_MESSAGES.get(exc.status_code)
        message = i18n.gettext(known) if known else str(exc.detail)
        return _html_error(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if not _wants_json(request):  # a page's form: a friendly page (or toast), not JSON
            message = "; ".join(_field_message(e, translated=True) for e in errors)
            return _html_error(request, 422, message or i18n.gettext("The request is invalid."))
        detail = "; ".join(_field_message(e) for e in errors) or "invalid request"
        return JSONResponse({"detail": detail, "errors": _jsonable(errors)}, status_code=422)

    def _failure(request: Request, status: int, detail: str, **headers: str) -> Response:
        """`detail` is English for the API, and a page gets it in its language (the
        messages are marked with N_ below)."""
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)
        response = _html_error(request, status, i18n.gettext(detail))
        response.headers.update(headers)
        return response

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # The services check before they write; this is a concurrent request that won a race.
        log.warning("integrity error: %s", exc.orig)
        return _failure(
            request,
            409,
            N_("a concurrent change conflicted with this request; nothing was written, try again"),
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold (an id beyond its integer range, say); SQLite's
        # driver refuses integers beyond 64 bits (OverflowError) before the database sees them.
        return _failure(request, 422, N_("a value is out of range for this field"))

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", exc.orig)
        return _failure(
            request,
            503,
            N_("the database is busy or unavailable; nothing was written, try again"),
            **{"Retry-After": "1"},
        )


def _jsonable(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append(
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
        )
    return out
