from __future__ import annotations

from fastapi import APIRouter

from donations.auth.dependencies import ActorDep, RecipientOrCoordinator
from donations.db import SessionDep
from donations.pledges.schemas import ItemRead
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
def create_scan(
    scan_in: ScanRequest, session: SessionDep, user: RecipientOrCoordinator, actor: ActorDep
) -> ScanResult:
    """Receive or deploy an item by its tag (recipient of the addressed post, or coordinator).

    - `receive`: an item in transit (or missing, found later) becomes `received` with the
      `condition` (default `good`).
    - `deploy`: a received item becomes `deployed` at `site`, with optional coordinates.

    Safe to repeat: a request with a `client_event_id` already seen from your organisation,
    or a receive of an item already received in the same condition (a deploy at the same
    site), answers 200 with the item as it is and writes nothing (`replayed: true`). Offline
    devices replay their queue this way, with `scanned_at` set to when the scan happened.
    """
    item, replayed = service.scan(session, scan_in=scan_in, user=user, actor=actor)
    return ScanResult(**ItemRead.of(item).model_dump(), replayed=replayed)
