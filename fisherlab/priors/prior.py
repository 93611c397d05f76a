"""The conjugate prior of a likelihood: posterior, exact evidence and posterior predictive.

All three come from one fact (see :mod:`.pairs`): the prior's hyperparameters are (χ, ν) with
natural parameters η_prior = B (χ, ν) + b of a catalog family, and data add their statistics to
them. With Z(χ, ν) = A_prior(B (χ, ν) + b) (the catalog family's log-partition; the constant the
change of variables leaves cancels),

    posterior:          (χ, ν) ↦ (χ + Σ t(x_i), ν + Σ w_i), i.e. η_prior gains B (Σ t, Σ w),
    log evidence:       log p(x) = Σ log h(x_i) + Z(χ', ν') − Z(χ, ν),
    predictive:         log p(x̃ | x) = log h(x̃) + Z(χ' + t(x̃), ν' + w̃) − Z(χ', ν').
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, ShapeError, describe
from .pairs import Pair


class Prior:
    """The conjugate prior of a likelihood family (built by ``fam.conjugate_prior()``).

    Hyperparameters θ₀ and posteriors are vectors (p,) in the prior family's parametrization
    :attr:`param`; samples x are (n,) for scalar likelihoods and (n, k) for vector ones.

    Attributes
    ----------
    family : Family
        The prior's catalog family (beta, gamma, inverse_gamma, dirichlet, normal, normal_gamma).
    param : str
        The parametrization of θ₀ and of :meth:`posterior`'s result.
    likelihood : Family
        The likelihood family (with its fixed parameters).
    known : dict
        The likelihood parameters held known (normal ``var``, gamma ``shape``).
    matrix, offset : ndarray (q, q), (q,)
        B and b of η_prior = B (χ, ν) + b: the map from the generic conjugate hyperparameters
        (χ, the coefficient of the likelihood's natural parameter, then ν, of each part of its
        log-partition) to the prior family's natural parameters.
    """

    def __init__(self, pair: Pair, likelihood, family, known: dict):
        self.pair = pair
        self.likelihood = likelihood
        self.family = family
        self.param = pair.param
        self.known = dict(known)
        n_chi = len(pair.psi_params(likelihood.spec))
        self.matrix, self.offset = pair.affine(n_chi)
        self._n_chi = n_chi

    def __repr__(self) -> str:
        known = "".join(f", {k}={v!r}" for k, v in self.known.items())
        return (f"<Prior {self.family.key} ({self.param}) of {self.likelihood.key}{known}>")

    # -- the hyperparameter map
    def to_prior_natural(self, chi, nu) -> np.ndarray:
        """η_prior = B (χ, ν) + b: χ (m,), ν (c,) -> (q,)."""
        return self.matrix @ np.concatenate([np.atleast_1d(chi), np.atleast_1d(nu)]) + self.offset

    def hyperparameters(self, theta0, improper: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(χ, ν) of the prior θ₀ (p,) in :attr:`param`: (m,), (c,).

        Raises DomainError when θ₀ is outside the prior family's domain, unless ``improper``
        and θ₀ lies on its boundary (see :meth:`posterior`).
        """
        eta = self._prior_natural(theta0, improper)
        z = np.linalg.solve(self.matrix, eta - self.offset)
        return z[:self._n_chi], z[self._n_chi:]

    def _prior_natural(self, theta0, improper: bool) -> np.ndarray:
        k = self.family.kernels(self.param)
        arr = np.asarray(theta0, dtype=np.float64)
        if arr.shape != (len(k.params),):
            raise ShapeError(f"theta0 must have shape ({len(k.params)},) "
                             f"({', '.join(k.params)} of {self.family.key} {self.param}), "
                             f"got shape {arr.shape}")
        if not improper or bool(k.in_domain(arr)):
            return k.to_natural(arr)  # raises DomainError naming the parameter
        # An improper prior: every entry in the closure of its domain, η finite.
        for p, v in zip(self.family.spec.parametrization(self.param).params, arr):
            d = p.domain
            inside = not d.violations(np.array([v]))[0]
            on_edge = v in (d.lo, d.hi) and np.isfinite(v)
            flat = v == np.inf and d.hi == np.inf  # a variance → ∞: a flat prior
            if not (inside or on_edge or flat):
                raise DomainError(
                    f"improper prior {self.family.key} {self.param}: parameter {p.name!r} must "
                    f"be {d.text} or on its boundary, got {describe(v)}")
        with np.errstate(all="ignore"):
            eta = k.unchecked().to_natural(arr)
        if not np.all(np.isfinite(eta)):
            raise DomainError(f"improper prior {self.family.key} {self.param} at "
                              f"{describe(arr)} has no finite natural parameters ({describe(eta)})")
        return eta

    # -- data
    def statistics(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t (n, m), w (n,), log h (n,)) of a sample x (n,) or (n, k): how each observation
        enters the update; SupportError names an observation outside the likelihood's support."""
        arr = np.asarray(x, dtype=np.float64)
        want = 1 + len(self.likelihood.support.event_shape)
        if arr.ndim != want:
            shape = "(n,)" if want == 1 else f"(n, {self.likelihood.support.event_shape[0]})"
            raise ShapeError(f"x must be a sample of shape {shape} of {self.likelihood.key}, "
                             f"got shape {arr.shape}")
        return self.pair.effective(self.likelihood, arr, self.known)

    def _step(self, t, w) -> np.ndarray:
        """B (Σt, Σw, …, Σw): what data t (n, m), w (n,) add to η_prior (B is linear, so the
        update never goes through (χ, ν) and back: Beta(a, b) gains exactly (Σx, n − Σx))."""
        return self.matrix @ np.concatenate(
            [t.sum(axis=0), np.full(len(self.offset) - self._n_chi, w.sum())])

    def _update(self, theta0, x, improper):
        """(η₀, η_n, log h (n,), c): prior and posterior natural parameters of the problem
        shifted by c (0 but for the normal's pairs, see :attr:`Pair.location`)."""
        theta0, x, c = self._shifted(theta0, x)
        eta0 = self._prior_natural(theta0, improper)
        t, w, log_h = self.statistics(x)
        return eta0, self._checked_posterior(eta0 + self._step(t, w)), log_h, c

    def _shifted(self, theta0, x):
        # The normal is a location family: p(x | μ, τ) = p(x − c | μ − c, τ) and the prior of
        # μ − c is the prior shifted by c, so posterior and evidence are those of the data and
        # prior mean shifted by c = x̄, where the normal-gamma's β = η₁²/(4η₂) − η₃ keeps its
        # digits (unshifted it loses log10(x̄²/s²) of them). The multivariate normal shifts by the
        # mean vector, for the normal-Wishart's W⁻¹ = M − η₁η₁ᵀ/κ.
        loc = self.pair.location
        arr = np.asarray(x, dtype=np.float64)
        if loc is None or arr.ndim not in (1, 2) or arr.shape[0] == 0:
            return theta0, x, 0.0
        if arr.ndim == 1:
            arr = self.likelihood.kernels("natural").check_observations(arr)  # names the value
            c = float(arr.mean())
        else:
            arr = self.likelihood.spec.support.check(arr)
            c = arr.mean(axis=0)
        theta0 = np.array(theta0, dtype=np.float64)
        if theta0.shape == (len(self.family.params(self.param)),):
            theta0[loc:loc + np.size(c)] -= c
        return theta0, arr - c, c

    def _unshifted(self, theta, c):
        if np.any(c):
            theta = np.array(theta)
            theta[self.pair.location:self.pair.location + np.size(c)] += c
        return theta

    def _checked_posterior(self, eta) -> np.ndarray:
        nat = self.family.kernels("natural")
        if not bool(nat.in_domain(eta)):
            raise DomainError(
                f"the posterior {self.family.key} is improper (natural parameters "
                f"{describe(eta)} outside its domain): the improper prior needs more data")
        return eta

    def posterior(self, theta0, x, improper: bool = False) -> np.ndarray:
        """The exact posterior after sample x, in :attr:`param`: (p,).

        Parameters
        ----------
        theta0 : array (p,)
            The prior's parameters in :attr:`param`.
        x : array (n,) or (n, k)
            The sample (n may be 0).
        improper : bool
            Accept θ₀ on the boundary of its domain (Beta(0, 0), Gamma(0, 0), a normal prior
            with infinite variance, ...); the posterior must then be proper (DomainError
            otherwise). Without it such θ₀ raise DomainError.
        """
        _, eta, _, c = self._update(theta0, x, improper)
        return self._unshifted(self.family.from_natural(eta, self.param), c)

    def log_marginal_likelihood(self, theta0, x) -> float:
        """log p(x) = log ∫ Π p(x_i | ψ) π(ψ | θ₀) dψ, exact: Σ log h(x_i) + Z(posterior) −
        Z(prior). Defined for proper priors only (an improper prior's evidence is arbitrary)."""
        eta0, eta, log_h, _ = self._update(theta0, x, False)
        nat = self.family.kernels("natural")
        return float(log_h.sum() + nat.log_partition(eta) - nat.log_partition(eta0))

    def posterior_predictive(self, theta0, x, improper: bool = False) -> Predictive:
        """The distribution of a new observation given sample x: a :class:`Predictive`."""
        _, eta, _, c = self._update(theta0, x, improper)
        return Predictive(self, self._unshifted(self.family.from_natural(eta, self.param), c),
                          eta, c)


class Predictive:
    """The posterior predictive p(x̃ | x) = ∫ p(x̃ | ψ) π(ψ | x) dψ.

    Attributes
    ----------
    posterior : ndarray (p,)
        The posterior in the prior's parametrization.
    name : str or None
        The named closed form where there is one: ``"beta_binomial"`` (n, a, b; bernoulli n = 1),
        ``"negative_binomial"`` (r, p: failures before the r-th success, as scipy's nbinom),
        ``"student_t"`` (df, loc, scale), ``"normal"`` (mean, var); None otherwise.
    params : dict
        Its parameters (empty when ``name`` is None).
    """

    def __init__(self, prior: Prior, posterior: np.ndarray, natural: np.ndarray,
                 shift=0.0):
        self.prior = prior
        self.posterior = posterior
        # η of the posterior of the data shifted by `shift` (see Prior._shifted).
        self._eta, self._shift = natural, shift
        pred = prior.pair.predictive
        self.name, self.params = (pred(posterior, prior.likelihood, prior.known) if pred
                                  else (None, {}))

    def __repr__(self) -> str:
        return f"<Predictive {self.name or self.prior.likelihood.key} {self.params}>"

    def log_density(self, x) -> np.ndarray:
        """log p(x̃ | x) at each new observation: x (n,) or (n, k) -> (n,).

        Each is the ratio of the prior family's normalizers after and before adding x̃ (with
        the likelihood's fixed parameters, per row where they are arrays).
        """
        prior = self.prior
        eta = self._eta
        if np.ndim(self._shift):
            x = prior.likelihood.spec.support.check(x) - self._shift
        elif self._shift:
            x = prior.likelihood.kernels("natural").check_observations(x) - self._shift
        t, w, log_h = prior.statistics(x)
        nat = prior.family.kernels("natural")
        # One row B (t_i, w_i, …, w_i) per new observation, added to the posterior's η.
        c = len(prior.offset) - t.shape[1]
        steps = np.concatenate([t, np.repeat(w[:, None], c, axis=1)], axis=1) @ prior.matrix.T
        return log_h + nat.log_partition(eta + steps) - nat.log_partition(eta)


__all__ = ["Prior", "Predictive"]
