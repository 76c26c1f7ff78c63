"""JSON-API routes that answer images and PDFs: a tag's QR code, a shipment's label sheet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from donations.auth.dependencies import CurrentUser
from donations.db import SessionDep
from donations.errors import Forbidden
from donations.labels import qr, service
from donations.labels.sheet import PER_SHEET, build_pdf
from donations.shipments import service as shipment_service

router = APIRouter(prefix="/api/v1", tags=["labels"])

CACHE_QR = "private, max-age=86400"  # a tag's QR code never changes; only its owner sees it

AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No token, or an invalid one."},
}
TAG_ERRORS: dict[int | str, dict[str, Any]] = AUTH | {
    404: {"description": "No item or shipment has this tag, or you may not see it."},
    422: {"description": "Not a tag: 12 characters of Crockford base32."},
}
QR_DESCRIPTION = """
The QR code of an item's or a shipment's tag. It encodes `{base_url}/T/{TAG}`, upper-cased
as a whole (e.g. `HTTP://127.0.0.1:8000/T/7KQ29XHM3PDA`) so that the symbol uses the QR
alphanumeric mode and stays small; `/T/{TAG}` opens the same page as `/t/{tag}`. Error
correction level Q (about 25 % of the symbol may be damaged), with a quiet zone of 4
modules.

Scoped: the caller must be allowed to see the item or shipment. Input is forgiving (case,
dashes and spaces ignored; I/L read as 1, O as 0).
"""


def _base_url(request: Request) -> str:
    base: str = request.app.state.settings.public_base_url
    return base


@router.get(
    "/tags/{tag}/qr.svg",
    name="api:tags:qr_svg",
    response_class=Response,
    responses=TAG_ERRORS
    | {200: {"content": {"image/svg+xml": {}}, "description": "An SVG document."}},
    description=QR_DESCRIPTION
    + "\nAnswers a compact SVG: one `<path>` of the dark modules on a white square, "
    "8 px a module.",
)
def qr_svg(tag: str, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    url = service.visible_tag_url(session, tag=tag, user=user, base_url=_base_url(request))
    return Response(qr.svg(url), media_type="image/svg+xml", headers={"Cache-Control": CACHE_QR})


@router.get(
    "/tags/{tag}/qr.png",
    name="api:tags:qr_png",
    response_class=Response,
    responses=TAG_ERRORS | {200: {"content": {"image/png": {}}, "description": "A PNG image."}},
    description=QR_DESCRIPTION
    + "\nAnswers a black-and-white PNG, `scale` pixels a module (default 8).",
)
def qr_png(
    tag: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    scale: Annotated[int, Query(ge=1, le=40, description="Pixels per module.")] = 8,
) -> Response:
    url = service.visible_tag_url(session, tag=tag, user=user, base_url=_base_url(request))
    return Response(
        qr.png(url, scale=scale), media_type="image/png", headers={"Cache-Control": CACHE_QR}
    )


LABELS_DESCRIPTION = f"""
The label sheet of a shipment as a PDF: A4, 3 columns x 7 rows of 63.5 x 38.1 mm labels
(Avery L7160 and equivalents). Each label has the QR code of a tag, the tag in groups of
four (to type when no camera works), the model and serial number, the recipient, and the
donor with the programme.

- Without `items`: the shipment's own label first (for the carton and the packing list; its
  QR code opens the shipment's receiving checklist), then one label per item of the
  shipment.
- `items=ID,ID,...`: only those items, in the order given (each once); the shipment's label
  is left out unless `shipment=1` is given too. An id that is not an item of this shipment
  is a 422 that names it.
- `shipment=0` or `shipment=1` says explicitly whether to print the shipment's label.
- `start=N` (1-{PER_SHEET}) begins at position N of the first sheet, to use a partly used
  sheet: positions count from 1 at the top left, left to right, then down. Further pages
  begin at position 1.

For the donor of the shipment (its origin) or a coordinator. A recipient gets 403; a
shipment you may not see, 404.
"""


@router.get(
    "/shipments/{shipment_id}/labels.pdf",
    name="api:shipments:labels_pdf",
    response_class=Response,
    responses=AUTH
    | {
        200: {"content": {"application/pdf": {}}, "description": "The label sheet(s)."},
        403: {"description": "Only the shipment's donor or a coordinator prints labels."},
        404: {"description": "No such shipment, or not visible to you."},
        422: {"description": "A bad `items` list (names the id) or `start` out of 1-21."},
    },
    description=LABELS_DESCRIPTION,
)
def labels_pdf(
    shipment_id: int,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    items: Annotated[
        str | None, Query(description="Comma-separated item ids: print only these.")
    ] = None,
    shipment: Annotated[
        bool | None,
        Query(description="Print the shipment's own label (default: only without `items`)."),
    ] = None,
    start: Annotated[
        int, Query(ge=1, le=PER_SHEET, description="First free position on the first sheet.")
    ] = 1,
) -> Response:
    found = shipment_service.get_visible(session, shipment_id=shipment_id, user=user)
    if not shipment_service.may_pack(user, found):
        raise Forbidden("only the donor of this shipment or a coordinator can print its labels")
    item_ids = service.parse_item_ids(items) if items is not None else None
    labels = service.shipment_labels(
        session,
        found,
        item_ids,
        include_shipment=shipment if shipment is not None else item_ids is None,
        base_url=_base_url(request),
    )
    pdf = build_pdf(labels, start, title=f"Shipment {found.id}: labels")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="shipment-{found.id}-labels.pdf"',
            "Cache-Control": "private, no-cache",
        },
    )
