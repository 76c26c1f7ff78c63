"""Organisation pages (coordinator): the list, and a new organisation."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from donations import i18n
from donations.auth.web import WebActor, web_role
from donations.countries import ISO_3166_ALPHA2, country_name
from donations.db import SessionDep
from donations.errors import DomainError
from donations.i18n import gettext as _
from donations.models import Role, User
from donations.organisations import service
from donations.organisations.schemas import OrganisationCreate
from donations.users import service as user_service
from donations.web import domain_errors, field_errors, form_dict, redirect, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
CoordinatorUser = Annotated[User, Depends(web_role(Role.coordinator))]


def _country(code: str) -> str:
    """The country's name in the page's language (set by `render` before the template runs)."""
    return country_name(code, i18n.current_language())


def _coordinates(lat: float | None, lon: float | None) -> str:
    """ "21.139° S, 175.205° W" in the page's language (to about 100 m), on one line."""
    if lat is None or lon is None:
        return ""
    locale = i18n.current_language()
    # Translators: the initials of north, south, east and west, written after a coordinate.
    north, south, east, west = _("N"), _("S"), _("E"), _("W")

    def degrees(value: float, positive: str, negative: str) -> str:
        number = format_decimal(abs(value), format="0.000", locale=locale)
        return f"{number}\u00b0\u00a0{positive if value >= 0 else negative}"

    return f"{degrees(lat, north, south)},\u00a0{degrees(lon, east, west)}"


def _sort_key(text: str) -> str:
    """Accents ignored, so "Équateur" sorts with the E's."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _country_options() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name), by name in the page's language."""
    names = [(code, _country(code)) for code in ISO_3166_ALPHA2]
    return sorted(names, key=lambda pair: _sort_key(pair[1]))


@router.get("/organisations", name="organisations:list")
def organisations_list(request: Request, session: SessionDep, user: CoordinatorUser) -> Response:
    organisations = sorted(service.list_all(session), key=lambda o: _sort_key(o.name))
    return render(
        request,
        "organisations/list.html",
        {
            "organisations": organisations,
            "user_counts": user_service.count_by_organisation(session),
            "country_name": _country,
            "coordinates": _coordinates,
        },
    )


def _form_values(form: dict[str, str], errors: dict[str, str]) -> dict[str, object]:
    return {"form": form, "errors": errors, "country_options": _country_options}


@router.get("/organisations/new", name="organisations:new")
def organisation_form(request: Request, user: CoordinatorUser) -> Response:
    return render(request, "organisations/new.html", _form_values({}, {}))


@router.post("/organisations/new", name="organisations:create")
async def organisation_create(
    request: Request, session: SessionDep, user: CoordinatorUser, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    errors: dict[str, str] = {}
    try:
        organisation_in = OrganisationCreate(**{k: v for k, v in form.items() if v.strip()})
        organisation = service.create(session, organisation_in=organisation_in, actor=actor)
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        return render(
            request, "organisations/new.html", _form_values(form, errors), status_code=422
        )
    return redirect(
        request,
        f"/organisations#org-{organisation.code}",
        message=_("Organisation {name} ({code}) added.").format(
            name=organisation.name, code=organisation.code
        ),
    )
