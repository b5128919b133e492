"""Make engine output JSON-compliant: infinities become the strings the model accepts back, NaN becomes null.

Hub layer. Scenario documents use ``.inf`` for memories without decay; strict JSON has no such number.
"""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
