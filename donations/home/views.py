"""The role's home page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from donations import scope
from donations.auth.web import WebUser
from donations.db import SessionDep
from donations.models import Item, Role, ShipmentStatus
from donations.pledges import repository as pledge_repository
from donations.reports import service as report_service
from donations.shipments import repository as shipment_repository
from donations.web import redirect, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


@router.get("/", name="home")
def home(request: Request, session: SessionDep, user: WebUser) -> Response:
    if user.role == Role.coordinator:
        return redirect(request, "/dashboard")  # the coordinator's home is the dashboard
    values: dict[str, object] = {"stats": report_service.stats(session, user=user)}
    if user.role == Role.recipient:
        values["incoming"] = shipment_repository.list_shipments(
            session, user=user, after=None, limit=50, status=ShipmentStatus.dispatched.value
        )
        values["to_deploy"] = session.scalars(
            select(Item)
            .options(joinedload(Item.recipient))
            .where(scope.items(user), Item.state == "received")
            .order_by(Item.received_at.desc(), Item.id)
            .limit(100)
        ).all()
    else:
        values["pledges"] = pledge_repository.list_pledges(session, user=user, after=None, limit=20)
        values["shipments"] = shipment_repository.list_shipments(
            session, user=user, after=None, limit=20
        )
    return render(request, "home/index.html", values)
