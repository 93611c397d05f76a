"""Run the identities over a family: :func:`verify_family` and its :class:`VerifyReport`."""

from __future__ import annotations

import json
import time

from ..errors import UnknownIdentityError
from .check import INDEPENDENT, QUANTITIES
from .identities import IDENTITIES, CheckResult


class VerifyReport:
    """The results of :func:`verify_family`: one :class:`CheckResult` per (parametrization,
    identity).

    A check that does not apply (status ``"n/a"``) is neither a pass nor a failure. When every
    identity was run, the report also asks whether each quantity of
    :data:`~fisherlab.verify.check.QUANTITIES` (Fisher, KL, entropy, mean, score, log density)
    of each parametrization had at least one *applicable independent* check; the ones that did
    not are listed in :attr:`unchecked`, and :attr:`ok` is then False: a kernel nothing
    independent has looked at is not verified. A run restricted to some identities makes no
    such claim (``unchecked`` is empty).

    Attributes
    ----------
    family : str
        The family's key.
    results : list of CheckResult
    seconds : float
        Wall time of the whole run.
    unchecked : dict
        parametrization -> tuple of the quantities without an applicable independent check.
    """

    def __init__(self, family: str, results: list, seconds: float = 0.0,
                 judge_coverage: bool = False):
        self.family = family
        self.results = list(results)
        self.seconds = seconds
        self.unchecked = unchecked_quantities(self.results) if judge_coverage else {}

    @property
    def ok(self) -> bool:
        """True when no check failed and no quantity went unchecked (see the class docstring);
        checks that do not apply count neither way."""
        return not self.failures and not self.unchecked

    @property
    def failures(self) -> list:
        """The checks that applied and failed."""
        return [r for r in self.results if r.failed]

    @property
    def not_applicable(self) -> list:
        """The checks whose route does not exist here (each says why)."""
        return [r for r in self.results if not r.applicable]

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def result(self, parametrization: str, identity: str) -> CheckResult:
        """The result of ``identity`` on ``parametrization``; KeyError when it was not checked."""
        for r in self.results:
            if r.parametrization == parametrization and r.name == identity:
                return r
        raise KeyError((parametrization, identity))

    def failed_identities(self) -> set:
        """Names of the identities that failed on at least one parametrization."""
        return {r.name for r in self.failures}

    def table(self, explain: bool = False) -> str:
        """A plain-text table (family, parametrization, identity, kind, worst error, tolerance,
        status), then the quantities left unchecked, if any."""
        lines = [format_table(self.results, explain=explain)]
        lines += format_unchecked(self.family, self.unchecked)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (f"<VerifyReport {self.family}: {len(self.results)} checks, "
                f"{len(self.failures)} failed, {len(self.not_applicable)} not applicable, "
                f"{sum(len(q) for q in self.unchecked.values())} quantities unchecked>")

    def to_dict(self) -> dict:
        """The report as a JSON-ready dict."""
        return {"family": self.family, "ok": self.ok, "seconds": self.seconds,
                "unchecked": {p: list(q) for p, q in self.unchecked.items()},
                "results": [r.to_dict() for r in self.results]}

    def to_json(self, **kwargs) -> str:
        """JSON: one record per (family, parametrization, identity)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def unchecked_quantities(results) -> dict:
    """parametrization -> the quantities of ``QUANTITIES`` that no applicable independent check
    among ``results`` covered (parametrizations with none missing are left out)."""
    covered, params = {}, []
    for r in results:
        if r.parametrization not in covered:
            covered[r.parametrization] = set()
            params.append(r.parametrization)
        if r.applicable and r.category == INDEPENDENT:
            covered[r.parametrization].update(r.quantities)
    out = {}
    for p in params:
        missing = tuple(q for q in QUANTITIES if q not in covered[p])
        if missing:
            out[p] = missing
    return out


def format_unchecked(family: str, unchecked: dict) -> list:
    """Lines naming each parametrization's quantities without an applicable independent check."""
    return [f"UNCHECKED {family} {p}: no applicable independent check of {', '.join(q)}"
            for p, q in unchecked.items()]


def format_table(results, explain: bool = False) -> str:
    """The plain-text table of ``results``; a failed check's explanation is printed under it
    (every check's with ``explain``)."""
    rows = [("family", "parametrization", "identity", "kind", "worst error", "tolerance",
             "status")]
    for r in results:
        err = "-" if not r.applicable else f"{r.worst_error:.2e}"
        rows.append((r.family, r.parametrization, r.name, r.category, err, f"{r.tolerance:g}",
                     r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
        elif explain or (row[-1] == "FAIL"):
            r = results[n - 1]
            if explain or r.failed:
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
    from .. import as_family

    fam = as_family(family_or_spec, **dims)
    if params is None:
        params = fam.parametrizations
    elif isinstance(params, str):
        params = [params]
    for p in params:
        fam.spec.parametrization(p)
    names = list(IDENTITIES) if identities is None else list(identities)
    check_identities(names)
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
    return VerifyReport(fam.spec.key, results, time.perf_counter() - t0,
                        judge_coverage=set(IDENTITIES) <= set(names))


def check_identities(names) -> None:
    """Raise :class:`~fisherlab.errors.UnknownIdentityError`, listing the known identities, if
    any of ``names`` is not one."""
    unknown = [n for n in names if n not in IDENTITIES]
    if unknown:
        raise UnknownIdentityError(f"unknown identit{'y' if len(unknown) == 1 else 'ies'} "
                                   f"{', '.join(map(repr, unknown))}; known: "
                                   f"{', '.join(IDENTITIES)}")


__all__ = ["VerifyReport", "verify_family", "format_table", "format_unchecked",
           "unchecked_quantities", "check_identities"]
