"""Property test: gradients through broadcasting equal central finite differences (float64).

Hypothesis draws two broadcast-compatible shapes and values; the gradient of a small chain of
binary and unary ops must have each input's shape and match central differences.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ndgrad

EPS = 1e-6


def _f(a, b):
    return (a * b + a.sin() - b.exp() * 0.25 + a / (b * b + 1.0)).sum()


def _f_np(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sum(a * b + np.sin(a) - np.exp(b) * 0.25 + a / (b * b + 1.0)))


def _central_difference(f, arrays: list, k: int) -> np.ndarray:
    """d f / d arrays[k], one element at a time."""
    x = arrays[k]
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + EPS
        hi = f(*arrays)
        x[i] = old - EPS
        lo = f(*arrays)
        x[i] = old
        out[i] = (hi - lo) / (2 * EPS)
    return out


_values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


@st.composite
def _broadcast_pair(draw):
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
    )
    sa, sb = shapes.input_shapes
    a = draw(hnp.arrays(np.float64, sa, elements=_values))
    b = draw(hnp.arrays(np.float64, sb, elements=_values))
    return a, b


@settings(max_examples=50, deadline=None)
@given(_broadcast_pair())
def test_gradients_through_broadcasting_have_the_input_shapes_and_match_finite_differences(pair):
    a0, b0 = pair
    a = ndgrad.tensor(a0, requires_grad=True)
    b = ndgrad.tensor(b0, requires_grad=True)
    y = _f(a, b)
    np.testing.assert_allclose(y.item(), _f_np(a0, b0), rtol=1e-12, atol=1e-12)
    y.backward()
    assert a.grad.shape == a.shape
    assert b.grad.shape == b.shape
    assert a.grad.dtype is ndgrad.float64
    assert b.grad.dtype is ndgrad.float64
    arrays = [a0.copy(), b0.copy()]
    np.testing.assert_allclose(
        a.grad.numpy(), _central_difference(_f_np, arrays, 0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        b.grad.numpy(), _central_difference(_f_np, arrays, 1), rtol=1e-5, atol=1e-6
    )


@settings(max_examples=30, deadline=None)
@given(_broadcast_pair())
def test_grad_of_a_broadcast_product_matches_the_sum_of_backward_calls(pair):
    a0, b0 = pair
    a = ndgrad.tensor(a0, requires_grad=True)
    b = ndgrad.tensor(b0, requires_grad=True)
    ga, gb = ndgrad.autograd.grad(_f(a, b), (a, b))
    _f(a, b).backward()
    _f(a, b).backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * ga.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), 2 * gb.numpy(), rtol=1e-12, atol=1e-12)
