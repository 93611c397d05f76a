"""Run the identities over a family: :func:`verify_family` and its :class:`VerifyReport`."""

from __future__ import annotations

import json
import time

from .identities import IDENTITIES, CheckResult


class VerifyReport:
    """The results of :func:`verify_family`: one :class:`CheckResult` per (parametrization,
    identity).

    Attributes
    ----------
    family : str
        The family's key.
    results : list of CheckResult
    seconds : float
        Wall time of the whole run.
    """

    def __init__(self, family: str, results: list, seconds: float = 0.0):
        self.family = family
        self.results = list(results)
        self.seconds = seconds

    @property
    def ok(self) -> bool:
        """True when every identity passed (identities that do not apply count as passed)."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list:
        return [r for r in self.results if not r.passed]

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def result(self, parametrization: str, identity: str) -> CheckResult:
        for r in self.results:
            if r.parametrization == parametrization and r.name == identity:
                return r
        raise KeyError((parametrization, identity))

    def failed_identities(self) -> set:
        """Names of the identities that failed on at least one parametrization."""
        return {r.name for r in self.failures}

    def table(self, explain: bool = False) -> str:
        """A plain-text table: family, parametrization, identity, worst error, tolerance, status."""
        return format_table(self.results, explain=explain)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (f"<VerifyReport {self.family}: {len(self.results)} checks, "
                f"{len(self.failures)} failed>")

    def to_dict(self) -> dict:
        return {"family": self.family, "ok": self.ok, "seconds": self.seconds,
                "results": [r.to_dict() for r in self.results]}

    def to_json(self, **kwargs) -> str:
        """JSON: one record per (family, parametrization, identity)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def format_table(results, explain: bool = False) -> str:
    rows = [("family", "parametrization", "identity", "worst error", "tolerance", "status")]
    for r in results:
        err = "-" if not r.applicable else f"{r.worst_error:.2e}"
        rows.append((r.family, r.parametrization, r.name, err, f"{r.tolerance:g}", r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
        elif explain or (row[-1] == "FAIL"):
            r = results[n - 1]
            if explain or not r.passed:
                lines.append("    " + r.explanation)
    return "\n".join(lines)


def verify_family(family_or_spec, params=None, seed: int = 0, identities=None, n_points=None,
                  progress=None, **dims) -> VerifyReport:
    """Run the identities on a family and return a :class:`VerifyReport`.

    Parameters
    ----------
    family_or_spec : str, ExponentialFamily or Family
        A catalog name (with ``dims`` where it has dimensions), a declaration, or a handle.
    params : str or sequence of str, optional
        Parametrizations to check (default: all).
    seed : int
        Seeds the parameter points and every sample; the same seed gives the same report.
    identities : sequence of str, optional
        Names from :data:`IDENTITIES` (default: all).
    n_points : int, optional
        Parameter points per check (default: each identity's own, 3 to 5).
    progress : callable ``(done, total, label)``, optional
        Called before each check.
    """
    from .._api import as_family

    fam = as_family(family_or_spec, **dims)
    if params is None:
        params = fam.parametrizations
    elif isinstance(params, str):
        params = [params]
    for p in params:
        fam.spec.parametrization(p)
    names = list(IDENTITIES) if identities is None else list(identities)
    unknown = [n for n in names if n not in IDENTITIES]
    if unknown:
        from ..errors import UnknownFamilyError

        raise UnknownFamilyError(f"unknown identity {', '.join(unknown)}; known: {', '.join(IDENTITIES)}")
    t0 = time.perf_counter()
    results = []
    total = len(params) * len(names)
    for p in params:
        for name in names:
            if progress is not None:
                progress(len(results), total, f"{fam.spec.key} {p} {name}")
            results.append(IDENTITIES[name](fam, p, seed=seed, n_points=n_points))
    if progress is not None:
        progress(total, total, fam.spec.key)
    return VerifyReport(fam.spec.key, results, time.perf_counter() - t0)


__all__ = ["VerifyReport", "verify_family", "format_table"]
