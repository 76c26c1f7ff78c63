from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from donations.errors import Conflict, Invalid
from donations.events import service as event_service
from donations.events.service import Actor
from donations.i18n import gettext as _
from donations.i18n import pgettext
from donations.models import Organisation
from donations.organisations.schemas import OrganisationCreate


def kind_name(kind: str) -> str:
    """The kind of organisation in the current language (in English, its code: `donor`)."""
    names = {
        "donor": pgettext("organisation kind", "donor"),
        "recipient": pgettext("organisation kind", "recipient"),
        "partner": pgettext("organisation kind", "partner"),
    }
    return names.get(str(kind), str(kind))


def list_all(
    session: Session, *, after: int | None = None, limit: int = 1000
) -> Sequence[Organisation]:
    stmt = select(Organisation).order_by(Organisation.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Organisation.id > after)
    return session.scalars(stmt).all()


def get_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalars(
        select(Organisation).where(Organisation.code == code.strip().upper())
    ).first()


def require_by_code(
    session: Session, code: str, *, field: str, kind: str | None = None
) -> Organisation:
    """The organisation with `code`, or a 422 naming the field."""
    org = get_by_code(session, code)
    if org is None:
        raise Invalid(_("unknown organisation code {code!r}").format(code=code), field=field)
    if kind is not None and org.kind != kind:
        raise Invalid(
            _("{code} is a {kind} organisation, not a {wanted}").format(
                code=org.code, kind=kind_name(org.kind), wanted=kind_name(kind)
            ),
            field=field,
        )
    return org


def create(session: Session, *, organisation_in: OrganisationCreate, actor: Actor) -> Organisation:
    if get_by_code(session, organisation_in.code) is not None:
        raise Conflict(
            _("an organisation {code} already exists").format(code=organisation_in.code),
            field="code",
        )
    org = Organisation(**organisation_in.model_dump())
    session.add(org)
    session.flush()
    event_service.record(
        session,
        actor=actor,
        kind="organisation.created",
        data={"code": org.code, "name": org.name, "kind": org.kind},
    )
    return org
