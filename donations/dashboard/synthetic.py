"""A synthetic programme of any size, written with bulk inserts: for `scripts/bench.py
dashboard` and the tests that check the dashboard's cost does not grow with the data.

Pledges of 200 units from three donors, allocated to the nine Pacific posts in the demo's
proportions; each allocation is at one stage of its journey (not yet packed, packed in a
draft shipment, on its way, overdue, received and partly deployed, or closed with units
missing), and every item, shipment, pledge and allocation has the events the app would
have written. Rows are inserted with SQLAlchemy Core in batches, with their ids chosen
here, so 100,000 items take seconds, not the hours the HTTP API would.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Connection, Date, Engine, func, insert, select

from donations import clock
from donations.db import UTCDateTime
from donations.demo import ALLOCATIONS, MODELS, read_posts
from donations.models import Allocation, Event, Item, Organisation, Pledge, Shipment
from donations.tags import ALPHABET, TAG_LENGTH

DONORS = ("KRPOST", "JPPOST", "CNPOST")
CARRIERS = {"KRPOST": "Korea Post EMS", "JPPOST": "Japan Post EMS", "CNPOST": "China Post EMS"}
PLEDGE_SIZE = 200
BATCH = 5000
# How far along each allocation is, with its weight.
PHASES = (
    ("pledged", 10),
    ("draft", 10),
    ("dispatched", 20),
    ("overdue", 8),
    ("received", 37),
    ("closed", 15),
)
SITES = ("Head post office", "Airport office of exchange", "Parcel centre", "Outer island office")


@dataclass
class Counts:
    organisations: int = 0
    pledges: int = 0
    allocations: int = 0
    shipments: int = 0
    items: int = 0
    events: int = 0
    states: dict[str, int] = field(default_factory=dict)


@dataclass
class _Rows:
    pledges: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


class _Ids:
    """The next free id of each table (the rows are inserted with their ids)."""

    def __init__(self, conn: Connection) -> None:
        self.next = {
            model: int(conn.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
            for model in (Pledge, Allocation, Shipment, Item, Event)
        }

    def __call__(self, model: Any) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def build(engine: Engine, *, items: int, seed: int = 7, now: datetime | None = None) -> Counts:
    """Add a programme of about `items` items (whole pledges of 200) in one transaction."""
    now = now or clock.now()
    rng = random.Random(seed)
    counts = Counts()
    with engine.begin() as conn:
        orgs = _organisations(conn, counts)
        plan = _Planner(rng, now, _Ids(conn), orgs, _tags(rng, conn))
        remaining = items
        while remaining > 0:
            plan.pledge(min(PLEDGE_SIZE, remaining))
            remaining -= PLEDGE_SIZE
        rows = plan.rows
        # Events are numbered in the order they happened, as the app would have written them.
        first_event = min((e["id"] for e in rows.events), default=0)
        rows.events.sort(key=lambda e: e["at"])
        for offset, row in enumerate(rows.events):
            row["id"] = first_event + offset
        for model, batch in (
            (Pledge, rows.pledges),
            (Allocation, rows.allocations),
            (Shipment, rows.shipments),
            (Item, rows.items),
            (Event, rows.events),
        ):
            _insert(conn, model, batch)
        counts.pledges, counts.allocations = len(rows.pledges), len(rows.allocations)
        counts.shipments, counts.items = len(rows.shipments), len(rows.items)
        counts.events = len(rows.events)
        for row in rows.items:
            counts.states[row["state"]] = counts.states.get(row["state"], 0) + 1
    return counts


def _insert(conn: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert in batches. On SQLite, the values are converted here and handed to the driver
    (SQLAlchemy's per-value processing would take most of the time), and the table's
    secondary indexes are dropped before and made again after (several times faster)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(model), rows[start : start + BATCH])
        if conn.dialect.name == "postgresql":  # the ids were given: move the sequence on
            name = model.__tablename__
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT max(id) FROM {name}))"
            )
        return
    table = model.__table__
    columns = list(rows[0])
    convert = [_sqlite_converter(table.c[name].type) for name in columns]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    indexes = [
        (name, ddl)
        for name, ddl in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table.name,),
        )
    ]
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    for start in range(0, len(rows), BATCH):
        batch = [
            tuple(f(row[c]) for f, c in zip(convert, columns, strict=True))
            for row in rows[start : start + BATCH]
        ]
        conn.exec_driver_sql(sql, batch)
    for _, ddl in indexes:
        conn.exec_driver_sql(ddl)


def _sqlite_converter(kind: Any) -> Any:
    """How SQLAlchemy's SQLite dialect would store a value of this column type."""
    if isinstance(kind, UTCDateTime):
        return _sqlite_datetime
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, JSON):
        return lambda v: "{}" if v == {} else json.dumps(v)
    return lambda v: v


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return clock.as_utc(value).strftime("%Y-%m-%d %H:%M:%S.%f")


def _organisations(conn: Connection, counts: Counts) -> dict[str, int]:
    """The posts of data/posts.csv (added when missing), by code."""
    existing = {code: id_ for code, id_ in conn.execute(select(Organisation.code, Organisation.id))}
    missing = [row for row in read_posts() if row["code"] not in existing]
    if missing:
        conn.execute(
            insert(Organisation),
            [
                {
                    "code": row["code"],
                    "name": row["operator"],
                    "country": row["iso2"],
                    "kind": row["role"],
                    "city": row["city"],
                    "lat": float(row["lat"]),
                    "lon": float(row["lon"]),
                    "created_at": clock.now(),
                }
                for row in missing
            ],
        )
        counts.organisations = len(missing)
    return {code: id_ for code, id_ in conn.execute(select(Organisation.code, Organisation.id))}


def _tags(rng: random.Random, conn: Connection) -> Iterator[str]:
    """Unique random tags (none of those already used)."""
    used = set(conn.scalars(select(Item.tag))) | set(conn.scalars(select(Shipment.tag)))
    while True:
        value = rng.getrandbits(TAG_LENGTH * 5)
        tag = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(TAG_LENGTH)))
        if tag not in used:
            used.add(tag)
            yield tag


class _Planner:
    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        ids: _Ids,
        orgs: dict[str, int],
        tags: Iterator[str],
    ) -> None:
        self.rng, self.now, self.ids, self.orgs, self.tags = rng, now, ids, orgs, tags
        self.rows = _Rows()
        self.count = 0
        self.donors = {orgs[code]: code for code in DONORS}

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago + self.rng.random() * 0.4)

    def event(self, kind: str, at: datetime, **fields: Any) -> None:
        self.rows.events.append(
            {
                "id": self.ids(Event),
                "at": at,
                "kind": kind,
                "actor_id": None,
                "organisation_id": fields.pop("organisation_id", None),
                "donor_id": None,
                "recipient_id": None,
                "item_id": None,
                "shipment_id": None,
                "pledge_id": None,
                "source": fields.pop("source", "api"),
                "data": fields.pop("data", {}),
                "client_key": None,
            }
            | fields
        )

    def pledge(self, quantity: int) -> None:
        donor = self.orgs[DONORS[self.count % len(DONORS)]]
        self.count += 1
        pledge_id = self.ids(Pledge)
        created = self.at(self.rng.uniform(100, 160))
        self.rows.pledges.append(
            {
                "id": pledge_id,
                "donor_id": donor,
                "title": f"Computers for Pacific posts, lot {self.count}",
                "category": "computer",
                "description": "",
                "quantity": quantity,
                "programme": "UPU South-South and Triangular Cooperation - Pacific",
                "status": "open",
                "created_at": created,
            }
        )
        scope = {"pledge_id": pledge_id, "donor_id": donor, "organisation_id": donor}
        self.event("pledge.created", created, data={"quantity": quantity}, **scope)
        self.event("items.imported", created, data={"count": quantity}, **scope)
        for code, share in self._shares(quantity):
            self.allocation(pledge_id, donor, self.orgs[code], share, created)

    def _shares(self, quantity: int) -> list[tuple[str, int]]:
        total = sum(ALLOCATIONS.values())
        shares = [(code, quantity * weight // total) for code, weight in ALLOCATIONS.items()]
        first_code, first = shares[0]
        shares[0] = (first_code, first + quantity - sum(n for _, n in shares))
        return [(code, n) for code, n in shares if n > 0]

    def allocation(
        self, pledge_id: int, donor: int, recipient: int, quantity: int, created: datetime
    ) -> None:
        self.rows.allocations.append(
            {
                "id": self.ids(Allocation),
                "pledge_id": pledge_id,
                "recipient_id": recipient,
                "quantity": quantity,
                "created_at": created,
            }
        )
        scope = {"pledge_id": pledge_id, "donor_id": donor, "recipient_id": recipient}
        self.event("allocation.created", created, data={"quantity": quantity}, **scope)
        phase = self.rng.choices([p for p, _ in PHASES], [w for _, w in PHASES])[0]
        shipment_id = None if phase == "pledged" else self.shipment(phase, scope)
        for _ in range(quantity):
            self.item(phase, shipment_id, scope)

    def shipment(self, phase: str, scope: dict[str, int]) -> int:
        shipment_id = self.ids(Shipment)
        # Days since dispatch: on the way for a few weeks at most, arrived ones earlier.
        days_out = {
            "dispatched": self.rng.uniform(2, 25),
            "overdue": self.rng.uniform(30, 70),
        }.get(phase, self.rng.uniform(40, 90))
        dispatched = None if phase == "draft" else self.at(days_out)
        if phase == "overdue":  # expected 1 to 25 days ago
            expected = self.now.date() - timedelta(days=self.rng.randrange(1, 26))
        elif phase == "dispatched":
            expected = self.now.date() + timedelta(days=self.rng.randrange(0, 30))
        else:
            expected = (dispatched or self.now).date() + timedelta(days=self.rng.randrange(20, 40))
        status = "dispatched" if phase == "overdue" else phase
        arrived = self.at(max(days_out - 30, 1)) if phase in ("received", "closed") else None
        self.rows.shipments.append(
            {
                "id": shipment_id,
                "tag": next(self.tags),
                "pledge_id": scope["pledge_id"],
                "origin_id": scope["donor_id"],
                "destination_id": scope["recipient_id"],
                "carrier": CARRIERS[self.donors[scope["donor_id"]]],
                "mode": "post",
                "tracking_number": None,
                "expected_arrival": expected,
                "status": status,
                "dispatched_at": dispatched,
                "received_at": arrived if status == "received" else None,
                "closed_at": arrived if status == "closed" else None,
                "created_at": self.at(days_out + 3),
            }
        )
        shipment_scope = {"shipment_id": shipment_id} | scope
        shipment_scope.pop("pledge_id")
        self.event("shipment.created", self.at(days_out + 3), **shipment_scope)
        if dispatched is not None:
            self.event("shipment.dispatched", dispatched, **shipment_scope)
        if arrived is not None:
            self.event(f"shipment.{status}", arrived, **shipment_scope)
        return shipment_id

    def item(self, phase: str, shipment_id: int | None, scope: dict[str, int]) -> None:
        item_id = self.ids(Item)
        state, condition, site, received, deployed = self._fate(phase)
        model = MODELS[item_id % len(MODELS)][0]
        self.rows.items.append(
            {
                "id": item_id,
                "pledge_id": scope["pledge_id"],
                "tag": next(self.tags),
                "serial": f"SN{item_id:08d}",
                "model": model,
                "notes": None,
                "state": state,
                "condition": condition,
                "shipment_id": shipment_id,
                "recipient_id": scope["recipient_id"] if shipment_id else None,
                "site": site,
                "lat": None,
                "lon": None,
                "received_at": received,
                "deployed_at": deployed,
                "created_at": self.at(150),
            }
        )
        if shipment_id is None:
            return
        where = {"item_id": item_id, "shipment_id": shipment_id} | scope
        where.pop("pledge_id")
        history = ["item.packed"]
        if phase != "draft":
            history.append("item.dispatched")
        if state == "missing":
            history.append("item.missing")
        if received is not None:
            history.append("item.received")
        if deployed is not None:
            history.append("item.deployed")
        for step, kind in enumerate(history):
            data: dict[str, Any] = {}
            if kind == "item.received":
                data = {"condition": condition}
            elif kind == "item.deployed":
                data = {"site": site}
            self.event(kind, self.at(60 - 12 * step), data=data, **where)

    def _fate(self, phase: str) -> tuple[str, str | None, str | None, Any, Any]:
        """state, condition, site, received_at, deployed_at of an item of the phase."""
        if phase in ("pledged", "draft", "dispatched", "overdue"):
            state = {"pledged": "pledged", "draft": "packed"}.get(phase, "in_transit")
            return state, None, None, None, None
        if phase == "closed" and self.rng.random() < 0.1:
            return "missing", None, None, None, None
        condition = "damaged" if self.rng.random() < 0.03 else "good"
        received = self.at(self.rng.uniform(10, 40))
        if self.rng.random() < 0.6:
            site = self.rng.choice(SITES)
            return "deployed", condition, site, received, received + timedelta(days=3)
        return "received", condition, None, received, None
