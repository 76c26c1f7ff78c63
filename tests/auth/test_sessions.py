"""Browser sessions and the security headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import PASSWORD, World


def sign_in(client: TestClient, username: str) -> str:
    client.get("/login")
    csrf = client.cookies.get("donations_csrf")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(client.cookies.get("donations_session"))


class TestSessions:
    def test_cookie_is_httponly_and_samesite_lax(self, world: World) -> None:
        client = world.client
        client.get("/login")
        csrf = client.cookies.get("donations_csrf")
        response = client.post(
            "/login",
            data={"username": "tonga", "password": PASSWORD, "csrf_token": csrf},
            follow_redirects=False,
        )
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith("donations_session=")
        )
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # http in the tests; https base URLs get Secure

    def test_login_rotates_the_session(self, world: World) -> None:
        first = sign_in(world.client, "tonga")
        second = sign_in(world.client, "tonga")
        assert first != second
        stale = TestClient(world.client.app, cookies={"donations_session": first})
        assert stale.get("/", follow_redirects=False).status_code == 303  # to /login

    def test_logout_invalidates_the_session_for_good(self, world: World) -> None:
        token = sign_in(world.client, "tonga")
        csrf = world.client.cookies.get("donations_csrf")
        assert (
            world.client.post(
                "/logout", data={"csrf_token": csrf}, follow_redirects=False
            ).status_code
            == 303
        )
        replay = TestClient(world.client.app, cookies={"donations_session": token})
        response = replay.get("/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_next_never_leaves_the_site(self, world: World) -> None:
        client = world.client
        client.get("/login")
        csrf = client.cookies.get("donations_csrf")
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            response = client.post(
                "/login",
                data={
                    "username": "tonga",
                    "password": PASSWORD,
                    "csrf_token": csrf,
                    "next": target,
                },
                follow_redirects=False,
            )
            assert response.headers["location"] == "/"


class TestSecurityHeaders:
    def test_pages_and_api_carry_them(self, client: TestClient) -> None:
        for path in ("/login", "/api/v1/me", "/healthz", "/docs"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert (
                "script-src 'self'" in csp
                and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
            )
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"

    def test_no_inline_scripts_in_pages(self, client: TestClient) -> None:
        import re

        for path in ("/login", "/docs"):
            html = client.get(path).text
            for tag in re.findall(r"<script[^>]*>", html):
                assert "src=" in tag, f"inline script on {path}: {tag}"
            assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {path}"
