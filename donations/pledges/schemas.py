from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from donations.i18n import gettext as _
from donations.models import Allocation, Item, Pledge


def _strip_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


class PledgeCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Green computers for Pacific post offices",
                    "category": "computer",
                    "quantity": 200,
                    "description": "Refurbished energy-efficient desktop computers",
                    "unit_value": "450.00",
                    "currency": "USD",
                    "programme": "UPU South-South and Triangular Cooperation",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=64, description="e.g. `computer`.")
    quantity: int = Field(ge=1, le=1_000_000, description="Units pledged, at least 1.")
    description: str | None = Field(None, max_length=10_000)
    unit_value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, description="ISO 4217, e.g. `USD`; needed with a value.")
    programme: str | None = Field(None, max_length=200, description="Programme or fund.")
    donor: str | None = Field(
        None,
        description="Donor organisation code (coordinators only; donors pledge for their own).",
    )

    @field_validator("title", "category")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("must not be blank"))
        return value

    @field_validator("description", "programme", "donor")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return _strip_or_none(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        from donations.countries import is_currency

        value = _strip_or_none(value)
        if value is None:
            return None
        value = value.upper()
        if not is_currency(value):
            raise ValueError(_("{value!r} is not an ISO 4217 currency code").format(value=value))
        return value

    @model_validator(mode="after")
    def _value_needs_currency(self) -> PledgeCreate:
        if self.unit_value is not None and self.currency is None:
            raise ValueError("currency: " + _("required when unit_value is given"))
        return self


class PledgeRead(BaseModel):
    id: int
    donor: str
    title: str
    category: str
    quantity: int
    item_count: int
    allocated: int
    programme: str | None
    status: str
    description: str
    unit_value: Decimal | None
    currency: str | None
    created_at: datetime

    @classmethod
    def of(cls, pledge: Pledge, *, item_count: int, allocated: int) -> PledgeRead:
        return cls(
            id=pledge.id,
            donor=pledge.donor.code,
            title=pledge.title,
            category=pledge.category,
            quantity=pledge.quantity,
            item_count=item_count,
            allocated=allocated,
            programme=pledge.programme,
            status=pledge.status,
            description=pledge.description,
            unit_value=pledge.unit_value,
            currency=pledge.currency,
            created_at=pledge.created_at,
        )


class ItemIn(BaseModel):
    serial: str = Field(min_length=1, max_length=100)
    model: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=2000)

    @field_validator("serial")
    @classmethod
    def _serial(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("serial must not be blank"))
        return value

    @field_validator("model", "notes")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return _strip_or_none(value)


class ItemsCreate(BaseModel):
    """Either `items` (units with serial numbers) or `generate` (N units without serials)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"serial": "KR7G1A00231", "model": "Samsung DM500TFA"}]},
                {"generate": 20},
            ]
        }
    )

    items: list[ItemIn] | None = Field(None, max_length=100_000)
    generate: int | None = Field(None, ge=1, le=100_000)
    model: str | None = Field(None, max_length=200, description="Model for generated items.")

    @model_validator(mode="after")
    def _one_of(self) -> ItemsCreate:
        if self.items is None and self.generate is None:
            raise ValueError(_("send either items or generate"))
        if self.items is not None and self.generate is not None:
            raise ValueError(_("send either items or generate, not both"))
        if self.items is not None and not self.items:
            raise ValueError("items: " + _("the list is empty"))
        return self


class ItemRead(BaseModel):
    id: int
    tag: str
    serial: str | None
    model: str | None
    state: str
    condition: str | None
    pledge_id: int
    recipient: str | None
    shipment_id: int | None
    site: str | None
    lat: float | None
    lon: float | None
    received_at: datetime | None
    deployed_at: datetime | None

    @classmethod
    def of(cls, item: Item, **extra: Any) -> Self:
        return cls(
            **extra,
            id=item.id,
            tag=item.tag,
            serial=item.serial,
            model=item.model,
            state=item.state,
            condition=item.condition,
            pledge_id=item.pledge_id,
            recipient=item.recipient.code if item.recipient is not None else None,
            shipment_id=item.shipment_id,
            site=item.site,
            lat=item.lat,
            lon=item.lon,
            received_at=item.received_at,
            deployed_at=item.deployed_at,
        )


class ItemsCreated(BaseModel):
    created: int
    item_count: int = Field(description="Items the pledge has now.")
    data: list[ItemRead]


class AllocationCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"recipient": "TOPOST", "quantity": 20}]}
    )

    recipient: str = Field(description="Recipient organisation code.")
    quantity: int = Field(ge=1, le=1_000_000)


class AllocationRead(BaseModel):
    id: int
    pledge_id: int
    recipient: str
    quantity: int

    @classmethod
    def of(cls, allocation: Allocation) -> AllocationRead:
        return cls(
            id=allocation.id,
            pledge_id=allocation.pledge_id,
            recipient=allocation.recipient.code,
            quantity=allocation.quantity,
        )
