"""``ndgrad.nn.functional.linear`` records what PyTorch records and gives its gradients."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad


def test_linear_on_a_matrix_with_a_bias_records_addmm_and_gives_pytorchs_gradients():
    torch = pytest.importorskip("torch")
    out = {}
    for lib in (ndgrad, torch):
        x = lib.tensor(np.arange(12.0).reshape(4, 3))
        w = lib.tensor(np.ones((2, 3)), requires_grad=True)
        b = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
        y = lib.nn.functional.linear(x, w, b)
        (y * y).sum().backward()
        out[lib.__name__] = (y.grad_fn.name(), y.tolist(), w.grad.tolist(), b.grad.tolist())
    assert out["ndgrad"][0] == "AddmmBackward0"
    assert out["ndgrad"] == out["torch"]


def test_linear_without_a_bias_or_on_a_vector_gives_the_same_values_as_pytorch():
    torch = pytest.importorskip("torch")
    for shape in ((3,), (2, 2, 3)):
        for with_bias in (True, False):
            res = []
            for lib in (ndgrad, torch):
                x = lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape))
                w = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
                b = lib.tensor(np.array([0.5, -1.0]), requires_grad=True) if with_bias else None
                y = lib.nn.functional.linear(x, w, b)
                y.sum().backward()
                res.append((y.tolist(), w.grad.tolist()))
            np.testing.assert_allclose(res[0][0], res[1][0])
            np.testing.assert_allclose(res[0][1], res[1][1])
