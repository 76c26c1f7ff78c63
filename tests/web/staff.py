"""Helpers for the donor's and coordinator's pages (pledges, shipments, events): reading a
re-rendered form, a block htmx swaps in alone, the toasts, and uploading item files."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

from httpx import Response

from donations.web import CSRF_FIELD
from tests.web.helpers import WebClient, text_of

HTMX_BLOCK_FORBIDDEN = ("<html", "<head", "<header", "<footer", "<main", 'id="toasts"')
VALID_S10 = "EE123456785KR"
BAD_S10 = "EE123456786KR"  # the check digit of 12345678 is 5, not 6


def field_error(html: str, name: str) -> str:
    """The message shown for field `name` of a re-rendered form (the `forms.html` macros):
    the input is marked invalid and described by the message, which comes right after it,
    inside the same field. Answers the message's text."""
    start = html.index(f'id="f-{name}"')
    tag = html[start : html.index(">", start)]
    assert 'aria-invalid="true"' in tag, tag
    assert f'aria-describedby="e-{name}"' in tag, tag
    error = html.index(f'id="e-{name}"')
    assert start < error, "the message comes after the field"
    between = html[start:error]
    assert 'class="field"' not in between, "the message is in the field's own box"
    return text_of(html[error : html.index("</p>", error)].split(">", 1)[1])


def no_field_errors(html: str) -> None:
    assert 'class="field-error"' not in html and 'aria-invalid="true"' not in html


def value_of(html: str, name: str) -> str:
    """The value an input of the page holds (what the user typed, when re-rendered)."""
    start = html.index(f'id="f-{name}"')
    tag = html[start : html.index(">", start)]
    found = re.search(r'value="([^"]*)"', tag)
    assert found, tag
    return unescape(found.group(1))


def selected(html: str, name: str) -> str | None:
    """The selected option of the select `f-{name}`."""
    start = html.index(f'id="f-{name}"')
    select = html[start : html.index("</select>", start)]
    found = re.search(r'<option value="([^"]*)"\s*selected', select)
    return unescape(found.group(1)) if found else None


def options(html: str, name: str) -> list[str]:
    start = html.index(f'id="f-{name}"')
    select = html[start : html.index("</select>", start)]
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)"', select) if v]


def block_only(response: Response, element_id: str) -> str:
    """The response is the block htmx swaps in alone: one element with that id, without the
    page around it (no head, header, footer or toasts)."""
    assert response.status_code in (200, 422), response.text
    body = response.text.strip()
    assert f'id="{element_id}"' in body[: body.index(">") + 1], body[:300]
    assert body.count(f'id="{element_id}"') == 1
    for page_part in HTMX_BLOCK_FORBIDDEN:
        assert page_part not in body, page_part
    return body


def full_page(response: Response) -> str:
    body = response.text
    assert "<html" in body and "<header" in body and "<footer" in body, body[:300]
    return body


def varies_on_htmx(response: Response) -> None:
    vary = [v.strip().lower() for v in response.headers.get("vary", "").split(",")]
    assert "hx-request" in vary, response.headers.get("vary")


def htmx_get(browser: WebClient, url: str, target: str, **kw: Any) -> Response:
    """A GET as htmx sends it for an element whose target is `#target`."""
    headers = {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": url}
    return browser.get(url, headers=headers, **kw)


def toasts(html: str) -> list[str]:
    """The toasts of a page: the messages the previous request left (Post/Redirect/Get)."""
    return [text_of(t) for t in re.findall(r'<div class="toast[^"]*"[^>]*>(.*?)</div>', html)]


def upload(
    browser: WebClient,
    url: str,
    filename: str,
    content: bytes,
    content_type: str = "text/csv",
) -> Response:
    """A file posted from the page's upload form (multipart, with the CSRF field)."""
    return browser.http.post(
        url,
        data={CSRF_FIELD: browser.csrf()},
        files={"file": (filename, content, content_type)},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook whose first sheet holds `rows` (the first one being the header)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(rows: list[tuple[str, ...]]) -> bytes:
    lines = ["serial,model,notes", *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()
