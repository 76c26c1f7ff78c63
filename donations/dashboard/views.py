"""The coordinator's dashboard: pipeline, countries, donors, overdue shipments, map, events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from donations import clock, i18n
from donations.auth.web import web_role
from donations.countries import country_name
from donations.dashboard import map as programme_map
from donations.dashboard import service
from donations.db import SessionDep
from donations.models import Role, User
from donations.reports.schemas import Stages
from donations.web import is_fragment, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

Coordinator = Annotated[User, Depends(web_role(Role.coordinator))]

EVENTS_BLOCK = "latest-events"
REFRESH_SECONDS = 30


Row = tuple[str, str, Stages]


def _tables(data: service.Dashboard, language: str) -> dict[str, object]:
    """Country names in the page's language, and the rows of the two tables, by name."""
    codes = set(data.stats.by_country) | {org.country for org in data.organisations.values()}
    countries = {code: country_name(code, language) for code in codes}
    by_code = data.organisations_by_code
    country_rows: list[Row] = sorted(
        (countries[code], code, stages) for code, stages in data.stats.by_country.items()
    )
    donor_rows: list[Row] = sorted(
        (by_code[code].name if code in by_code else code, code, stages)
        for code, stages in data.stats.by_donor.items()
    )
    return {"countries": countries, "country_rows": country_rows, "donor_rows": donor_rows}


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, session: SessionDep, user: Coordinator) -> Response:
    now = clock.now()
    values: dict[str, object] = {"now": now, "refresh_seconds": REFRESH_SECONDS}
    if is_fragment(request, EVENTS_BLOCK):
        values["events"] = service.latest_events(session, user=user)
        return render(request, "dashboard/index.html", values, block="latest_events")
    data = service.load(session, user=user, today=now.date())
    values |= {
        "dash": data,
        "stats": data.stats,
        "events": data.events,
        "map": programme_map.build(data.organisations, data.routes),
    }
    values |= _tables(data, i18n.current_language())
    return render(request, "dashboard/index.html", values)
