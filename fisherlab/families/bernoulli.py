"""Bernoulli distribution: p(x) = p^x (1 − p)^(1−x) for x ∈ {0, 1}.

Exponential-family form: T(x) = x, h(x) = 1, η = log(p/(1−p)), A(η) = log(1 + e^η).

Test ranges: η from −30 to 30 and p from 1e-6 to 0.99. Written as the exponential-family form
writes them, the log density and the score at x = 1 are differences of numbers that agree to about
log10(e^η) digits (η − log(1 + e^η) = −log(1 + e^−η), 1 − σ(η): 2 digits left at η = 30); the
kernels evaluate them as −x log(1 + e^−η) − (1 − x) log(1 + e^η) and xσ(−η) − (1 − x)σ(η), the
same functions of x whose terms have one sign, so in natural coordinates every kernel meets a
relative 1e-12 on the whole symmetric range. In p the Hessian subtracts two terms of size
1/(p(1 − p)) to get −1/p² at x = 1: at p = 1 − 1e-6 it keeps 5 digits (2.2e-5), at p = 0.9975 it
is off by 2.3e-12; up to p = 0.99 every kernel meets 1e-12, and p reaches 1e-6 at the lower end,
where nothing cancels. The natural entropy and KL, whose Bregman forms cancelled the same way, are
evaluated in forms without the cancellation
(``logistic_entropy``, ``logistic_kl``), exact to 1e-14 at any η.
"""

from ._spec import (
    BINARY,
    REAL,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)

SPEC = ExponentialFamily(
    name="bernoulli",
    title="Bernoulli",
    density=r"p(x) = p^x (1-p)^{1-x},\quad x \in \{0, 1\}",
    support=BINARY,
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: 0,
    natural=[Param("eta", REAL, (-30.0, 30.0), "η = log(p/(1−p)), the log-odds", r"\eta")],
    log_partition=lambda sp, e: sp.log(1 + sp.exp(e)),
    parametrizations=[
        Parametrization("p", [Param("p", UNIT_INTERVAL, (1e-6, 0.99), "p ∈ (0, 1), P(x = 1)", "p")],
                        to_natural=lambda sp, p: [sp.log(p / (1 - p))],
                        from_natural=lambda sp, e: [1 / (1 + sp.exp(-e))],
                        doc="p ∈ (0, 1), the probability of x = 1."),
    ],
    natural_from_mean=lambda sp, m: [sp.log(m / (1 - m))],
    mean_space=Constraint(lambda t: ~((t[..., 0] > 0) & (t[..., 0] < 1)),
                          "the MLE needs both outcomes in the sample (an all-0 or all-1 sample "
                          "puts p on the boundary)"),
    sampler=("p", lambda rng, p, size: (rng.random(size=size) < p).astype(float)),
    scipy=("p", lambda st, p: st.bernoulli(p)),
)
