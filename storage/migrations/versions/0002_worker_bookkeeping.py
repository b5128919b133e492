"""Worker bookkeeping, run labels, and metric samples clustered by (run, step, entity, metric).

- ``run``: liveness (worker pid, host, heartbeat), the cancel flag, the last committed step, a user label;
- ``metric_sample``: rebuilt without the surrogate ``id`` as a WITHOUT ROWID table (on SQLite) keyed by
  (run_id, step, entity, metric). Writing a row then updates one B-tree instead of three (table, (run_id, step)
  index), which keeps sample writing within the 10 % budget for runs with many entities, and the key answers
  the latest-snapshot and incremental reads by itself.

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

_COLUMNS = "run_id, step, sim_time_s, entity, metric, value"


def upgrade() -> None:
    # Batch mode: SQLite cannot add NOT NULL columns or drop them in place; alembic copies the table if needed.
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

    op.create_table(
        "metric_sample_new",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("sim_time_s", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "step", "entity", "metric", name="pk_metric_sample"),
        sqlite_with_rowid=False,
    )
    # The old table had no uniqueness: if a (run, step, entity, metric) was stored twice, keep the last one.
    op.execute(
        f"INSERT INTO metric_sample_new ({_COLUMNS}) SELECT {_COLUMNS} FROM metric_sample "
        "WHERE id IN (SELECT MAX(id) FROM metric_sample GROUP BY run_id, step, entity, metric)"
    )
    op.drop_table("metric_sample")
    op.rename_table("metric_sample_new", "metric_sample")


def downgrade() -> None:
    op.create_table(
        "metric_sample_old",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("sim_time_s", sa.Float(), nullable=False),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
    )
    op.execute(f"INSERT INTO metric_sample_old ({_COLUMNS}) SELECT {_COLUMNS} FROM metric_sample "
               "ORDER BY run_id, step, entity, metric")
    op.drop_table("metric_sample")
    op.rename_table("metric_sample_old", "metric_sample")
    op.create_index("ix_metric_sample_run_step", "metric_sample", ["run_id", "step"])
    with op.batch_alter_table("run") as batch:
        for column in ("cancel_requested", "heartbeat_at", "worker_host", "worker_pid", "last_step", "label"):
            batch.drop_column(column)
