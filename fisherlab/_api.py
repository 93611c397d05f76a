"""The user-facing handle of a family: derive, compile, convert, estimate, sample.

This module sits downstream of families/, symbolic/, compile/ and kernels/ and imports the
symbolic layer (sympy) only when a derivation or an in-memory compilation is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import math

import numpy as np

from .errors import (
    ConvergenceError,
    DomainError,
    NoMLEError,
    NotAvailableError,
    ShapeError,
    UnknownFamilyError,
)
from .families import load as _load_spec
from .families import names as _catalog_names
from .families.declaration import ExponentialFamily
from .families.fixed import is_scalar
from .kernels import GenericKernels, Kernels
from .newton import damped_newton

_COMPILED: dict[ExponentialFamily, dict] = {}


def _namespace(spec: ExponentialFamily, builtin: bool) -> dict:
    """The kernel namespace of a family: the generated module, or an in-memory compilation.

    A family bound to values of its fixed parameters shares its template's namespace: one
    module serves every value.
    """
    spec = spec.template or spec
    if spec in _COMPILED:
        return _COMPILED[spec]
    ns = None
    if builtin:
        # the module written for this key when there is one (the von Mises–Fisher's d = 2, 3,
        # with their extra parametrization); else one dimension-generic module for every value
        # of the dimensions: in matrix form (``namespace(**dims)``, the multivariate normal) or
        # indexed (``GENERIC``, the simplex families)
        modname = f"fisherlab.kernels.{spec.key}"
        if spec.dims and importlib.util.find_spec(modname) is not None:
            ns = vars(importlib.import_module(modname))
        generic = f"fisherlab.kernels.{spec.name}"
        if ns is None and spec.dims and importlib.util.find_spec(generic) is not None:
            module = importlib.import_module(generic)
            if hasattr(module, "namespace"):
                ns = module.namespace(**spec.dims)
            elif getattr(module, "GENERIC", False):
                ns = vars(module)
        modname = f"fisherlab.kernels.{spec.key}"
        if ns is None and importlib.util.find_spec(modname) is not None:
            ns = vars(importlib.import_module(modname))
    if ns is None:
        from .compile.codegen import compile_family  # imports sympy: user families only

        ns = compile_family(spec)
    _COMPILED[spec] = ns
    return ns


class Family:
    """An exponential family with its parametrizations, ready to derive and compile.

    Build one with :func:`fisherlab.family` for the catalog, or ``Family(spec)`` for a family
    you declare with :class:`fisherlab.ExponentialFamily`. ``Family(spec, namespace=ns)`` serves
    the kernels from ``ns`` (a generated module's ``vars``, or an edited copy of them: the
    verifier's mutation tests) instead of the catalog module or an in-memory compilation.

    Attributes
    ----------
    spec : ExponentialFamily
        The declaration.
    name : str
        The family's name; ``key`` adds its dimensions.
    parametrizations : tuple of str
        Every parametrization, ``"natural"`` first.
    """

    def __init__(self, spec: ExponentialFamily, *, namespace: dict | None = None,
                 _builtin: bool = False):
        if not isinstance(spec, ExponentialFamily):
            raise TypeError(
                f"Family needs an ExponentialFamily declaration, got {type(spec).__name__}"
            )
        self.spec = spec
        self._builtin = _builtin
        self._given_ns = namespace
        self._kernels: dict[str, Kernels] = {}
        self._bound_ns: dict | None = None

    def __repr__(self) -> str:
        return f"<Family {self.spec.key}: {', '.join(self.parametrizations)}>"

    @property
    def builtin(self) -> bool:
        """Whether this is a catalog family, rebuilt by name from ``fisherlab.family``."""
        return self._builtin

    name = property(lambda self: self.spec.name)
    key = property(lambda self: self.spec.key)
    dims = property(lambda self: dict(self.spec.dims))
    #: The values of the fixed parameters (binomial n, ...): scalars or per-row arrays.
    fixed = property(lambda self: dict(self.spec.fixed_values))
    support = property(lambda self: self.spec.support)
    parametrizations = property(lambda self: self.spec.parametrization_names)

    def params(self, param: str = "natural") -> tuple[str, ...]:
        """Names of the entries of θ in parametrization ``param``."""
        return self.spec.parametrization(param).param_names

    def derive(self, param: str = "natural"):
        """The exact :class:`~fisherlab.symbolic.derive.Derivation` in parametrization ``param``."""
        self.spec.parametrization(param)
        from .symbolic.derive import derive

        if self.spec.template is not None and not is_scalar(self.spec.fixed_values):
            # per-row values have no one symbolic value: the template, fixed parameters as symbols
            return derive(self.spec.template, param)
        return derive(self.spec, param)

    def kernels(self, param: str = "natural") -> Kernels:
        """Batched numpy kernels in parametrization ``param`` (cached)."""
        if param not in self._kernels:
            self.spec.parametrization(param)
            ns = self._unbound_namespace()
            cls = ns.get("KERNELS_CLASS") or (GenericKernels if ns.get("GENERIC") else Kernels)
            self._kernels[param] = cls(self.spec, param, ns)
        return self._kernels[param]

    def _unbound_namespace(self) -> dict:
        if self._given_ns is not None:
            return self._given_ns
        return _namespace(self.spec, self._builtin)

    def kernel_namespace(self) -> dict:
        """The kernel namespace, with the functions outside the parametrization tables
        (``statistics``, ``log_base_measure``, ``natural_from_mean``) bound to the values of the
        fixed parameters (their last arguments)."""
        ns = self._unbound_namespace()
        if not self.spec.fixed_values:
            return ns
        if self._bound_ns is None:
            fx = [self.spec.fixed_values[n] for n in self.spec.fixed_names]
            bound = dict(ns)
            for name in ("statistics", "log_base_measure", "natural_from_mean"):
                if name in ns:
                    bound[name] = _with_fixed(ns[name], fx)
            self._bound_ns = bound
        return self._bound_ns

    # -- conversions
    def convert(self, theta, src: str, dst: str) -> np.ndarray:
        """Map parameters from parametrization ``src`` to ``dst``: (..., p_src) -> (..., p_dst).

        Uses the closed-form inverse θ(η) of ``dst`` where it is declared and Newton's method on
        η(θ) = η otherwise.
        """
        eta = self.kernels(src).to_natural(theta)
        return self.from_natural(eta, dst)

    def from_natural(self, eta, dst: str) -> np.ndarray:
        """θ(η) in parametrization ``dst``: (..., m) -> (..., p)."""
        k = self.kernels(dst)
        if "from_natural" in k.quantities:
            return k.from_natural(eta)
        return self._solve_from_natural(k, np.asarray(eta, dtype=np.float64))

    def _solve_from_natural(self, k: Kernels, eta: np.ndarray) -> np.ndarray:
        self.kernels("natural").check_theta(eta, "eta")
        if len(k.params) != len(k.natural_params):
            raise DomainError(f"{self.key} {k.parametrization}: no inverse of η(θ) is declared "
                              "and the map is not square")
        start = _start(self.spec.parametrization(k.parametrization).params)
        theta = np.broadcast_to(start, eta.shape).copy()
        raw = k.unchecked()
        for _ in range(200):
            resid = raw.to_natural(theta) - eta
            step = np.linalg.solve(raw.jacobian(theta), resid[..., None])[..., 0]
            t = 1.0
            while True:
                cand = theta - t * step
                ok = k.in_domain(cand) & (np.abs(raw.to_natural(cand) - eta).sum(-1)
                                         <= np.abs(resid).sum(-1) * (1 + 1e-12))
                if np.all(ok) or t < 1e-12:
                    break
                t /= 2
            theta = cand
            if np.all(np.abs(step) <= 4 * np.finfo(float).eps * (1 + np.abs(theta))):
                return theta
        raise ConvergenceError(f"{self.key} {k.parametrization}: Newton's method for θ(η) did "
                               "not converge in 200 steps")

    # -- estimation and sampling
    def statistics(self, x) -> np.ndarray:
        """T(x), the sufficient statistics: x (...) or (..., k) -> (..., m)."""
        arr = self.spec.support.check(x)
        cols = [arr[..., i] for i in range(arr.shape[-1])] if self.spec.support.size else [arr]
        return self.kernel_namespace()["statistics"](*cols)

    def log_base_measure(self, x) -> np.ndarray:
        """log h(x), the log base measure: x (...) or (..., k) -> (...); checked against the
        support (per row against the fixed parameters' values)."""
        arr = self.kernels("natural").check_observations(x)
        cols = [arr[..., i] for i in range(arr.shape[-1])] if self.spec.support.size else [arr]
        return self.kernel_namespace()["log_base_measure"](*cols)

    def conjugate_prior(self, **known):
        """The conjugate prior of this likelihood: a :class:`fisherlab.priors.Prior` with the
        exact posterior, marginal likelihood and posterior predictive (docs/priors.md).

        ``known`` holds the likelihood parameters taken as known where the pair needs them
        (normal ``var=``, gamma ``shape=``); NotAvailableError when none exists in closed form.
        """
        from .priors import conjugate_prior

        return conjugate_prior(self, **known)

    def mle(self, x, param: str = "natural", weights=None) -> np.ndarray:
        """Maximum-likelihood estimate of a sample, in parametrization ``param``.

        Solves ∇A(η) = mean of T(x): in closed form when the family declares the inverse of the
        mean map, by Newton's method in natural parameters (to full precision) otherwise.

        Parameters
        ----------
        x : array, shape (n,) or (n, k)
            The sample; the first axis runs over observations.
        param : str
            The parametrization of the result.
        weights : array, shape (n,), optional
            Non-negative weights a_i of the observations (not all zero): the estimate maximizes
            Σ a_i log p(x_i | θ), so it solves ∇A(η) = Σ a_i T(x_i) / Σ a_i (the M-step of EM
            with responsibilities as weights). Only their ratios matter.

        Returns
        -------
        theta : ndarray, shape (p,)

        Raises
        ------
        NoMLEError
            When the sample mean of T lies on the boundary of the mean space (an all-zero
            Bernoulli sample, one distinct value for the normal): the MLE does not exist.
        """
        self.spec.parametrization(param)
        if not is_scalar(self.spec.fixed_values):
            raise NotAvailableError(
                f"{self.key}: mle of one sample needs one value of each fixed parameter, got "
                f"per-row values ({', '.join(self.spec.fixed_names)}); bind one value, or fit "
                "an intercept-only model with fisherlab.models (per-row trials)")
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 1 + len(self.spec.support.event_shape) or arr.shape[0] == 0:
            raise ShapeError(
                f"mle needs a sample of shape "
                f"(n, {', '.join(map(str, self.spec.support.event_shape))})"
                f" with n >= 1, got shape {arr.shape}".replace("(n, )", "(n,)")
            )
        a = None if weights is None else _observation_weights(weights, arr.shape[0])
        tbar = np.average(self.statistics(arr), axis=0, weights=a)
        if self.spec.mean_space is not None and np.any(self.spec.mean_space.violations(tbar)):
            raise NoMLEError(f"{self.key}: no maximum-likelihood estimate exists for this sample: "
                             f"{self.spec.mean_space.text}")
        return self._polish_mle(arr, self.from_natural(self.natural_from_mean(tbar), param), param,
                                a)

    def natural_from_mean(self, mu) -> np.ndarray:
        """The natural parameters whose mean parameters are ``mu``: η with ∇A(η) = μ, (m,).

        In closed form where the family declares the inverse of its mean map, otherwise by
        damped Newton in η on A(η) − ⟨η, μ⟩ (strictly convex), kept inside the domain. ``mu``
        must lie in the interior of the mean space (the caller checks ``spec.mean_space``).
        """
        mu = np.asarray(mu, dtype=np.float64)
        ns = self.kernel_namespace()
        if "natural_from_mean" in ns:
            return np.asarray(ns["natural_from_mean"](*mu), dtype=np.float64)
        return self._newton_natural(mu)

    def _polish_mle(self, x: np.ndarray, theta: np.ndarray, param: str,
                    weights: np.ndarray | None = None) -> np.ndarray:
        """Newton steps on the mean score in ``param`` itself, while they shrink it.

        The route through η = η(mean of T) can lose digits: the normal's mean of x² minus the
        square of its mean cancels when |mean| ≫ std (8e-10 relative at mean 886, std 0.46).
        The score and observed Hessian kernels are written around E[T] and do not, so a step or
        two of Newton on Σ s(x_i; θ) = 0 restores the MLE to full precision.
        """
        k = self.kernels(param)
        raw = k.unchecked()

        def size(t):
            s = np.average(raw.score(x, t), axis=0, weights=weights)
            # the score in the Fisher metric: invariant to the scale of each parameter
            return s, float(np.sqrt(abs(s @ np.linalg.solve(raw.fisher(t), s))))

        s, norm = size(theta)
        for _ in range(4):
            if norm == 0.0:
                break
            if param == "natural":
                # in natural parameters the observed Hessian is −∇²A(η) at every x: one
                # Fisher, not n per-observation Hessians (EM calls this on every M-step)
                H = -raw.fisher(theta)
            else:
                H = np.average(raw.hessian(x, theta), axis=0, weights=weights)
            cand = theta - np.linalg.solve(H, s)
            if not (np.all(np.isfinite(cand)) and k.in_domain(cand[None])[0]):
                break
            s_new, norm_new = size(cand)
            if not norm_new < norm:
                break
            theta, s, norm = cand, s_new, norm_new
        return theta

    def _newton_natural(self, tbar: np.ndarray) -> np.ndarray:
        """Minimize A(η) − ⟨η, t̄⟩ (strictly convex) by damped Newton, kept inside the domain."""
        k = self.kernels("natural")
        raw = k.unchecked()

        def objective(e):
            return float(raw.log_partition(e) - e @ tbar)

        eta = _start(self.spec.parametrization(k.parametrization).params)
        if not k.in_domain(eta) or not math.isfinite(objective(eta)):
            # The centre of the test ranges can sit on an excluded point (von Mises: η = 0,
            # the uniform distribution); start from the best valid point of a coarse grid over
            # the test ranges instead (the objective is convex, so any valid start converges).
            eta = _grid_start(k, objective)
        # The Hessian of the objective is ∇²A(η), the Fisher information in natural parameters.
        return damped_newton(eta, objective,
                             lambda e: np.linalg.solve(raw.fisher(e), raw.mean(e) - tbar),
                             inside=lambda e: bool(k.in_domain(e)),
                             # The round-off floor of the step is cond(∇²A)·ε relative, not ε: a
                             # gamma sample of shape 1000 and rate 1e-3 (cond 1.6e15) cycles
                             # between steps of 2.7e-12 forever.
                             stalled_below=1e-8,
                             what=f"{self.key}: Newton's method for the MLE")

    def sample(self, theta, param: str = "natural", size=None, seed=None) -> np.ndarray:
        """Draw observations from the family at θ (one point): shape ``size + event_shape``.

        With per-row values of a fixed parameter, ``size`` is the shape of the draws as in
        numpy's samplers: the values (and θ) broadcast against it, and it defaults to the values'
        shape (one draw per row). So with values of shape (r,), ``size=(m, r)`` gives m draws
        per row, ``draws[:, i]`` at row i's value; a ``size`` they do not broadcast to raises
        ShapeError.
        """
        if self.spec.sampler is None:
            raise DomainError(f"{self.key} declares no sampler")
        home, draw = self.spec.sampler
        arr = self.kernels(param).check_theta(theta)
        t = self.convert(arr, param, home) if param != home else arr
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # size=() rather than None: numpy's samplers then return an array (of shape ()) for one
        # draw, where None gives a Python int for the discrete ones.
        rows = self.kernels(param).fixed_shape
        if rows:
            size = rows if size is None else (tuple(size) if np.iterable(size) else (int(size),))
            want = np.broadcast_shapes(rows, t.shape[:-1])
            try:
                if np.broadcast_shapes(size, want) != tuple(size):
                    raise ValueError
            except ValueError:
                raise ShapeError(f"{self.key}: size {size} does not hold the shape {want} of the "
                                 f"fixed values and θ ({', '.join(self.spec.fixed_names)} per "
                                 "row)") from None
        size = () if size is None else size
        return np.asarray(draw(rng, *[t[..., i] for i in range(t.shape[-1])], size),
                          dtype=np.float64)


def _observation_weights(weights, n: int) -> np.ndarray:
    """Checked observation weights of ``Family.mle``: shape (n,), finite, >= 0, not all 0."""
    a = np.asarray(weights, dtype=np.float64)
    if a.shape != (n,):
        raise ShapeError(f"mle: weights must have shape ({n},), one per observation, got "
                         f"shape {a.shape}")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DomainError(f"mle: weights must be finite and >= 0, got "
                          f"weights[{i}] = {float(a[i])!r}")
    if not a.sum() > 0:
        raise DomainError("mle: weights must not all be 0")
    return a


def _with_fixed(fn, fixed: list):
    """``fn`` with the fixed parameters' values appended to its arguments."""
    def bound(*args, _out=None):
        return fn(*args, *fixed, _out=_out)
    return bound


def _grid_start(k: Kernels, objective) -> np.ndarray:
    """The valid point of a grid over the natural test ranges with the smallest objective."""
    params = k.spec.parametrization(k.parametrization).params
    per_axis = max(3, int(round(4096 ** (1.0 / max(len(params), 1)))))
    lines = []
    for p in params:
        lo, hi = p.test_range
        if lo > 0:
            lines.append(np.geomspace(lo, hi, per_axis))
        elif hi < 0:
            lines.append(-np.geomspace(-lo, -hi, per_axis))
        else:
            lines.append(np.linspace(lo, hi, per_axis))
    axes = np.meshgrid(*lines, indexing="ij")
    cand = np.stack([a.ravel() for a in axes], -1)
    best, best_f = None, math.inf
    for c in cand[k.in_domain(cand)]:
        with np.errstate(all="ignore"):
            fc = objective(c)
        if fc < best_f:
            best, best_f = c, fc
    if best is None:
        raise ConvergenceError(f"{k.family}: no valid starting point for Newton's method")
    return best


def _start(params) -> np.ndarray:
    """A point well inside every domain: the centre of each parameter's test range."""
    out = []
    for p in params:
        lo, hi = p.test_range
        if lo > 0:
            out.append(math.sqrt(lo * hi))
        elif hi < 0:
            out.append(-math.sqrt(lo * hi))
        else:
            out.append((lo + hi) / 2)
    return np.array(out)



# -- module-level API


def families() -> tuple[str, ...]:
    """Names of the built-in families."""
    return _catalog_names()


_FAMILIES: dict[tuple, Family] = {}


def family(name: str, **dims) -> Family:
    """The built-in family ``name``, with dimensions where it has them (e.g. ``k=3``).

    Fixed parameters are given the same way: ``family("binomial", n=7)``, or per-row values
    ``family("binomial", n=np.array([3, 5, 10]))``, which the kernels broadcast against θ's batch
    shape (...) and x's shape like one more column of θ (see :mod:`fisherlab.families.fixed`).
    """
    spec = _load_spec(name, **dims)
    if not is_scalar(spec.fixed_values):
        return Family(spec, _builtin=True)  # per-row arrays: not hashable, not cached
    key = (name, tuple(sorted(spec.dims.items())))
    if key not in _FAMILIES:
        _FAMILIES[key] = Family(spec, _builtin=True)
    return _FAMILIES[key]


def kernels(name: str, param: str = "natural", **dims) -> Kernels:
    """Shortcut for ``family(name, **dims).kernels(param)``."""
    return family(name, **dims).kernels(param)


def as_family(family_or_spec, **dims) -> Family:
    """A Family from a catalog name, a declaration or a Family."""
    if isinstance(family_or_spec, Family):
        return family_or_spec
    if isinstance(family_or_spec, ExponentialFamily):
        return Family(family_or_spec)
    if isinstance(family_or_spec, str):
        return family(family_or_spec, **dims)
    raise UnknownFamilyError(f"not a family: {family_or_spec!r}")
