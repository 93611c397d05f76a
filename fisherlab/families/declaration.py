"""The declaration of an exponential family: the classes every family file fills in.

A family is p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η)). A declaration names T, log h, the natural
parameters η with their domains, the log-partition A and any number of parametrizations θ ↦ η.
Nothing here imports sympy: the symbolic parts are functions ``f(sp, *symbols)`` that receive the
sympy module when (and only when) a derivation is made, so the catalog, its domains and its
compiled kernels load without sympy.

Everything else (score, Fisher, Hessian, KL, entropy, mean) is derived in :mod:`fisherlab.symbolic`.
Where parameters live is :mod:`.domain`; where observations live is :mod:`.support`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DomainError, SpecError, UnknownFamilyError
from .domain import REAL, Domain
from .support import Support


@dataclass(frozen=True)
class Param:
    """One scalar parameter.

    Attributes
    ----------
    name : str
        Identifier used in ``Kernels.params`` and as the sympy symbol's name.
    domain : Domain
        Where the parameter lives; checked by every kernel.
    test_range : (float, float)
        The range tests and the verifier draw from (log-uniform when both ends are positive,
        negative-log-uniform when both are negative). Must lie inside ``domain``.
    doc : str
        What the symbol means, e.g. ``"α > 0, the shape"``.
    latex : str
        How the symbol is typeset in derivations.
    integer : bool
        Whether only whole numbers are allowed (a fixed parameter such as binomial n); the
        sympy symbol is then declared an integer.
    sample_range : (float, float) or None
        Where the verifier draws its default points for the checks that average over draws of
        the family (Monte Carlo), when float64 cannot represent the draws in part of
        ``test_range`` (they round to the edge of the support). Must lie inside ``test_range``;
        the family's docstring says why. None: ``test_range``.
    """

    name: str
    domain: Domain = REAL
    test_range: tuple[float, float] = (-3.0, 3.0)
    doc: str = ""
    latex: str | None = None
    integer: bool = False
    sample_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Constraint:
    """A joint constraint on a parameter vector that per-entry domains cannot express.

    ``violations(theta)`` takes the (..., p) array and returns a boolean mask of shape (...)
    that is True where θ breaks the constraint; ``text`` is how an error message names it.
    """

    violations: Callable[[np.ndarray], np.ndarray]
    text: str


@dataclass(frozen=True)
class Parametrization:
    """A parametrization θ ↦ η of a family.

    Attributes
    ----------
    name : str
        Named after its parameters in order, e.g. ``"shape_rate"``.
    params : sequence of Param
        The entries of θ, in order.
    to_natural : callable ``(sp, *theta) -> list``
        η(θ) as sympy expressions.
    from_natural : callable ``(sp, *eta) -> list``, optional
        The closed-form inverse θ(η), where one exists.
    constraint : Constraint, optional
        A joint constraint beyond the per-entry domains.
    doc : str
        What the parametrization is and what each symbol means.
    """

    name: str
    params: Sequence[Param]
    to_natural: Callable[..., list]
    from_natural: Callable[..., list] | None = None
    constraint: Constraint | None = None
    doc: str = ""

    @property
    def param_names(self) -> tuple[str, ...]:
        """The names of the parameters, in order: a tuple of p strings."""
        return tuple(p.name for p in self.params)

    def inside(self, theta) -> np.ndarray:
        """Where θ (..., p) lies in every parameter's domain and the joint constraint: a mask (...).

        The test itself, without raising: NaN and ±inf count as outside.
        """
        theta = np.asarray(theta, dtype=np.float64)
        ok = np.ones(theta.shape[:-1], dtype=bool)
        for i, p in enumerate(self.params):
            ok &= ~p.domain.violations(theta[..., i])
        if self.constraint is not None:
            ok &= ~np.asarray(self.constraint.violations(theta), dtype=bool)
        return ok


@dataclass(frozen=True, eq=False)
class ExponentialFamily:
    """Declaration of an exponential family p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η)).

    Attributes
    ----------
    name : str
        Catalog name, e.g. ``"gamma"``; with dimensions, the dimensions are in ``dims``.
    title : str
        Human name.
    density : str
        The density in LaTeX, in the family's most common parametrization.
    support : Support
        Where x lives; its ``event_shape`` is the shape of one observation.
    statistics : callable ``(sp, x) -> list``
        T(x), the sufficient statistics; ``x`` is a symbol, or a list of symbols for vector
        observations.
    log_base_measure : callable ``(sp, x) -> expr``
        log h(x).
    natural : sequence of Param
        The natural parameters η with their domains (the domain of A).
    log_partition : callable ``(sp, *eta) -> expr``
        A(η).
    parametrizations : sequence of Parametrization
        Every parametrization but ``"natural"``, which is built from ``natural``.
    natural_constraint : Constraint, optional
        A joint constraint on η beyond the per-entry domains.
    natural_from_mean : callable ``(sp, *mu) -> list``, optional
        The closed-form inverse of μ = ∇A(η), used by the MLE; Newton's method otherwise.
    mean_space : Constraint, optional
        On mean vectors t̄ (..., m): True where t̄ is not in the interior of the convex hull of
        T(support), i.e. where no MLE exists. ``text`` says why in words.
    expected_log_base_measure : callable ``(sp, *eta) -> expr``, optional
        E[log h(x)] in closed form, for the entropy. When log h is constant it is derived; when
        neither, the entropy kernel sums over the (discrete) support.
    sampler : (str, callable ``(rng, *theta, size) -> array``)
        A parametrization name and a numpy sampler in it.
    scipy : (str, callable ``(stats, *theta) -> frozen distribution``), optional
        The same distribution in scipy.stats, an independent oracle for the tests.
    fisher_rao : (str, callable ``(sp, *theta_p, *theta_q) -> expr``), optional
        A closed-form Fisher–Rao distance in the named parametrization.
    dims : dict
        The dimensions the family was built with, e.g. ``{"k": 3}``; for a family bound to
        values of its fixed parameters, those values too (``{"n": 10}``).
    fixed : sequence of Param
        Fixed parameters (binomial n, Weibull k, ...): not estimated, but given with the family,
        scalars or per-row arrays. Each is a sympy symbol of the derivation, passed to every
        symbolic callable above as a keyword argument (``log_partition(sp, e, n=n)``) and to
        ``sampler``, ``scipy`` and ``mean_space`` as a numeric one; the compiled kernels take it
        as an argument after θ. A declaration with fixed parameters is a template: bind values
        with :meth:`bind` (see :mod:`.fixed`).
    fixed_support : callable ``(**fixed) -> Support``, optional
        The support at scalar values of the fixed parameters (binomial: {0, …, n}); ``support``
        is then the union over all values (the non-negative integers).
    support_constraint : Constraint, optional
        ``violations(x, **fixed)``: True where x lies in ``support`` but outside the support at
        the (broadcast, per-row) fixed values; ``text`` words it, e.g. ``"x <= n"``.
    template, fixed_values
        Set by :meth:`bind`: the declaration with symbolic fixed parameters, and the values.
    """

    name: str
    title: str
    density: str
    support: Support
    statistics: Callable[..., list]
    log_base_measure: Callable[..., Any]
    natural: Sequence[Param]
    log_partition: Callable[..., Any]
    parametrizations: Sequence[Parametrization] = ()
    natural_constraint: Constraint | None = None
    natural_from_mean: Callable[..., list] | None = None
    mean_space: Constraint | None = None
    expected_log_base_measure: Callable[..., Any] | None = None
    sampler: tuple[str, Callable[..., np.ndarray]] | None = None
    scipy: tuple[str, Callable[..., Any]] | None = None
    fisher_rao: tuple[str, Callable[..., Any]] | None = None
    dims: dict = field(default_factory=dict)
    doc: str = ""
    fixed: Sequence[Param] = ()
    fixed_support: Callable[..., Support] | None = None
    support_constraint: Constraint | None = None
    template: ExponentialFamily | None = None
    fixed_values: dict = field(default_factory=dict)

    def __post_init__(self):
        names = [p.name for p in self.parametrizations]
        if "natural" in names:
            raise SpecError(
                f"family {self.name!r}: 'natural' is built from `natural`; do not declare it")
        if len(set(names)) != len(names):
            raise SpecError(f"family {self.name!r}: two parametrizations share a name")
        if not self.natural:
            raise SpecError(f"family {self.name!r}: no natural parameters declared")
        if not isinstance(self.support, Support):
            raise SpecError(
                f"family {self.name!r}: support must be a Support, got {self.support!r}")
        for pz in self.all_parametrizations:
            if not pz.params:
                raise SpecError(
                    f"family {self.name!r}: parametrization {pz.name!r} has no parameters")
            for p in pz.params:
                lo, hi = p.test_range
                if p.domain.violations(np.array([lo, hi], dtype=float)).any():
                    raise SpecError(
                        f"family {self.name!r}, parametrization {pz.name!r}: test range of "
                        f"{p.name!r} {p.test_range} leaves its domain ({p.domain.text})")
                srange = p.sample_range
                if srange is not None and not lo <= srange[0] < srange[1] <= hi:
                    raise SpecError(
                        f"family {self.name!r}, parametrization {pz.name!r}: sample range of "
                        f"{p.name!r} {srange} must be an interval inside its test range "
                        f"{p.test_range}")
        for p in self.fixed:
            lo, hi = p.test_range
            if p.domain.violations(np.array([lo, hi], dtype=float)).any():
                raise SpecError(f"family {self.name!r}: test range of fixed parameter {p.name!r} "
                                f"{p.test_range} leaves its domain ({p.domain.text})")
        for attr in ("sampler", "scipy", "fisher_rao"):
            decl = getattr(self, attr)
            if decl is not None and decl[0] not in self.parametrization_names:
                raise SpecError(
                    f"family {self.name!r}: {attr} names unknown parametrization {decl[0]!r}")

    @property
    def key(self) -> str:
        """Name with structural dimensions, e.g. ``dirichlet_k3``; a Python identifier.

        Values of fixed parameters are not part of it: ``binomial`` names the one kernel module
        of the binomial for every n.
        """
        # A real dimension spells '.' as 'p' and '-' as 'm'.
        return self.name + "".join(
            f"_{k}{str(v).replace('.', 'p').replace('-', 'm').replace('+', '')}"
            for k, v in sorted(self.dims.items()) if k not in self.fixed_values)

    @property
    def fixed_names(self) -> tuple[str, ...]:
        """Names of the fixed parameters, in order (those of the template when bound)."""
        return tuple(p.name for p in (self.template or self).fixed)

    def bind(self, **values) -> ExponentialFamily:
        """The template with its fixed parameters set: scalars or arrays (see :mod:`.fixed`)."""
        from .fixed import bind

        return bind(self, values)

    @property
    def all_parametrizations(self) -> tuple[Parametrization, ...]:
        """Every parametrization, the derived ``natural`` one first, then the declared ones."""
        natural = Parametrization(
            name="natural",
            params=tuple(self.natural),
            to_natural=lambda sp, *eta, **fixed: list(eta),
            from_natural=lambda sp, *eta, **fixed: list(eta),
            constraint=self.natural_constraint,
            doc="The natural parameters η of p(x) = h(x) exp(⟨η, T(x)⟩ − A(η)).",
        )
        return (natural, *self.parametrizations)

    @property
    def parametrization_names(self) -> tuple[str, ...]:
        """The names of :attr:`all_parametrizations`, in order."""
        return tuple(p.name for p in self.all_parametrizations)

    def parametrization(self, name: str) -> Parametrization:
        """The parametrization called ``name``; raises UnknownFamilyError listing the known ones."""
        for p in self.all_parametrizations:
            if p.name == name:
                return p
        raise UnknownFamilyError(
            f"family {self.name!r} has no parametrization {name!r}; "
            f"known: {', '.join(self.parametrization_names)}")


def require_int(name: str, value, minimum: int) -> int:
    """Validate a dimension argument: an integer at least ``minimum``; DomainError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DomainError(f"dimension {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def require_positive(name: str, value) -> float:
    """Validate a fixed scalar of a family (a fixed shape or scale): finite and > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise DomainError(f"{name} must be a finite number > 0, got {value!r}")
    return v


__all__ = ["Param", "Constraint", "Parametrization", "ExponentialFamily", "require_int",
           "require_positive"]
