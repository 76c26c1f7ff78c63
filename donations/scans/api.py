from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from donations.auth.dependencies import require_role_before_writing
from donations.db import Database, get_database
from donations.events.service import Actor
from donations.models import Role, User
from donations.scans import service
from donations.scans.schemas import ScanRequest, ScanResult

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])


@router.post(
    "",
    name="api:scans:create",
    response_model=ScanResult,
    responses={
        404: {"description": "No such item, or not addressed to your organisation."},
        409: {
            "description": "The item's state does not allow this action (the message says "
            "which state and what is allowed)."
        },
    },
)
async def create_scan(
    scan_in: ScanRequest,
    request: Request,
    user: Annotated[User, Depends(require_role_before_writing(Role.recipient, Role.coordinator))],
) -> Response:
    """Receive or deploy an item by its tag (recipient of the addressed post, or coordinator).

    - `receive`: an item in transit (or missing, found later) becomes `received` with the
      `condition` (default `good`).
    - `deploy`: a received item becomes `deployed` at `site`, with optional coordinates.

    Safe to repeat: a request with a `client_event_id` already seen from your organisation,
    or a receive of an item already received in the same condition (a deploy at the same
    site), answers 200 with the item as it is and writes nothing (`replayed: true`). Offline
    devices replay their queue this way, with `scanned_at` set to when the scan happened.
    """
    database = get_database(request)
    result = await database.run_serialised(_scan, database, scan_in, user)
    return Response(result.model_dump_json(), media_type="application/json")


def _scan(database: Database, scan_in: ScanRequest, user: User) -> ScanResult:
    """The recipient's hot path, in one call off the event loop (`Database.run_serialised`:
    on SQLite the process's database thread): the write transaction, and on SQLite this
    process's write lock, is held only while the scan's own statements run, never across a
    return to the event loop. The caller was authenticated just before, in a read
    transaction of its own; the answer is built and serialised here, once."""
    with database.transaction() as session:
        item, replayed = service.scan(session, scan_in=scan_in, user=user, actor=Actor(user))
        return ScanResult.of(item, replayed=replayed)
