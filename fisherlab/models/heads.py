"""Output heads: a predictor's raw outputs turned into the parameters of an exponential family.

A :class:`Head` is a family (catalog name, :func:`fisherlab.family` handle or a declared
:class:`~fisherlab.ExponentialFamily`), the parametrization it emits, an inverse link per
predicted parameter and the values of the parameters it holds fixed. Every quantity it returns
(loss, gradient, Fisher, Hessian, samples, KL) comes from that family's kernels, carried to raw
coordinates by the chain rule through the links; nothing is derived here per family.

Raw coordinates: row i of ``raw`` (shape (n, r)) holds the r predicted parameters before their
links, in the order of the parametrization with the fixed ones left out. With elementwise links
θ_j = h_j(raw_j), so with G = diag(h′(raw)) and ℓ = log p(y | θ):

- loss = −ℓ, grad = −G ∇_θ ℓ;
- Fisher in raw coordinates = G F_θ G (F_θ the kernels' Fisher, restricted to the predicted
  parameters);
- Hessian = −G ∇²_θ ℓ G − diag(h″(raw) ∂ℓ/∂θ).
"""

from __future__ import annotations

import numpy as np

from .. import Family, as_family
from ..errors import (
    DomainError,
    NotAvailableError,
    ShapeError,
    SupportError,
    UnknownNameError,
    describe,
)
from ..families import load as _load_catalog_spec  # the catalog's own declarations
from ..families import names as _catalog_names
from ..structure import DiagPlusLowRank
from . import links as _links

#: Defaults per catalog family, after statsmodels/R: (parametrization, links, fixed values).
#: Any family not listed emits its natural parameters through the identity (the canonical link).
DEFAULTS: dict[str, tuple[str, dict, dict]] = {
    "bernoulli": ("p", {"p": "logistic"}, {}),
    "binomial": ("p", {"p": "logistic"}, {}),
    "poisson": ("rate", {"rate": "exp"}, {}),
    "normal": ("mean_std", {"mean": "identity"}, {"std": 1.0}),
    "gamma": ("mean_shape", {"mean": "inverse"}, {"shape": 1.0}),
    "inverse_gaussian": ("mean_shape", {"mean": "inverse_sqrt"}, {"shape": 1.0}),
    "negative_binomial": ("mean", {"mean": "exp"}, {}),
    "categorical": ("natural", {}, {}),
}

#: Dispersion parameters: (family, parametrization) -> (parameter, φ of it, it of φ).
#: The family's Fisher information on its mean is 1/φ times that at φ = 1, so a fit holding
#: the parameter fixed finds the same mean and scales its covariance by an estimated φ.
DISPERSION = {
    ("normal", "mean_std"): ("std", lambda s: s * s, np.sqrt),
    ("normal", "mean_var"): ("var", lambda v: v, lambda phi: phi),
    ("gamma", "mean_shape"): ("shape", lambda a: 1.0 / a, lambda phi: 1.0 / phi),
    ("inverse_gaussian", "mean_shape"): ("shape", lambda lam: 1.0 / lam, lambda phi: 1.0 / phi),
}

#: Parameters that are E[y] itself: the saturated model of the deviance sets them to y (or y/n).
MEAN_OF_Y = {
    ("bernoulli", "p"): "p", ("binomial", "p"): "p", ("poisson", "rate"): "rate",
    ("negative_binomial", "mean"): "mean", ("normal", "mean_std"): "mean",
    ("normal", "mean_var"): "mean", ("normal", "mean_logstd"): "mean",
    ("gamma", "mean_shape"): "mean", ("inverse_gaussian", "mean_shape"): "mean",
}

SOFTMAX = "softmax"

#: Heads whose natural parameter η is an affine function of the raw outputs (the canonical
#: links): (family, parametrization) -> {parameter: inverse link} (``"*"``: every parameter).
#: A head is canonical when each predicted parameter is listed with its link and the others
#: are fixed; with a linear predictor its Fisher then equals its Hessian at every w. Why each
#: is affine (raw the predicted column, fixed parameters constants):
#: bernoulli/binomial p = σ(raw): η = logit p = raw; poisson rate = e^raw: η = raw;
#: exponential rate: η = −raw, scale = 1/raw: η = −raw; laplace scale = 1/raw: η = −raw;
#: rayleigh and half_normal scale = raw^(−1/2): η = −1/(2σ²) = −raw/2; pareto α, chi2 df,
#: beta (α, β), dirichlet α: η = the parameter minus a constant; gamma shape_rate:
#: η = (α − 1, −β); gamma shape_scale with scale = 1/raw: η₂ = −raw; gamma mean_shape with
#: μ = 1/raw and α fixed: η = (α − 1, −α raw); inverse Gaussian μ = raw^(−1/2), λ fixed:
#: η = (−λ raw/2, −λ/2); normal and lognormal mean with the spread fixed: η = (μ/σ², −1/(2σ²)).
#: tests/models/test_identities.py checks every entry numerically (second differences of η).
CANONICAL_LINKS: dict[tuple[str, str], dict[str, str]] = {
    ("bernoulli", "p"): {"p": "logistic"},
    ("binomial", "p"): {"p": "logistic"},
    ("poisson", "rate"): {"rate": "exp"},
    ("exponential", "rate"): {"rate": "identity"},
    ("exponential", "scale"): {"scale": "inverse"},
    ("laplace", "scale"): {"scale": "inverse"},
    ("rayleigh", "scale"): {"scale": "inverse_sqrt"},
    ("half_normal", "scale"): {"scale": "inverse_sqrt"},
    ("pareto", "alpha"): {"alpha": "identity"},
    ("chi2", "df"): {"df": "identity"},
    ("beta", "alpha_beta"): {"*": "identity"},
    ("dirichlet", "alpha"): {"*": "identity"},
    ("gamma", "shape_rate"): {"shape": "identity", "rate": "identity"},
    ("gamma", "shape_scale"): {"shape": "identity", "scale": "inverse"},
    ("gamma", "mean_shape"): {"mean": "inverse"},
    ("inverse_gaussian", "mean_shape"): {"mean": "inverse_sqrt"},
    ("normal", "mean_std"): {"mean": "identity"},
    ("normal", "mean_var"): {"mean": "identity"},
    ("normal", "mean_logstd"): {"mean": "identity"},
    ("lognormal", "mu_sigma"): {"mu": "identity"},
}


def _is_catalog(fam: Family) -> bool:
    if fam.name not in _catalog_names():
        return False
    try:
        if fam.spec.template is not None:  # bound fixed parameters (binomial trials, per row too)
            return fam.spec.template is _load_catalog_spec(fam.name, **fam.dims).template
        return fam.spec == _load_catalog_spec(fam.name, **fam.dims)
    except (DomainError, TypeError):  # a user's family that borrowed a catalog name
        return False


class Head:
    """The output distribution of a model: family, emitted parametrization, links, fixed values.

    Parameters
    ----------
    family : str, Family or ExponentialFamily
        A catalog name (``"poisson"``), a :func:`fisherlab.family` handle, or a declaration.
    param : str, optional
        The parametrization emitted. Defaults (statsmodels/R): bernoulli and binomial ``p``,
        poisson ``rate``, normal ``mean_std`` (std fixed at 1: the dispersion), gamma
        ``mean_shape`` (shape fixed at 1), inverse_gaussian ``mean_shape`` (shape fixed at 1),
        negative_binomial ``mean``, any other family ``natural``.
    link : str or dict, optional
        The inverse link (raw → parameter) of each predicted parameter: one name for all of
        them, or ``{parameter: name}``. Defaults: logistic for p, exp for a Poisson rate or a
        negative-binomial mean, identity for a normal mean, inverse (the canonical link) for a
        gamma mean, inverse_sqrt (canonical) for an inverse-Gaussian mean, identity for
        natural parameters and for every parameter of a non-default parametrization. Names are
        those of :mod:`fisherlab.models.links`, and ``"softmax"`` for a categorical head in
        natural parameters: raw width K (one logit per class), η_i = raw_i − raw_K.
    fixed : dict, optional
        ``{parameter: value}`` held at a value instead of predicted. A parameter named in a link
        dict is predicted even where the default fixes it; ``fixed={}`` predicts everything.
    **dims
        Dimensions of a catalog family (``k=3``, ``r=2.5``).

    Attributes
    ----------
    family : Family
    param : str
    params : tuple of str
        Every parameter of ``param``, in order.
    predicted : tuple of str
        The parameters the predictor outputs (raw columns, in this order).
    links : dict
        Link of each predicted parameter (a :class:`~fisherlab.models.links.Link`, or
        ``"softmax"``).
    fixed : dict
        Values of the fixed parameters.
    width : int
        r, raw outputs per row.
    canonical : bool
        True when η is an affine function of raw: natural parameters through identity (or
        softmax) links, or a canonical link of :data:`CANONICAL_LINKS` (the Poisson log link,
        the logit, the gamma's inverse link with the shape fixed, ...). With a linear predictor
        the Fisher then equals the Hessian at every w.

    Notes
    -----
    With the softmax link the raw-space Fisher Gᵀ F_η G (G = [I | −1], (K−1) × K) has rank
    K − 1: adding the same number to every logit changes nothing.
    """

    def __init__(self, family, param: str | None = None, link=None, fixed: dict | None = None,
                 **dims):
        fam = as_family(family, **dims)
        catalog = _is_catalog(fam)
        default = DEFAULTS.get(fam.name) if catalog else None
        if param is None:
            param = default[0] if default else "natural"
        pnames = fam.params(param)  # UnknownFamilyError for an unknown parametrization
        is_default = default is not None and param == default[0]
        link_dict = dict(link) if isinstance(link, dict) else {}
        for name in link_dict:
            if name not in pnames:
                raise UnknownNameError(f"link given for {name!r}, which is not a parameter of "
                                       f"{fam.key} {param} ({', '.join(pnames)})")
        if fixed is None:
            fixed = {k: v for k, v in (default[2] if is_default else {}).items()
                     if k not in link_dict}
        self.family = fam
        self.param = param
        self.params = pnames
        self.kernels = fam.kernels(param)
        self._k = self.kernels.unchecked()  # θ and y are checked here, row by row
        pz = fam.spec.parametrization(param)
        self._domains = {p.name: p.domain for p in pz.params}
        self._constraint = pz.constraint
        self.fixed = self._check_fixed(fixed)
        self.predicted = tuple(p for p in pnames if p not in self.fixed)
        if not self.predicted:
            raise DomainError(f"head {fam.key} {param}: every parameter is fixed; "
                              "nothing is left to predict")
        for name in link_dict:
            if name in self.fixed:
                raise DomainError(f"head {fam.key} {param}: {name!r} has a link and is fixed")
        self.links = self._resolve_links(link, link_dict, default if is_default else None)
        self._softmax = any(lk == SOFTMAX for lk in self.links.values())
        if self._softmax:
            if not (fam.name == "categorical" and param == "natural" and not self.fixed
                    and set(self.links.values()) == {SOFTMAX}):
                raise DomainError("the softmax link maps K logits to the K − 1 natural "
                                  "parameters of a categorical head; it needs "
                                  "Head('categorical', 'natural', link='softmax')")
            m = len(self.predicted)
            self.width = m + 1
            self._M = np.hstack([np.eye(m), -np.ones((m, 1))])  # η = M raw, (K−1, K)
        else:
            self.width = len(self.predicted)
            self._M = None
        self._pred_idx = [pnames.index(p) for p in self.predicted]
        self._all = len(self._pred_idx) == len(pnames)
        self._fixed_row = np.array([self.fixed.get(p, 0.0) for p in pnames])
        self.canonical = self._is_canonical(catalog)
        disp = DISPERSION.get((fam.name, param)) if catalog else None
        self._dispersion = disp if disp and disp[0] in self.fixed else None
        self._mean_of_y = MEAN_OF_Y.get((fam.name, param)) if catalog else None

    def __repr__(self) -> str:
        parts = [f"{p}: {'softmax' if lk == SOFTMAX else lk.name}" for p, lk in self.links.items()]
        parts += [f"{p} = {v:g} (fixed)" for p, v in self.fixed.items()]
        return f"<Head {self.family.key} {self.param}: {', '.join(parts)}>"

    # -- construction helpers
    def _is_canonical(self, catalog: bool) -> bool:
        """Whether η is affine in raw: natural parameters through identity (or softmax) links,
        or a catalog pair of :data:`CANONICAL_LINKS`."""
        names = {p: (lk if lk == SOFTMAX else lk.name) for p, lk in self.links.items()}
        if self.param == "natural":
            return all(v in ("identity", SOFTMAX) for v in names.values())
        table = CANONICAL_LINKS.get((self.family.name, self.param)) if catalog else None
        if table is None:
            return False
        return all(table.get(p, table.get("*")) == v for p, v in names.items())

    def _check_fixed(self, fixed: dict) -> dict:
        out = {}
        for name, value in dict(fixed).items():
            if name not in self.params:
                raise UnknownNameError(
                    f"fixed value given for {name!r}, which is not a parameter "
                    f"of {self.family.key} {self.param} ({', '.join(self.params)})"
                )
            if np.ndim(value) != 0:
                raise NotAvailableError(
                    f"head {self.family.key} {self.param}: {name!r} fixed per row (an array) needs "
                    "fixed family parameters as runtime arrays, which the kernels do not offer "
                    "yet; fix it at one number"
                )
            v = float(value)
            if self._domains[name].violations(np.array([v])).any():
                raise DomainError(f"head {self.family.key} {self.param}: fixed {name!r} must be "
                                  f"{self._domains[name].text}, got {v!r}")
            out[name] = v
        return out

    def _resolve_links(self, link, link_dict, default) -> dict:
        base = default[1] if default else {}
        out = {}
        for p in self.predicted:
            if isinstance(link, dict):
                name = link_dict.get(p, base.get(p, "identity"))
            elif link is None:
                name = base.get(p, "identity")
            else:
                name = link
            out[p] = SOFTMAX if name == SOFTMAX else _links.get(name)
        return out

    # -- observations
    def check_y(self, y) -> np.ndarray:
        """y as a float array checked against the support: (n,) or (n, k).

        A categorical head (one-hot support) also takes class labels 0..K−1 of shape (n,).

        Raises
        ------
        ShapeError
            y of the wrong number of dimensions or event size.
        SupportError
            Naming the first row outside the support and its value.
        """
        support = self.family.spec.support
        arr = np.asarray(y, dtype=np.float64)
        if support.kind == "one_hot" and arr.ndim == 1:
            k = support.size
            bad = ~(np.isfinite(arr) & (arr >= 0) & (arr < k) & (arr == np.floor(arr)))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise SupportError(f"{self.family.key}: y must be one-hot rows or class labels "
                                   f"0..{k - 1}; row {i} has {float(arr[i])!r}")
            arr = np.eye(k)[arr.astype(np.intp)]
        want = 1 + len(support.event_shape)
        if arr.ndim != want or (support.size and arr.shape[-1] != support.size):
            shape = "(n,)" if want == 1 else f"(n, {support.size})"
            raise ShapeError(f"{self.family.key}: y must have shape {shape}, got {arr.shape}")
        if not support.surely_inside(arr):
            bad = support.violations(arr)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise SupportError(f"{self.family.key}: y at row {i} is {arr[i].tolist()!r}, "
                                   f"outside the support ({support.text}); "
                                   f"{int(bad.sum())} row(s) in all")
        if self.family.spec.fixed_values:  # per-row bounds: binomial y_i <= trials_i
            self.kernels.check_observations(arr)
        return arr

    # -- raw -> θ
    def at(self, raw) -> HeadPoint:
        """The head evaluated at raw outputs (n, r): θ checked once, derivatives on demand."""
        return HeadPoint(self, raw)

    def theta(self, raw) -> np.ndarray:
        """θ (n, p) in ``param``: predicted entries through their links, fixed ones filled in."""
        return self.at(raw).theta

    def loss(self, raw, y) -> np.ndarray:
        """−log p(y_i | θ_i): (n,)."""
        return self.at(raw).loss(self.check_y(y))

    def grad(self, raw, y) -> np.ndarray:
        """∂loss_i/∂raw_i: (n, r)."""
        return self.at(raw).grad(self.check_y(y))

    def fisher(self, raw) -> np.ndarray:
        """Fisher information of row i in raw coordinates: (n, r, r)."""
        return self.at(raw).fisher()

    def hessian(self, raw, y) -> np.ndarray:
        """∂²loss_i/∂raw_i²: (n, r, r)."""
        return self.at(raw).hessian(self.check_y(y))

    def fisher_factor(self, raw) -> np.ndarray:
        """L with L Lᵀ = the raw-space Fisher of each row: (n, r, q), q = number of θ predicted
        (see :meth:`HeadPoint.fisher_factor_columns` for how it is found)."""
        return self.at(raw).fisher_factor()

    def sample(self, raw, seed=None) -> np.ndarray:
        """One draw per row from the family's sampler: (n,) or (n, k)."""
        return self.at(raw).sample(seed)

    def kl(self, raw_p, raw_q) -> np.ndarray:
        """KL(p_i ‖ q_i) row by row: (n,)."""
        return self._k.kl(self.at(raw_p).theta, self.at(raw_q).theta)

    # -- dispersion and saturation (for fitted-model statistics)
    @property
    def dispersion(self) -> float | None:
        """φ implied by the fixed dispersion parameter (normal σ², 1/shape for gamma and inverse
        Gaussian), or None when the head has no fixed free scale."""
        if self._dispersion is None:
            return None
        name, phi, _ = self._dispersion
        return float(phi(self.fixed[name]))


class HeadPoint:
    """A head at raw outputs (n, r): θ (checked), and the derivatives through the links.

    Methods taking ``y`` expect it as returned by :meth:`Head.check_y`.
    """

    def __init__(self, head: Head, raw):
        self.head = head
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[1] != head.width:
            raise ShapeError(f"{head.family.key} {head.param} head: raw outputs must have shape "
                             f"(n, {head.width}), got {raw.shape}")
        self.raw = raw
        n = raw.shape[0]
        if head._M is not None:
            if not np.isfinite(raw).all():
                i = int(np.flatnonzero(~np.isfinite(raw).all(axis=1))[0])
                raise DomainError(
                    f"softmax link needs finite logits; row {i} has {raw[i].tolist()!r}"
                )
            pred = raw[:, :-1] - raw[:, -1:]
            self._d1 = self._d2 = None
        else:
            pred = np.empty((n, head.width))
            self._d1 = np.empty((n, head.width))
            self._d2 = None
            for j, (name, lk) in enumerate(head.links.items()):
                col = raw[:, j]
                lk.check_raw(col, f"raw output {j} ({name})")
                pred[:, j] = lk.value(col)
                self._d1[:, j] = lk.d1(col)
        if head._all:
            theta = pred
        else:
            theta = np.tile(head._fixed_row, (n, 1))
            theta[:, head._pred_idx] = pred
        for j, name in enumerate(head.predicted):
            dom = head._domains[name]
            bad = dom.violations(pred[:, j])
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                lk = head.links[name]
                via = "softmax" if lk == SOFTMAX else f"{lk.name} (θ = {lk.formula})"
                raise DomainError(
                    f"{head.family.key} {head.param} head: the link {via} gives {name} = "
                    f"{float(pred[i, j])!r} at row {i} (raw {raw[i].tolist()!r}), "
                    f"outside its domain ({dom.text}); {int(bad.sum())} row(s) in all: "
                    f"{describe(pred[bad, j])}"
                )
        if head._constraint is not None:
            bad = np.asarray(head._constraint.violations(theta))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DomainError(f"{head.family.key} {head.param} head: θ at row {i} is "
                                  f"{theta[i].tolist()!r}, which breaks {head._constraint.text}")
        self.theta = theta

    def _d2_values(self) -> np.ndarray:
        if self._d2 is None:
            self._d2 = np.empty_like(self._d1)
            for j, lk in enumerate(self.head.links.values()):
                self._d2[:, j] = lk.d2(self.raw[:, j])
        return self._d2

    def _pick(self, a: np.ndarray, axes: int) -> np.ndarray:
        """The predicted entries of a per-row vector (axes=1) or matrix (axes=2)."""
        h = self.head
        if h._all:
            return a
        idx = h._pred_idx
        return a[:, idx] if axes == 1 else a[:, idx][:, :, idx]

    def _to_raw_vec(self, v: np.ndarray) -> np.ndarray:
        """Gᵀ v row by row: a θ-space covector (n, q) to raw space (n, r)."""
        if self.head._M is not None:
            return v @ self.head._M
        return v * self._d1

    def _to_raw_mat(self, A: np.ndarray) -> np.ndarray:
        """Gᵀ A G row by row: (n, q, q) -> (n, r, r)."""
        if self.head._M is not None:
            # G = [I | −1] (η = raw_{:K−1} − raw_K): Gᵀ A G keeps A and borders it with minus
            # its row sums and their total; the same sums on both sides (exactly symmetric)
            n, q, _ = A.shape
            out = np.empty((n, q + 1, q + 1))
            out[:, :q, :q] = A
            col = A.sum(axis=2)
            out[:, q, q] = col.sum(axis=1)
            np.negative(col, out=col)
            out[:, :q, q] = col
            out[:, q, :q] = col
            return out
        return self._d1[:, :, None] * A * self._d1[:, None, :]

    def log_density(self, y) -> np.ndarray:
        """log p(y_i | θ_i): (n,)."""
        return self.head._k.log_density(y, self.theta)

    def loss(self, y) -> np.ndarray:
        """−log p(y_i | θ_i): (n,)."""
        return -self.log_density(y)

    def score_theta(self, y) -> np.ndarray:
        """∂ log p/∂θ of the predicted parameters: (n, q)."""
        return self._pick(self.head._k.score(y, self.theta), 1)

    def grad(self, y) -> np.ndarray:
        """∂loss_i/∂raw_i: (n, r)."""
        return -self._to_raw_vec(self.score_theta(y))

    def fisher_theta(self) -> np.ndarray:
        """Fisher information of the predicted parameters: (n, q, q)."""
        return self._pick(self.head._k.fisher(self.theta), 2)

    def fisher(self) -> np.ndarray:
        """Raw-space Fisher Gᵀ F_θ G: (n, r, r)."""
        return self._to_raw_mat(self.fisher_theta())

    def fisher_structure(self):
        """F_θ of every row as the kernels' structured matrix (a
        :class:`~fisherlab.structure.DiagPlusLowRank` for a categorical head: no (K − 1)² array
        per row), or None when some parameters are held fixed (then :meth:`fisher_vp` uses the
        dense rows)."""
        if not self.head._all:
            return None
        return self.head._k.fisher(self.theta, structured=True)

    def fisher_vp(self, v, structure=None) -> np.ndarray:
        """Raw-space Fisher times v row by row, Gᵀ F_θ G v: (n, r) -> (n, r).

        ``structure``: :meth:`fisher_structure` of this point, when the caller keeps it.
        Through the structure, a softmax head costs O(K) per row.
        """
        if structure is None:
            structure = self.fisher_structure()
        if structure is None:
            return np.einsum("nab,nb->na", self.fisher(), v)
        if self.head._M is not None:
            # η = raw_{1..K−1} − raw_K: G v = v_{:K−1} − v_K, Gᵀ w = (w, −Σ w)
            w = structure.matvec(v[:, :-1] - v[:, -1:])
            return np.concatenate([w, -w.sum(axis=1, keepdims=True)], axis=1)
        return self._d1 * structure.matvec(self._d1 * v)

    def fisher_factor(self) -> np.ndarray:
        """Gᵀ S with S Sᵀ = F_θ row by row: (n, r, q), (Gᵀ S)(Gᵀ S)ᵀ = the raw Fisher.

        A view of :meth:`fisher_factor_columns` (which says how S is found), with the column
        axis last.
        """
        return np.moveaxis(self.fisher_factor_columns(), 0, 2)

    def fisher_factor_columns(self) -> np.ndarray:
        """The columns of :meth:`fisher_factor`, column axis first: (q, n, r), C-contiguous.

        Entry [k, i] is the k-th column of row i's factor, so the q columns of all rows form one
        (q·n, r) matrix (what a batched back-propagation takes). S, a square root of F_θ
        (S Sᵀ = F_θ, not necessarily triangular), is found as the structure allows:

        - F_θ = diag(d) + c u uᵀ (the kernels' rank-one structure: categorical, Dirichlet, ...),
          with capacitance κ = 1 + c Σ u²/d ≥ 0 and d > 0: S = diag(√d) + β u sᵀ, s = u/√d,
          β = c/(1 + √κ): S Sᵀ = D^½ (I + β s sᵀ)² D^½ and (I + β s sᵀ)² = I + c s sᵀ because
          2β + β² sᵀs = c when sᵀs = (κ − 1)/c. For the categorical (u = d = p the first K − 1
          class probabilities, c = −1, κ = p_K) S_ak = √p_k (δ_ak − p_a/(1 + √p_K)), no
          Cholesky and no (K − 1)² Fisher per row; the softmax link's extra row is
          −1ᵀ S = −√p_K sᵀ exactly (1ᵀ D^½ = sᵀ when u = d, and sᵀ(I + β s sᵀ) = √κ sᵀ); a
          class of probability 0 gives a zero column;
        - a diagonal F_θ (every off-diagonal entry exactly 0: one predicted parameter, the
          normal's mean and log std, ...): S = diag(√F_θ);
        - otherwise the Cholesky factor of F_θ (``LinAlgError`` when F_θ is not positive
          definite).
        """
        h = self.head
        n, q = self.raw.shape[0], len(h.predicted)
        out = np.empty((q, n, h.width))
        S = out[:, :, :q]                  # the columns of S (q, n, q), written in place
        st = self.fisher_structure()
        last = self._rank_one_factor(st, S)
        if last is False:
            # the kernels' F_θ, computed once (a Dense structure holds it already)
            F = self.fisher_theta() if st is None else st.dense()
            diag = np.diagonal(F, axis1=1, axis2=2)
            off = F.copy()
            off[:, np.arange(q), np.arange(q)] = 0.0
            if not off.any() and (diag >= 0).all():
                S[...] = 0.0
                _diagonal_view(S)[...] = np.sqrt(diag).T
            else:
                S[...] = np.moveaxis(np.linalg.cholesky(F), 2, 0)
            last = None
        if h._M is None:
            out *= self._d1                                     # Gᵀ = diag(h′(raw))
        else:
            # Gᵀ = [I; −1ᵀ]: the last raw column is minus the sum of the others
            out[:, :, q] = last if last is not None else -S.sum(axis=2)
        return out

    def _rank_one_factor(self, st, S):
        """Write the columns of S = diag(√d) + β u sᵀ into ``S`` (q, n, q) when ``st``, the
        structure of F_θ, has that rank-one form (see :meth:`fisher_factor_columns`). Returns
        −√κ sᵀ (q, n) where u = d, None for another u, or False (``S`` untouched) when ``st``
        has no such form."""
        if not isinstance(st, DiagPlusLowRank) or st.rank != 1:
            return False
        n, q = self.raw.shape[0], st.p
        d = np.broadcast_to(st.d, (n, q))
        u = np.broadcast_to(st.U[..., 0], (n, q))
        c = np.broadcast_to(st.C[..., 0, 0], (n,))
        kappa = np.broadcast_to(st.capacitance()[..., 0, 0], (n,))
        u_is_d = np.array_equal(u, d)
        if not ((d >= 0).all() if u_is_d else (d > 0).all()) or not (kappa >= 0).all():
            return False                 # not of this form; the Cholesky path decides
        root_d = np.sqrt(d)
        s_t = np.ascontiguousarray((root_d if u_is_d else u / root_d).T)       # (q, n)
        root_kappa = np.sqrt(kappa)
        beta = c / (1.0 + root_kappa)
        # S[k, i, a] = β_i u_ia s_ik + δ_ak √d_ik
        np.multiply((beta[:, None] * u)[None, :, :], s_t[:, :, None], out=S)
        _diagonal_view(S)[...] += root_d.T
        return -root_kappa[None, :] * s_t if u_is_d else None

    def hessian(self, y) -> np.ndarray:
        """∂²loss_i/∂raw_i²: −Gᵀ ∇²ℓ G − diag(h″ ∂ℓ/∂θ): (n, r, r)."""
        H = -self._to_raw_mat(self._pick(self.head._k.hessian(y, self.theta), 2))
        if self.head._M is None:
            curv = self._d2_values() * self.score_theta(y)
            idx = np.arange(self.head.width)
            H[:, idx, idx] -= curv
        return H

    def sample(self, seed=None) -> np.ndarray:
        """One draw per row: (n,) or (n, k)."""
        h = self.head
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        n = self.theta.shape[0]
        support = h.family.spec.support
        if support.kind == "one_hot":
            # one uniform per row, inverted through the cumulative probabilities of the K
            # outcomes, from the family's log-density (the catalog's vector samplers draw one
            # point per call: a Python loop over rows); all K outcomes in one kernel call,
            # x (K, 1, K) against θ (n, q), so what depends on θ alone is computed once
            K = support.size
            eye = np.eye(K)
            logp = h._k.log_density(eye[:, None, :], self.theta)          # (K, n)
            # (K, n) throughout: sums along the first axis run over whole contiguous rows
            cdf = np.cumsum(np.exp(logp), axis=0)
            u = rng.random(n) * cdf[-1]  # the total is 1 up to rounding
            idx = np.minimum(np.count_nonzero(u >= cdf, axis=0), K - 1)
            return eye[idx]
        if support.event_shape:
            return np.stack([h.family.sample(t, h.param, seed=rng) for t in self.theta])
        return h.family.sample(self.theta, h.param, size=(n,), seed=rng)

    def mean_of_y(self) -> np.ndarray:
        """E[y_i] for heads whose family has x among its statistics: (n,)."""
        h = self.head
        j = _y_statistic(h.family)
        return h._k.mean(self.theta)[:, j]

    def var_of_y(self) -> np.ndarray:
        """Var[y_i] (a diagonal entry of the natural Fisher, the covariance of T): (n,)."""
        h = self.head
        j = _y_statistic(h.family)
        return h._k.natural_fisher(self.theta)[:, j, j]


def _diagonal_view(S: np.ndarray) -> np.ndarray:
    """The entries S[k, i, k] of a (q, n, q) array as a writable (q, n) view."""
    return np.lib.stride_tricks.as_strided(
        S, shape=S.shape[:2], strides=(S.strides[0] + S.strides[2], S.strides[1]))


def _y_statistic(fam: Family) -> int:
    """The index j of the statistic T_j(x) = x (scalar families): found by evaluating T."""
    if fam.spec.support.event_shape:
        raise NotAvailableError(f"{fam.key}: y is a vector; no single mean and variance of y")
    sup = fam.spec.support
    if sup.discrete:
        probe = sup.low + np.array([0.0, 1.0])
    else:
        probe = (sup.low if np.isfinite(sup.low) else 0.0) + np.array([0.25, 0.5, 0.75])
    # per-row fixed values (binomial trials) broadcast against the probe: one probe per row
    rows = np.broadcast_shapes(*(np.shape(v) for v in fam.spec.fixed_values.values()))
    probe = probe.reshape(probe.shape + (1,) * len(rows))
    t = fam.statistics(probe)
    for j in range(t.shape[-1]):
        if np.all(t[..., j] == probe):
            return j
    raise NotAvailableError(f"{fam.key}: x is not one of its sufficient statistics")
