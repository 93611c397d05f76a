"""Special functions, sympy side: every sympy function class fisherlab defines lives here.

A family's log-partition sometimes needs a function sympy's own would make the kernels overflow
or cancel with (log I₀, log B, log(1 + Σ e^η), 1 − e^η, ...). Each is declared here as a sympy
function that knows its derivatives and how to print itself:

- :mod:`.functions`: log I₀ and the Bessel ratio, e^z E₁(z), log B and the digamma and trigamma
  differences, built on demand by ``functions(sp)`` (von Mises, inverse Gaussian, beta,
  Dirichlet);
- :mod:`.kernel_function`: the base class of the opaque functions below;
- :mod:`.softmax`: log(1 + Σ e^η), σ_i and 1 − σ_i (categorical, multinomial, binomial);
- :mod:`.elementary`: 1 − e^η, √a − √b, m₂ − m₁² and the logit (geometric, negative binomial,
  Fisher–Rao distances, the normal's moment parametrization, the continuous Bernoulli's λ);
- :mod:`.log_series`: log(1 − e^η) and the log-series log-partition, mean and excess (logarithmic);
- :mod:`.exprel`: log((e^η − 1)/η), its derivatives and A − ηA′ (continuous Bernoulli);
- :mod:`.bessel_sphere`: log(Γ(ν + 1)(2/√s)^ν I_ν(√s)), its derivatives, the mean resultant
  length I_(d/2)/I_(d/2−1) and its derivative, the log-area of the sphere (von Mises–Fisher);
- :mod:`.multivariate_gamma`: log Γ_d and ψ_d written out for a given d (Wishart, inverse
  Wishart, normal-Wishart);
- :mod:`.rewriting`: the forms the code generator substitutes before printing (ψ'(u) − 1/u, the
  Bernoulli entropy and KL in log-odds, the unit-rate gamma entropy, and the shared-evaluation
  forms).

Their float64 evaluations are the numpy functions of :mod:`fisherlab.kernels._special`, one per
``kernel_name`` or printer hook: the generated kernel modules import that module and nothing
from here, so loading kernels never imports sympy. Nothing in this package is imported when the
catalog loads; the declarations import it inside their symbolic lambdas.
"""
