"""Run history and background runs (storage layer: SQLModel on SQLite by default; no UI imports).

Modules, one job each:

- ``models``: the tables (saved topologies, runs, metric samples, artefacts);
- ``db``: engine factory (WAL, busy timeout) and alembic upgrade; ``migrations/``: the schema history;
- ``topologies``: save / list / load / delete named scenario YAML with versions;
- ``runs``: submit, look up, filter, cancel, delete runs and their artefacts;
- ``samples``: latest snapshot, time series, incremental reads, comparison of two runs;
- ``export``: a run as JSON plus a CSV of its samples;
- ``recorder`` and ``worker``: the worker process that runs the engine and writes metric rows;
- ``liveness`` and ``manager``: start at most N workers, queue the rest, fail runs whose worker died;
- ``errors``: the user-facing errors (unknown run or topology, version conflict, invalid stored YAML);
- ``cli``: ``qnp runs ...``.
"""
