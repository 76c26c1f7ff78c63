from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import Connection

from donations.auth.dependencies import BearerToken, token_holder
from donations.db import get_database
from donations.errors import parse_json_body
from donations.events.service import Actor
from donations.models import Role
from donations.scans import service
from donations.scans.schemas import ScanRequest, ScanResult

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])

SCANNERS = (Role.recipient, Role.coordinator)


@router.post(
    "",
    name="api:scans:create",
    response_model=ScanResult,
    # The body is read by the route itself, after the token is checked (see below).
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ScanRequest"}}
            },
        }
    },
    responses={
        401: {"description": "No bearer token, or one that is invalid, expired or revoked."},
        403: {"description": "Your role cannot scan (recipients and coordinators can)."},
        404: {"description": "No such item, or not addressed to your organisation."},
        409: {
            "description": "The item's state does not allow this action (the message says "
            "which state and what is allowed)."
        },
        422: {
            "description": "The body does not validate (the message names the field).",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
            },
        },
    },
)
async def create_scan(request: Request, token: BearerToken) -> Response:
    """Receive or deploy an item by its tag (recipient of the addressed post, or coordinator).

    - `receive`: an item in transit (or missing, found later) becomes `received` with the
      `condition` (default `good`).
    - `deploy`: a received item becomes `deployed` at `site`, with optional coordinates.

    Safe to repeat: a request with a `client_event_id` already seen from your organisation,
    or a receive of an item already received in the same condition (a deploy at the same
    site), answers 200 with the item as it is and writes nothing (`replayed: true`). Offline
    devices replay their queue this way, with `scanned_at` set to when the scan happened.
    """
    body = await request.body()

    def scan(conn: Connection) -> ScanResult:
        # As on every endpoint, the caller is checked before the body: 401 and 403 first.
        user = token_holder(conn, token, SCANNERS)
        scan_in = parse_json_body(ScanRequest, body)
        item, replayed = service.scan(conn, scan_in=scan_in, user=user, actor=Actor(user))
        return ScanResult.scanned(item, replayed=replayed)

    # The recipient's hot path: the token is checked, the scan applied and the answer built
    # in one write transaction that never spans a return to the event loop (Database.write).
    # The scan takes the event chain's lock itself once the caller is known (PostgreSQL).
    result = await get_database(request).write(scan, lock_chain=False)
    return Response(result.model_dump_json(), media_type="application/json")
