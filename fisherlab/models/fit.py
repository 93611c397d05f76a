"""Maximum-likelihood fits of a model, and the statistics statisticians read off them.

:func:`fit` minimizes a model's mean negative log-likelihood by Newton's method with step
halving (Fisher scoring wherever the Hessian is not positive definite) to round-off, and returns
a :class:`FitResult`: coefficients, their covariance from the exact Fisher information (the
expected information, as statsmodels' GLM reports by default) scaled by the estimated
dispersion, standard errors, z values, log-likelihood, deviance, AIC and a ``summary()`` table.

Dispersion: a head that holds a free scale fixed (normal σ, gamma shape α, inverse-Gaussian
shape λ) fits the same mean whatever that value, since its Fisher information on the mean is
1/φ times that at φ = 1. The fit estimates φ by Pearson's χ²/(n − P), χ² = Σ a_i (y_i − μ_i)²/V(μ_i)
with V(μ) = Var(y | θ)/φ taken from the kernels' covariance of the statistics, and scales the
covariance by φ̂/φ₀ (φ₀ the fixed value), as statsmodels does.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ..errors import ConvergenceError, DomainError, NotAvailableError
from ..families.fixed import is_scalar
from ..newton import damped_newton
from .glm import LinearPredictor
from .problem import ModelBase, Problem, check_inputs

EPS = np.finfo(float).eps


def minimize_newton(problem, w0, max_iter: int = 200) -> tuple[np.ndarray, int, int]:
    """Minimize ``problem.loss`` from ``w0`` by Newton's method with step halving, to round-off.

    :func:`fisherlab.newton.damped_newton` with the problem's Hessian, and its Fisher
    information (a scoring step) wherever the Hessian is not positive definite. With a canonical
    link on a linear predictor the two are equal at every w (η is affine in w), and the Fisher,
    which needs neither y nor the links' second derivatives, is used for both. A step is
    halved until the loss does not increase (beyond 1e-15 relative) and the candidate lies in
    the model's domain. Convergence is judged on the full step, so that a step the domain cuts
    short is not mistaken for it.

    Returns
    -------
    w : ndarray (P,)
    iterations : int
    scoring_steps : int
        How many steps used the Fisher information.

    Raises
    ------
    ConvergenceError
        No minimizer within ``max_iter`` steps (separable data without a penalty, an
        unbounded likelihood), or a singular Fisher information.
    """
    hessian = problem.hessian
    if getattr(problem.head, "canonical", False) and isinstance(problem.predictor,
                                                                LinearPredictor):
        hessian = problem.fisher

    def newton(w):
        return cho_solve(cho_factor(hessian(w)), problem.grad(w))

    def scoring(w):
        try:
            return cho_solve(cho_factor(problem.fisher(w)), problem.grad(w))
        except LinAlgError:
            raise ConvergenceError(
                f"{problem.name}: the Fisher information is singular (collinear columns of X, "
                "or a parameter the data does not determine)") from None

    res = damped_newton(np.array(w0, dtype=np.float64), problem.loss, newton,
                        inside=problem.contains, max_iter=max_iter, fallback_step=scoring,
                        judge_full_step=True, full_output=True,
                        what=f"{problem.name}: Newton's method",
                        hint=" (is the data separable without a penalty?)")
    return res.x, res.iterations, res.fallback_steps


def starting_weights(problem: Problem) -> np.ndarray:
    """A starting point inside the domain.

    A predictor other than the GLM's linear one starts at its own ``init(0)``. For a linear
    one, the raw outputs aimed at are the links' inverses of the marginal MLE of y (every row the
    same); for a head predicting E[y] alone, statsmodels' start (y + ȳ)/2 per row. The
    weights are the least-squares fit of those raw outputs (minus the offset) on X. The
    per-row start is tried first, the marginal one next.

    Raises
    ------
    ConvergenceError
        When neither start lies in the model's domain (pass ``start=`` to :func:`fit`).
    """
    head, X = problem.head, problem.X
    pred = problem.predictor
    if not isinstance(pred, LinearPredictor):  # a network: the predictor's own initialization
        return pred.init(0)
    fam = head.family
    raw0 = None
    if not fam.spec.fixed_values or is_scalar(fam.spec.fixed_values):
        # (per-row fixed values, binomial trials, have no one-sample MLE: the target below)
        theta = fam.mle(problem.y, head.param)
        raw0 = []
        for name, lk in head.links.items():
            v = theta[head.params.index(name)]
            raw0.append(v if lk == "softmax" else float(lk.inverse(v)))
        if head.width > len(raw0):  # softmax: K logits, the last one 0
            raw0.append(0.0)
    targets = []
    if head.width == 1 and head._mean_of_y == head.predicted[0]:
        scale = np.broadcast_to(fam.dims.get("n", 1) if fam.name == "binomial" else 1,
                                problem.y.shape)
        ybar = float(np.sum(problem._a * problem.y) / np.sum(problem._a * scale))
        mu0 = (problem.y / scale + ybar) / 2
        with np.errstate(all="ignore"):
            targets.append(np.asarray(next(iter(head.links.values())).inverse(mu0))[:, None])
    if raw0 is not None:
        targets.append(np.tile(raw0, (problem.n, 1)))
    # least squares by the normal equations (an SVD of X costs ~20 Newton steps at n = 1e5)
    try:
        gram = cho_factor(X.T @ X)
    except LinAlgError:
        raise ConvergenceError(
            f"{problem.name}: XᵀX is singular (collinear columns of X)"
        ) from None
    for T in targets:
        if not np.isfinite(T).all():
            continue
        if problem.offset is not None:
            T = T.copy()
            T[:, 0] -= problem.offset
        W = cho_solve(gram, X.T @ T)
        w0 = W.ravel()
        if problem.contains(w0):
            return w0
    raise ConvergenceError(f"{problem.name}: no starting point in the domain was found; "
                           "pass start= to fit")


def fit(model: ModelBase, X, y, trials=None, weights=None, offset=None, l2: float = 0.0,
        start=None, max_iter: int = 200, names=None) -> FitResult:
    """Fit ``model`` to (X, y) by maximum likelihood; see :class:`FitResult`.

    Parameters
    ----------
    model : ModelBase
        E.g. ``GLM(Head("poisson"))``.
    X : array (n, d)
        Inputs (add a column of ones for an intercept). A pandas DataFrame's column names
        name the coefficients.
    y : array (n,) or (n, k)
    trials, weights, offset, l2
        As in :meth:`ModelBase.problem`.
    start : array (P,), optional
        Starting weights; by default :func:`starting_weights`.
    max_iter : int
    names : sequence of str, optional
        Names of the d input columns (default: DataFrame columns, or x0, x1, ...).

    Returns
    -------
    FitResult
    """
    if names is None and hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
    X = check_inputs(X)
    prob = model.problem(X, y, trials=trials, weights=weights, offset=offset, l2=l2)
    w0 = starting_weights(prob) if start is None else prob._vector(start, "start")
    if not prob.contains(w0):
        raise DomainError(f"{prob.name}: the starting weights give parameters outside the domain")
    w, iters, scoring = minimize_newton(prob, w0, max_iter=max_iter)
    return FitResult(model, prob, w, iters, scoring, names)


class FitResult:
    """A fitted model's estimates and statistics.

    Attributes
    ----------
    coef : ndarray (P,)
        The weights (for a GLM, W (d, r) row-major; ``params`` is the same array).
    cov : ndarray (P, P)
        (φ̂/φ₀) (n · Fisher)⁻¹: the inverse expected information scaled by the dispersion
        (with ``l2``, the penalized information).
    bse, zvalues (= tvalues), pvalues : ndarray (P,)
        Standard errors, coef/bse, and two-sided normal p-values.
    llf : float
        Log-likelihood Σ_i log p(y_i | θ̂_i) with prior weights as statsmodels' var_weights (a
        head with a fixed dispersion evaluated at φ̂/a_i; a normal head with the identity link at
        the maximum-likelihood φ = Σ a_i (y_i − μ_i)²/n, as statsmodels does).
    deviance : float
        2 φ₀ Σ a_i (log p(y_i | saturated) − log p(y_i | θ̂_i)), for heads predicting E[y] alone
        (else NotAvailableError). A row whose y is on the boundary of the mean's domain (a
        Poisson 0, a Bernoulli 0 or 1) has saturated log-likelihood 0: the family degenerates to
        a point mass at y.
    pearson_chi2 : float
    scale : float
        φ̂ (1 for heads without a fixed dispersion).
    aic : float
        −2 llf + 2P.
    nobs, df_resid, df_model : int
    mu, fittedvalues : ndarray (n,)
        E[y_i] at the fit (scalar families).
    converged : bool
    iterations : int
    """

    def __init__(self, model, problem: Problem, w, iterations: int, scoring: int, names=None):
        self.model = model
        self.problem = problem
        self.head = head = problem.head
        self.coef = self.params = w
        self.nobs = problem.n
        self.df_resid = problem.n - problem.dim
        self.df_model = problem.dim - 1
        self.converged = True
        self.iterations = iterations
        self.scoring_steps = scoring
        d = problem.X.shape[1]
        names = list(names) if names is not None else [f"x{i}" for i in range(d)]
        if head.width == 1:
            self.names = names
        else:
            outs = (list(head.predicted) + ["(last)"] if head.width > len(head.predicted)
                    else list(head.predicted))
            self.names = [f"{o}:{nm}" for nm in names for o in outs]
        point = problem.point(w)
        self._point = point
        phi0 = head.dispersion
        if phi0 is not None:
            resid = problem.y - point.mean_of_y()
            V = point.var_of_y() / phi0
            self.pearson_chi2 = float(np.sum(problem._a * resid**2 / V))
            self.scale = self.pearson_chi2 / self.df_resid
        else:
            self.scale = 1.0
            self.pearson_chi2 = self._pearson_if_scalar(point)
        info = problem.n * np.asarray(problem.fisher(w))
        factor = 1.0 if phi0 is None else self.scale / phi0
        self.cov = factor * np.linalg.inv(info)
        self.bse = np.sqrt(np.diag(self.cov))
        self.zvalues = self.tvalues = w / self.bse
        self.pvalues = 2 * stats.norm.sf(np.abs(self.zvalues))
        self.llf = self._llf()
        self.aic = -2 * self.llf + 2 * problem.dim

    def _pearson_if_scalar(self, point) -> float:
        try:
            resid = self.problem.y - point.mean_of_y()
            return float(np.sum(self.problem._a * resid**2 / point.var_of_y()))
        except NotAvailableError:
            return float("nan")

    def _theta_with_dispersion(self, phi_rows: np.ndarray) -> np.ndarray:
        head = self.head
        name, _, value = head._dispersion
        theta = self._point.theta.copy()
        theta[:, head.params.index(name)] = value(phi_rows)
        return theta

    def _llf(self) -> float:
        prob, head = self.problem, self.head
        a = prob._a
        if head.dispersion is None:
            return float(a @ self._point.log_density(prob.y))
        phi = self.scale
        mean_link = head.links.get(head._mean_of_y)
        if head.family.name == "normal" and mean_link is not None and mean_link.name == "identity":
            phi = float(np.sum(a * (prob.y - self._point.mean_of_y()) ** 2) / prob.n)
        theta = self._theta_with_dispersion(phi / a)
        return float(np.sum(head.kernels.log_density(prob.y, theta)))

    @property
    def deviance(self) -> float:
        """The deviance: twice the saturated minus the fitted log-likelihood (heads predicting E[y]
        alone)."""
        prob, head = self.problem, self.head
        m = head._mean_of_y
        if m is None or head.predicted != (m,):
            raise NotAvailableError(f"deviance needs a head predicting E[y] alone; {head!r} "
                                    "has no saturated model here")
        fam = head.family
        target = prob.y / (fam.dims.get("n", 1) if fam.name == "binomial" else 1)
        theta = self._point.theta.copy()
        j = head.params.index(m)
        theta[:, j] = target
        inside = ~head._domains[m].violations(target)
        # Rows whose saturated mean is on the boundary (binomial y = 0 or y = n) have saturated
        # log-likelihood 0; all rows are evaluated (per-row fixed values, binomial trials, are
        # tied to the rows) with those rows at an inside value and then zeroed.
        theta[~inside, j] = theta[inside, j][0] if inside.any() else self._point.theta[0, j]
        ll_sat = np.where(inside, head.kernels.log_density(prob.y, theta), 0.0)
        ll = self._point.log_density(prob.y)
        phi0 = head.dispersion if head.dispersion is not None else 1.0
        return float(2 * phi0 * np.sum(prob._a * (ll_sat - ll)))

    @property
    def mu(self) -> np.ndarray:
        """Fitted means E[y_i | θ̂_i] (n,), from the kernels' mean of the statistics."""
        return self._point.mean_of_y()

    fittedvalues = mu

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """(P, 2) normal confidence intervals."""
        q = stats.norm.ppf(1 - alpha / 2)
        return np.column_stack([self.coef - q * self.bse, self.coef + q * self.bse])

    def summary(self) -> str:
        """A text table: the model, the fit statistics and one row per coefficient."""
        head = self.head
        links = ", ".join(f"{p}: {'softmax' if lk == 'softmax' else lk.name}"
                          for p, lk in head.links.items())
        fixed = ", ".join(f"{p} = {v:g}" for p, v in head.fixed.items()) or "none"
        try:
            dev = f"{self.deviance:.6g}"
        except NotAvailableError:
            dev = "n/a"
        left = [("Family:", head.family.key), ("Parametrization:", head.param),
                ("Link (inverse):", links), ("Fixed:", fixed),
                ("No. Observations:", str(self.nobs)), ("Df Residuals:", str(self.df_resid)),
                ("Df Model:", str(self.df_model))]
        chi2 = "n/a" if math.isnan(self.pearson_chi2) else f"{self.pearson_chi2:.6g}"
        right = [("Log-Likelihood:", f"{self.llf:.6g}"), ("Deviance:", dev),
                 ("Pearson chi2:", chi2), ("Scale:", f"{self.scale:.6g}"),
                 ("AIC:", f"{self.aic:.6g}"), ("Iterations:", str(self.iterations)),
                 ("Covariance:", "expected information")]
        lw = max(20, *(len(v) for _, v in left))
        width = max(78, 18 + lw + 2 + 38)
        lines = ["Generalized linear model (fisherlab)".center(width), "=" * width]
        for (lk, lv), (rk, rv) in zip(left, right):
            lines.append(f"{lk:<18}{lv:>{lw}}  {rk:<18}{rv:>20}")
        lines.append("=" * width)
        ci = self.conf_int()
        name_w = max(10, *(len(n) for n in self.names))
        width = max(width, name_w + 63)
        lines.append(f"{'':<{name_w}} {'coef':>11} {'std err':>10} {'z':>8} {'P>|z|':>7} "
                     f"{'[0.025':>10} {'0.975]':>10}")
        lines.append("-" * width)
        for i, nm in enumerate(self.names):
            lines.append(f"{nm:<{name_w}} {self.coef[i]:>11.4g} {self.bse[i]:>10.4g} "
                         f"{self.zvalues[i]:>8.3f} {self.pvalues[i]:>7.3f} {ci[i, 0]:>10.4g} "
                         f"{ci[i, 1]:>10.4g}")
        lines.append("=" * width)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<FitResult {self.head!r}: {self.nobs} rows, llf {self.llf:.6g}>"
