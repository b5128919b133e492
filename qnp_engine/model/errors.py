"""Validation errors that name the offending field path and the reason.

Bottom layer: imported by every other part of the model; imports nothing of the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError


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


def field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    """pydantic's errors as ``FieldError``s with plain reasons, under ``prefix``.

    A model-level rule may name the field it is about in its message (``"partition: ..."``); that
    name is appended to the location so the error points at the field, not at the model.
    """
    out = []
    for err in exc.errors():
        kind = err["type"]
        loc = prefix + tuple(err["loc"])
        if kind == "extra_forbidden":
            msg = "unknown field (not part of the format; check the spelling)"
        elif kind == "missing":
            msg = "required field is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            head, sep, rest = msg.partition(": ")
            if kind == "value_error" and sep and re.fullmatch(r"[a-z_.]+", head):
                loc, msg = loc + tuple(head.split(".")), rest
        out.append(FieldError(format_loc(loc), msg))
    return out
