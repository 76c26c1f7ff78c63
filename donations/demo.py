"""The demo data set: Korea Post's 200 green computers for nine Pacific posts.

`load(database)` fills an empty database with the programme as the app itself would have
recorded it over the last three months: the organisations of `data/posts.csv`, demo users,
the pledge and its 200 serial-numbered items, the allocations, and shipments in every
state (a closed one with a damaged and a missing unit, a received one, an overdue one, one
on its way, a draft being packed). Everything after the organisations goes through the
services with the demo user who would have done it, one step per "request", each at its
own moment in the past (`clock.frozen_at`), so states, counts and the audit trail are
exactly what the app writes.

The demo passwords are printed by `donations demo` and `donations serve --demo`: never load
the demo into a database that real people use.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import partial
from importlib import resources
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from donations import clock
from donations.db import Database
from donations.errors import Forbidden
from donations.events.service import Actor
from donations.lifecycle import Condition
from donations.models import (
    Item,
    Organisation,
    OrganisationKind,
    Role,
    Shipment,
    ShipmentMode,
    User,
)
from donations.organisations import service as organisation_service
from donations.organisations.schemas import OrganisationCreate
from donations.pledges import service as pledge_service
from donations.pledges.schemas import AllocationCreate, ItemIn, PledgeCreate
from donations.s10 import make_s10
from donations.scans import service as scan_service
from donations.scans.schemas import ScanRequest
from donations.shipments import service as shipment_service
from donations.shipments.schemas import DispatchRequest, PackRequest, ShipmentCreate
from donations.users import service as user_service
from donations.users.schemas import UserCreate

SEED = 20_240_917  # serial and tracking numbers are the same on every load

TITLE = "Green computers for Pacific post offices"
PROGRAMME = "UPU South-South and Triangular Cooperation - Pacific"
DESCRIPTION = (
    "Refurbished energy-efficient small-form-factor desktop computers from Korea Post's "
    "counter network, EPEAT-registered (Bronze) and ENERGY STAR 8.0 certified, for post office "
    "counters, EMS desks and back offices.\n"
    "Each unit: Intel Core i5-10400 (6 cores), 8 GB DDR4, 256 GB NVMe SSD, Windows 11 Pro "
    "(refurbished PC licence), 21.5-inch LED monitor, US-English keyboard and mouse; about 25 W "
    "in typical use; 220-240 V power supply with AS/NZS (type I) plug.\n"
    "Disks wiped to NIST SP 800-88, tested and re-imaged by Korea Post's ICT centre; "
    "3-year parts warranty. Packed one unit per carton with its monitor."
)
MODELS = (("Samsung DM500TFA", 120), ("LG B80GV", 80))

# Units per recipient post: sized on each post's network of offices.
ALLOCATIONS: dict[str, int] = {
    "PGPOST": 45,
    "FJPOST": 40,
    "SBPOST": 25,
    "VUPOST": 22,
    "WSPOST": 20,
    "TOPOST": 18,
    "KIPOST": 14,
    "TVPOST": 8,
    "NRPOST": 8,
}

# Fixed UTC offsets of the places where things happen (none of them observes summer time
# now, except Bern, where an hour does not matter for the demo).
UTC_OFFSETS = {"CH": 1, "KR": 9, "FJ": 12, "NR": 12, "TO": 13, "VU": 11, "WS": 13}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    organisation: str | None
    display_name: str
    language: Literal["en", "fr"] = "en"

    @property
    def password(self) -> str:
        return f"{self.username}-demo-pw"


USERS: tuple[DemoUser, ...] = (
    DemoUser("coordinator", Role.coordinator, "UPUIB", "UPU International Bureau - Cooperation"),
    DemoUser("koreapost", Role.donor, "KRPOST", "Korea Post - International Cooperation"),
    DemoUser("fiji", Role.recipient, "FJPOST", "Post Fiji - Suva GPO"),
    DemoUser("png", Role.recipient, "PGPOST", "Post PNG - Konedobu"),
    DemoUser("samoa", Role.recipient, "WSPOST", "SamoaPost - Apia"),
    DemoUser("solomons", Role.recipient, "SBPOST", "Solomon Post - Honiara"),
    DemoUser("tonga", Role.recipient, "TOPOST", "Tonga Post - Nuku'alofa"),
    DemoUser("tuvalu", Role.recipient, "TVPOST", "Tuvalu Post - Funafuti"),
    DemoUser("vanuatu", Role.recipient, "VUPOST", "Vanuatu Post - Port Vila", "fr"),
    DemoUser("kiribati", Role.recipient, "KIPOST", "Kiribati Post - Bairiki"),
    DemoUser("nauru", Role.recipient, "NRPOST", "Nauru Post - Yaren"),
)

When = tuple[int, str]  # (days ago, local "HH:MM")


@dataclass(frozen=True)
class Leg:
    """One shipment from Korea Post: its steps happen in Seoul, on the days given."""

    recipient: str
    carrier: str
    mode: ShipmentMode
    tracking: str | None  # "S10:<service>", "ISO6346:<owner>", "AWB:<airline prefix>"
    units: int
    created: When
    packed: When
    dispatched: When | None
    expected_in_days: int  # expected arrival, days from today (negative: passed)


SHIPMENTS = (
    Leg(
        recipient="TOPOST",
        carrier="Korea Post international parcel (airmail)",
        mode=ShipmentMode.post,
        tracking="S10:CP",
        units=18,
        created=(62, "09:40"),
        packed=(60, "15:10"),
        dispatched=(57, "10:30"),
        expected_in_days=-43,
    ),
    Leg(
        recipient="FJPOST",
        carrier="Pacific International Lines, sea freight Busan - Suva",
        mode=ShipmentMode.sea,
        tracking="ISO6346:PCIU",
        units=40,
        created=(52, "11:00"),
        packed=(50, "16:30"),
        dispatched=(48, "08:50"),
        expected_in_days=-8,
    ),
    Leg(
        recipient="NRPOST",
        carrier="Korean Air Cargo to Brisbane, Nauru Airlines to Yaren",
        mode=ShipmentMode.air,
        tracking="AWB:180",
        units=8,
        created=(45, "10:10"),
        packed=(44, "14:00"),
        dispatched=(41, "09:15"),
        expected_in_days=-33,
    ),
    Leg(
        recipient="WSPOST",
        carrier="Korea Post EMS",
        mode=ShipmentMode.post,
        tracking="S10:EE",
        units=20,
        created=(14, "10:00"),
        packed=(13, "15:45"),
        dispatched=(9, "09:20"),
        expected_in_days=5,
    ),
    Leg(
        recipient="VUPOST",
        carrier="Korea Post EMS",
        mode=ShipmentMode.post,
        tracking=None,
        units=12,
        created=(3, "10:30"),
        packed=(2, "16:05"),
        dispatched=None,
        expected_in_days=16,
    ),
)

DAMAGED_NOTE = (
    "Carton crushed at one corner: monitor screen cracked, the PC itself boots. "
    "Photos sent to Korea Post for the insurance claim."
)

Site = tuple[str, float, float]  # name, lat, lon (approximate, at town level)
NUKUALOFA: Site = ("Nuku'alofa Post Office (Tonga Post head office)", -21.1350, -175.2010)
FUAAMOTU: Site = ("Fua'amotu Airport office of exchange", -21.2412, -175.1496)
NEIAFU: Site = ("Neiafu Post Office, Vava'u", -18.6508, -173.9834)
PANGAI: Site = ("Pangai Post Office, Lifuka, Ha'apai", -19.8086, -174.3507)
OHONUA: Site = ("'Ohonua Post Office, 'Eua", -21.3536, -174.9536)
YAREN: Site = ("Nauru Post Office, Yaren", -0.5467, 166.9211)
AIWO: Site = ("Nauru Post counter, Civic Centre, Aiwo", -0.5340, 166.9140)


@dataclass(frozen=True)
class Deployment:
    """Items (by their rank in the shipment) put in service at a site, local time."""

    when: When
    site: Site
    items: tuple[int, ...]
    note: str | None = None
    synced: When | None = None  # scanned offline; the phone's queue reached the server then


DEPLOYMENTS: dict[str, tuple[Deployment, ...]] = {
    "TOPOST": (
        Deployment((38, "09:30"), NUKUALOFA, (0, 1, 2), "Counters 1-3, replacing 2013 desktops"),
        Deployment((38, "11:00"), NUKUALOFA, (3,), "EMS and parcels desk"),
        Deployment((37, "14:15"), FUAAMOTU, (4,), "Outward mail: CN 38 dispatch lists"),
        Deployment((31, "10:40"), NEIAFU, (7, 8)),
        Deployment((30, "10:15"), PANGAI, (9, 10), synced=(29, "17:05")),
        Deployment((24, "13:10"), OHONUA, (11,), "Came over on the ferry from Nuku'alofa"),
    ),
    "NRPOST": (
        Deployment((30, "09:45"), YAREN, (0, 1, 2)),
        Deployment((30, "11:30"), AIWO, (3, 4)),
    ),
}


def credentials() -> list[tuple[str, str, str, str | None]]:
    """(username, password, role, organisation code) of every demo user, always the same."""
    return [(u.username, u.password, u.role.value, u.organisation) for u in USERS]


def load(database: Database) -> bool:
    """Load the demo into an empty database in one transaction. False (and nothing
    written) when the database already has organisations."""
    session = database.session()
    try:
        if session.scalar(select(func.count(Organisation.id))):
            session.rollback()
            return False
        _Demo(session, clock.now()).run()
        session.commit()
        return True
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read_posts() -> list[dict[str, str]]:
    """The rows of donations/data/posts.csv."""
    text = resources.files("donations").joinpath("data/posts.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def make_serials(rng: random.Random) -> list[ItemIn]:
    """200 plausible manufacturer serial numbers, in the order of the donor's spreadsheet."""
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    rows: list[ItemIn] = []
    seen: set[str] = set()
    for model, count in MODELS:
        made = 0
        while made < count:
            if model.startswith("Samsung"):
                serial = (
                    f"0{rng.choice('FKMRTY')}{rng.randrange(10)}{rng.choice(letters)}"
                    f"9{rng.choice('ABC')}BT{rng.randrange(100_000, 999_999)}"
                    f"{rng.choice(letters)}"
                )
            else:
                serial = f"{rng.choice('01')}{rng.randrange(1, 13):02d}KR{rng.randrange(10**6):06d}"
            if serial not in seen:
                seen.add(serial)
                rows.append(ItemIn(serial=serial, model=model))
                made += 1
    return rows


def container_number(owner: str, serial: int) -> str:
    """An ISO 6346 freight container number with its check digit (e.g. CSQU3054383)."""
    values: dict[str, int] = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        value += value % 11 == 0
        values[letter] = value
        value += 1
    code = f"{owner}{serial:06d}"
    total = sum((values[ch] if ch.isalpha() else int(ch)) * 2**i for i, ch in enumerate(code))
    return f"{code}{total % 11 % 10}"


def air_waybill(prefix: str, serial: int) -> str:
    """An IATA air waybill number: airline prefix, 7 digits and their remainder mod 7."""
    return f"{prefix}-{serial:07d}{serial % 7}"


def make_tracking(kind: str | None, rng: random.Random) -> str | None:
    """A tracking number of `kind` ("S10:CP", "ISO6346:PCIU", "AWB:180"), or None."""
    if kind is None:
        return None
    scheme, prefix = kind.split(":")
    if scheme == "S10":
        return make_s10(prefix, rng.randrange(10**7, 10**8), "KR")
    if scheme == "ISO6346":
        return container_number(prefix, rng.randrange(10**5, 10**6))
    return air_waybill(prefix, rng.randrange(10**6, 10**7))


Step = tuple[datetime, int, Callable[[], Any]]


class _Demo:
    """Plans the programme as timed steps, then plays them in time order."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rng = random.Random(SEED)
        self.steps: list[Step] = []
        self.pledge_id = 0
        self.shipments: dict[str, int] = {}
        self.device_counters: dict[str, int] = {}

    # -- time and requests -------------------------------------------------------------

    def at(self, when: When, country: str) -> datetime:
        """Local time `when` in `country`: (days ago, "HH:MM"). A day ago or more is always
        in the past, whatever the time now."""
        days_ago, hhmm = when
        zone = timezone(timedelta(hours=UTC_OFFSETS[country]))
        day = self.now.astimezone(zone).date() - timedelta(days=days_ago)
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)

    def plan(self, moment: datetime, action: Callable[..., Any], *args: Any) -> None:
        self.steps.append((moment, len(self.steps), partial(action, *args)))

    def run(self) -> None:
        self._plan_programme()
        for moment, _, action in sorted(self.steps, key=lambda step: step[:2]):
            if moment > self.now:
                raise RuntimeError(f"demo step planned in the future: {moment.isoformat()}")
            with clock.frozen_at(moment):
                action()
                self.session.flush()
            # Each step stands for one request with its own session: forget what was loaded.
            self.session.expire_all()

    def actor(self, username: str, source: str = "web") -> tuple[User, Actor]:
        """The user, loaded afresh as a request would, and the actor for the events."""
        user = user_service.get_by_username(self.session, username)
        if user is None:
            raise RuntimeError(f"demo user {username} is missing")
        return user, Actor(user, source=source)

    # -- the programme -----------------------------------------------------------------

    def _plan_programme(self) -> None:
        minutes = timedelta(minutes=1)
        self.plan(self.at((104, "08:30"), "CH"), self.create_organisations)
        for index, demo_user in enumerate(USERS):
            self.plan(
                self.at((104, "09:00"), "CH") + 4 * index * minutes, self.create_user, demo_user
            )
        self.plan(self.at((97, "10:20"), "KR"), self.create_pledge)
        for index, (code, quantity) in enumerate(ALLOCATIONS.items()):
            self.plan(
                self.at((94, "14:05"), "CH") + 3 * index * minutes, self.allocate, code, quantity
            )
        self.plan(self.at((83, "11:40"), "KR"), self.import_items, make_serials(self.rng))
        for leg in SHIPMENTS:
            self.plan(
                self.at(leg.created, "KR"),
                self.create_shipment,
                leg,
                make_tracking(leg.tracking, self.rng),
            )
            self.plan(self.at(leg.packed, "KR"), self.pack, leg.recipient, leg.units)
            if leg.dispatched is not None:
                self.plan(self.at(leg.dispatched, "KR"), self.dispatch, leg.recipient)
        # Tonga: 17 of the 18 cartons arrive, one of them crushed; a week later Tonga Post
        # closes the shipment and the 18th unit is missing.
        self._plan_receipts("TOPOST", "tonga", self.at((42, "10:05"), "TO"), 17, damaged=6)
        self.plan(self.at((35, "15:20"), "TO"), self.close, "TOPOST", "tonga")
        self._plan_deployments("TOPOST", "tonga", "TO")
        # Nauru: everything arrives, the shipment is received.
        self._plan_receipts("NRPOST", "nauru", self.at((34, "11:20"), "NR"), 8)
        self._plan_deployments("NRPOST", "nauru", "NR")

    def _plan_receipts(
        self, recipient: str, username: str, start: datetime, count: int, damaged: int = -1
    ) -> None:
        for index in range(count):
            condition, note = (
                (Condition.damaged, DAMAGED_NOTE) if index == damaged else (Condition.good, None)
            )
            self.plan(
                start + timedelta(minutes=2 * index),
                self.receive,
                recipient,
                username,
                index,
                condition,
                note,
            )

    def _plan_deployments(self, recipient: str, username: str, country: str) -> None:
        for deployment in DEPLOYMENTS[recipient]:
            start = self.at(deployment.when, country)
            for offset, index in enumerate(deployment.items):
                scanned = start + timedelta(minutes=6 * offset)
                synced = self.at(deployment.synced, country) if deployment.synced else None
                moment = synced + timedelta(seconds=20 * offset) if synced else scanned
                self.plan(
                    moment,
                    self.deploy,
                    recipient,
                    username,
                    index,
                    deployment.site,
                    deployment.note,
                    scanned if synced else None,
                )

    # -- the steps: each does what one request of the app would do ----------------------

    def create_organisations(self) -> None:
        installer = Actor(None, source="cli")
        for row in read_posts():
            organisation_in = OrganisationCreate(
                code=row["code"],
                name=row["operator"],
                country=row["iso2"],
                kind=OrganisationKind(row["role"]),
                city=row["city"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
            organisation_service.create(
                self.session, organisation_in=organisation_in, actor=installer
            )

    def create_user(self, demo_user: DemoUser) -> None:
        # The first coordinator is made on the command line; the coordinator makes the rest.
        first = demo_user.role == Role.coordinator
        actor = Actor(None, source="cli") if first else self.actor("coordinator")[1]
        user_in = UserCreate(
            username=demo_user.username,
            password=demo_user.password,
            role=demo_user.role,
            organisation=demo_user.organisation,
            display_name=demo_user.display_name,
            language=demo_user.language,
        )
        user_service.create(self.session, user_in=user_in, actor=actor)

    def create_pledge(self) -> None:
        user, actor = self.actor("koreapost")
        pledge_in = PledgeCreate(
            title=TITLE,
            category="computer",
            quantity=200,
            description=DESCRIPTION,
            unit_value=Decimal("450.00"),
            currency="USD",
            programme=PROGRAMME,
        )
        pledge = pledge_service.create(self.session, pledge_in=pledge_in, actor=actor, user=user)
        self.pledge_id = pledge.id

    def allocate(self, recipient: str, quantity: int) -> None:
        user, actor = self.actor("coordinator")
        pledge = pledge_service.get_visible(
            self.session, pledge_id=self.pledge_id, user=user, lock=True
        )
        pledge_service.allocate(
            self.session,
            pledge=pledge,
            allocation_in=AllocationCreate(recipient=recipient, quantity=quantity),
            actor=actor,
        )

    def import_items(self, rows: list[ItemIn]) -> None:
        user, actor = self.actor("koreapost")
        pledge = pledge_service.get_visible(
            self.session, pledge_id=self.pledge_id, user=user, lock=True
        )
        pledge_service.add_items(
            self.session,
            pledge=pledge,
            rows=rows,
            row_names=[f"row {line}" for line in range(2, len(rows) + 2)],
            actor=actor,
            origin="file",
        )

    def create_shipment(self, leg: Leg, tracking: str | None) -> None:
        user, actor = self.actor("koreapost")
        shipment_in = ShipmentCreate(
            pledge_id=self.pledge_id,
            recipient=leg.recipient,
            carrier=leg.carrier,
            mode=leg.mode,
            tracking_number=tracking,
            expected_arrival=self.now.date() + timedelta(days=leg.expected_in_days),
        )
        shipment = shipment_service.create(
            self.session, shipment_in=shipment_in, user=user, actor=actor
        )
        self.shipments[leg.recipient] = shipment.id

    def _packable(self, recipient: str) -> tuple[Shipment, Actor]:
        user, actor = self.actor("koreapost")
        shipment = shipment_service.get_visible(
            self.session, shipment_id=self.shipments[recipient], user=user, lock=True
        )
        if not shipment_service.may_pack(user, shipment):
            raise Forbidden("only the donor of this shipment or a coordinator can do this")
        return shipment, actor

    def pack(self, recipient: str, count: int) -> None:
        shipment, actor = self._packable(recipient)
        shipment_service.pack(
            self.session, shipment=shipment, pack_in=PackRequest(count=count), actor=actor
        )

    def dispatch(self, recipient: str) -> None:
        shipment, actor = self._packable(recipient)
        shipment_service.dispatch(
            self.session, shipment=shipment, dispatch_in=DispatchRequest(), actor=actor
        )

    def close(self, recipient: str, username: str) -> None:
        user, actor = self.actor(username)
        shipment = shipment_service.get_visible(
            self.session, shipment_id=self.shipments[recipient], user=user, lock=True
        )
        shipment_service.close(self.session, shipment=shipment, actor=actor)

    def _tag(self, recipient: str, index: int) -> str:
        """The tag of the index-th item (by id) of the shipment to `recipient`."""
        tags = self.session.scalars(
            select(Item.tag).where(Item.shipment_id == self.shipments[recipient]).order_by(Item.id)
        ).all()
        return tags[index]

    def _scan(self, username: str, **fields: Any) -> None:
        user, actor = self.actor(username, source="scan")
        self.device_counters[username] = self.device_counters.get(username, 0) + 1
        scan_in = ScanRequest(
            client_event_id=f"{username}-phone-1:{self.device_counters[username]:06d}", **fields
        )
        scan_service.scan_in_session(self.session, scan_in=scan_in, user=user, actor=actor)

    def receive(
        self, recipient: str, username: str, index: int, condition: Condition, note: str | None
    ) -> None:
        self._scan(
            username,
            tag=self._tag(recipient, index),
            action="receive",
            condition=condition,
            note=note,
        )

    def deploy(
        self,
        recipient: str,
        username: str,
        index: int,
        site: tuple[str, float, float],
        note: str | None,
        scanned_at: datetime | None = None,
    ) -> None:
        name, lat, lon = site
        self._scan(
            username,
            tag=self._tag(recipient, index),
            action="deploy",
            site=name,
            lat=lat,
            lon=lon,
            note=note,
            scanned_at=scanned_at,
        )
