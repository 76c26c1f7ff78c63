"""User pages (coordinator): the list, a new user, and a user's access and password."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from donations.auth import web as web_auth
from donations.auth.passwords import MIN_PASSWORD_LENGTH
from donations.auth.web import WebActor, web_role
from donations.db import SessionDep
from donations.errors import DomainError, Invalid
from donations.i18n import gettext as _
from donations.models import Organisation, Role, User
from donations.organisations import service as organisation_service
from donations.users import service
from donations.users.schemas import PasswordUpdate, UserCreateForm
from donations.web import domain_errors, field_errors, form_dict, redirect, render, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
CoordinatorUser = Annotated[User, Depends(web_role(Role.coordinator))]

ROLE_ORDER = {Role.coordinator: 0, Role.donor: 1, Role.recipient: 2}
PASSWORD_FIELDS = ("password", "password_confirm")


@router.get("/users", name="users:list")
def users_list(
    request: Request,
    session: SessionDep,
    user: CoordinatorUser,
    organisation: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    shown_org = organisation_service.get_by_code(session, organisation) if organisation else None
    rows: Sequence[User] = service.list_all(
        session,
        after=None,
        limit=10_000,
        organisation_id=shown_org.id if shown_org is not None else None,
    )
    users = sorted(rows, key=lambda u: (ROLE_ORDER.get(Role(u.role), 9), u.username))
    return render(request, "users/list.html", {"users": users, "organisation": shown_org})


def _organisations(session: Session) -> list[Organisation]:
    return sorted(organisation_service.list_all(session), key=lambda o: o.name.casefold())


def _new_values(session: Session, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "form": {k: v for k, v in form.items() if k not in PASSWORD_FIELDS},
        "errors": errors,
        "organisations": _organisations(session),
        "min_password": MIN_PASSWORD_LENGTH,
    }


@router.get("/users/new", name="users:new")
def user_form(request: Request, session: SessionDep, user: CoordinatorUser) -> Response:
    form = {"language": "en"}
    return render(request, "users/new.html", _new_values(session, form, {}))


@router.post("/users/new", name="users:create")
async def user_create(
    request: Request, session: SessionDep, user: CoordinatorUser, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    errors: dict[str, str] = {}
    try:
        user_in = UserCreateForm(
            **{k: v for k, v in form.items() if v.strip() or k in PASSWORD_FIELDS}
        )
        created = service.create(session, user_in=user_in, actor=actor)
    except ValidationError as exc:
        errors = field_errors(exc)
    except DomainError as exc:
        errors = domain_errors(exc)
    if errors:
        return render(
            request, "users/new.html", _new_values(session, form, errors), status_code=422
        )
    return redirect(
        request,
        f"/users/{created.id}",
        message=_("User {username} created: they can sign in now.").format(
            username=created.username
        ),
    )


def _detail_values(target: User, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "target": target,
        "password_errors": {},
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return values | extra


@router.get("/users/{user_id}", name="users:detail")
def user_detail(
    user_id: int, request: Request, session: SessionDep, user: CoordinatorUser
) -> Response:
    target = service.get(session, user_id=user_id)
    return render(request, "users/detail.html", _detail_values(target))


@router.post("/users/{user_id}/active", name="users:active")
async def user_active(
    user_id: int, request: Request, session: SessionDep, user: CoordinatorUser, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    if form.get("active") not in ("true", "false"):
        raise Invalid(_("Send active=true or active=false."))
    target = service.get(session, user_id=user_id)
    active = form["active"] == "true"
    changed = service.set_active(session, user=target, active=active, actor=actor)
    if not changed:
        message = _("Nothing changed: {name} was already so.")
    elif active:
        message = _("{name} is active again and can sign in.")
    else:
        message = _("{name} is deactivated: signed out everywhere, API tokens revoked.")
    next_url = form.get("next")
    return redirect(
        request,
        web_auth.safe_next(next_url) if next_url else f"/users/{target.id}",
        message=message.format(name=target.username),
    )


@router.post("/users/{user_id}/password", name="users:password")
async def user_password(
    user_id: int, request: Request, session: SessionDep, user: CoordinatorUser, actor: WebActor
) -> Response:
    form = form_dict(await request.form())
    target = service.get(session, user_id=user_id)
    try:
        password_in = PasswordUpdate(
            password=form.get("password", ""), password_confirm=form.get("password_confirm", "")
        )
    except ValidationError as exc:
        values = _detail_values(target, password_errors=field_errors(exc))
        return render(request, "users/detail.html", values, status_code=422)
    service.reset_password(session, user=target, password_in=password_in, actor=actor)
    if target.id == user.id:
        web_auth.end(request, session)
        return redirect(
            request, "/login", message=_("Your password is changed. Sign in with the new one.")
        )
    return redirect(
        request,
        f"/users/{target.id}",
        message=_("Password of {name} reset: signed out everywhere, API tokens revoked.").format(
            name=target.username
        ),
    )
