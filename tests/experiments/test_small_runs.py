"""The experiments at small sizes: each runs, writes its PNG and JSON, and shows its claim.

Full-size runs are ``fisherlab experiment NAME``; these use small sizes through parameters.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from fisherlab.cli import main
from fisherlab.experiments import EXPERIMENTS
from fisherlab.experiments.race import PROBLEMS
from tests.conftest import load_script


def _files_ok(numbers, name):
    files = numbers["files"]
    assert os.path.basename(files["png"]) == f"{name}.png" and os.path.getsize(files["png"]) > 5000
    with open(files["json"]) as fh:
        data = json.load(fh)
    assert data["experiment"] == name
    return data


SMALL_RACE = dict(quick=True, n=100, max_iter=200,
                  problems=[PROBLEMS[0], PROBLEMS[2], PROBLEMS[3]],
                  steppers=("GD", "Adam", "Newton", "NaturalGradient", "MirrorDescent"))


def test_race_small(tmp_path):
    from fisherlab.experiments.race import run_race

    nb = run_race(tmp_path, **SMALL_RACE)
    data = _files_ok(nb, "race")
    rows = {r["problem"]: r for r in data["rows"]}
    assert set(rows) == {"normal mean_std", "normal natural", "gamma shape_rate"}
    for name in ("normal mean_std", "gamma shape_rate"):
        ngd = rows[name]["NaturalGradient"]
        assert ngd["converged"] and ngd["iterations"] <= 12
    for row in rows.values():
        # mirror descent with lr 1 is natural gradient in mean parameters: the MLE in one step
        assert row["MirrorDescent"]["converged"] and row["MirrorDescent"]["iterations"] == 1
        assert row["MirrorDescent"]["hyper"] == {"lr": 1.0}
    # in natural parameters Newton is natural gradient: same best run
    nat = rows["normal natural"]
    assert nat["Newton"]["iterations"] == nat["NaturalGradient"]["iterations"]
    assert nat["Newton"]["status"] == nat["NaturalGradient"]["status"]
    assert "| normal natural |" in nb["table_md"]


def test_race_workers_give_the_same_numbers():
    from fisherlab.experiments.race import run_race

    opts = dict(SMALL_RACE, problems=[PROBLEMS[3]], steppers=("GD", "NaturalGradient"))
    a = run_race(None, workers=1, **opts)
    b = run_race(None, workers=2, **opts)
    for ra, rb in zip(a["rows"], b["rows"]):
        for s in opts["steppers"]:
            assert ra[s]["iterations"] == rb[s]["iterations"] and ra[s]["hyper"] == rb[s]["hyper"]
            assert ra[s]["gap"] == rb[s]["gap"]


def test_race_on_a_dask_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    from fisherlab.experiments.race import run_race

    opts = dict(SMALL_RACE, problems=[PROBLEMS[3]], steppers=("GD", "NaturalGradient"))
    local = run_race(None, **opts)
    # a scheduler and an in-process worker talking TCP on loopback
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_race(None, scheduler=cluster.scheduler_address, **opts)
    for ra, rb in zip(local["rows"], remote["rows"]):
        for s in opts["steppers"]:
            assert ra[s]["iterations"] == rb[s]["iterations"] and ra[s]["gap"] == rb[s]["gap"]


def test_empirical_fisher(tmp_path):
    from fisherlab.experiments.empirical_fisher import run_empirical_fisher

    nb = run_empirical_fisher(tmp_path, steps=60, contour=30)
    data = _files_ok(nb, "empirical-fisher")
    assert len(data["field_grid"]) == 15 * 15 and len(data["fields"]["EF"]) == 225
    for t in data["trajectories"]["NGD"]:
        # F is the Hessian of this quadratic: every NGD iterate stays on the segment to the
        # minimum, up to the bend of the prescribed 1e-8·I damping (relative 1e-8/λ_min(F))
        assert t["max_deviation_from_straight_line"] <= 1e-6 * t["start_distance"]
        assert t["distance_to_optimum"] < 0.01 * t["start_distance"]
    ef = data["trajectories"]["EF"]
    assert max(t["max_deviation_from_straight_line"] / t["start_distance"] for t in ef) > 0.3


def test_invariance(tmp_path):
    from fisherlab.experiments.invariance import run_invariance

    nb = run_invariance(tmp_path, n=100, steps=(0.1, 0.05, 0.025, 0.0125))
    _files_ok(nb, "invariance")
    ngd, gd = nb["spread"]["NaturalGradient"], nb["spread"]["GD"]
    assert 0.8 < nb["slope"]["NaturalGradient"] < 1.2     # distance O(step)
    assert gd[-1] > 0.5 * gd[0]                            # GD does not converge to one path
    assert gd[-1] > 20 * ngd[-1]


def test_logistic_real_matches_sklearn(tmp_path):
    from fisherlab.experiments.logistic_real import run_logistic_real

    grid = {
        "GD": [{"lr": 1e-6}],
        "Adam": [{"lr": 1e-2}],
        "NaturalGradient": [{"lr": 1.0, "damping": 0.0}],
        "Newton": [{"lr": 1.0, "damping": 0.0}],
    }
    nb = run_logistic_real(tmp_path, max_iter=30, grid=grid)
    _files_ok(nb, "logistic-real")
    assert (nb["n"], nb["d"]) == (569, 31)
    assert abs(nb["sklearn"]["loss_difference"]) <= 1e-10
    # the value the issue quotes from scikit-learn, to its 13 printed digits
    assert abs(nb["optimal_loss"] - 0.0972542266177) < 1e-12
    assert 1e7 < nb["hessian_condition_number"] < 1e8
    assert nb["best"]["NaturalGradient"]["status"] == "converged"
    assert nb["best"]["GD"]["status"] == "max_iter"


def test_fisher_efficiency(tmp_path):
    from fisherlab.experiments.fisher_efficiency import run_fisher_efficiency

    nb = run_fisher_efficiency(tmp_path, T=300, seeds=2000)
    _files_ok(nb, "fisher-efficiency")
    late = [(r, se) for t, r, se in zip(nb["t"], nb["ratio"], nb["ratio_se"]) if t >= 100]
    assert late
    for r, se in late:
        assert abs(r - 1.0) <= 6 * se


def test_minibatch_noise(tmp_path):
    from fisherlab.experiments.minibatch_noise import run_minibatch_noise

    nb = run_minibatch_noise(tmp_path, reps=4000, batch_sizes=(1, 8, 64))
    _files_ok(nb, "minibatch-noise")
    for row in nb["rows"]:
        assert row["max_z"] < 6.0


def test_cli(tmp_path, capsys):
    assert main(["experiment", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in EXPERIMENTS)
    assert main(["experiment", "minibatch-noise", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "minibatch-noise.png").exists() and (
        tmp_path / "minibatch-noise.json"
    ).exists()
    assert main(["experiment", "no-such-thing"]) == 2
    assert "unknown experiment" in capsys.readouterr().err


def _without_times(obj):
    """The numbers of a run with its wall-clock entries (times, the machine's load average)
    and file paths dropped."""
    if isinstance(obj, dict):
        return {k: _without_times(v) for k, v in obj.items()
                if k not in ("time", "files") and "seconds" not in k
                and not k.startswith("load_average")}
    if isinstance(obj, list):
        return [_without_times(v) for v in obj]
    return obj


def test_heteroscedastic_quick(tmp_path):
    from fisherlab.experiments.heteroscedastic import run_heteroscedastic

    nb = run_heteroscedastic(tmp_path, quick=True, workers=2)
    data = _files_ok(nb, "heteroscedastic")
    assert data["quick"] is True and data["run_seconds"] > 0
    s = nb["summary"]
    nll = s["Adam NLL"]["rmse_mean"]["median"]
    # the full run's finding (the literature's pitfall does not show on this toy at this
    # budget): no method fits the mean clearly better than Adam on the plain NLL -- every
    # median RMSE of the mean is within 15% of Adam-NLL's ...
    for meth in nb["methods"]:
        assert abs(s[meth]["rmse_mean"]["median"] / nll - 1.0) < 0.15, meth
    # ... neither β-NLL nor natural gradient beats it on every seed ...
    by = {(r["method"], r["seed"]): r["rmse_mean"] for r in nb["runs"]}
    seeds = sorted({r["seed"] for r in nb["runs"]})
    for meth in nb["methods"][1:]:
        assert not all(by[(meth, k)] < by[("Adam NLL", k)] for k in seeds), meth
    # ... and the test NLLs agree within 0.1 nats
    med = [s[m]["test_nll"]["median"] for m in nb["methods"]]
    assert max(med) - min(med) < 0.1


def test_heteroscedastic_same_seed_same_numbers():
    from fisherlab.experiments.heteroscedastic import run_heteroscedastic

    opts = dict(seeds=1, n=60, hidden=4, adam_iter=30, ngd_iter=5, seed=3)
    a = run_heteroscedastic(None, **opts)
    b = run_heteroscedastic(None, **opts)
    assert _without_times(a) == _without_times(b)
    c = run_heteroscedastic(None, **dict(opts, seed=4))
    assert _without_times(c)["runs"] != _without_times(a)["runs"]


def test_kl_trust_quick(tmp_path):
    from fisherlab.experiments.kl_trust import PROBLEMS, run_kl_trust

    nb = run_kl_trust(tmp_path, quick=True)
    data = _files_ok(nb, "kl-trust")
    assert data["quick"] is True
    rows = {(r["problem"], r["eps"]): r for r in nb["rows"]}
    for p in PROBLEMS:
        small, big = rows[(p, 1e-6)], rows[(p, 1e-2)]
        # every natural-gradient step with budget 1e-6 moves the model by KL within 5% of it,
        # in every parametrization and model; the second-order error grows with ε
        assert small["ngd_max_abs_dev"] < 0.05, p
        assert small["ngd_max_abs_dev"] < big["ngd_max_abs_dev"], p
    # the same-length gradient step overshoots the budget by orders of magnitude on the
    # logistic regression and the network
    for p in ("logistic breast cancer", "digits MLP"):
        assert rows[(p, 1e-6)]["gd_ratio_min"] > 10, p


def test_kl_trust_same_seed_same_numbers():
    from fisherlab.experiments.kl_trust import run_kl_trust

    opts = dict(eps=(1e-3,), steps=3, problems=("normal mean_logstd", "digits MLP"), seed=2)
    assert _without_times(run_kl_trust(None, **opts)) == _without_times(run_kl_trust(None, **opts))


def test_kunstner_real_quick(tmp_path):
    from fisherlab.experiments.kunstner_real import PROBLEMS, run_kunstner_real

    nb = run_kunstner_real(tmp_path, quick=True, workers=2)
    data = _files_ok(nb, "kunstner-real")
    assert data["quick"] is True and set(data["results"]) == set(PROBLEMS)
    for p in PROBLEMS:
        best = nb["results"][p]["best"]
        # the paper's finding, carried to a network: at its best grid point natural gradient
        # ends lower than the empirical Fisher's best and than gradient descent's best
        assert best["NaturalGradient"]["final_loss"] < best["EmpiricalFisher"]["final_loss"], p
        gd = best["GD"]
        assert gd is None or best["NaturalGradient"]["final_loss"] < gd["final_loss"], p
    for p in PROBLEMS[:3]:   # convex: the optimum is known, and natural gradient reaches it
        assert nb["results"][p]["best"]["NaturalGradient"]["gap"] < 1e-2, p


def test_kunstner_real_same_seed_same_numbers():
    from fisherlab.experiments.kunstner_real import run_kunstner_real

    opts = dict(iters=5, problems=("wine (softmax)", "digits MLP"), quick=True, seed=1)
    assert _without_times(run_kunstner_real(None, **opts)) == _without_times(
        run_kunstner_real(None, **opts))


def test_saddle_free_newton_step_uses_absolute_curvature():
    from fisherlab.optim.saddle_free import SaddleFreeNewton

    class Quadratic:            # loss ½θᵀHθ with H = R diag(−2, 3) Rᵀ, a saddle at 0
        R = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
        H = R @ np.diag([-2.0, 3.0]) @ R.T

        def grad(self, th):
            return self.H @ th

        def hessian(self, th):
            return self.H

    q, th = Quadratic(), np.array([0.7, -0.2])
    new = SaddleFreeNewton(lr=1.0, damping=0.0).step(q, th)
    # in the eigenbasis the step divides by |λ| = (2, 3): coordinates (a, b) -> (a − a, b − b)...
    a, b = q.R.T @ th
    expected = q.R @ np.array([a - (-2.0 * a) / 2.0, b - (3.0 * b) / 3.0])
    assert np.allclose(new, expected, rtol=0, atol=1e-15)
    # ...so along the negative-curvature direction it moves away from the saddle (|a| doubles),
    # where Newton's step would jump onto it
    assert abs((q.R.T @ new)[0]) == pytest.approx(2 * abs(a), rel=1e-14)


def test_plateau_quick(tmp_path):
    from fisherlab.experiments.plateau import run_plateau

    nb = run_plateau(tmp_path, quick=True, workers=2)
    data = _files_ok(nb, "plateau")
    assert data["quick"] is True and abs(data["initial_eg"] - 1 / 3) < 0.05
    su = nb["summary"]
    by = {(r["stepper"], r["seed"]): r for r in nb["runs"]}
    seeds = sorted({r["seed"] for r in nb["runs"]})
    # the full run's claims, on the quick run's seeds. Full-batch GD and Adam leave the
    # symmetric plateau in every seed ...
    assert su["GD"]["never_left"] == 0 and su["Adam"]["never_left"] == 0
    # ... natural gradient (Gauss–Newton) reaches the plateau within a few dozen steps, but does
    # not remove it: it stays there in some seeds (no sampling noise breaks the symmetry)
    assert su["NaturalGradient"]["never_arrived"] == 0
    assert su["NaturalGradient"]["median_iterations_to_arrive"] < 30
    assert su["NaturalGradient"]["never_left"] >= 1
    # ... and damped Newton never even reaches it: it is drawn to the saddle at the origin
    assert su["Newton"]["never_arrived"] == len(seeds)
    for s in seeds:
        assert by[("Newton", s)]["final_eg"] > 0.25


def test_plateau_same_seed_same_numbers():
    from fisherlab.experiments.plateau import run_plateau

    opts = dict(seeds=1, pilot_seeds=1, n=60, n_test=100, max_iter=15,
                steppers=("GD", "NaturalGradient", "SaddleFreeNewton"), seed=5)
    assert _without_times(run_plateau(None, **opts)) == _without_times(run_plateau(None, **opts))


def test_experiment_summary_is_current():
    """docs/experiments.md's generated section matches the JSON files under docs/figures."""
    mod = load_script("generate_experiment_summary")
    text = mod.DOC.read_text(encoding="utf-8")
    assert mod.BEGIN in text and mod.END in text
    assert mod.updated(text) == text, "run python scripts/generate_experiment_summary.py"
    # the section is built from the JSON: a changed number changes it
    name, render_one = mod.SECTIONS[0]
    nb = mod.load(name)
    if nb is not None:
        before = "\n".join(render_one(nb))
        nb["run_seconds"] = (nb.get("run_seconds") or 0) + 1000
        assert "\n".join(render_one(nb)) != before


def test_readme_headline_numbers_are_current():
    """The README answers each experiment question with numbers from a generated block that
    matches the JSON files, one answer per question (the six non-convex experiments and the
    three older ones), none of them "not run"."""
    mod = load_script("generate_experiment_summary")
    text = mod.README.read_text(encoding="utf-8")
    assert mod.README_BEGIN in text and mod.README_END in text
    assert mod.updated_readme(text) == text, "run python scripts/generate_experiment_summary.py"
    block = text.split(mod.README_BEGIN, 1)[1].split(mod.README_END, 1)[0]
    bullets = [b for b in block.splitlines() if b.startswith("- ")]
    assert len(bullets) == 10 and "not run yet" not in block and "quick run" not in block
    # a changed number in a JSON changes the answer that quotes it
    nb = mod.load("heteroscedastic")
    before = mod.headline_heteroscedastic(nb)
    nb["summary"]["natural gradient"]["rmse_mean"]["median"] *= 2
    assert mod.headline_heteroscedastic(nb) != before


def test_local_extrema_same_seed_same_numbers():
    from fisherlab.experiments.local_extrema import run_local_extrema

    opts = dict(hidden=(4,), seeds=2, pilot_seeds=1, n_train=60,
                steppers=("GD", "NaturalGradient", "SaddleFreeNewton"),
                max_iter={"GD": 10, "NaturalGradient": 3, "SaddleFreeNewton": 3}, seed=3)
    a = run_local_extrema(None, **opts)
    assert _without_times(a) == _without_times(run_local_extrema(None, **opts))
    c = run_local_extrema(None, **dict(opts, seed=4))
    assert _without_times(c)["runs"] != _without_times(a)["runs"]


def test_local_extrema_resumes_from_its_cache(tmp_path):
    """A run cut short resumes: results kept in cache_dir are reused, and the numbers are those
    of a run without the cache."""
    from fisherlab.experiments.local_extrema import run_local_extrema

    opts = dict(hidden=(4,), seeds=2, pilot_seeds=1, n_train=60, steppers=("GD", "Newton"),
                max_iter={"GD": 10, "Newton": 3}, seed=3)
    plain = run_local_extrema(None, **opts)
    first = run_local_extrema(None, cache_dir=str(tmp_path), **opts)
    kept = sorted(tmp_path.glob("*.pkl"))
    assert first["runs_reused_from_cache"] == 0 and len(kept) == len(plain["pilot"]) + 4
    kept[0].unlink()                      # as if the run had stopped before that task
    again = run_local_extrema(None, cache_dir=str(tmp_path), **opts)
    assert again["runs_reused_from_cache"] == len(kept) - 1
    for nb in (first, again):
        assert _without_times(nb)["runs"] == _without_times(plain)["runs"]
        assert _without_times(nb)["summary"] == _without_times(plain)["summary"]


def test_mixture_same_seed_same_numbers():
    from fisherlab.experiments.mixture import run_mixture

    opts = dict(problems=("gaussian M=3", "poisson M=3"), starts=2, pilot_starts=1, n_per=15,
                max_iter={"EM": 5, "NaturalGradient": 5, "Newton": 3, "GD": 5}, seed=2)
    a = run_mixture(None, **opts)
    assert _without_times(a) == _without_times(run_mixture(None, **opts))
    c = run_mixture(None, **dict(opts, seed=5))
    assert _without_times(c)["runs"] != _without_times(a)["runs"]


def test_local_extrema_quick(tmp_path):
    from fisherlab.experiments.local_extrema import run_local_extrema

    nb = run_local_extrema(tmp_path, quick=True, workers=2)
    data = _files_ok(nb, "local-extrema")
    assert data["quick"] is True and data["hidden"] == [8]
    rows = nb["summary"]["8"]["steppers"]
    by = {(r["stepper"], r["seed"]): r for r in nb["runs"]}
    seeds = sorted({r["seed"] for r in nb["runs"]})
    for k in seeds:
        ngd, gd, newton = (by[(s, k)] for s in ("NaturalGradient", "GD", "Newton"))
        # the full run's findings, seed by seed: natural gradient (the GGN) crosses the loss
        # thresholds in far fewer iterations than GD ...
        t = str(0.1)
        assert ngd["thresholds"][t] is not None and gd["thresholds"][t] is not None
        assert 5 * ngd["thresholds"][t]["iterations"] < gd["thresholds"][t]["iterations"]
        # ... while damped Newton on the indefinite Hessian stalls far above it
        assert newton["final_loss"] > 5 * ngd["final_loss"]
    # natural gradient does not end lower than Adam at their budgets (median final loss) ...
    assert rows["NaturalGradient"]["final_loss"]["median"] > rows["Adam"]["final_loss"]["median"]
    # ... and no run reaches a minimum within its budget: natural gradient's all end with
    # negative curvature left
    for s, r in rows.items():
        assert r["ends"]["minimum"] == 0, s
    assert rows["NaturalGradient"]["negative_curvature"] == len(seeds)


def test_mixture_quick(tmp_path):
    from fisherlab.experiments.mixture import run_mixture

    nb = run_mixture(tmp_path, quick=True, workers=2)
    data = _files_ok(nb, "mixture")
    assert data["quick"] is True
    res = nb["results"]
    for p, r in res.items():
        # on every EM iterate of every start, EM (through Family.mle with weights) equals the
        # natural-gradient step with the complete-data Fisher of size 1 in expectation
        # parameters (through the gradient, F_c and the Jacobian)
        assert r["em_vs_natural_step_max_rel_diff"] < 1e-10, p
        assert r["em_vs_natural_step_max_rel_diff_nondegenerate"] < 1e-10, p
        assert r["largest_excess_over_optimum"] < nb["success_tol"], p
    rows = {p: r["steppers"] for p, r in res.items()}
    # the full run's findings: bad local maxima are real -- EM from random starts misses the
    # global optimum of the well-separated Gaussian mixture from some starts ...
    g5 = rows["gaussian M=5"]["EM"]
    assert 0 < g5["successes"] < g5["starts"]
    for p, st in rows.items():
        # ... natural gradient with the complete-data Fisher does not escape them: it succeeds
        # no more often than EM, and Newton less often than EM
        assert st["NaturalGradient"]["successes"] <= st["EM"]["successes"], p
        assert st["Newton"]["successes"] < st["EM"]["successes"], p


def test_mixture_em_leaves_the_natural_step_only_on_a_collapsing_component():
    """The full run's largest EM-vs-natural-step difference, from its settings (gaussian M=5,
    30 points per component, start seed 1097): a component shrinks onto about two points of the
    plane (fewer than d + 1 = 3, the fewest a covariance can be fitted to), both routes lose
    digits on its nearly singular covariance, and EM's M-step then has no MLE. On every step
    before the collapse the two agree to rounding."""
    from fisherlab.experiments.mixture import run_one

    r = run_one({"problem": "gaussian M=5", "n_per": 30, "separation": 8.0, "data_seed": 0,
                 "gtol": 1e-7, "stepper": "EM", "hyper": {}, "max_iter": 60, "seed": 1097,
                 "check_identity": True})
    assert r["status"].startswith("failed")
    assert r["identity_max_rel_diff"] > 1e-6
    assert r["identity_smallest_component_points"] < 3
    assert r["identity_max_rel_diff_nondegenerate"] < 1e-12
