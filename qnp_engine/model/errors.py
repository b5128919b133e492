"""Validation errors that name the offending field path and the reason.

Bottom layer: imported by every other part of the model; imports nothing of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem in user input: ``path`` is e.g. ``links[1].b`` (empty for the whole file)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """Raised for any invalid topology/scenario input; carries every problem found."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Turn a pydantic location tuple into ``links[1].b`` form."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
