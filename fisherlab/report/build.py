"""Build the report of one family: derivation, verification table and figures.

:func:`build_document` assembles the content (a :class:`~fisherlab.report.document.Document`)
from the exact derivations; :func:`write_report` renders it to Markdown or LaTeX, draws the
figures and writes everything atomically under the chosen directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from .. import Family, as_family
from ..symbolic.derive import EXPECTED_LOG_BASE_MEASURE, Derivation
from ..symbolic.pretty import symbol_names
from . import figures as _figures
from ._io import atomic_write_bytes, atomic_write_text, safe_stem, target
from ._latex import latex
from .document import (
    VERIFY_BEGIN,
    VERIFY_END,
    Document,
    Figure,
    Heading,
    Math,
    Table,
    Text,
    Verbatim,
    to_markdown,
    to_tex,
)
from .verification import Row, fmt_number, rows_from

#: Display math longer than this (LaTeX characters) is summarized instead of printed: the raw
#: product Jᵀ∇²A J of a many-parameter family runs to pages and teaches nothing.
MAX_MATH = 6000

FORMATS = ("md", "tex")


@dataclass
class ReportResult:
    """What :func:`write_report` wrote."""

    path: Path
    figures: list[Path]
    rows: list[Row] | None

    @property
    def ok(self) -> bool | None:
        """True / False when verification ran and passed / failed; None when it did not run."""
        return None if self.rows is None else not any(r.failed for r in self.rows)


def report_stem(fam: Family) -> str:
    """The file stem of a family's report: its key, sanitized (never the raw name)."""
    return safe_stem(fam.key)


def _m(expr, names) -> str:
    return latex(expr, names)


def _math(label: str, expr, names, what: str, sym: str | None = None) -> list:
    """Display math ``label expr``; a matrix too long for one line is shown entry by entry
    (``sym_{ij} = …``, the upper triangle when symmetric, zeros left out)."""
    tex = _m(expr, names)
    if len(tex) <= MAX_MATH:
        return [Math(tex, label)]
    if sym is not None and isinstance(expr, sp.MatrixBase):
        rows, cols = expr.shape
        symmetric = rows == cols and expr == expr.T
        entries = []
        for i in range(rows):
            for j in range(cols):
                if (symmetric and j < i) or expr[i, j] == 0:
                    continue
                idx = f"{i + 1}" if cols == 1 else f"{i + 1},{j + 1}"
                entries.append((idx, _m(expr[i, j], names)))
        if all(len(t) <= MAX_MATH for _, t in entries):
            shape = " (symmetric: upper triangle)" if symmetric else ""
            note = f"{what}, entry by entry{shape}; entries not listed are zero:"
            return [Text(note)] + [Math(t, f"{sym}_{{{idx}}} =") for idx, t in entries]
    return [Text(f"{what}: {len(tex)} characters of LaTeX, too long to print usefully; "
                 "`fisherlab derive` prints it in full.")]


def _param_table(pz, names_by_symbol, symbols) -> Table:
    rows = []
    for p, s in zip(pz.params, symbols):
        rows.append([f"${names_by_symbol.get(s, sp.latex(s))}$", f"`{p.name}`", p.domain.text,
                     p.doc or ""])
    return Table(["symbol", "name", "domain", "meaning"], rows)


def _natural_section(fam: Family, d: Derivation) -> list:
    names = symbol_names(d)
    nat = d.nat
    eta = ", ".join(names.get(e, sp.latex(e)) for e in d.natural)
    blocks = [
        Heading(2, "Exponential-family form"),
        Math(r"p(x \mid \eta) = h(x)\, \exp\big(\langle \eta, T(x) \rangle - A(\eta)\big)"),
        Text(f"Support: {fam.spec.support.text}. Natural parameters $\\eta = ({eta})$:"),
        _param_table(fam.spec.parametrization("natural"), names, d.natural),
        Text("Sufficient statistic, base measure and log-partition:"),
        Math(_m(nat.statistics.T, names), "T(x) ="),
        Math(_m(nat.log_base_measure, names), r"\log h(x) ="),
        Math(_m(nat.log_partition, names), r"A(\eta) ="),
        Text("Every other quantity follows from $A$. Its gradient is the mean of the "
             "statistic, and its Hessian is the covariance of the statistic, which is the "
             "Fisher information in natural coordinates:"),
    ]
    blocks += _math(r"\mu(\eta) = \mathbb{E}[T(x)] = \nabla A(\eta) =", nat.gradient, names,
                    "∇A(η)", r"\mu")
    blocks += _math(r"\nabla^2 A(\eta) = \operatorname{Cov}[T(x)] =", nat.hessian, names,
                    "∇²A(η)", r"(\nabla^2 A)")
    return blocks


def _parametrization_heading(fam: Family, pz) -> Heading:
    theta = ", ".join(p.latex or sp.latex(sp.Symbol(p.name)) for p in pz.params)
    return Heading(2, f"Parametrization `{pz.name}`: $\\theta = ({theta})$")


def _parametrization_section(fam: Family, d: Derivation) -> list:
    pz = d.parametrization
    names = symbol_names(d)
    natural = pz.name == "natural"
    out = [_parametrization_heading(fam, pz)]
    if pz.doc:
        out.append(Text(pz.doc))
    out.append(_param_table(pz, names, d.params))
    if pz.constraint is not None:
        out.append(Text(f"Joint constraint: `{pz.constraint.text}`."))

    out.append(Heading(3, "Map to the natural parameters and its Jacobian"))
    out += _math(r"\eta(\theta) =", d.to_natural, names, "η(θ)", r"\eta")
    if d.from_natural is not None and not natural:
        out += _math(r"\theta(\eta) =", d.from_natural, names, "θ(η)", r"\theta")
    out += _math(r"J = \frac{\partial \eta}{\partial \theta} =", d.jacobian, names, "J", "J")

    out.append(Heading(3, "Fisher information as a pullback"))
    if natural:
        out.append(Text("Here $J = I$, so the Fisher information is the Hessian of the "
                        "log-partition itself, $F(\\eta) = \\nabla^2 A(\\eta)$:"))
        out += _math("F(\\eta) =", d.fisher, names, "F", "F")
    else:
        out.append(Text("$F(\\theta) = J^\\top \\nabla^2 A(\\eta(\\theta))\\, J$. Step 1: the "
                        "Hessian of $A$ in natural coordinates (above), evaluated at "
                        "$\\eta = \\eta(\\theta)$:"))
        out += _math(r"\nabla^2 A(\eta(\theta)) =", d.natural_fisher, names, "∇²A(η(θ))",
                     r"(\nabla^2 A)")
        out.append(Text("Step 2: the product with the Jacobian on both sides, before "
                        "simplification:"))
        J = d.jacobian
        out += _math(r"J^\top \nabla^2 A\, J =", J.T * d.natural_fisher * J, names,
                     "Jᵀ∇²A J (unsimplified)", r"(J^\top \nabla^2 A\, J)")
        out.append(Text("Step 3: simplified entry by entry (sympy), the Fisher information:"))
        out += _math(r"F(\theta) =", d.fisher, names, "F(θ)", "F")

    out.append(Heading(3, "Score and observed Hessian"))
    out.append(Text("The score is $s(x;\\theta) = J^\\top (T(x) - \\nabla A(\\eta))$; the "
                    "observed Hessian is $\\sum_k \\frac{\\partial^2 \\eta_k}{\\partial\\theta^2}"
                    "(T_k(x) - \\mu_k) - F(\\theta)$."))
    out += _math(r"s(x; \theta) = \nabla_\theta \log p(x \mid \theta) =", d.score, names,
                 "score", "s")
    out += _math(r"\nabla^2_\theta \log p(x \mid \theta) =", d.hessian, names,
                 "observed Hessian", r"(\nabla^2_\theta \log p)")
    if not (d.hessian.free_symbols & set(d.x)):
        out.append(Text("The observed Hessian does not depend on $x$: it is $-F$ for every "
                        "sample, so Newton's method and natural gradient coincide here."))

    out.append(Heading(3, "KL divergence and entropy"))
    out.append(Text("KL is the Bregman divergence of $A$: "
                    "$\\mathrm{KL}(p_\\theta \\,\\Vert\\, p_{\\theta'}) = A(\\eta') - A(\\eta) - "
                    "\\langle \\nabla A(\\eta), \\eta' - \\eta \\rangle$, with primes marking the "
                    "second argument."))
    out += _math(r"\mathrm{KL}(p_\theta \,\Vert\, p_{\theta'}) =", d.kl, names, "KL")
    out += _math(r"H(\theta) = A(\eta) - \langle \eta, \nabla A(\eta) \rangle - "
                 r"\mathbb{E}[\log h(x)] =", d.entropy, names, "entropy")
    if d.entropy_sums_support:
        out.append(Text(f"${sp.latex(EXPECTED_LOG_BASE_MEASURE)}$ has no closed form here; the "
                        "entropy kernel sums it over the support."))

    out.append(Heading(3, "Mean parameters"))
    out += _math(r"\mu(\theta) = \mathbb{E}[T(x)] =", d.mean, names, "μ(θ)", r"\mu")

    if fam.spec.fisher_rao is not None:
        out.append(Heading(3, "Fisher–Rao distance"))
        if d.fisher_rao is not None:
            out += _math(r"d_{FR}(\theta, \theta') =", d.fisher_rao, names, "Fisher–Rao distance")
        else:
            out.append(Text(f"Declared in closed form in the `{fam.spec.fisher_rao[0]}` "
                            "parametrization; the distance between two distributions does not "
                            "depend on the coordinates, so `fisher_rao_distance` maps both points "
                            "there."))
    return out


def _verification_section(rows: list[Row] | None, seed: int) -> list:
    out = [Heading(2, "Verification")]
    if rows is None:
        body_md = "Verification was not run for this report."
        return out + [Verbatim(f"{VERIFY_BEGIN}\n{body_md}\n{VERIFY_END}", body_md)]
    passed = sum(r.passed for r in rows)
    failed = [r for r in rows if r.failed]
    na = sum(not r.applicable for r in rows)
    intro = (
        f"`fl.verify(..., seed={seed})` checks each identity against an independent "
        f"oracle (quadrature or summation, Monte Carlo with a 6σ bound, autograd, "
        "scipy.stats, the pullback between parametrizations). "
        "Each worst error is on its identity's "
        f"own scale (a relative error, a number of Monte Carlo standard errors, or the "
        f"deficit of a fitted slope; `fisherlab verify` explains each) and is printed to "
        f"two significant digits. An identity whose route does not exist for this family "
        f"is not applicable (n/a): neither a pass nor a failure; `fisherlab verify "
        f"--explain` says why. **{passed} of {len(rows)} checks passed.** "
        f"{na} not applicable, {len(failed)} failed."
    )
    table = Table(["parametrization", "identity", "worst error", "tolerance", "points", "result"],
                  [[f"`{r.parametrization}`", f"`{r.identity}`", fmt_number(r.worst_error),
                    fmt_number(r.tolerance), "" if r.points is None else str(r.points),
                    "**FAIL**" if r.failed else r.result] for r in rows])
    blocks = [Text(intro), table]
    if failed:
        blocks.append(Text("**Failed checks** (shown, not hidden):"))
        blocks += [Text(f"- `{r.parametrization}` / `{r.identity}`: "
                        f"{r.explanation or 'no explanation given'}") for r in failed]
    # Wrap the whole table in markers (see document.mask) in both formats.
    return out + [Verbatim(VERIFY_BEGIN, "% " + VERIFY_BEGIN), *blocks,
                  Verbatim(VERIFY_END, "% " + VERIFY_END)]


#: Placeholder body of a parametrization section left out by ``build_document(only=...)``.
SKIPPED = "<!-- section not derived in this rendering -->"


def build_document(family, params=None, rows: list[Row] | None = None, *, seed: int = 0,
                   figure_dir: str = "figures", generator: str = "fisherlab report",
                   only=None) -> Document:
    """The report of ``family`` (name, declaration or Family) as a Document.

    Parameters
    ----------
    family : str, ExponentialFamily or Family
    params : sequence of str, optional
        The parametrizations to include (default: all).
    rows : list of Row, optional
        The verification results; None prints that verification was not run.
    seed : int
        The seed the verification ran with (printed).
    figure_dir : str
        Where figures live, relative to the document.
    generator : str
        Named in the header comment.
    only : sequence of str, optional
        Derive only these parametrizations; the others get their heading and the placeholder
        :data:`SKIPPED` (the staleness test uses this to sample expensive families).
    """
    fam = as_family(family)
    params = _params(fam, params)
    stem = report_stem(fam)
    dims = ", ".join(f"{k} = {v}" for k, v in fam.dims.items())
    title = f"{fam.spec.title} family" + (f" ({dims})" if dims else "")
    doc = Document(title, f"Generated by {generator}; do not edit by hand.")
    doc.add(Text(f"Family `{fam.key}`, parametrizations " + ", ".join(f"`{p}`" for p in params)
                 + ". Every formula below is derived exactly by sympy from the log-partition $A$ "
                 "and the maps $\\theta \\mapsto \\eta$; nothing is typed in by hand."))
    if fam.spec.doc:
        doc.add(Text(fam.spec.doc))
    doc.add(Heading(2, "Density"), Math(fam.spec.density))
    doc.add(*_natural_section(fam, fam.derive("natural")))
    for p in params:
        if only is not None and p not in only:
            heading = _parametrization_heading(fam, fam.spec.parametrization(p))
            doc.add(heading, Verbatim(SKIPPED, ""))
        else:
            doc.add(*_parametrization_section(fam, fam.derive(p)))
    doc.add(*_verification_section(rows, seed))
    doc.add(Heading(2, "Figures"))
    for fig in _figures.plan(fam, params):
        doc.add(Figure(f"{figure_dir}/{stem}-{fig.kind}.png", fig.caption,
                       f"{fam.key} {fig.kind}"))
    return doc


def _params(fam: Family, params) -> list[str]:
    if not params:
        return list(fam.parametrizations)
    out = []
    for p in params:
        fam.spec.parametrization(p)  # unknown names raise UnknownFamilyError
        if p not in out:
            out.append(p)
    return out


def run_verification(family, params=None, seed: int = 0) -> list[Row]:
    """The verification rows of ``family`` from :func:`fisherlab.verify`."""
    import fisherlab

    # The Family handle itself: a catalog family keeps its generated kernels and dimensions.
    return rows_from(fisherlab.verify(as_family(family), params=params, seed=seed))


def write_report(family, out_dir, params=None, *, fmt: str = "md", verify: bool = True,
                 rows: list[Row] | None = None, seed: int = 0, figures: bool = True,
                 generator: str = "fisherlab report") -> ReportResult:
    """Write the report of ``family`` into ``out_dir``: ``<key>.md`` (or ``.tex``) + figures/.

    Parameters
    ----------
    family : str, ExponentialFamily or Family
        A catalog name, or a user-declared family.
    out_dir : path
        The directory; created if missing. Nothing is written outside it.
    params : sequence of str, optional
        Parametrizations to include (default: all).
    fmt : {"md", "tex"}
    verify : bool
        Run :func:`fisherlab.verify` for the table (ignored when ``rows`` is given).
    rows : list of Row, optional
        Verification results computed elsewhere.
    seed : int
        Verification seed.
    figures : bool
        Draw the figures (the document links them either way).

    Returns
    -------
    ReportResult
    """
    if fmt not in FORMATS:
        from ..errors import FisherlabError

        raise FisherlabError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    fam = as_family(family)
    params = _params(fam, params)
    if rows is None and verify:
        rows = run_verification(fam, params, seed)
    doc = build_document(fam, params, rows, seed=seed, generator=generator)
    stem = report_stem(fam)
    path = target(Path(out_dir), f"{stem}.{fmt}")
    written = []
    if figures:
        for fig in _figures.plan(fam, params):
            fpath = target(Path(out_dir), f"figures/{stem}-{fig.kind}.png")
            atomic_write_bytes(fpath, _figures.draw(fam, fig))
            written.append(fpath)
    text = to_markdown(doc) if fmt == "md" else to_tex(doc)
    atomic_write_text(path, text)
    return ReportResult(path, written, rows)
