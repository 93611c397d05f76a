"""Human-readable renderings of a Derivation: terminal text (unicode) or LaTeX."""

from __future__ import annotations

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter

from .derive import Derivation

#: (attribute, title) of every quantity shown, in order.
SECTIONS = (
    ("to_natural", "natural parameters η(θ)"),
    ("jacobian", "Jacobian J = ∂η/∂θ"),
    ("log_partition", "log-partition A(η(θ))"),
    ("mean", "mean parameters μ = E[T(x)] = ∇A"),
    ("log_density", "log density log p(x | θ)"),
    ("score", "score ∇_θ log p"),
    ("hessian", "observed Hessian ∇²_θ log p"),
    ("fisher", "Fisher information F(θ) = Jᵀ ∇²A J"),
    ("kl", "KL(p_θ ‖ p_θq)"),
    ("entropy", "entropy"),
    ("fisher_rao", "Fisher–Rao distance d(θ, θq)"),
)


def symbol_names(d: Derivation) -> dict:
    """sympy symbol -> LaTeX name, from the declared ``latex`` of each parameter."""
    names = {}
    for params, syms, suffix in ((d.parametrization.params, d.params, ""),
                                 (d.parametrization.params, d.params_q, "'"),
                                 (d.spec.natural, d.natural, "")):
        for p, s in zip(params, syms):
            if p.latex:
                names[s] = p.latex + suffix if not suffix else f"{{{p.latex}}}{suffix}"
    return names


def _latex(expr, names) -> str:
    return sp.latex(expr, symbol_names=names)


_GREEK = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\eta": "η",
    r"\theta": "θ", r"\kappa": "κ", r"\lambda": "λ", r"\mu": "μ", r"\nu": "ν", r"\pi": "π",
    r"\rho": "ρ", r"\sigma": "σ", r"\tau": "τ", r"\phi": "φ", r"\psi": "ψ", r"\omega": "ω",
    r"\log": "log ",
}


def _unicode_name(latex: str) -> str:
    out = latex
    for macro, char in sorted(_GREEK.items(), key=lambda kv: -len(kv[0])):
        out = out.replace(macro, char)
    return out.replace("_", "").replace("{", "").replace("}", "").replace("^2", "²").strip()


class _TextPrinter(PrettyPrinter):
    """Unicode pretty printer that writes ψ(x), ψ'(x) and log Γ(x) as a textbook does."""

    def _print_polygamma(self, e):
        n, arg = e.args
        name = {0: "ψ", 1: "ψ'", 2: "ψ''"}.get(int(n)) if n.is_Integer else None
        if name is None:
            return super()._print_Function(e)
        return self._print(sp.Function(name)(arg))

    def _print_loggamma(self, e):
        return self._print(sp.Function("log Γ")(e.args[0]))


def _text(expr, d: Derivation | None = None) -> str:
    if d is not None:
        subs = {}
        for params, syms, suffix in ((d.parametrization.params, d.params, ""),
                                     (d.parametrization.params, d.params_q, "_q"),
                                     (d.spec.natural, d.natural, "")):
            for p, s in zip(params, syms):
                if p.latex:
                    subs[s] = sp.Symbol(_unicode_name(p.latex) + suffix, **p.domain.assumptions)
        expr = expr.xreplace(subs) if hasattr(expr, "xreplace") else expr
    return _TextPrinter({"use_unicode": True, "wrap_line": False}).doprint(expr)


def render_derivation(d: Derivation, latex: bool = False) -> str:
    """Every derived quantity of ``d`` as terminal text, or as LaTeX when ``latex``."""
    spec, pz = d.spec, d.parametrization
    names = symbol_names(d)
    head = [
        f"{spec.title} family ({spec.key}), parametrization {pz.name!r}: "
        f"θ = ({', '.join(pz.param_names)})",
    ]
    if pz.doc:
        head.append(f"  {pz.doc}")
    for p in pz.params:
        if p.doc:
            head.append(f"  {p.name}: {p.doc}; domain {p.domain.text}")
    head.append(f"  density: {spec.density}" if latex else
                f"  T(x) = {list(d.statistics)},  log h(x) = {d.log_base_measure},  "
                f"A(η) = {d.nat.log_partition}")
    if latex:
        head.append(
            f"  T(x) = {_latex(d.statistics.T, {})}, \\log h(x) = "
            f"{_latex(d.log_base_measure, {})}, A(\\eta) = {_latex(d.nat.log_partition, names)}"
        )
    out = ["\n".join(head)]
    for attr, title in SECTIONS:
        expr = getattr(d, attr)
        if expr is None:
            continue
        body = _latex(expr, names) if latex else _text(expr, d)
        indented = "\n".join("    " + line for line in body.splitlines())
        out.append(f"{title}:\n{indented}")
    return "\n\n".join(out)
