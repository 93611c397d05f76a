"""Bernoulli distribution: p(x) = p^x (1 − p)^(1−x) for x ∈ {0, 1}.

Exponential-family form: T(x) = x, h(x) = 1, η = log(p/(1−p)), A(η) = log(1 + e^η).

Test ranges: η from −30 to 6 and p from 1e-6 to 0.99. The upper end is set by cancellation in the
exponential-family form at x = 1, where each quantity is a difference of numbers that agree to about
log10(e^η) digits: the log density η − log(1 + e^η) = −log(1 + e^−η), the score 1 − σ(η), and in p
the Hessian, which subtracts two terms of size 1/(p(1 − p)) to get −1/p². At η = 30 the log density
keeps 2 digits (measured against mpmath: 1.3e-2), at p = 1 − 1e-6 the Hessian 5 (2.2e-5), at
p = 0.9975 the Hessian is off by 2.3e-12; up to η = 6 and p = 0.99 every kernel meets a relative
1e-12. At the lower end the same quantities have no cancellation (x = 0 is likely there, and
−log(1 + e^η), −σ(η) are evaluated directly), so η reaches −30 and p 1e-6. The natural entropy and
KL, whose Bregman forms cancelled the same way, are evaluated in forms without the cancellation
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
    natural=[Param("eta", REAL, (-30.0, 6.0), "η = log(p/(1−p)), the log-odds", r"\eta")],
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
