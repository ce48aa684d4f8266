"""Hand tests of the arranging and cumulative ops (ops/arrange.py, ops/cumulative.py): what the
op-table template cannot see (errors, zeros in cumprod, -inf in logcumsumexp, views, ties)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")


def _pair(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return (
        ndgrad.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _grads_equal(fn_nd, fn_t, a, v=None, create_graph=False):
    x, tx = _pair(a)
    y, ty = fn_nd(x), fn_t(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    v = np.ones(tuple(y.shape)) if v is None else np.asarray(v, dtype=np.float64)
    (g,) = ndgrad.autograd.grad(y, x, ndgrad.tensor(v), create_graph=create_graph)
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(v), create_graph=create_graph)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-14)
    return x, tx, g, tg


# ---------------------------------------------------------------------------- cumprod


@pytest.mark.parametrize(
    "a",
    [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 5.0], [0.0, 0.0, 0.0], [1.5, -2.0, 0.0]],
    ids=["one zero", "two zeros", "all zeros", "zero last"],
)
def test_cumprod_gradient_with_zeros_equals_pytorch_to_second_order(a):
    v = [1.0, -2.0, 0.5, 3.0][: len(a)]
    x, tx, g, tg = _grads_equal(
        lambda t: t.cumprod(0), lambda t: t.cumprod(0), a, v, create_graph=True
    )
    w = np.arange(1.0, len(a) + 1)
    (h,) = ndgrad.autograd.grad((g * ndgrad.tensor(w)).sum(), x)
    (th,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12, atol=1e-14)


def test_cumprod_gradient_with_zeros_in_some_rows_of_a_matrix():
    a = [[1.0, 0.0, 2.0], [3.0, 4.0, 0.5], [0.0, 1.0, 0.0]]
    _grads_equal(lambda t: t.cumprod(1), lambda t: t.cumprod(1), a, np.arange(9.0).reshape(3, 3))
    _grads_equal(lambda t: t.cumprod(0), lambda t: t.cumprod(0), a, np.arange(9.0).reshape(3, 3))


def test_cumprod_keeps_integers_in_int64_and_honours_dtype():
    x = ndgrad.tensor([1, 2, 3], dtype=ndgrad.int32)
    assert ndgrad.cumprod(x, 0).dtype is ndgrad.int64
    assert ndgrad.cumprod(x, 0, dtype=ndgrad.float64).dtype is ndgrad.float64
    y = ndgrad.tensor([1.0, 2.0, 3.0])
    y.cumprod_(0)
    assert y.tolist() == [1.0, 2.0, 6.0]


def test_cumprod_with_a_bad_dim_raises_pytorchs_index_error():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of"):
        ndgrad.cumprod(ndgrad.ones(2), 2)


# ---------------------------------------------------------------------------- logcumsumexp


def test_logcumsumexp_is_finite_at_large_inputs():
    x = ndgrad.tensor([1000.0, 1000.0, -1000.0], dtype=ndgrad.float64, requires_grad=True)
    y = ndgrad.logcumsumexp(x, 0)
    np.testing.assert_allclose(y.detach().numpy(), [1000.0, 1000.0 + np.log(2), 1000 + np.log(2)])
    y.backward(ndgrad.tensor([1.0, -1.0, 2.0], dtype=ndgrad.float64))
    assert np.isfinite(x.grad.numpy()).all()


def test_logcumsumexp_with_minus_infinity_matches_pytorch():
    a = [-np.inf, -np.inf, 1.0, 2.0, -np.inf]
    x, tx = _pair(a)
    y, ty = ndgrad.logcumsumexp(x, 0), torch.logcumsumexp(tx, 0)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    v = [1.0, -2.0, 3.0, 1.0, -1.0]
    (g,) = ndgrad.autograd.grad(y, x, ndgrad.tensor(v, dtype=ndgrad.float64))
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(v, dtype=torch.float64))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, equal_nan=True)
    assert y.grad_fn.name() == "LogcumsumexpBackward0"


def test_dtypes_pytorchs_kernels_lack_raise_not_implemented_error():
    with pytest.raises(
        NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"
    ):
        ndgrad.logcumsumexp(ndgrad.tensor([1, 2]), 0)
    z = ndgrad.tensor([1 + 1j])
    for name in ("cummax", "cummin"):
        with pytest.raises(NotImplementedError, match=f"{name}_cpu"):
            getattr(ndgrad, name)(z, 0)
    with pytest.raises(NotImplementedError, match="mode_cpu"):
        ndgrad.mode(z)


# ---------------------------------------------------------------------------- cummax, mode


def test_cummax_and_cummin_ties_and_nans_take_the_later_index_as_pytorch():
    a = [1.0, 3.0, 3.0, np.nan, 2.0, np.nan, 0.0]
    for name in ("cummax", "cummin"):
        ours = getattr(ndgrad, name)(ndgrad.tensor(a, dtype=ndgrad.float64), 0)
        theirs = getattr(torch, name)(torch.tensor(a, dtype=torch.float64), 0)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    _grads_equal(lambda t: t.cummax(0).values, lambda t: t.cummax(0).values, [1.0, 3.0, 3.0, 2.0])


def test_cummax_of_an_empty_tensor_is_empty():
    r = ndgrad.cummax(ndgrad.zeros(0, 2), 0)
    assert tuple(r.values.shape) == (0, 2)
    assert r.indices.dtype is ndgrad.int64


def test_mode_with_repeated_values_matches_pytorch():
    a = [[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 4.0]]
    for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}):
        ours = ndgrad.tensor(a, dtype=ndgrad.float64).mode(**kw)
        theirs = torch.tensor(a, dtype=torch.float64).mode(**kw)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    _grads_equal(lambda t: t.mode().values, lambda t: t.mode().values, a, [2.0, 3.0])


# ---------------------------------------------------------------------------- diagonal


def test_diagonal_is_a_view_and_writes_through_it_reach_the_base():
    x = ndgrad.zeros(3, 4)
    d = x.diagonal(1)
    d.add_(1.0)
    assert d._base is x
    np.testing.assert_array_equal(x.numpy(), np.eye(3, 4, 1))
    x[0, 1] = 5.0
    assert d[0].item() == 5.0


def test_writes_through_diagonal_are_differentiated_as_pytorch():
    a = np.arange(1.0, 7.0).reshape(2, 3)
    x, tx = _pair(a)
    y, ty = x * 1.0, tx * 1.0
    y.diagonal().mul_(3.0)
    ty.diagonal().mul_(3.0)
    assert y.grad_fn.name() == "CopySlices"
    assert ty.grad_fn.name().endswith("CopySlices")
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    z = x.diagonal(0, 1, 0)
    assert z.grad_fn.name() == "DiagonalBackward0"


def test_diagonal_of_a_leaf_that_requires_grad_refuses_in_place_writes():
    x = ndgrad.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.diagonal().mul_(2.0)


def test_diagonal_with_identical_dims_raises_pytorchs_error():
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 1, 1"):
        ndgrad.diagonal(ndgrad.ones(2, 3), 0, 1, 1)
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 0, 0"):
        ndgrad.diag_embed(ndgrad.ones(2), 0, 0, 0)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "exc", "msg"),
    [
        (lambda m: m.take(m.ones(2, 3), m.tensor([6])), IndexError, "out of range: tried to "
         "access index 6 on a tensor of 6 elements."),
        (lambda m: m.take(m.ones(2, 3), m.tensor([1.0])), RuntimeError, "take(): Expected a "
         "long tensor for index, but got Float"),
        (lambda m: m.masked_select(m.ones(2), m.tensor([1, 0])), RuntimeError,
         "masked_select: expected BoolTensor for mask"),
        (lambda m: m.rot90(m.ones(2, 2), 1, [0]), RuntimeError,
         "expected total rotation dims == 2, but got dims = 1"),
        (lambda m: m.rot90(m.ones(2), 1), RuntimeError,
         "expected total dims >= 2, but got total dims = 1"),
        (lambda m: m.rot90(m.ones(2, 2), 1, [0, 0]), RuntimeError,
         "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"),
        (lambda m: m.diff(m.tensor(1.0)), RuntimeError,
         "diff expects input to be at least one-dimensional"),
        (lambda m: m.diff(m.ones(2), n=-1), RuntimeError, "order must be non-negative but got -1"),
        (lambda m: m.diff(m.ones(2, 2), prepend=m.ones(2)), RuntimeError,
         "diff expects prepend or append to be the same dimension as input"),
        (lambda m: m.block_diag(m.ones(1, 1, 1)), RuntimeError, "torch.block_diag: Input "
         "tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions"),
        (lambda m: m.combinations(m.ones(2, 2)), RuntimeError,
         "Expect a 1D vector, but got shape [2, 2]"),
        (lambda m: m.combinations(m.ones(2), -1), RuntimeError,
         "Expect a non-negative number, but got -1"),
        (lambda m: m.broadcast_shapes((2,), (3,)), RuntimeError,
         "Attempting to broadcast a dimension of length 3 at -1!"),
        (lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 3), 1), RuntimeError,
         "contracted dimensions need to match, but first has size 3 in dim -1 and second has "
         "size 4 in dim 0"),
        (lambda m: m.roll(m.ones(2, 2), (1, 1), (0,)), RuntimeError,
         "shifts and dimensions must align. shifts: 2, dims:1"),
        (lambda m: m.repeat_interleave(m.ones(3), m.tensor([1, 2])), RuntimeError,
         "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and "
         "input.size(0) = 3"),
        (lambda m: m.repeat_interleave(m.ones(3), m.tensor([1, -2, 1])), RuntimeError,
         "repeats can not be negative"),
        (lambda m: m.repeat_interleave(m.ones(3), 2, output_size=5), RuntimeError,
         "repeat_interleave: Invalid output_size, expected 6 but got 5"),
        (lambda m: m.meshgrid(m.ones(2, 2), indexing="ij"), RuntimeError,
         "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got"),
        (lambda m: m.meshgrid(m.ones(2), indexing="foo"), RuntimeError,
         'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo'),
        (lambda m: m.tile(m.ones(2), (-1,)), RuntimeError,
         "Trying to create tensor with negative dimension -2: [-2]"),
        (lambda m: m.hsplit(m.ones(3), 2), RuntimeError, "torch.hsplit attempted to split along "
         "dimension 0, but the size of the dimension 3 is not divisible by the split_size 2!"),
        (lambda m: m.vsplit(m.ones(3), 1), RuntimeError, "torch.vsplit requires a tensor with "
         "at least 2 dimension, but got a tensor with 1 dimensions!"),
        (lambda m: m.tensor_split(m.ones(3), 0), RuntimeError,
         "number of sections must be larger than 0, got 0"),
        (lambda m: m.mode(m.ones(2), 3), IndexError, "Dimension out of range"),
        (lambda m: m.cummax(m.ones(2), 2), IndexError, "Dimension out of range"),
        (lambda m: m.trapezoid(m.ones(3), m.ones(4)), RuntimeError,
         "trapezoid: There must be one `x` value for each sample point"),
    ],
)  # fmt: skip
def test_errors_have_pytorchs_class_and_message(call, exc, msg):
    with pytest.raises(exc) as theirs:
        call(torch)
    assert msg in str(theirs.value)
    with pytest.raises(exc) as ours:
        call(ndgrad)
    assert msg in str(ours.value)


# ---------------------------------------------------------------------------- the rest


def test_meshgrid_without_indexing_warns_as_pytorch_and_uses_ij():
    a, b = ndgrad.arange(2.0), ndgrad.arange(3.0)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        g = ndgrad.meshgrid(a, b)
    assert tuple(g[0].shape) == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx = ndgrad.meshgrid([a, b], indexing="xy")
    assert tuple(gx[0].shape) == (3, 2)


def test_index_arguments_are_not_differentiable():
    x = ndgrad.arange(6.0).reshape(2, 3).requires_grad_()
    idx = ndgrad.tensor([0, 5, 5])
    y = ndgrad.take(x, idx)
    assert not idx.requires_grad
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    r = ndgrad.repeat_interleave(ndgrad.tensor([1, 2]))
    assert r.tolist() == [0, 1, 1]
    assert r.dtype is ndgrad.int64
    assert r.grad_fn is None
    m = ndgrad.masked_select(x, x > 2.0)
    m.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [1.0, 1.0, 3.0]]


def test_variadic_and_sequence_forms_agree_with_pytorch():
    a, b = np.arange(3.0), np.arange(3.0, 6.0)
    for name in ("hstack", "vstack", "dstack", "column_stack", "row_stack"):
        ours = getattr(ndgrad, name)([ndgrad.tensor(a), ndgrad.tensor(b)])
        theirs = getattr(torch, name)([torch.tensor(a), torch.tensor(b)])
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = ndgrad.atleast_2d(ndgrad.tensor(1.0), ndgrad.tensor(a))
    assert [tuple(t.shape) for t in ours] == [(1, 1), (1, 3)]
    assert tuple(ndgrad.atleast_3d(ndgrad.tensor(a)).shape) == (1, 3, 1)
    assert tuple(ndgrad.block_diag().shape) == (1, 0)
    assert tuple(ndgrad.combinations(ndgrad.tensor(a), 0).shape) == (0,)
    assert tuple(ndgrad.broadcast_shapes((2, 1), (1, 3))) == (2, 3)


def test_tensor_split_gives_views_at_pytorchs_boundaries():
    x = ndgrad.arange(7.0)
    pieces = ndgrad.tensor_split(x, [1, 5, 3, 9])
    theirs = torch.tensor_split(torch.arange(7.0), [1, 5, 3, 9])
    assert [p.tolist() for p in pieces] == [t.tolist() for t in theirs]
    assert all(p._base is x for p in pieces)
    assert [len(p) for p in x.tensor_split(3)] == [3, 2, 2]
