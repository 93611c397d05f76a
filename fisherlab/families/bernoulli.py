"""Bernoulli distribution: p(x) = p^x (1 − p)^(1−x) for x ∈ {0, 1}.

Exponential-family form: T(x) = x, h(x) = 1, η = log(p/(1−p)), A(η) = log(1 + e^η).
"""

from ._spec import BINARY, REAL, UNIT_INTERVAL, Constraint, ExponentialFamily, Param, Parametrization

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
        Parametrization("p", [Param("p", UNIT_INTERVAL, (1e-6, 1 - 1e-6), "p ∈ (0, 1), P(x = 1)", "p")],
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
