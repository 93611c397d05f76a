"""Experiments that answer the natural-gradient questions with numbers.

Each experiment is a function ``run_<name>(out_dir=None, **options) -> dict`` that returns its
numbers and, given ``out_dir``, writes ``<name>.json`` and a figure ``<name>.png`` there; the
``fisherlab experiment NAME`` command runs it. ``EXPERIMENTS`` maps each name to its module,
function and a one-line description; modules are imported on use (matplotlib, sklearn load late).
"""

from __future__ import annotations

import importlib

#: name -> (module, function, description)
EXPERIMENTS: dict[str, tuple[str, str, str]] = {
    "race": (
        "race",
        "run_race",
        "iterations and wall time to a tolerance for every stepper on MLE problems",
    ),
    "invariance": (
        "invariance",
        "run_invariance",
        "GD vs natural-gradient trajectories in three normal parametrizations",
    ),
    "empirical-fisher": (
        "empirical_fisher",
        "run_empirical_fisher",
        "Kunstner, Balles & Hennig (2019) Fig. 1: Fisher vs empirical Fisher fields",
    ),
    "logistic-real": (
        "logistic_real",
        "run_logistic_real",
        "L2 logistic regression on the breast-cancer data, checked against scikit-learn",
    ),
    "fisher-efficiency": (
        "fisher_efficiency",
        "run_fisher_efficiency",
        "online natural gradient with step 1/t reaches the Cramér–Rao bound",
    ),
    "minibatch-noise": (
        "minibatch_noise",
        "run_minibatch_noise",
        "covariance of minibatch gradients equals F(θ*)/b",
    ),
    "heteroscedastic": (
        "heteroscedastic",
        "run_heteroscedastic",
        "Seitzer et al. (2022): NLL, β-NLL and natural gradient on a normal-head MLP",
    ),
    "kl-trust": (
        "kl_trust",
        "run_kl_trust",
        "does a natural-gradient step with KL budget ε move the model by KL ε?",
    ),
    "kunstner-real": (
        "kunstner_real",
        "run_kunstner_real",
        "Kunstner et al. (2019) Fig. 3 protocol: GD, NGD, empirical Fisher on real data",
    ),
    "plateau": (
        "plateau",
        "run_plateau",
        "teacher–student soft committee machine: who leaves the symmetric plateau, how fast",
    ),
    "local-extrema": (
        "local_extrema",
        "run_local_extrema",
        "MLP on digits: final losses, minima or saddles, and wall time per stepper",
    ),
    "mixture": (
        "mixture",
        "run_mixture",
        "EM, GD, Newton and natural gradient on Gaussian and Poisson mixtures from random starts",
    ),
}


def get(name: str):
    """The function of experiment ``name``."""
    from ..errors import UnknownNameError

    if name not in EXPERIMENTS:
        raise UnknownNameError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    module, fn, _ = EXPERIMENTS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), fn)


def run_experiment(name: str, out_dir=None, **options) -> dict:
    """Run experiment ``name``; see the module of each experiment for its options."""
    return get(name)(out_dir, **options)


__all__ = ["EXPERIMENTS", "get", "run_experiment"]
