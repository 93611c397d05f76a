"""Declarations in indexed form: a family of any dimension k, written once with sums over i.

The element-wise declaration (:class:`~fisherlab.families.declaration.ExponentialFamily`) has one
symbol per parameter, so it exists only for one k at a time. A family whose log-partition is a
sum over components (categorical, multinomial, Dirichlet) is declared here a second time, for a
symbolic number m of natural parameters: every callable receives sympy's ``IndexedBase`` objects
(η, θ, x) and returns the expression of one component, or a scalar built from
``Sum(..., (s, 1, m))``: component callables receive the component's index ``i`` and a
summation index ``s``, scalar ones only ``s``. :mod:`fisherlab.symbolic.indexed` derives every
quantity from it once, and the code generator prints kernels that serve every k.

Nothing here imports sympy: the callables receive the ``sp`` module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class IndexedParametrization:
    """A parametrization θ ↦ η in indexed form.

    Attributes
    ----------
    name : str
        As in the element-wise declaration (``"probs"``).
    to_natural : callable ``(sp, theta, i, s, m, **fixed) -> expr``
        η_i as an expression in the ``IndexedBase`` θ (sums over a fresh index allowed).
    from_natural : callable ``(sp, eta, i, s, m, **fixed) -> expr``
        θ_i as an expression in η.
    """

    name: str
    to_natural: Callable
    from_natural: Callable


@dataclass(frozen=True)
class IndexedFamily:
    """A family declared for symbolic dimension (see the module docstring).

    Attributes
    ----------
    name : str
        The catalog name.
    offset : int
        m = k + offset natural parameters (−1 for the categorical with its reference class).
    fixed : tuple of str
        Fixed parameters, symbols of the derivation and arguments of the kernels (``("n",)``).
    statistics : callable ``(sp, x, i) -> expr``
        T_i(x) for i = 1..m; x is the observation, an ``IndexedBase`` of length k.
    log_base_measure : callable ``(sp, x, s, k, **fixed) -> expr``
        log h(x), a scalar.
    log_partition : callable ``(sp, eta, s, m, **fixed) -> expr``
        A(η), a scalar.
    expected_log_base_measure : callable ``(sp, mean, i, s, m, **fixed) -> expr``
        E[log h(x)]; ``mean(i)`` is the expression of E[T_i].
    parametrizations : tuple of IndexedParametrization
        Every parametrization but ``natural``.
    natural_from_mean : callable ``(sp, mu, i, s, m, **fixed) -> expr`` or None
        η_i(μ), the closed-form inverse of the mean map.
    fisher_rao : tuple ``(parametrization, callable (sp, theta, theta_q, s, m, **fixed))`` or None
        The closed-form Fisher–Rao distance, in the parametrization named.
    softmax : bool
        A(η) is c·log(1 + Σ e^{η_i}): the derivation writes it and its derivatives through the
        log-sum-exp L (one overflow-free evaluation), so e^{η_i}/(1 + Σ e^η) becomes e^{η_i − L}.
    gamma_sums : bool
        A(η) is Σ log Γ(η_i) − log Γ(Σ η_i): the derivation writes it as the log multivariate
        beta function and ψ⁽ⁿ⁾(η_j) − ψ⁽ⁿ⁾(Σ η) as differences over the other components' sum,
        each evaluated without cancellation (:mod:`fisherlab.kernels._special`).
    pull_entropy : bool
        The entropy A − Σ η_s μ_s has the factors free of s pulled out of its sum before it is
        printed, so that terms equal to a part of A cancel exactly (von Mises–Fisher: A holds
        2‖η‖²Φ′(‖η‖²), which ⟨η, μ⟩ repeats).
    """

    name: str
    offset: int
    statistics: Callable
    log_base_measure: Callable
    log_partition: Callable
    expected_log_base_measure: Callable
    parametrizations: tuple = ()
    fixed: tuple = ()
    natural_from_mean: Callable | None = None
    fisher_rao: tuple | None = None
    softmax: bool = False
    gamma_sums: bool = False
    pull_entropy: bool = False

    def parametrization(self, name: str) -> IndexedParametrization | None:
        """The parametrization ``name``; None for ``natural`` (η itself)."""
        if name == "natural":
            return None
        for pz in self.parametrizations:
            if pz.name == name:
                return pz
        raise KeyError(name)

    @property
    def parametrization_names(self) -> tuple:
        """``natural`` and then the declared ones."""
        return ("natural",) + tuple(pz.name for pz in self.parametrizations)


__all__ = ["IndexedFamily", "IndexedParametrization"]
