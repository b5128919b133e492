"""Errors the storage layer raises for bad input; their messages are meant to be shown as they are."""

from __future__ import annotations


class StorageError(Exception):
    """Base class: a clear, user-facing message, no traceback needed."""


class RunNotFound(StorageError, LookupError):
    def __init__(self, run_id: object):
        self.run_id = run_id
        super().__init__(f"run {run_id} not found (list runs with `qnp runs list`)")


class TopologyNotFound(StorageError, LookupError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"saved topology {name!r} not found")


class VersionConflict(StorageError):
    def __init__(self, name: str, expected: int, actual: int):
        super().__init__(
            f"saved topology {name!r} is at version {actual}, not {expected}: "
            "it was saved elsewhere meanwhile; reload it before saving"
        )


class StoredTopologyInvalid(StorageError):
    """A stored topology whose YAML no longer loads (corrupted, or written by an older format)."""

    def __init__(self, name: str, version: int, problems: list[str]):
        self.name = name
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"saved topology {name!r} (version {version}) cannot be loaded:\n{lines}")


class InvalidRunRequest(StorageError, ValueError):
    """A run submission that is rejected before it is stored (unknown kind, bad config JSON)."""
