"""Engine factory (URL resolution, SQLite pragmas) and alembic migrations (models in step, in-place upgrade)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage import db


def test_url_resolution_prefers_argument_then_url_env_then_path_env(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_URL, raising=False)
    monkeypatch.delenv(db.ENV_PATH, raising=False)
    monkeypatch.chdir(tmp_path)
    assert db.database_url() == f"sqlite:///{tmp_path / 'qnp_studio.db'}"
    monkeypatch.setenv(db.ENV_PATH, str(tmp_path / "sub" / "h.db"))
    assert db.database_url() == f"sqlite:///{tmp_path / 'sub' / 'h.db'}"
    monkeypatch.setenv(db.ENV_URL, "postgresql://u@host/qnp")
    assert db.database_url() == "postgresql://u@host/qnp"
    assert db.database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_every_sqlite_connection_gets_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = db.open_database(db.sqlite_url(tmp_path / "deep" / "dir" / "a.db"))  # parent folders are created
    for _ in range(2):  # two pooled connections, both configured
        with engine.connect() as conn, engine.connect() as other:
            for c in (conn, other):
                assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
                assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_models_match_the_migrations(engine):
    # If someone changes a model without a migration, autogenerate finds a difference here.
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    assert db.current_revision(engine) == "0002"
    db.upgrade(engine)  # already at head: a no-op
    assert db.current_revision(engine) == "0002"


def _insert_v1_rows(conn) -> None:
    conn.execute(text(
        "INSERT INTO run (id, kind, status, name, engine, seed, spec, created_at, progress, summary) VALUES "
        "(1, 'entanglement', 'done', 'chain-3', 'closed-form', 7, 'name: chain-3', '2025-05-01 10:00:00', 1.0,"
        " '{\"events\": 12}'),"
        "(2, 'qnn', 'failed', 'iris', NULL, NULL, '{}', '2025-05-02 10:00:00', 0.5, NULL)"))
    conn.execute(text(
        "INSERT INTO metric_sample (run_id, step, sim_time_s, entity, metric, value) VALUES "
        "(1, 0, 0.1, 'link:A-R', 'attempts', 10), (1, 1, 0.2, 'link:A-R', 'attempts', 25),"
        "(1, 1, 0.2, 'request:ab', 'fidelity', 0.91),"
        "(1, 1, 0.2, 'link:A-R', 'attempts', 26)"))  # the old table let a retried write store a row twice
    conn.execute(text(
        "INSERT INTO artefact (run_id, name, media_type, content, created_at) VALUES "
        "(1, 'result.json', 'application/json', X'7B7D', '2025-05-01 10:00:05')"))
    conn.execute(text(
        "INSERT INTO saved_topology (name, yaml, version, created_at, updated_at) VALUES "
        "('lab', 'name: lab', 3, '2025-05-01 09:00:00', '2025-05-01 09:30:00')"))


def test_a_database_created_by_the_previous_schema_upgrades_in_place(tmp_path):
    from storage.runs import get_run, list_runs
    from storage.samples import latest_snapshot
    from storage.topologies import get_topology

    engine = db.create_db_engine(db.sqlite_url(tmp_path / "old.db"))
    db.upgrade(engine, "0001")
    assert "label" not in {c["name"] for c in inspect(engine).get_columns("run")}
    with engine.begin() as conn:
        _insert_v1_rows(conn)

    engine = db.open_database(db.sqlite_url(tmp_path / "old.db"))  # what the app does at start
    assert db.current_revision(engine) == "0002"
    run = get_run(engine, 1)
    assert (run.status, run.name, run.seed, run.summary) == ("done", "chain-3", 7, {"events": 12})
    assert (run.label, run.cancel_requested, run.worker_pid) == ("", False, None)
    assert run.last_step == 1  # backfilled from the samples already there
    assert get_run(engine, 2).last_step == -1
    assert [r.id for r in list_runs(engine)] == [2, 1]
    latest = latest_snapshot(engine, 1)
    # Samples moved into the keyed table; of a duplicated key the last written row is kept.
    assert latest.step == 1 and latest.values == {("link:A-R", "attempts"): 26.0, ("request:ab", "fidelity"): 0.91}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metric_sample")).scalar() == 3
    topo = get_topology(engine, "lab")
    assert (topo.version, topo.yaml) == (3, "name: lab")
    assert inspect(engine).get_pk_constraint("metric_sample")["constrained_columns"] == [
        "run_id", "step", "entity", "metric"]


def test_downgrade_rebuilds_tables_without_cascading_deletes(tmp_path):
    # Batch mode copies and drops ``run``; with foreign keys on, that drop would delete every sample.
    engine = db.create_db_engine(db.sqlite_url(tmp_path / "m.db"))
    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        _insert_v1_rows(conn)
    db.upgrade(engine)
    db.downgrade(engine, "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metric_sample")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM artefact")).scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # switched back on
    db.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metric_sample")).scalar() == 3
