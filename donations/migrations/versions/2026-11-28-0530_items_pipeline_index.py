"""A covering index for the pipeline counts (stats and dashboard).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_pledge_recipient_state_condition",
            ["pledge_id", "recipient_id", "state", "condition"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_pledge_recipient_state_condition")
