from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donations import clock
from donations.i18n import gettext as _
from donations.models import Shipment, ShipmentMode, ShipmentStatus


def is_overdue(shipment: Shipment, today: date | None = None) -> bool:
    """Dispatched, expected arrival passed, not received or closed."""
    today = today or clock.now().date()
    return (
        shipment.status == ShipmentStatus.dispatched
        and shipment.expected_arrival is not None
        and shipment.expected_arrival < today
    )


def _strip_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "pledge_id": 1,
                    "recipient": "TOPOST",
                    "carrier": "Korea Post EMS",
                    "mode": "post",
                    "tracking_number": "EE123456785KR",
                    "expected_arrival": "2026-12-20",
                }
            ]
        }
    )

    pledge_id: int
    recipient: str = Field(description="Recipient organisation code, with an allocation left.")
    carrier: str | None = Field(None, max_length=120)
    mode: ShipmentMode
    tracking_number: str | None = Field(
        None, max_length=64, description="A UPU S10 identifier when mode is `post`."
    )
    expected_arrival: date | None = None

    _strip = field_validator("carrier", "tracking_number")(_strip_or_none)

    @model_validator(mode="after")
    def _s10(self) -> ShipmentCreate:
        from donations.s10 import S10Error

        try:
            self.tracking_number = checked_tracking_number(self.mode, self.tracking_number)
        except S10Error as exc:
            raise ValueError(f"tracking_number: {exc}") from None
        return self


def checked_tracking_number(mode: str, tracking_number: str | None) -> str | None:
    """A post shipment's tracking number must be a valid S10 identifier: the number
    normalised, or S10Error saying why (in the current language)."""
    from donations.s10 import validate_s10

    if tracking_number is None or mode != ShipmentMode.post:
        return tracking_number
    return validate_s10(tracking_number)


class PackRequest(BaseModel):
    """Either `item_ids` (pick these units) or `count` (any N unpacked units of the pledge)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"count": 20}, {"item_ids": [101, 102, 103]}]}
    )

    item_ids: list[int] | None = Field(None, max_length=100_000)
    count: int | None = Field(None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one_of(self) -> PackRequest:
        if (self.item_ids is None) == (self.count is None):
            raise ValueError(_("send either item_ids or count, not both"))
        if self.item_ids is not None and not self.item_ids:
            raise ValueError("item_ids: " + _("the list is empty"))
        return self


class DispatchRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"tracking_number": "EE123456785KR", "dispatched_at": "2026-11-20T09:30:00+09:00"}
            ]
        }
    )

    tracking_number: str | None = Field(None, max_length=64)
    dispatched_at: datetime | None = Field(None, description="Defaults to now; not in the future.")
    carrier: str | None = Field(None, max_length=120)
    expected_arrival: date | None = None

    _strip = field_validator("carrier", "tracking_number")(_strip_or_none)

    @field_validator("dispatched_at")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(_("give the time with its UTC offset, e.g. 2026-11-20T09:30:00+09:00"))
        if clock.as_utc(value) > clock.now() + clock.ALLOWED_CLOCK_SKEW:
            raise ValueError(_("must not be in the future"))
        return clock.as_utc(value)


class ShipmentRead(BaseModel):
    id: int
    tag: str
    status: str
    pledge_id: int
    origin: str
    recipient: str
    mode: str
    carrier: str | None
    tracking_number: str | None
    expected_arrival: date | None
    dispatched_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None
    item_count: int
    received_count: int = Field(description="Items received so far (deployed ones included).")
    overdue: bool

    @classmethod
    def of(cls, shipment: Shipment, *, item_count: int, received_count: int) -> ShipmentRead:
        return cls(
            id=shipment.id,
            tag=shipment.tag,
            status=shipment.status,
            pledge_id=shipment.pledge_id,
            origin=shipment.origin.code,
            recipient=shipment.destination.code,
            mode=shipment.mode,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            expected_arrival=shipment.expected_arrival,
            dispatched_at=shipment.dispatched_at,
            received_at=shipment.received_at,
            closed_at=shipment.closed_at,
            item_count=item_count,
            received_count=received_count,
            overdue=is_overdue(shipment),
        )


class PackResult(BaseModel):
    packed: int
    item_ids: list[int]
    shipment: ShipmentRead
