"""grad() on one retained graph, many times: the engine remembers which vertices it needs
(See Note [Reused graphs] in _core/engine.py) without keeping the graph alive or going stale."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import ndgrad


def _rosen(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def test_hessian_rows_by_repeated_grad_equal_the_analytic_hessian():
    x0 = np.array([0.3, -1.2, 0.8, 1.5])
    x = ndgrad.tensor(x0, requires_grad=True)
    (g,) = ndgrad.autograd.grad(_rosen(x), x, create_graph=True)
    rows = [ndgrad.autograd.grad(g, x, ndgrad.tensor(e), retain_graph=True)[0] for e in np.eye(4)]
    h = np.stack([r.numpy() for r in rows])
    d = np.empty(4)
    d[0] = 1200 * x0[0] ** 2 - 400 * x0[1] + 2
    d[1:-1] = 202 + 1200 * x0[1:-1] ** 2 - 400 * x0[2:]
    d[-1] = 200
    off = -400 * x0[:-1]
    np.testing.assert_allclose(h, np.diag(d) + np.diag(off, 1) + np.diag(off, -1))


def test_asking_for_other_inputs_of_the_same_graph_gives_their_gradients():
    a = ndgrad.tensor(2.0, dtype=ndgrad.float64, requires_grad=True)
    b = ndgrad.tensor(3.0, dtype=ndgrad.float64, requires_grad=True)
    y = a * b + a.sin()
    (ga,) = ndgrad.autograd.grad(y, a, retain_graph=True)
    (gb,) = ndgrad.autograd.grad(y, b, retain_graph=True)
    ga2, gb2 = ndgrad.autograd.grad(y, [a, b], retain_graph=True)
    assert float(ga) == float(ga2) == 3.0 + np.cos(2.0)
    assert float(gb) == float(gb2) == 2.0


def test_an_input_modified_in_place_between_calls_is_followed_to_its_new_node():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    (g1,) = ndgrad.autograd.grad(y, h, retain_graph=True)
    h.mul_(2)  # h now has a new node that y's graph does not reach
    z = (h * 3).sum()
    (g2,) = ndgrad.autograd.grad(z, h, retain_graph=True)
    np.testing.assert_array_equal(g1.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(g2.numpy(), [3.0, 3.0])


def test_a_remembered_graph_is_freed_by_reference_counting_when_the_user_drops_it():
    gc.disable()
    try:
        x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        y = (x.sin() * x).sum()
        ndgrad.autograd.grad(y, x, retain_graph=True)
        ndgrad.autograd.grad(y, x, retain_graph=True)
        root = weakref.ref(y.grad_fn)
        inner = weakref.ref(y.grad_fn.next_functions[0][0])
        del y
        assert root() is None
        assert inner() is None
    finally:
        gc.enable()
