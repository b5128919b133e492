"""Worker bookkeeping and run labels: liveness (pid, host, heartbeat), cancel flag, last committed step,
a free user label, and the (run, entity, metric, step) index for time series and latest values.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add NOT NULL columns or drop them in place; alembic copies the table.
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("label", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("last_step", sa.Integer(), nullable=False, server_default="-1"))
        batch.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("worker_host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Runs written before this revision have committed samples; record how far they got.
    op.execute(
        "UPDATE run SET last_step = COALESCE((SELECT MAX(step) FROM metric_sample WHERE run_id = run.id), -1)"
    )
    op.create_index("ix_metric_sample_series", "metric_sample", ["run_id", "entity", "metric", "step"])


def downgrade() -> None:
    op.drop_index("ix_metric_sample_series", table_name="metric_sample")
    with op.batch_alter_table("run") as batch:
        for column in ("cancel_requested", "heartbeat_at", "worker_host", "worker_pid", "last_step", "label"):
            batch.drop_column(column)
