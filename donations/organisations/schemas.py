from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from donations.i18n import gettext as _
from donations.models import Organisation, OrganisationKind

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "TOPOST",
                    "name": "Tonga Post",
                    "country": "TO",
                    "kind": "recipient",
                    "city": "Nuku'alofa",
                    "lat": -21.1393,
                    "lon": -175.2049,
                }
            ]
        }
    )

    code: str = Field(description="Unique: upper-case letters, digits and dashes, 2-32 long.")
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. `TO`.")
    kind: OrganisationKind
    city: str | None = Field(None, max_length=120)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip().upper()
        if not CODE_RE.match(value):
            raise ValueError(_("use 2-32 upper-case letters, digits or dashes, e.g. KRPOST"))
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        from donations.countries import is_country

        value = value.strip().upper()
        if not is_country(value):
            raise ValueError(
                _("{value!r} is not an ISO 3166-1 alpha-2 country code").format(value=value)
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("must not be blank"))
        return value

    @field_validator("city")
    @classmethod
    def _city(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None


class OrganisationRead(BaseModel):
    id: int
    code: str
    name: str
    country: str
    kind: str
    city: str | None
    lat: float | None
    lon: float | None

    @classmethod
    def of(cls, org: Organisation) -> OrganisationRead:
        return cls(
            id=org.id,
            code=org.code,
            name=org.name,
            country=org.country,
            kind=org.kind,
            city=org.city,
            lat=org.lat,
            lon=org.lon,
        )
