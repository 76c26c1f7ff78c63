from __future__ import annotations

from fastapi import APIRouter

from donations.auth.dependencies import OptionalUser
from donations.db import SessionDep
from donations.pledges.schemas import ItemRead
from donations.shipments import api as shipments_api
from donations.tags import service
from donations.tags.schemas import TagItem, TagPublic, TagRead, TagShipment

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])


@router.get(
    "/{tag}",
    name="api:tags:detail",
    response_model=TagRead,
    responses={
        404: {"description": "No item or shipment has this tag."},
        422: {"description": "Not a tag: 12 characters of Crockford base32."},
    },
)
def lookup(tag: str, session: SessionDep, user: OptionalUser) -> TagRead:
    """What a tag names. Input is forgiving (case, dashes, spaces; I/L read as 1, O as 0).

    Without a token, or for a caller not allowed to see it, only the public fields: `type`,
    `tag`, `title`, `category`, `model`, `donor`, `donor_name`, `programme`. A caller allowed
    to see it gets the whole Item or Shipment shape as well.
    """
    found = service.find(session, tag)
    pledge = found.pledge
    common = {
        "title": pledge.title,
        "category": pledge.category,
        "donor": pledge.donor.code,
        "donor_name": pledge.donor.name,
        "programme": pledge.programme,
    }
    if found.visible_to(user):
        if found.item is not None:
            return TagItem(**ItemRead.of(found.item).model_dump(), **common)
        assert found.shipment is not None
        shipment = shipments_api.read(session, found.shipment)
        return TagShipment(**shipment.model_dump(), **common)
    tag_value = found.item.tag if found.item is not None else found.shipment.tag  # type: ignore[union-attr]
    return TagPublic(
        type="item" if found.item is not None else "shipment",
        tag=tag_value,
        model=found.item.model if found.item is not None else None,
        **common,
    )
