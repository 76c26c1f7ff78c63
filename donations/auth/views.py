"""Sign in and out in the browser, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from donations import i18n
from donations.auth import service as auth_service
from donations.auth import web as web_auth
from donations.auth.dependencies import client_address
from donations.auth.web import WebUserOptional
from donations.db import SessionDep
from donations.i18n import gettext as _
from donations.web import LANG_COOKIE, redirect, render, set_cookie_later, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


@router.get("/login", name="login")
def login_form(request: Request, user: WebUserOptional, next: str | None = None) -> Response:
    target = web_auth.safe_next(next)
    if user is not None:
        return redirect(request, target)
    return render(request, "auth/login.html", {"next": target})


@router.post("/login", name="login_submit")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = web_auth.safe_next(next)
    try:
        user = auth_service.sign_in(
            session,
            username=username.strip().lower(),
            password=password,
            client=client_address(request),
        )
    except auth_service.Throttled as exc:
        return render(
            request,
            "auth/login.html",
            {
                "next": target,
                "username": username,
                "error": _("Too many failed sign-ins. Try again in 15 minutes."),
            },
            status_code=429,
            headers=exc.headers,
        )
    if user is None:
        return render(
            request,
            "auth/login.html",
            {"next": target, "username": username, "error": _("Wrong username or password.")},
            status_code=401,
        )
    web_auth.start(request, session, user)
    i18n.set_language(user.language)
    return redirect(request, target, message=_("Welcome, {name}.").format(name=user.display_name))


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep) -> Response:
    web_auth.end(request, session)
    return redirect(request, "/login", message=_("You are signed out."))


@router.post("/language", name="language")
def choose_language(
    request: Request,
    session: SessionDep,
    user: WebUserOptional,
    lang: Annotated[str, Form()] = "en",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """The footer switch: remembered in a cookie, and as the user's preference."""
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT_LANGUAGE
    set_cookie_later(request, LANG_COOKIE, lang, 60 * 60 * 24 * 365)
    if user is not None:
        user.language = lang
    return redirect(request, web_auth.safe_next(next))


def login_redirect(request: Request, next_url: str | None) -> Response:
    return redirect(request, web_auth.login_url(next_url))


__all__ = ["HTMLResponse", "login_redirect", "router"]
