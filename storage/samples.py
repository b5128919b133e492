"""Reading metric samples: a run's latest snapshot, one metric's time series, new rows since a step, comparisons.

Storage layer. A worker writes every slice of a run as one transaction holding one row per number of the
engine's snapshot, so the rows of a run's highest step are a complete snapshot: the latest value of every
(entity, metric). That makes the latest snapshot two lookups on the table's key (run_id, step, entity, metric):
``max(step)`` of the run, then the rows at that step, instead of a scan of the run; about a millisecond at 10^5
samples. A full time series scans the run's key range (a few ms at 10^5 samples); live pages read incrementally
with ``after_step``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Engine, func
from sqlmodel import col, select

from storage.db import session
from storage.models import MetricSample, Run
from storage.runs import get_run


@dataclass(frozen=True)
class LatestSnapshot:
    """The newest committed step of a run; ``step`` is None while it has no samples."""

    step: int | None
    sim_time_s: float | None
    values: dict[tuple[str, str], float] = field(default_factory=dict)  # (entity, metric) -> value

    def entity(self, name: str) -> dict[str, float]:
        """All metrics of one entity, e.g. ``snap.entity("link:A-R")["fidelity_mean"]``."""
        return {m: v for (e, m), v in self.values.items() if e == name}

    @property
    def entities(self) -> list[str]:
        return sorted({e for e, _ in self.values})


@dataclass(frozen=True)
class RunView:
    run: Run
    latest: LatestSnapshot


@dataclass(frozen=True)
class SeriesPoint:
    step: int
    sim_time_s: float
    value: float


@dataclass(frozen=True)
class Sample:
    step: int
    sim_time_s: float
    entity: str
    metric: str
    value: float


@dataclass(frozen=True)
class ComparisonRow:
    entity: str
    metric: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True)
class RunComparison:
    a: Run
    b: Run
    rows: list[ComparisonRow]  # union of both runs' latest (entity, metric), sorted


def latest_snapshot(engine: Engine, run_id: int) -> LatestSnapshot:
    last = (
        select(func.max(MetricSample.step)).where(MetricSample.run_id == run_id).scalar_subquery()
    )
    query = select(MetricSample.step, MetricSample.sim_time_s, MetricSample.entity, MetricSample.metric,
                   MetricSample.value).where(MetricSample.run_id == run_id, MetricSample.step == last)
    with session(engine) as s:
        rows = s.exec(query).all()
    if not rows:
        return LatestSnapshot(step=None, sim_time_s=None)
    return LatestSnapshot(step=rows[0][0], sim_time_s=rows[0][1], values={(r[2], r[3]): r[4] for r in rows})


def run_with_latest(engine: Engine, run_id: int) -> RunView:
    """The run row and its latest snapshot (raises ``RunNotFound``)."""
    return RunView(run=get_run(engine, run_id), latest=latest_snapshot(engine, run_id))


def time_series(engine: Engine, run_id: int, entity: str, metric: str, *, after_step: int = -1) -> list[SeriesPoint]:
    """One metric over the run, by step; ``after_step`` returns only newer points (for incremental polling)."""
    get_run(engine, run_id)
    query = (
        select(MetricSample.step, MetricSample.sim_time_s, MetricSample.value)
        .where(MetricSample.run_id == run_id, MetricSample.entity == entity, MetricSample.metric == metric,
               MetricSample.step > after_step)
        .order_by(col(MetricSample.step))
    )
    with session(engine) as s:
        return [SeriesPoint(*row) for row in s.exec(query).all()]


def samples_since(engine: Engine, run_id: int, after_step: int = -1, *, limit: int | None = None) -> list[Sample]:
    """Every sample with ``step > after_step`` in (step, entity, metric) order, for a live page's poll.

    ``limit`` caps the rows returned but never splits a step: the rows of the last step are dropped if it
    was cut (or, when a single step is larger than ``limit``, that whole step is returned). Polling again with
    ``after_step`` = the last step read therefore never skips a row.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit: must be at least 1, got {limit}")
    query = (
        select(MetricSample.step, MetricSample.sim_time_s, MetricSample.entity, MetricSample.metric,
               MetricSample.value)
        .where(MetricSample.run_id == run_id, MetricSample.step > after_step)
        .order_by(col(MetricSample.step), col(MetricSample.entity), col(MetricSample.metric))
    )
    with session(engine) as s:
        rows = s.exec(query.limit(limit + 1) if limit is not None else query).all()
        if limit is not None and len(rows) > limit:
            cut = rows[limit][0] == rows[limit - 1][0]  # the extra row belongs to the last step kept
            rows = rows[:limit]
            last = rows[-1][0]
            if cut and rows[0][0] == last:  # one step larger than the limit: return it whole
                rows = s.exec(query.where(MetricSample.step == last)).all()
            elif cut:
                rows = [r for r in rows if r[0] != last]
    return [Sample(*row) for row in rows]


def count_samples(engine: Engine, run_id: int) -> int:
    with session(engine) as s:
        return int(s.exec(select(func.count()).where(MetricSample.run_id == run_id)).one())


def compare_runs(engine: Engine, run_a: int, run_b: int) -> RunComparison:
    """Side by side latest values of two runs (``b - a`` as delta); works for any two runs, of any kind.

    Rows with entity ``"summary"`` compare the numeric fields of the final results (``requests.ab.throughput_hz``).
    """
    view_a, view_b = run_with_latest(engine, run_a), run_with_latest(engine, run_b)
    values_a, values_b = dict(view_a.latest.values), dict(view_b.latest.values)
    for target, run in ((values_a, view_a.run), (values_b, view_b.run)):
        target.update({("summary", key): v for key, v in summary_numbers(run.summary).items()})
    keys = sorted(set(values_a) | set(values_b))
    rows = [ComparisonRow(e, m, values_a.get((e, m)), values_b.get((e, m))) for e, m in keys]
    return RunComparison(a=view_a.run, b=view_b.run, rows=rows)


def _item_tag(item: dict, index: int) -> str:
    # Entries of the summary's links / requests lists are named by "name" or by their "a"-"b" ends.
    if item.get("name"):
        return str(item["name"])
    if "a" in item and "b" in item:
        return f"{item['a']}-{item['b']}"
    return str(index)


def summary_numbers(summary: dict | None, prefix: str = "") -> dict[str, float]:
    """Flatten the numeric leaves of a result summary (``requests.ab.throughput_hz``) for tables and diffs."""
    out: dict[str, float] = {}
    if not isinstance(summary, dict):
        return out
    for key, value in summary.items():
        path = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(value):
            out[path] = float(value)
        elif isinstance(value, dict):
            out.update(summary_numbers(value, f"{path}."))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out.update(summary_numbers(item, f"{path}.{_item_tag(item, i)}."))
    return out
