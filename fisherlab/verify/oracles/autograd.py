"""An independent oracle: the declaration's log density, compiled for autograd and differentiated.

The generated kernels get the score, the Hessian and the Fisher information from closed forms
that sympy derives (s = Jᵀ(T − ∇A), F = Jᵀ∇²A J, ...). This module gets the same quantities a
different way, for the verifier to compare against:

* each piece of the *declaration* (T(x), log h(x), A(η) and the map θ ↦ η, unsimplified) is
  lambdified separately to ``autograd.numpy`` / ``autograd.scipy.special``;
* the log density log h(x) + ⟨η(θ), T(x)⟩ − A(η(θ)) is composed from those pieces at run time;
* autograd (reverse mode) differentiates it: the score, the observed Hessian, and the Fisher
  information as the Hessian in θq of A(η(θq)) − ⟨∇A(η(θ)), η(θq)⟩ at θq = θ (the second
  argument of the KL divergence; its curvature at θ is F(θ)).

No simplification, no symbolic derivative and no generated code are shared with the kernels.
Imports sympy and autograd: this is a verification tool, never on a kernel's hot path.
"""

from __future__ import annotations

import functools
import types

import autograd
import autograd.numpy as anp
import autograd.scipy.special as aspecial
import numpy as np
import scipy.special
import sympy as sp
from autograd.core import make_vjp
from sympy.printing.numpy import SciPyPrinter

from ...families.declaration import ExponentialFamily
from ...symbolic.derive import natural_form


class _Special(types.SimpleNamespace):
    """``scipy.special`` as the lambdified code sees it: autograd's version of each function.

    Functions autograd does not wrap (e.g. ``binom``) fall back to scipy's; they may only be
    applied to the observation x, which is never differentiated. Applied to a traced parameter
    they raise inside autograd, loudly.
    """

    def __getattr__(self, name):
        if hasattr(aspecial, name):
            return getattr(aspecial, name)
        return getattr(scipy.special, name)


_NAMESPACE = {"numpy": anp,
              "scipy": types.SimpleNamespace(special=_Special(),
                                             constants=types.SimpleNamespace(pi=np.pi))}


class _Printer(SciPyPrinter):
    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True,
                          "allow_unknown_functions": False})

    def _print_loggamma(self, expr):
        return f"scipy.special.gammaln({self._print(expr.args[0])})"

    def _print_log(self, expr):
        # sympy writes log Γ(z) of an integer-valued z as log(gamma(z)) (the negative binomial's
        # log Γ(x + r) − log x! at r = 3), and Γ overflows past z ≈ 171: the same function,
        # printed as gammaln, keeps every count finite (Γ(z) > 0 on the arguments it gets).
        (arg,) = expr.args
        if isinstance(arg, sp.gamma):
            return f"scipy.special.gammaln({self._print(arg.args[0])})"
        return f"numpy.log({self._print(arg)})"

    def _print_polygamma(self, expr):
        n, arg = expr.args
        return f"scipy.special.polygamma({self._print(n)}, {self._print(arg)})"

    # The overflow-free functions of fisherlab.families.special.functions, written with autograd's
    # exponentially scaled Bessel function (differentiable) rather than the kernels' _special.
    def _print_log_besseli0(self, expr):
        z = self._print(expr.args[0])
        return f"(numpy.log(scipy.special.ive(0, {z})) + numpy.abs({z}))"

    def _print_besseli_ratio(self, expr):
        z = self._print(expr.args[0])
        return f"(scipy.special.ive(1, {z}) / scipy.special.ive(0, {z}))"

    def _print_besseli_ratio_deriv(self, expr):
        # R'(z) = 1 − R/z − R², R = I₁/I₀ (the identity the declaration's rewrite states).
        z = self._print(expr.args[0])
        r = f"(scipy.special.ive(1, {z}) / scipy.special.ive(0, {z}))"
        return f"(1 - {r} / {z} - {r}**2)"

    def _print_log_besseli0_sq(self, expr):
        # log I₀(√s): what the declaration's rewrite states, differentiated by autograd.
        z = f"numpy.sqrt({self._print(expr.args[0])})"
        return f"(numpy.log(scipy.special.ive(0, {z})) + {z})"

    def _print_exp_expint1(self, expr):
        z = self._print(expr.args[0])
        return f"(numpy.exp({z}) * scipy.special.exp1({z}))"

    # The von Mises–Fisher's Φ_d(s) = log(Γ(ν + 1)(2/√s)^ν I_ν(√s)), Φ_d′ = R_ν/(2√s) (R_ν =
    # I_(ν+1)/I_ν) and Ψ_d = Φ_d − 2sΦ_d′ (its declaration's A = 2sΦ′ + Ψ), written with the
    # exponentially scaled I_ν: the explicit forms' I_ν(κ) overflows past κ ≈ 700, where
    # autograd's derivative of iv multiplied 0 by inf (NaN, RuntimeWarnings at κ = 1e4).
    def _print_KernelFunctionBase(self, expr):
        hook = getattr(self, f"_print_{expr.kernel_name}", None)
        out = hook(*expr.args) if hook is not None else None
        return out if out is not None else self._print(explicit(expr.explicit()))

    def _vmf(self, d, s):
        """(z, log(Γ(ν + 1)(2/z)^ν I_ν(z)), I_(ν+1)/I_ν) printed, or None for a symbolic d."""
        if not d.is_Integer:
            return None
        nu = int(d) / 2 - 1
        z = f"numpy.sqrt({self._print(s)})"
        phi = (f"(numpy.log(scipy.special.ive({nu!r}, {z})) + {z} - {nu!r} * numpy.log({z} / 2)"
               f" + scipy.special.gammaln({nu + 1!r}))")
        ratio = f"(scipy.special.ive({nu + 1!r}, {z}) / scipy.special.ive({nu!r}, {z}))"
        return z, phi, ratio

    def _print_vmf_log_normalizer_deriv(self, n, d, s):
        parts = self._vmf(d, s)
        if parts is None or n not in (0, 1):
            return None
        z, phi, ratio = parts
        return phi if n == 0 else f"({ratio} / (2 * {z}))"

    def _print_vmf_log_normalizer_intercept(self, d, s):
        parts = self._vmf(d, s)
        if parts is None:
            return None
        z, phi, ratio = parts
        return f"({phi} - {z} * {ratio})"


#: Kernel functions the printer writes itself (overflow-free) rather than by their explicit form.
_PRINTED = frozenset(name[len("_print_"):] for name in vars(_Printer)
                     if name.startswith("_print_vmf_"))


def explicit(expr, keep=frozenset()):
    """``expr`` with every kernel function of :mod:`fisherlab.families.special` (LogSumExp0,
    Softmax0, ...) written out with exp and log, the form the declaration means: the oracle
    must not share the kernels' overflow-free special functions. Those whose ``kernel_name`` is
    in ``keep`` stay (the autograd printer writes them out itself)."""
    expr = sp.sympify(expr)

    def is_kernel_function(a):
        if getattr(type(a), "kernel_name", None) in keep:
            return False
        return isinstance(a, sp.Function) and (
            hasattr(type(a), "kernel_name") or hasattr(type(a), "_eval_rewrite_as_loggamma")
            or hasattr(type(a), "_eval_rewrite_as_polygamma"))

    def written_out(a):
        if hasattr(type(a), "kernel_name"):
            return a.explicit()
        # log_beta, digamma_diff, trigamma_diff of fisherlab.families.special.functions.
        for how in ("_eval_rewrite_as_loggamma", "_eval_rewrite_as_polygamma"):
            if hasattr(type(a), how):
                return getattr(a, how)(*a.args)
        return a

    for _ in range(20):
        new = expr.replace(is_kernel_function, written_out)
        if new == expr:
            return expr
        expr = new
    return expr


def _lambdify(args, exprs):
    """Compile a list of sympy expressions to one function returning a list of autograd arrays.

    Common subexpressions are computed once (``cse``): the same arithmetic, but the declared
    adj(Λ)/det Λ of a 5 × 5 precision repeats its minors thousands of times, and every repeat
    would be a node autograd traces and differentiates (d = 5: a Hessian of 50 draws took 40 s
    of CPU, 4 s with them shared)."""
    fn = sp.lambdify(args, [explicit(e, _PRINTED) for e in exprs], modules=[_NAMESPACE],
                     printer=_Printer(),
                     cse=True)
    return fn


def _columns(a):
    """The columns a[..., i] of a traced array (..., p), by one split: the reverse pass of p
    separate indexings adds p sparse gradients into (..., p) zeros, O(n p²) per pass (categorical
    k = 50 at n = 25 600: 140 s of a Hessian's 200 s)."""
    return [c[..., 0] for c in anp.split(a, a.shape[-1], axis=-1)]


def _ag_stack(values, shape):
    """Stack scalar-or-array autograd values (constants included) along a new last axis."""
    return anp.stack([v + anp.zeros(shape) for v in values], axis=-1)


class AutogradOracle:
    """Score, Hessian, Fisher and the η-map Jacobian of one parametrization, by autograd.

    Parameters
    ----------
    spec : ExponentialFamily
        The declaration.
    param : str
        The parametrization θ.

    Notes
    -----
    Every method takes a batch: θ of shape (n, p) and, where needed, x of shape (n,) or (n, k).
    Rows are independent, so the gradient of the sum over rows is the per-row gradient; the
    Hessian is assembled from p such gradients.
    """

    def __init__(self, spec: ExponentialFamily, param: str):
        self.spec = spec
        self.param = param
        pz = spec.parametrization(param)
        nat = natural_form(spec)
        self.p = len(pz.params)
        self.m = len(spec.natural)
        theta = [sp.Symbol(f"t{i}", real=True) for i in range(self.p)]
        eta = list(nat.eta)
        xs = list(nat.x)
        x_arg = xs if spec.support.size else xs[0]
        self._to_natural = _lambdify(theta, pz.to_natural(sp, *theta))
        self._log_partition = _lambdify(eta, [spec.log_partition(sp, *eta)])
        self._statistics = _lambdify(xs, spec.statistics(sp, x_arg))
        self._log_base = _lambdify(xs, [spec.log_base_measure(sp, x_arg)])

    # -- pieces
    def _x_cols(self, x):
        x = np.asarray(x, dtype=np.float64)
        return [x[..., i] for i in range(x.shape[-1])] if self.spec.support.size else [x]

    def to_natural(self, theta):
        """η(θ) from the declaration: (n, p) -> (n, m)."""
        return _ag_stack(self._to_natural(*_columns(theta)), theta.shape[:-1])

    def log_partition_natural(self, eta):
        """A(η) from the declaration: (n, m) -> (n,)."""
        A = self._log_partition(*_columns(eta))[0]
        return A + anp.zeros(eta.shape[:-1])

    def log_density(self, x, theta):
        """log h(x) + ⟨η(θ), T(x)⟩ − A(η(θ)): x (n,) or (n, k), θ (n, p) -> (n,)."""
        cols = self._x_cols(x)
        shape = theta.shape[:-1]
        T = _ag_stack(self._statistics(*cols), shape)
        logh = self._log_base(*cols)[0] + anp.zeros(shape)
        eta = self.to_natural(theta)
        return logh + anp.sum(eta * T, axis=-1) - self.log_partition_natural(eta)

    # -- derivatives
    def score(self, x, theta):
        """∇_θ log p(x | θ): (n, p)."""
        theta = np.asarray(theta, dtype=np.float64)
        return autograd.grad(lambda t: anp.sum(self.log_density(x, t)))(theta)

    def hessian(self, x, theta):
        """∇²_θ log p(x | θ): (n, p, p)."""
        theta = np.asarray(theta, dtype=np.float64)
        return self._hessian(lambda t: self.log_density(x, t), theta)

    def fisher(self, theta):
        """F(θ) as the curvature of the KL in its second argument: (n, p, p)."""
        theta = np.asarray(theta, dtype=np.float64)
        eta0 = np.asarray(self.to_natural(theta))
        mu0 = autograd.grad(lambda e: anp.sum(self.log_partition_natural(e)))(eta0)

        def cross_entropy(tq):  # A(η(θq)) − ⟨μ(θ), η(θq)⟩: the KL up to a θq-free constant
            eq = self.to_natural(tq)
            return self.log_partition_natural(eq) - anp.sum(mu0 * eq, axis=-1)

        return self._hessian(cross_entropy, theta)

    def mean(self, theta):
        """μ = ∇A at η(θ), differentiating the declared A: (n, p) -> (n, m)."""
        eta = np.asarray(self.to_natural(np.asarray(theta, dtype=np.float64)))
        return autograd.grad(lambda e: anp.sum(self.log_partition_natural(e)))(eta)

    def natural_fisher(self, theta):
        """∇²A at η(θ), differentiating the declared A twice: (n, p) -> (n, m, m)."""
        eta = np.asarray(self.to_natural(np.asarray(theta, dtype=np.float64)))
        grad = autograd.grad(lambda e: anp.sum(self.log_partition_natural(e)))
        return _rows_of_jacobian(grad, eta, self.m)

    def jacobian(self, theta):
        """J = ∂η/∂θ from the declaration: (n, m, p)."""
        theta = np.asarray(theta, dtype=np.float64)
        return _jacobian(self.to_natural, theta, self.m)

    def _hessian(self, f, theta):
        return _rows_of_jacobian(autograd.grad(lambda t: anp.sum(f(t))), theta, self.p)


def _rows_of_jacobian(grad, theta, p):
    """The symmetrized Jacobian (n, p, p) of a row-wise gradient ``grad`` (n, p) -> (n, p).

    The gradient is traced once and its graph reversed once per component i (rows are
    independent, so the vector-Jacobian product with the i-th unit vector in every row gives
    ∂grad_i/∂θ row by row); tracing it anew for each i cost p forward passes more.
    """
    H = _jacobian(grad, theta, p)
    return 0.5 * (H + np.swapaxes(H, -1, -2))


def _jacobian(fun, theta, q):
    """∂fun/∂θ (n, q, p) of a row-wise map ``fun`` (n, p) -> (n, q): traced once, its graph
    reversed once per output component (the unit vector i in every row)."""
    vjp, out = make_vjp(fun, theta)
    rows = []
    for i in range(q):
        v = np.zeros(np.shape(out))
        v[..., i] = 1.0
        rows.append(vjp(v))
    return np.stack(rows, axis=-2)


@functools.cache
def oracle(spec: ExponentialFamily, param: str) -> AutogradOracle:
    """The (cached) :class:`AutogradOracle` of ``spec`` in parametrization ``param``."""
    return AutogradOracle(spec, param)


@functools.cache
def _inverse(spec: ExponentialFamily, dst: str):
    nat = natural_form(spec)
    eta = list(nat.eta)
    return _lambdify(eta, spec.parametrization(dst).from_natural(sp, *eta))


def map_jacobian(spec: ExponentialFamily, src: str, dst: str, theta, phi):
    """∂φ/∂θ of the map between two parametrizations, from the declarations by autograd.

    When ``dst`` declares a closed-form inverse θ(η), differentiate φ = from_natural_dst(η_src(θ))
    directly; otherwise use the implicit function theorem, J = J_dst(φ)⁺ J_src(θ), with both
    Jacobians of the declared maps θ ↦ η taken by autograd.

    Parameters
    ----------
    theta : (n, p) array in ``src``; phi : (n, q) array, the same points in ``dst``.

    Returns
    -------
    (n, q, p) array.
    """
    theta = np.asarray(theta, dtype=np.float64)
    pz = spec.parametrization(dst)
    src_oracle = oracle(spec, src)
    if pz.from_natural is not None:
        inv = _inverse(spec, dst)

        def phi_of(t):
            e = src_oracle.to_natural(t)
            return _ag_stack(inv(*_columns(e)), t.shape[:-1])

        return _jacobian(phi_of, theta, len(pz.params))
    J_src = src_oracle.jacobian(theta)
    J_dst = oracle(spec, dst).jacobian(np.asarray(phi, dtype=np.float64))
    return np.linalg.pinv(J_dst) @ J_src
