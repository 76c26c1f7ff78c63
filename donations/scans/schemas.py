from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donations import clock
from donations.i18n import gettext as _
from donations.lifecycle import Condition
from donations.pledges.schemas import ItemRead

if TYPE_CHECKING:
    from donations.scans.service import ScannedItem


class ScanRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tag": "7KQ2-9XHM-3PDA",
                    "action": "receive",
                    "condition": "good",
                    "client_event_id": "tonga-phone-1:000042",
                },
                {
                    "tag": "7KQ29XHM3PDA",
                    "action": "deploy",
                    "site": "Nuku'alofa Post Office",
                    "lat": -21.1393,
                    "lon": -175.2049,
                },
            ]
        }
    )

    tag: str = Field(max_length=40, description="The item's tag, in any forgiving form.")
    action: Literal["receive", "deploy"]
    condition: Condition | None = Field(None, description="For receive; default `good`.")
    site: str | None = Field(None, max_length=200, description="Where it is deployed (deploy).")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    note: str | None = Field(None, max_length=2000)
    scanned_at: datetime | None = Field(
        None,
        description="When the scan happened on the device (offline queues); not in the future.",
    )
    client_event_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The device's idempotency key: a repeat with the same key writes nothing.",
    )

    @field_validator("site", "note")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("scanned_at")
    @classmethod
    def _scanned_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(_("give the time with its UTC offset"))
        value = clock.as_utc(value)
        if value > clock.now() + clock.ALLOWED_CLOCK_SKEW:
            raise ValueError(_("must not be in the future"))
        return value

    @model_validator(mode="after")
    def _fields_for_action(self) -> ScanRequest:
        if self.action == "deploy" and not self.site:
            raise ValueError("site: " + _("required to deploy (the post office or place)"))
        if self.action == "deploy" and self.condition is not None:
            raise ValueError("condition: " + _("only with receive"))
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat, lon: " + _("give both coordinates or neither"))
        return self


class ScanResult(ItemRead):
    replayed: bool = Field(description="True when the scan was a repeat and wrote nothing.")

    @classmethod
    def scanned(cls, item: ScannedItem, *, replayed: bool) -> ScanResult:
        return cls(
            replayed=replayed,
            **{name: getattr(item, name) for name in ItemRead.model_fields},
        )
