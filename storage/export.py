"""Export a run: a JSON record (run, scenario as submitted, summary, artefact list) and a CSV of its samples.

Storage layer. The CSV is streamed in chunks of steps, so exporting a run with millions of samples does not
load them all into memory.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, tuple_
from sqlmodel import col, select

from storage.db import session
from storage.models import Artefact, MetricSample, Run
from storage.runs import get_run
from storage.samples import count_samples

EXPORT_SCHEMA_VERSION = 1
CSV_COLUMNS = ("step", "sim_time_s", "entity", "metric", "value")
_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class ExportedRun:
    json_path: Path
    csv_path: Path
    sample_count: int


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def run_metadata(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "kind": run.kind, "status": run.status, "name": run.name, "label": run.label,
        "engine": run.engine, "seed": run.seed, "progress": run.progress, "last_step": run.last_step,
        "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "error": run.error,
    }


def run_record(engine: Engine, run_id: int) -> dict[str, Any]:
    """Everything about a run except its samples, as JSON-able data."""
    run = get_run(engine, run_id)
    with session(engine) as s:
        arts = s.exec(select(Artefact.name, Artefact.media_type, Artefact.content)
                      .where(Artefact.run_id == run_id).order_by(col(Artefact.id))).all()
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "run": run_metadata(run),
        "spec": run.spec,
        "summary": run.summary,
        "artefacts": [{"name": n, "media_type": m, "size_bytes": len(c)} for n, m, c in arts],
        "sample_count": count_samples(engine, run_id),
    }


def write_samples_csv(engine: Engine, run_id: int, out: TextIO) -> int:
    """Write the run's samples (header + one line each, ordered by step) to ``out``; returns the row count."""
    get_run(engine, run_id)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    written, after = 0, (-1, "", "")
    key = tuple_(MetricSample.step, MetricSample.entity, MetricSample.metric)
    while True:  # keyset pagination on the primary key keeps each read short while workers keep writing
        query = (
            select(MetricSample.step, MetricSample.sim_time_s, MetricSample.entity, MetricSample.metric,
                   MetricSample.value)
            .where(MetricSample.run_id == run_id, key > tuple_(*after))
            .order_by(col(MetricSample.step), col(MetricSample.entity), col(MetricSample.metric))
            .limit(_CHUNK_ROWS)
        )
        with session(engine) as s:
            rows = s.exec(query).all()
        if not rows:
            return written
        writer.writerows(rows)
        written += len(rows)
        last = rows[-1]
        after = (last[0], last[2], last[3])


def export_run(engine: Engine, run_id: int, directory: str | Path) -> ExportedRun:
    """Write ``run-<id>.json`` and ``run-<id>-samples.csv`` into ``directory`` (created if missing)."""
    record = run_record(engine, run_id)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = folder / f"run-{run_id}.json", folder / f"run-{run_id}-samples.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        count = write_samples_csv(engine, run_id, fh)
    record["sample_count"] = count  # the rows actually in the CSV, even if the run went on meanwhile
    json_path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return ExportedRun(json_path=json_path, csv_path=csv_path, sample_count=count)
