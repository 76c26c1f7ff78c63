"""What goes on labels: the label data of a shipment, and the QR URL of a visible tag.

Never writes. The PDF (sheet.py) and the print-styled HTML page both start from
:func:`shipment_labels`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from donations.errors import Invalid, NotFound
from donations.i18n import gettext as _
from donations.labels import qr
from donations.labels.sheet import LabelData
from donations.models import Item, Organisation, Pledge, Shipment, User
from donations.shipments import repository as shipment_repository
from donations.tags import service as tag_service


def visible_tag_url(session: Session, *, tag: str, user: User, base_url: str) -> str:
    """The QR URL of an item's or shipment's tag that ``user`` may see.

    Raises:
        Invalid: (422) ``tag`` is not a tag.
        NotFound: (404) no such tag, or not visible to ``user`` (the same answer, so that
            existence is not revealed).
    """
    found = tag_service.find(session, tag)
    if not found.visible_to(user):
        raise NotFound(f"no item or shipment with tag {tag_service.parse(tag)}")
    canonical = found.item.tag if found.item is not None else found.shipment.tag  # type: ignore[union-attr]
    return qr.tag_url(canonical, base_url)


def parse_item_ids(raw: str) -> list[int]:
    """``"12, 13,14"`` as ``[12, 13, 14]``: the ids in the order given, each once.

    Raises:
        Invalid: (422) an id that is not a positive whole number, or no id at all.
    """
    ids: list[int] = []
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise Invalid(
                _("{text!r} is not an item id (comma-separated ids expected)").format(text=text),
                field="items",
            )
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise Invalid(_("give at least one item id, e.g. items=12,13"), field="items")
    return ids


def _organisation_name(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation is not None else None


def _selected(shipment: Shipment, items: Sequence[Item], item_ids: Sequence[int]) -> list[Item]:
    by_id = {item.id: item for item in items}
    for item_id in item_ids:
        if item_id not in by_id:
            raise Invalid(
                _("item {item} is not in shipment {shipment}").format(
                    item=item_id, shipment=shipment.id
                ),
                field="items",
            )
    return [by_id[item_id] for item_id in dict.fromkeys(item_ids)]


def shipment_labels(
    session: Session,
    shipment: Shipment,
    item_ids: Sequence[int] | None = None,
    include_shipment: bool = True,
    *,
    base_url: str,
) -> list[LabelData]:
    """The labels of a shipment: its own label first (when ``include_shipment``), then one
    per item, in item order, or in the order of ``item_ids`` when a selection is given.

    ``base_url`` is the public address of the app (``settings.public_base_url``) that the
    QR codes point to. The caller has checked that the user may print them.

    Raises:
        Invalid: (422) an id in ``item_ids`` is not an item of this shipment (named).
    """
    pledge = session.scalars(select(Pledge).where(Pledge.id == shipment.pledge_id)).one()
    donor = _organisation_name(session, shipment.origin_id)
    recipient = _organisation_name(session, shipment.destination_id)
    items = shipment_repository.items(session, shipment.id)
    chosen = list(items) if item_ids is None else _selected(shipment, items, item_ids)
    labels: list[LabelData] = []
    if include_shipment:
        labels.append(
            LabelData(
                kind="shipment",
                tag=shipment.tag,
                url=qr.tag_url(shipment.tag, base_url),
                recipient=recipient,
                donor=donor,
                programme=pledge.programme,
                item_count=len(items),
            )
        )
    for item in chosen:
        labels.append(
            LabelData(
                kind="item",
                tag=item.tag,
                url=qr.tag_url(item.tag, base_url),
                model=item.model or pledge.title,
                serial=item.serial,
                recipient=_organisation_name(session, item.recipient_id) or recipient,
                donor=donor,
                programme=pledge.programme,
            )
        )
    return labels
