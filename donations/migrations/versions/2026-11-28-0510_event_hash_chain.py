"""Events carry a hash chain (prev_hash, hash); existing events are chained in id order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:10:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "events are append-only: they are never updated or deleted"


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_hash"), ["hash"])
    _chain_existing_events()


def _chain_existing_events() -> None:
    from donations.events.chain import FIELDS, GENESIS, digest

    bind = op.get_bind()
    events = sa.table("events", sa.column("id"), *(sa.column(f) for f in FIELDS), sa.column("hash"))
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    if not rows:
        _recreate_triggers(bind)
        return
    _drop_triggers(bind)
    previous = GENESIS
    for row in rows:
        values = dict(row) | {"prev_hash": previous}
        if isinstance(values.get("data"), str):
            values["data"] = json.loads(values["data"])
        if isinstance(values.get("at"), str):  # SQLite hands back text without a type
            values["at"] = datetime.fromisoformat(values["at"])
        values["hash"] = digest(values)
        bind.execute(
            sa.update(events)
            .where(events.c.id == row["id"])
            .values(prev_hash=previous, hash=values["hash"])
        )
        previous = values["hash"]
    _recreate_triggers(bind)


def _drop_triggers(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")


def _recreate_triggers(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
        return
    # batch mode on SQLite rebuilt the table, which drops its triggers: put them back.
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS events_no_{verb.lower()}")
        op.execute(
            f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    _recreate_triggers(op.get_bind())
