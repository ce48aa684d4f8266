"""Numerical care: stable forms finite at +-1000 and with -inf entries, PyTorch's subgradients at
kinks and zero bases, and the safe ``where`` pattern (docs/numerics.md shows it)."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad

INF = float("inf")

# (name, function of a tensor, input): each is compared with PyTorch and must stay finite
# wherever PyTorch's value and gradient are.
CASES = [
    ("logsumexp at +-1000", lambda m, x: m.logsumexp(x, 0), [1000.0, -1000.0, 999.0]),
    ("logsumexp with -inf", lambda m, x: m.logsumexp(x, 0), [-INF, 0.0, 1.0]),
    ("softmax at +-1000", lambda m, x: m.softmax(x, 0)[0], [1000.0, -1000.0, 999.0]),
    ("softmax with -inf", lambda m, x: m.softmax(x, 0)[1], [-INF, 0.0, 1.0]),
    ("log_softmax at +-1000", lambda m, x: m.log_softmax(x, 0)[0], [1000.0, -1000.0, 999.0]),
    ("log_softmax with -inf", lambda m, x: m.log_softmax(x, 0)[1], [-INF, 0.0, 1.0]),
    ("sigmoid at +-1000", lambda m, x: m.sigmoid(x).sum(), [1000.0, -1000.0]),
    ("abs at 0", lambda m, x: m.abs(x).sum(), [0.0, -2.0]),
    ("relu at 0", lambda m, x: m.relu(x).sum(), [0.0, -2.0, 3.0]),
    ("pow with a zero base", lambda m, x: (x**2.0).sum(), [0.0, 3.0]),
    ("norm at 0", lambda m, x: x.norm(), [0.0, 0.0]),
    ("1-norm at 0", lambda m, x: x.norm(p=1), [0.0, 0.0]),
    ("where, safe pattern", lambda m, x: m.where(x > 0, m.sqrt(m.where(x > 0, x, 1.0)), 0.0).sum(),
     [-1.0, 4.0]),
]  # fmt: skip


def _run(m, f, v):
    x = m.tensor(v, dtype=m.float64, requires_grad=True)
    y = f(m, x)
    y.backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize(("name", "f", "v"), CASES, ids=[c[0] for c in CASES])
def test_stable_forms_and_subgradients_are_finite(name, f, v):
    y, g = _run(ndgrad, f, v)
    assert np.all(np.isfinite(y)), name
    assert np.all(np.isfinite(g)), name


@pytest.mark.parametrize(("name", "f", "v"), CASES, ids=[c[0] for c in CASES])
def test_stable_forms_and_subgradients_equal_pytorch(name, f, v):
    torch = pytest.importorskip("torch")
    y, g = _run(ndgrad, f, v)
    ty, tg = _run(torch, f, v)
    np.testing.assert_allclose(y, ty, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-300, err_msg=name)


def test_where_with_nan_in_the_branch_not_taken_poisons_the_gradient_as_in_pytorch():
    """The unsafe form: d sqrt(x) at x = -1 is NaN and 0 * NaN is NaN; the safe form avoids it."""
    x = ndgrad.tensor([-1.0, 4.0], dtype=ndgrad.float64, requires_grad=True)
    ndgrad.where(x > 0, ndgrad.sqrt(x), 0.0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])
    assert x.grad.numpy()[1] == 0.25
