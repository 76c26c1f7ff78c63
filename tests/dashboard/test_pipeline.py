"""The programme's cheap pipeline counts (the dashboard's, and the stats API's for a
coordinator) are those of the general, scoped count."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from donations import demo
from donations.dashboard import synthetic
from donations.db import Database
from donations.models import Pledge, Role, User
from donations.reports import service as report_service
from donations.reports.pipeline import programme_stats


def coordinator() -> User:
    return User(id=0, username="c", role=Role.coordinator.value, organisation_id=None)


def same_as_reports(database: Database) -> None:
    with database.session(write=False) as session:
        assert programme_stats(session) == report_service.scoped_stats(session, user=coordinator())


class TestProgrammeStats:
    def test_empty(self, app: FastAPI, db: Database) -> None:
        same_as_reports(db)

    def test_demo(self, app: FastAPI, db: Database) -> None:
        demo.load(db)
        same_as_reports(db)

    def test_synthetic_programme_with_a_cancelled_pledge(self, app: FastAPI, db: Database) -> None:
        demo.load(db)
        counts = synthetic.build(db.engine, items=2_400, seed=3)
        assert counts.states.get("missing") and counts.states.get("in_transit")
        with db.session() as session:
            # Cancel a pledge whose items have gone out (the rule: it counts for nothing).
            pledges = session.scalars(select(Pledge.id).order_by(Pledge.id.desc())).all()
            session.execute(
                update(Pledge).where(Pledge.id.in_(pledges[:2])).values(status="cancelled")
            )
            session.commit()
        same_as_reports(db)
        with db.session(write=False) as session:
            stats = programme_stats(session)
        assert stats.total.damaged > 0
        assert set(stats.by_donor) == {"CNPOST", "JPPOST", "KRPOST"}


def test_the_stats_api_gives_coordinators_the_cheap_count(
    app: FastAPI, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.load(db)
    calls: list[str] = []
    real = report_service.pipeline.programme_stats

    def counted(session: Any) -> Any:
        calls.append("programme")
        return real(session)

    monkeypatch.setattr(report_service.pipeline, "programme_stats", counted)
    with db.session(write=False) as session:
        for_coordinator = report_service.stats(session, user=coordinator())
        donor = User(id=0, username="d", role=Role.donor.value, organisation_id=1)
        report_service.stats(session, user=donor)
    assert calls == ["programme"]  # the donor's count is scoped, not the programme's
    with db.session(write=False) as session:
        assert for_coordinator == report_service.scoped_stats(session, user=coordinator())
