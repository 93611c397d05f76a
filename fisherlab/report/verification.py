"""The verification table of a report, from :func:`fisherlab.verify`.

The report shows every row, failed ones included and marked: a failed identity is a finding,
not something to hide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One (parametrization, identity) check as the report prints it."""

    parametrization: str
    identity: str
    worst_error: float
    tolerance: float
    passed: bool
    points: int | None = None
    explanation: str = ""
    applicable: bool = True  # False: the identity's route does not exist for this family

    @property
    def failed(self) -> bool:
        """True when the check applied and did not hold (n/a is neither a pass nor a failure)."""
        return self.applicable and not self.passed

    @property
    def result(self) -> str:
        """The table cell: ``pass``, ``FAIL`` or ``n/a``."""
        return "n/a" if not self.applicable else ("pass" if self.passed else "FAIL")


def _get(item, *names, default=None):
    for name in names:
        if isinstance(item, dict) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    return default


def rows_from(report) -> list[Row]:
    """The rows of a verification report (``fl.verify(...)``), in its own order.

    Accepts the report object (its ``table`` or ``results``/``checks``) or an iterable of rows;
    a row is an object or a dict with ``parametrization``, ``name``/``identity``,
    ``worst_error``, ``tolerance``, ``passed`` and optionally ``n_points``/``points`` and
    ``explanation``.
    """
    items = None
    for attr in ("results", "checks", "table"):
        value = getattr(report, attr, None)
        if value is not None and not isinstance(value, str) and not callable(value):
            items = value
            break
    if items is None:
        items = report
    rows = []
    for item in items:
        if isinstance(item, (tuple, list)):
            pz, name, err, tol, passed = item[:5]
            rows.append(Row(str(pz), str(name), float(err), float(tol), bool(passed)))
            continue
        rows.append(Row(
            parametrization=str(_get(item, "parametrization", "param", default="")),
            identity=str(_get(item, "identity", "name")),
            worst_error=float(_get(item, "worst_error", "error")),
            tolerance=float(_get(item, "tolerance", "tol")),
            passed=bool(_get(item, "passed", "ok")) and bool(_get(item, "applicable",
                                                                     default=True)),
            points=_get(item, "n_points", "points", "n"),
            explanation=str(_get(item, "explanation", "detail", default="") or ""),
            applicable=bool(_get(item, "applicable", default=True)),
        ))
    return rows


def fmt_number(value: float, digits: int = 2) -> str:
    """A float with ``digits`` significant digits (``nan``/``inf`` kept): 7.8e-15, 2.2, 1e-08."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"
