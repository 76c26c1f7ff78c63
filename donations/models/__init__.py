"""Every ORM model, imported in one place (Alembic autogenerate needs them all)."""

from donations.models.allocation import Allocation
from donations.models.api_token import ApiToken
from donations.models.event import Event
from donations.models.item import Item
from donations.models.login_failure import LoginFailure
from donations.models.organisation import Organisation, OrganisationKind
from donations.models.pledge import Pledge, PledgeStatus
from donations.models.shipment import Shipment, ShipmentMode, ShipmentStatus
from donations.models.user import Role, User
from donations.models.web_session import WebSession

__all__ = [
    "Allocation",
    "ApiToken",
    "Event",
    "Item",
    "LoginFailure",
    "Organisation",
    "OrganisationKind",
    "Pledge",
    "PledgeStatus",
    "Role",
    "Shipment",
    "ShipmentMode",
    "ShipmentStatus",
    "User",
    "WebSession",
]
