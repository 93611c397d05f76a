"""The GGN of an MLP with a categorical head against curvlinops' (PyTorch), the weights copied.

curvlinops builds the generalized Gauss–Newton of an empirical risk from PyTorch's automatic
differentiation and the Hessian of the cross-entropy in the network outputs: a route that shares
nothing with fisherlab's (hand-written passes, and the exact Fisher of the categorical head from
its kernels). Skipped when torch or curvlinops is not installed; neither is in the test extra
(``scripts/bench_curvlinops.py`` times the two side by side).
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fisherlab import models as flm
from tests.conftest import load_script

torch = pytest.importorskip("torch", reason="torch is not installed (it is not in the test extra)")
curvlinops = pytest.importorskip(
    "curvlinops", reason="curvlinops-for-pytorch is not installed (it is not in the test extra)")

#: scripts/bench_curvlinops.py, for its copy of fisherlab's weights into torch (checked here)
SIZES = [64, 32, 10]
N_ROWS = 150
RTOL = 1e-10


@pytest.fixture(scope="module")
def case():
    bench = load_script("bench_curvlinops")
    X, y = load_digits(return_X_y=True)
    X, y = X[:N_ROWS] / 16.0, y[:N_ROWS]
    model = flm.MLP(SIZES, flm.Head("categorical", link="softmax", k=10), activation="tanh")
    w = model.init() + 0.1 * np.random.default_rng(3).standard_normal(model.n_weights)
    net = bench.torch_network(torch, model, w)
    ggn = curvlinops.GGNLinearOperator(
        net, torch.nn.CrossEntropyLoss(reduction="mean"), list(net.parameters()),
        [(torch.from_numpy(X), torch.from_numpy(y))])
    return model.problem(X, y), w, net, ggn, bench.torch_order(model), y


def test_weights_are_copied_in_the_right_layout(case):
    """The gradients of the two losses agree, entry by entry, after the permutation."""
    prob, w, net, _, perm, labels = case
    X, y = torch.from_numpy(prob.X), torch.from_numpy(labels)
    loss = torch.nn.functional.cross_entropy(net(X), y)
    grad = torch.cat([g.ravel() for g in torch.autograd.grad(loss, list(net.parameters()))])
    assert abs(loss.item() - prob.loss(w)) <= RTOL * abs(loss.item())
    g_fl = prob.grad(w)[perm]
    assert np.linalg.norm(grad.numpy() - g_fl) <= RTOL * np.linalg.norm(g_fl)


def test_ggn_vector_product_matches_curvlinops(case):
    prob, w, _, ggn, perm, _ = case
    v = np.random.default_rng(4).standard_normal(len(perm))
    ref = (ggn @ torch.from_numpy(v[perm])).numpy()
    out = prob.fisher_vp(w, v)[perm]
    assert np.linalg.norm(out - ref) <= RTOL * np.linalg.norm(ref)


def test_dense_ggn_matches_curvlinops(case):
    prob, w, _, ggn, perm, _ = case
    P = len(perm)
    ref = np.concatenate([(ggn @ torch.eye(P, dtype=torch.float64)[:, j:j + 256]).numpy()
                          for j in range(0, P, 256)], axis=1)
    out = prob.fisher(w)[np.ix_(perm, perm)]
    assert np.linalg.norm(ref) > 0
    assert np.linalg.norm(out - ref) <= RTOL * np.linalg.norm(ref)
