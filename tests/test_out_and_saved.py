"""``out=`` on ops, and the saved values ``grad_fn`` exposes, as PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad


def test_out_receives_the_result_and_is_returned():
    out = ndgrad.empty(3)
    r = ndgrad.sin(ndgrad.zeros(3), out=out)
    assert r is out
    assert out.tolist() == [0.0, 0.0, 0.0]
    assert out._version == 1


def test_out_on_binary_reductions_and_hand_written_ops():
    o = ndgrad.zeros(3)
    ndgrad.add(ndgrad.ones(3), 2, out=o)
    assert o.tolist() == [3.0, 3.0, 3.0]
    s = ndgrad.zeros(())
    ndgrad.sum(ndgrad.ones(4), out=s)
    assert s.item() == 4.0
    m = ndgrad.empty(2, 2)
    ndgrad.matmul(ndgrad.ones(2, 2), ndgrad.ones(2, 2), out=m)
    assert m.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_a_wrong_shaped_out_is_resized_with_pytorchs_warning_and_an_empty_one_silently():
    out = ndgrad.empty(2)
    with pytest.warns(UserWarning, match="was resized"):
        ndgrad.exp(ndgrad.zeros(3), out=out)
    assert tuple(out.shape) == (3,)
    empty = ndgrad.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ndgrad.exp(ndgrad.zeros(3), out=empty)
    assert empty.tolist() == [1.0, 1.0, 1.0]


def test_out_refuses_autograd_and_unsafe_casts_as_pytorch():
    x = ndgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ndgrad.sin(x, out=ndgrad.empty(3))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        ndgrad.sin(ndgrad.ones(3), out=ndgrad.empty(3, dtype=ndgrad.int64))
    wide = ndgrad.empty(3, dtype=ndgrad.float64)
    ndgrad.sin(ndgrad.ones(3), out=wide)
    assert wide.dtype is ndgrad.float64
    with ndgrad.no_grad():
        o = ndgrad.empty(3)
        ndgrad.sin(x, out=o)
    assert not o.requires_grad


def test_out_takes_a_tuple_for_ops_with_several_outputs():
    v, i = ndgrad.zeros(3), ndgrad.zeros(3, dtype=ndgrad.int64)
    r = ndgrad.sort(ndgrad.tensor([3.0, 1.0, 2.0]), out=(v, i))
    assert r.values is v
    assert r.indices is i
    assert v.tolist() == [1.0, 2.0, 3.0]
    assert i.tolist() == [1, 2, 0]


def test_grad_fn_exposes_what_it_saved_under_pytorchs_names():
    x = ndgrad.ones(3, requires_grad=True)
    y = ndgrad.full((3,), 2.0)
    z = x * y
    assert z.grad_fn._saved_self is None  # not needed: y takes no gradient
    np.testing.assert_allclose(z.grad_fn._saved_other.numpy(), [2.0, 2.0, 2.0])
    e = x.exp()
    assert e.grad_fn._saved_result.tolist() == pytest.approx([np.e] * 3)
    assert x.sum(0).grad_fn._saved_dim == 0
    with pytest.raises(AttributeError):
        _ = z.grad_fn._saved_nothing_like_this


def test_saved_values_are_gone_after_backward():
    x = ndgrad.ones(3, requires_grad=True)
    e = x.exp()
    e.sum().backward()
    with pytest.raises(RuntimeError, match="a second time"):
        _ = e.grad_fn._saved_result
