"""The demo data set (donations.demo): loaded once into a fresh SQLite database, then checked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from donations import demo, migrate
from donations.auth.service import authenticate
from donations.config import Settings
from donations.db import Database
from donations.models import Allocation, Event, Item, Organisation, Pledge, Shipment
from donations.s10 import validate_s10
from donations.shipments.schemas import is_overdue

RECIPIENTS = {
    "FJPOST",
    "PGPOST",
    "WSPOST",
    "SBPOST",
    "TOPOST",
    "TVPOST",
    "VUPOST",
    "KIPOST",
    "NRPOST",
}

# How many item events an item in each state has had (pack, dispatch, receive/missing, deploy).
ITEM_EVENTS_BY_STATE = {
    "pledged": 0,
    "packed": 1,
    "in_transit": 2,
    "received": 3,
    "missing": 3,
    "deployed": 4,
}


@dataclass
class Loaded:
    database: Database
    first_load: bool


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = Database(Settings(database_url=f"sqlite:///{path}", environment="test"))
    migrate.upgrade(database.engine)
    first_load = demo.load(database)
    yield Loaded(database, first_load)
    database.dispose()


@pytest.fixture
def session(loaded: Loaded) -> Iterator[Session]:
    with loaded.database.session(write=False) as session:
        yield session
        session.rollback()


def code_of(session: Session, org_id: int | None) -> str | None:
    return None if org_id is None else session.get_one(Organisation, org_id).code


def test_loads_once_and_only_into_an_empty_database(loaded: Loaded) -> None:
    assert loaded.first_load is True
    with loaded.database.session(write=False) as session:
        events_before = session.scalar(select(func.count(Event.id)))
    assert demo.load(loaded.database) is False
    with loaded.database.session(write=False) as session:
        assert session.scalar(select(func.count(Event.id))) == events_before
        assert session.scalar(select(func.count(Organisation.id))) == 14


def test_every_post_of_the_reference_file(session: Session) -> None:
    orgs = {org.code: org for org in session.scalars(select(Organisation))}
    assert len(orgs) == 14
    assert {code for code, org in orgs.items() if org.kind == "recipient"} == RECIPIENTS
    tonga = orgs["TOPOST"]
    assert (tonga.name, tonga.country, tonga.city) == ("Tonga Post", "TO", "Nuku'alofa")
    assert (tonga.lat, tonga.lon) == (-21.1393, -175.2049)
    assert orgs["KRPOST"].kind == "donor"
    assert orgs["UPUIB"].kind == "partner"


def test_one_pledge_of_200_items_allocated_to_nine_posts(session: Session) -> None:
    pledge = session.scalars(select(Pledge)).one()
    assert code_of(session, pledge.donor_id) == "KRPOST"
    assert (pledge.quantity, pledge.category, pledge.currency) == (200, "computer", "USD")
    assert pledge.programme and "Pacific" in pledge.programme
    assert "EPEAT" in pledge.description
    serials = list(session.scalars(select(Item.serial)))
    assert len(serials) == 200 and len(set(serials)) == 200 and all(serials)
    allocations = session.scalars(select(Allocation)).all()
    assert sum(a.quantity for a in allocations) == 200
    assert {code_of(session, a.recipient_id) for a in allocations} == RECIPIENTS


def test_serials_and_tracking_numbers_are_the_same_on_every_load(
    tmp_path_factory: pytest.TempPathFactory, session: Session
) -> None:
    path = tmp_path_factory.mktemp("again") / "demo.db"
    other = Database(Settings(database_url=f"sqlite:///{path}", environment="test"))
    try:
        migrate.upgrade(other.engine)
        assert demo.load(other) is True
        with other.session(write=False) as other_session:
            for column in (Item.serial, Shipment.tracking_number):
                assert list(other_session.scalars(select(column).order_by(column))) == list(
                    session.scalars(select(column).order_by(column))
                )
    finally:
        other.dispose()


def test_shipments_in_every_state(session: Session) -> None:
    shipments = {code_of(session, s.destination_id): s for s in session.scalars(select(Shipment))}
    statuses = {code: s.status for code, s in shipments.items()}
    assert statuses == {
        "TOPOST": "closed",
        "NRPOST": "received",
        "FJPOST": "dispatched",
        "WSPOST": "dispatched",
        "VUPOST": "draft",
    }
    assert is_overdue(shipments["FJPOST"])
    assert not is_overdue(shipments["WSPOST"])
    for shipment in shipments.values():
        if shipment.mode == "post" and shipment.tracking_number:
            assert validate_s10(shipment.tracking_number) == shipment.tracking_number
        if shipment.status != "draft":
            assert shipment.tracking_number and shipment.carrier and shipment.expected_arrival


def test_item_states_tell_the_story(session: Session) -> None:
    rows = session.execute(select(Item.recipient_id, Item.state, Item.condition)).all()
    by_state = Counter(state for _, state, _ in rows)
    assert set(by_state) == {"pledged", "packed", "in_transit", "received", "deployed", "missing"}
    assert sum(by_state.values()) == 200
    tonga = session.scalars(select(Organisation.id).where(Organisation.code == "TOPOST")).one()
    tonga_rows = [(state, condition) for org, state, condition in rows if org == tonga]
    assert [condition for _, condition in tonga_rows].count("damaged") == 1
    assert [condition for _, _, condition in rows].count("damaged") == 1
    assert Counter(state for state, _ in tonga_rows)["missing"] == 1
    assert Counter(state for state, _ in tonga_rows)["deployed"] >= 5


def test_deployed_items_are_at_named_sites_with_coordinates(session: Session) -> None:
    for item in session.scalars(select(Item).where(Item.state == "deployed")):
        assert item.site and item.lat is not None and item.lon is not None
        assert item.received_at is not None and item.deployed_at is not None
        assert item.received_at < item.deployed_at


def test_every_item_state_change_has_its_event(session: Session) -> None:
    counts = dict(
        session.execute(
            select(Event.item_id, func.count(Event.id))
            .where(Event.item_id.is_not(None))
            .group_by(Event.item_id)
        ).all()
    )
    for item in session.scalars(select(Item)):
        assert counts.get(item.id, 0) == ITEM_EVENTS_BY_STATE[item.state], item.id


def test_history_is_in_the_past_and_in_order(session: Session) -> None:
    now = datetime.now(UTC)
    times = list(session.scalars(select(Event.at).order_by(Event.id)))
    assert max(times) <= now
    assert times == sorted(times)
    assert now - times[0] > timedelta(days=80)
    pledge = session.scalars(select(Pledge)).one()
    assert timedelta(days=80) < now - pledge.created_at < timedelta(days=120)
    for table in (Organisation, Item, Shipment, Allocation):
        assert session.scalar(select(func.max(table.created_at))) <= now
    for shipment in session.scalars(select(Shipment).where(Shipment.dispatched_at.is_not(None))):
        assert shipment.dispatched_at is not None and shipment.dispatched_at > pledge.created_at


def test_credentials_are_stable_and_complete() -> None:
    rows = demo.credentials()
    assert rows == demo.credentials()
    assert all(len(password) >= 10 for _, password, _, _ in rows)
    roles = Counter(role for _, _, role, _ in rows)
    assert roles == {"coordinator": 1, "donor": 1, "recipient": 9}
    assert {org for _, _, role, org in rows if role == "coordinator"} <= {"UPUIB", "APPC"}
    assert {org for _, _, role, org in rows if role == "donor"} == {"KRPOST"}
    assert {org for _, _, role, org in rows if role == "recipient"} == RECIPIENTS


def test_every_demo_user_can_sign_in(session: Session) -> None:
    for username, password, role, organisation in demo.credentials():
        user = authenticate(session, username=username, password=password)
        assert user is not None, username
        assert (user.role, user.org_code) == (role, organisation)
