"""Shared machinery of the experiments: problem specs, parallel grid runs, progress, output files.

Problems travel to worker processes (or Dask workers) as small picklable specs and are rebuilt
there by :func:`build_problem`, because kernels hold module namespaces that do not pickle.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time

import numpy as np

from ..errors import FisherlabError

# ----------------------------------------------------------------------------- problems by spec


def mle_spec(family, param, truth_param, truth, n, seed, dims=None) -> tuple:
    """A picklable description of an MLE problem on a sample drawn at ``truth``."""
    return ("mle", family, param, truth_param, tuple(map(float, truth)), int(n), int(seed),
            tuple(sorted((dims or {}).items())))


def breast_cancer_spec(l2: float = 1e-3) -> tuple:
    """L2-regularized logistic regression on scikit-learn's bundled breast-cancer data."""
    return ("breast_cancer", float(l2))


def breast_cancer_design():
    """(X, y): the 569 × 30 features, unscaled, with a column of ones appended, and 0/1 labels."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = np.column_stack([data.data, np.ones(data.data.shape[0])])
    return X, data.target.astype(float)


@functools.lru_cache(maxsize=32)
def build_problem(spec: tuple):
    """Rebuild a problem from its spec (cached per process)."""
    import fisherlab as fl

    from ..optim import GLM, MLE

    kind = spec[0]
    if kind == "mle":
        _, family, param, truth_param, truth, n, seed, dims = spec
        fam = fl.family(family, **dict(dims))
        x = fam.sample(np.array(truth), truth_param, size=n, seed=seed)
        return MLE(fam, param, x)
    if kind == "breast_cancer":
        X, y = breast_cancer_design()
        return GLM(X, y, "bernoulli", l2=spec[1])
    raise FisherlabError(f"unknown problem spec {spec!r}")


def run_task(task: dict) -> dict:
    """Run one (problem, stepper, hyperparameters) configuration; the unit of parallel work."""
    from ..optim import make_stepper, run

    problem = build_problem(task["problem"])
    stepper = make_stepper(task["stepper"], **task["hyper"])
    # grid points with too large a step overflow on purpose; the runner reports them as
    # "diverged", so numpy's overflow warnings would only be noise here
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = run(problem, stepper, np.asarray(task["theta0"]), **task.get("run", {}))
    out = {"stepper": task["stepper"], "hyper": task["hyper"], "status": res.status,
           "message": res.message, "iterations": res.iterations, "loss": res.loss,
           "kl": res.kl, "time": res.time, "grad_norm": res.grad_norm,
           "theta": res.theta.tolist(), "label": task.get("label")}
    return out


# ----------------------------------------------------------------------------- one timed step


def timed_step(stepper, problem, w) -> tuple:
    """One ``stepper.step(problem, w)`` and its wall time, floating-point warnings silenced (a
    diverging run is caught by its caller, from the loss).

    Returns
    -------
    new : ndarray (p,) or None
        The next iterate; None when the step met a singular curvature matrix.
    seconds : float
        The wall time of the step alone (not of the caller's loss or gradient evaluations).
    """
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            new = stepper.step(problem, w)
        except np.linalg.LinAlgError:
            new = None
    return new, time.perf_counter() - t0


# ----------------------------------------------------------------------------- parallel map


class Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str = "", enabled: bool | None = None):
        self.total, self.label, self.done = max(int(total), 1), label, 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.perf_counter()

    def update(self, k: int = 1) -> None:
        self.done += k
        if self.enabled:
            frac = self.done / self.total
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} "
                             f"{time.perf_counter() - self.t0:5.1f}s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _single_threaded_blas():
    """One BLAS thread per worker process: N workers × N BLAS threads oversubscribe the cores.

    Only a speed setting: without threadpoolctl (installed with scikit-learn) nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


def blas_threads(n: int = 1):
    """A context manager limiting BLAS to ``n`` threads (a no-op without threadpoolctl).

    On a shared, loaded machine a multi-threaded eigendecomposition of a few hundred rows can
    take a hundred times longer than a single-threaded one.
    """
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(n)


def _cache_path(cache_dir: str, fn, item) -> str:
    import hashlib

    key = json.dumps([fn.__module__, fn.__qualname__, _jsonable(item)], sort_keys=True)
    return os.path.join(cache_dir, hashlib.sha256(key.encode()).hexdigest()[:32] + ".pkl")


def _call_and_store(job):
    """``fn(item)``, its result pickled to ``path`` as soon as it is known (so that a run cut
    short keeps what it finished)."""
    import pickle

    fn, item, path = job
    out = fn(item)
    with open(path + ".tmp", "wb") as fh:
        pickle.dump(out, fh)
    os.replace(path + ".tmp", path)
    return out


def cached_map(fn, items, *, cache_dir: str | None = None, **kw) -> tuple:
    """:func:`parallel_map` that keeps each result in ``cache_dir`` and reuses those found there.

    A long run cut short resumes where it stopped: a result is stored under a hash of the
    function's name and its item, so only an identical task reuses it. The key does not know
    the code: resume with the code that started the run, and empty the directory after a
    change. Reused results carry the timings of the run that computed them, so the caller
    reports how many it reused.

    Returns
    -------
    results : list
        ``[fn(item) for item in items]``.
    reused : int
        How many came from the cache.
    """
    import pickle

    items = list(items)
    if cache_dir is None:
        return parallel_map(fn, items, **kw), 0
    os.makedirs(cache_dir, exist_ok=True)
    paths = [_cache_path(cache_dir, fn, it) for it in items]
    out = [None] * len(items)
    todo = []
    for i, path in enumerate(paths):
        if os.path.exists(path):
            with open(path, "rb") as fh:
                out[i] = pickle.load(fh)
        else:
            todo.append(i)
    done = parallel_map(_call_and_store, [(fn, items[i], paths[i]) for i in todo], **kw)
    for i, r in zip(todo, done):
        out[i] = r
    return out, len(items) - len(todo)


def parallel_map(fn, items, *, workers: int = 1, scheduler: str | None = None,
                 progress: bool | None = None, label: str = "",
                 chunksize: int | None = None) -> list:
    """``[fn(item) for item in items]``, serially, on a process pool, or on a Dask cluster.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function.
    items : list
    workers : int
        Local worker processes (``concurrent.futures.ProcessPoolExecutor``); 1 runs in-process.
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (``tcp://host:port``); needs the
        ``distributed`` extra. Takes precedence over ``workers``.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    chunksize : int, optional
        Items handed to a local worker at a time (default: an eighth of each worker's share).
        Items of very unequal cost want 1, or one worker may be left with a chunk of the
        costliest ones at the end.
    """
    items = list(items)
    if workers < 1:
        raise FisherlabError(f"--workers must be >= 1, got {workers}")
    bar = Progress(len(items), label, progress)
    try:
        if scheduler:
            try:
                from dask.distributed import Client, as_completed
            except ImportError:
                raise FisherlabError("--scheduler needs dask.distributed: pip install "
                                     "'fisherlab[distributed]'") from None
            with Client(scheduler) as client:
                futures = client.map(fn, items, pure=False)
                index = {f.key: i for i, f in enumerate(futures)}
                out = [None] * len(items)
                for fut in as_completed(futures):
                    out[index[fut.key]] = fut.result()
                    bar.update()
                return out
        if workers == 1 or len(items) <= 1:
            out = []
            for item in items:
                out.append(fn(item))
                bar.update()
            return out
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=_single_threaded_blas) as pool:
            out = []
            chunk = chunksize or max(1, len(items) // (8 * workers))
            for r in pool.map(fn, items, chunksize=chunk):
                out.append(r)
                bar.update()
            return out
    finally:
        bar.close()


# ----------------------------------------------------------------------------- output


def load_average() -> list:
    """The machine's load average over 1, 5 and 15 minutes (``os.getloadavg``), recorded at a
    run's start and end so that its wall times can be read against how busy the cores were."""
    return [float(v) for v in os.getloadavg()]


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def finish_figure(fig, title: str, quick: bool):
    """``fig`` with its title (marked as a quick run when it is one), laid out tight."""
    fig.suptitle(title + (" (quick run)" if quick else ""))
    fig.tight_layout()
    return fig


def save(out_dir, name: str, numbers: dict, fig=None) -> dict:
    """Write ``<out_dir>/<name>.json`` (and ``.png`` from ``fig``); returns the file paths."""
    paths = {}
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        jpath = os.path.join(out_dir, f"{name}.json")
        with open(jpath, "w") as fh:
            json.dump(_jsonable(numbers), fh, indent=1)
        paths["json"] = jpath
        if fig is not None:
            ppath = os.path.join(out_dir, f"{name}.png")
            fig.savefig(ppath, dpi=120, bbox_inches="tight")
            paths["png"] = ppath
    if fig is not None:
        pyplot().close(fig)
    return paths
