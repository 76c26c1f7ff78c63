"""Alembic environment: runs on the connection handed over by donations.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import donations.models  # noqa: F401  (registers every table on Base.metadata)
from donations.db import Base

target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # `alembic` run by hand with -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///./donations.db")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
