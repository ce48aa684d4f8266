"""Reductions by hand: ties, zeros in prod, PyTorch's signatures and its errors.

The op table (tests/test_op_table.py) checks every reduction at smooth points; these tests cover
what finite differences cannot: non-smooth points (ties, zeros, a zero norm), the legacy keyword
forms, stability at large inputs, and the exception classes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")


def both(data, requires_grad=True):
    """The same float64 data as an ndgrad tensor and a torch tensor."""
    a = np.asarray(data, dtype=np.float64)
    x = ndgrad.tensor(a, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return x, t


def grad_of(out, x):
    (g,) = ndgrad.autograd.grad(out, [x])
    return g.numpy()


def torch_grad_of(out, t):
    (g,) = torch.autograd.grad(out, [t])
    return g.numpy()


def second_order(f, data, w):
    """grad of <grad f(x), w> in ndgrad and in torch (a Hessian-vector product)."""
    x, t = both(data)
    (g,) = ndgrad.autograd.grad(f(ndgrad, x), [x], create_graph=True)
    (h,) = ndgrad.autograd.grad((g * ndgrad.tensor(w)).sum(), [x])
    (tg,) = torch.autograd.grad(f(torch, t), [t], create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), [t])
    return h.numpy(), th.numpy()


TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]


# ------------------------------------------------------------------------------- max and min


def test_max_without_dim_splits_the_gradient_evenly_among_ties():
    x, t = both(TIES)
    np.testing.assert_array_equal(grad_of(x.max(), x), torch_grad_of(t.max(), t))
    np.testing.assert_array_equal(grad_of(x.max(), x), [[0, 0.5, 0.5], [0, 0, 0]])


def test_min_without_dim_splits_the_gradient_evenly_among_ties():
    x, t = both([[0.0, 3.0], [0.0, 0.0]])
    np.testing.assert_allclose(grad_of(x.min(), x), torch_grad_of(t.min(), t))


def test_max_with_dim_returns_values_and_indices_as_a_namedtuple():
    x, t = both(TIES)
    out = ndgrad.max(x, 1)
    values, indices = out
    assert out.values is values
    assert out.indices is indices
    assert type(out).__name__ == "max"
    np.testing.assert_array_equal(values.detach().numpy(), [3.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), torch.max(t, 1).indices.numpy())
    assert indices.dtype is ndgrad.int64
    assert not indices.requires_grad
    assert values.grad_fn.name() == "MaxBackward0"


def test_max_with_dim_sends_the_gradient_only_to_the_returned_index():
    x, t = both(TIES)
    ours = grad_of(x.max(dim=1).values.sum(), x)
    theirs = torch_grad_of(t.max(dim=1).values.sum(), t)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [[0, 1, 0], [1, 0, 0]])


def test_min_with_dim_and_keepdim_matches_pytorch():
    x, t = both(TIES)
    out, tout = x.min(0, True), t.min(0, True)
    np.testing.assert_array_equal(out.indices.numpy(), tout.indices.numpy())
    assert tuple(out.values.shape) == (1, 3)
    v = np.arange(3.0).reshape(1, 3)
    (g,) = ndgrad.autograd.grad(out.values, [x], ndgrad.tensor(v))
    (tg,) = torch.autograd.grad(tout.values, [t], torch.tensor(v))
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_max_with_dim_forward_mode_reads_the_selected_tangent():
    x = ndgrad.tensor(TIES, dtype=ndgrad.float64)
    u = ndgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ndgrad.float64)
    fw = ndgrad.autograd.forward_ad
    with fw.dual_level():
        out = ndgrad.max(fw.make_dual(x, u), 1).values
        np.testing.assert_array_equal(fw.unpack_dual(out).tangent.numpy(), [2.0, 4.0])
        whole = fw.make_dual(x, u).max()
        np.testing.assert_allclose(fw.unpack_dual(whole).tangent.numpy(), 2.5)


def test_max_with_a_tensor_second_argument_is_maximum():
    x, t = both([1.0, 5.0, 3.0])
    y, s = both([4.0, 2.0, 3.0])
    np.testing.assert_array_equal(ndgrad.max(x, y).detach().numpy(), [4.0, 5.0, 3.0])
    np.testing.assert_array_equal(ndgrad.min(x, other=y).detach().numpy(), [1.0, 2.0, 3.0])
    out = x.max(y).sum()
    (gx, gy) = ndgrad.autograd.grad(out, [x, y])
    (tx, ty) = torch.autograd.grad(torch.max(t, s).sum(), [t, s])
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())
    np.testing.assert_array_equal(gy.numpy(), ty.numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_split_the_gradient_evenly_among_ties_of_each_slice(name):
    x, t = both(TIES)
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}):
        out = getattr(ndgrad, name)(x, **kwargs)
        tout = getattr(torch, name)(t, **kwargs)
        v = np.linspace(1.0, 2.0, out.numel()).reshape(tuple(out.shape))
        (g,) = ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))
        (tg,) = torch.autograd.grad(tout, [t], torch.tensor(v))
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-15, err_msg=str(kwargs))


def test_amax_keeps_integer_dtypes_and_argmax_gives_int64():
    x = ndgrad.tensor(np.array([[1, 7], [9, 2]], dtype=np.int32))
    assert ndgrad.amax(x, 1).dtype is ndgrad.int32
    assert ndgrad.argmax(x).dtype is ndgrad.int64
    assert ndgrad.argmax(x).item() == 2


def test_argmax_and_argmin_pick_the_first_of_ties_and_have_no_gradient():
    x, t = both(TIES)
    for name in ("argmax", "argmin"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"keepdim": True}):
            out = getattr(x, name)(**kwargs)
            ref = getattr(t, name)(**kwargs)
            assert not out.requires_grad
            assert tuple(out.shape) == tuple(ref.shape), (name, kwargs)
            np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_argmax_of_a_scalar_is_zero():
    assert ndgrad.argmax(ndgrad.tensor(3.0), 0).item() == 0
    assert ndgrad.tensor(3.0).max(0).indices.item() == 0


def test_max_of_an_empty_tensor_asks_for_a_dim():
    with pytest.raises(RuntimeError, match="Specify the reduction dim"):
        ndgrad.zeros(0).max()
    with pytest.raises(RuntimeError, match="Specify the reduction dim"):
        ndgrad.amin(ndgrad.zeros(0, 3))


def test_max_of_nan_returns_nan_and_sends_the_gradient_to_it():
    x, t = both([1.0, math.nan, 3.0])
    assert math.isnan(x.max().item())
    np.testing.assert_array_equal(grad_of(x.max(), x), torch_grad_of(t.max(), t))
    np.testing.assert_array_equal(x.max(0).indices.numpy(), 1)


# ------------------------------------------------------------------------------- prod


@pytest.mark.parametrize(
    "data",
    [
        [2.0, 0.0, 3.0, 4.0],  # one zero: the gradient at it is the product of the others
        [2.0, 0.0, 3.0, 0.0],  # two zeros: every first derivative is 0
        [0.0, 0.0, 0.0, 5.0],
        [[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 5.0, 4.0]],
    ],
)
def test_prod_gradient_with_zeros_matches_pytorch(data):
    x, t = both(data)
    np.testing.assert_allclose(grad_of(x.prod(), x), torch_grad_of(t.prod(), t))
    if x.ndim == 2:
        for dim, keepdim in ((0, False), (1, True), (-1, False)):
            v = np.arange(1.0, 4.0).reshape((1, 3) if dim == 0 else ((3, 1) if keepdim else (3,)))
            v = v.reshape(tuple(x.prod(dim, keepdim).shape))
            (g,) = ndgrad.autograd.grad(x.prod(dim, keepdim), [x], ndgrad.tensor(v))
            (tg,) = torch.autograd.grad(t.prod(dim, keepdim), [t], torch.tensor(v))
            np.testing.assert_allclose(g.numpy(), tg.numpy())


def test_prod_gradient_at_a_single_zero_is_the_product_of_the_others():
    x = ndgrad.tensor([2.0, 0.0, 3.0, 4.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 24.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "data",
    [
        [[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 5.0, 4.0]],
        [[0.0, 0.0, 0.0], [1.5, 0.0, -2.0], [0.0, 7.0, 0.0]],
    ],
)
def test_prod_second_order_with_zeros_matches_pytorch(data):
    w = np.arange(9.0).reshape(3, 3) - 4.0
    for f in (
        lambda lib, x: x.prod(1).sum(),
        lambda lib, x: x.prod(),
        lambda lib, x: x.prod(0).sum(),
    ):
        ours, theirs = second_order(f, data, w)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_prod_forward_mode_with_a_zero():
    fw = ndgrad.autograd.forward_ad
    x = ndgrad.tensor([2.0, 0.0, 3.0], dtype=ndgrad.float64)
    with fw.dual_level():
        out = fw.make_dual(x, ndgrad.tensor([1.0, 1.0, 1.0], dtype=ndgrad.float64)).prod()
        assert fw.unpack_dual(out).tangent.item() == 6.0


def test_prod_of_integers_is_int64_and_takes_one_dim_only():
    x = ndgrad.tensor(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert x.prod().dtype is ndgrad.int64
    assert x.prod().item() == 24
    with pytest.raises(TypeError, match="dim"):
        x.prod((0, 1))


# ------------------------------------------------------------------------------- mean, var, std


def test_mean_of_an_integer_tensor_raises_as_pytorch():
    with pytest.raises(RuntimeError, match="could not infer output dtype.*Long"):
        ndgrad.tensor([1, 2]).mean()
    assert ndgrad.tensor([1, 2]).mean(dtype=ndgrad.float64).item() == 1.5


def test_mean_gradient_is_one_over_n():
    x, t = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(grad_of(x.mean(1).sum(), x), torch_grad_of(t.mean(1).sum(), t))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: lib.var(x),
        lambda lib, x: x.var(True),
        lambda lib, x: x.var(False),
        lambda lib, x: x.var(1, True),
        lambda lib, x: x.var(1, False, True),
        lambda lib, x: x.var(0, unbiased=False),
        lambda lib, x: x.var(dim=1, correction=0, keepdim=True),
        lambda lib, x: x.var(correction=2),
        lambda lib, x: lib.std(x, 1),
        lambda lib, x: x.std(0, False),
        lambda lib, x: x.std(unbiased=True),
        lambda lib, x: x.std(dim=(0, 1), correction=0.5),
    ],
)
def test_var_and_std_accept_pytorch_signatures_and_legacy_unbiased(call):
    data = [[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]]
    x, t = both(data)
    out, tout = call(ndgrad, x), call(torch, t)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    v = np.ones(tuple(out.shape))
    (g,) = ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))
    (tg,) = torch.autograd.grad(tout, [t], torch.tensor(v))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_var_rejects_both_unbiased_and_correction():
    x, t = both([1.0, 2.0])
    with pytest.raises(TypeError):
        t.var(0, unbiased=True, correction=0)
    with pytest.raises(TypeError, match="correction"):
        x.var(0, unbiased=True, correction=0)


def test_var_of_integers_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        ndgrad.tensor([1, 2]).var()


def test_std_of_a_constant_has_a_zero_gradient_not_nan():
    x, t = both([2.0, 2.0, 2.0])
    np.testing.assert_array_equal(grad_of(x.std(), x), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of(x.std(), x), torch_grad_of(t.std(), t))


def test_var_with_no_degrees_of_freedom_is_nan_or_inf():
    with np.errstate(all="ignore"):
        assert math.isnan(ndgrad.tensor([1.0]).var().item())
        assert ndgrad.tensor([1.0, 2.0]).var(correction=3).item() == math.inf


# ------------------------------------------------------------------------------- norm


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, 0.5, -1, math.inf, -math.inf, 0])
def test_norm_gradient_at_the_zero_vector_is_zero(p):
    x, t = both([0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of(x.norm(p), x), [0.0, 0.0, 0.0])
    tout = torch.norm(t, p)
    if tout.requires_grad and tout.grad_fn is not None:
        (tg,) = torch.autograd.grad(tout, [t], allow_unused=True, materialize_grads=True)
        np.testing.assert_array_equal(grad_of(x.norm(p), x), tg.numpy())


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, math.inf, -math.inf])
def test_norm_with_zeros_and_ties_matches_pytorch(p):
    data = [[0.0, -3.0, 3.0], [1.0, 0.0, -2.0]]
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        x, t = both(data)
        out, tout = x.norm(p, **kwargs), torch.norm(t, p, **kwargs)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
        v = np.linspace(1.0, 2.0, out.numel()).reshape(tuple(out.shape))
        (g,) = ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))
        (tg,) = torch.autograd.grad(tout, [t], torch.tensor(v))
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, err_msg=f"{p} {kwargs}")


def test_norm_defaults_to_the_frobenius_norm_and_takes_dim_positionally():
    x = ndgrad.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert x.norm().item() == 5.0
    np.testing.assert_allclose(ndgrad.norm(x, 2, 1, True).numpy(), [[5.0], [0.0]])


def test_norm_of_integers_and_nuclear_norm_raise():
    with pytest.raises(RuntimeError, match="floating point"):
        ndgrad.tensor([1, 2]).norm()
    with pytest.raises(NotImplementedError, match="nuc"):
        ndgrad.ones(2, 2).norm("nuc")


def test_norm_dtype_must_not_narrow():
    x = ndgrad.tensor([3.0, 4.0], dtype=ndgrad.float64)
    with pytest.raises(RuntimeError, match="without narrowing"):
        x.norm(dtype=ndgrad.float32)
    y = ndgrad.tensor([3.0, 4.0])
    assert y.norm(dtype=ndgrad.float64).dtype is ndgrad.float64


# ------------------------------------------------------------------------------- logsumexp


def test_logsumexp_is_stable_for_large_inputs():
    x = ndgrad.tensor([1000.0, 1000.0], dtype=ndgrad.float64, requires_grad=True)
    out = ndgrad.logsumexp(x, 0)
    assert out.item() == pytest.approx(1000.0 + math.log(2.0))
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])


def test_logsumexp_of_minus_infinity_is_minus_infinity():
    x = ndgrad.tensor([-math.inf, -math.inf])
    assert ndgrad.logsumexp(x, 0).item() == -math.inf
    assert ndgrad.logsumexp(ndgrad.tensor([math.inf, 1.0]), 0).item() == math.inf


def test_logsumexp_requires_dim_and_promotes_integers():
    with pytest.raises(TypeError, match="dim"):
        ndgrad.logsumexp(ndgrad.ones(3))
    assert ndgrad.logsumexp(ndgrad.tensor([1, 2]), 0).dtype is ndgrad.float32


# ------------------------------------------------------------------------------- softmax


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_and_matches_pytorch_for_large_inputs(name):
    data = [[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]]
    x, t = both(data)
    out, tout = getattr(x, name)(1), getattr(t, name)(1)
    assert np.isfinite(out.detach().numpy()).all()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    v = np.arange(6.0).reshape(2, 3)
    (g,) = ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))
    (tg,) = torch.autograd.grad(tout, [t], torch.tensor(v))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one():
    x = ndgrad.randn(4, 5)
    np.testing.assert_allclose(ndgrad.softmax(x, 1).sum(1).numpy(), np.ones(4), rtol=1e-6)


def test_softmax_dtype_argument_casts_first():
    x = ndgrad.tensor([1.0, 2.0])
    assert ndgrad.softmax(x, 0, dtype=ndgrad.float64).dtype is ndgrad.float64
    assert ndgrad.log_softmax(x, 0, ndgrad.float64).dtype is ndgrad.float64


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_requires_dim_and_a_floating_input(name):
    with pytest.raises(TypeError, match="dim"):
        getattr(ndgrad, name)(ndgrad.ones(3))
    with pytest.raises(NotImplementedError, match="Long"):
        getattr(ndgrad, name)(ndgrad.tensor([1, 2]), 0)


# ------------------------------------------------------------------------------- cumsum


def test_cumsum_gradient_is_the_reversed_cumulative_sum():
    x, t = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = np.arange(6.0).reshape(2, 3)
    for dim in (0, 1, -1):
        (g,) = ndgrad.autograd.grad(x.cumsum(dim), [x], ndgrad.tensor(v))
        (tg,) = torch.autograd.grad(t.cumsum(dim), [t], torch.tensor(v))
        np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_cumsum_of_integers_is_int64_and_dim_is_required():
    x = ndgrad.tensor(np.array([1, 2, 3], dtype=np.int32))
    out = x.cumsum(0)
    assert out.dtype is ndgrad.int64
    np.testing.assert_array_equal(out.numpy(), [1, 3, 6])
    assert ndgrad.cumsum(x, 0, dtype=ndgrad.float64).dtype is ndgrad.float64
    with pytest.raises(TypeError, match="dim"):
        ndgrad.cumsum(x)


# ------------------------------------------------------------------------------- dims


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: x.sum(2),
        lambda lib, x: x.mean(-3),
        lambda lib, x: x.prod(2),
        lambda lib, x: x.max(2),
        lambda lib, x: x.amin(dim=(0, 5)),
        lambda lib, x: x.argmax(2),
        lambda lib, x: x.var(2),
        lambda lib, x: x.std(dim=-3),
        lambda lib, x: x.norm(dim=2),
        lambda lib, x: lib.logsumexp(x, 2),
        lambda lib, x: x.cumsum(2),
        lambda lib, x: x.softmax(2),
        lambda lib, x: x.log_softmax(-3),
    ],
)
def test_dim_out_of_range_raises_index_error_like_pytorch(call):
    x, t = both([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(IndexError):
        call(torch, t)
    with pytest.raises(
        IndexError,
        match=r"Dimension out of range \(expected to be in range of "
        r"\[-2, 1\], but got",
    ):
        call(ndgrad, x)


def test_a_scalar_accepts_dim_zero_and_minus_one_only():
    s = ndgrad.tensor(2.0)
    assert s.sum(0).item() == 2.0
    assert s.max(-1).values.item() == 2.0
    assert s.cumsum(0).item() == 2.0
    with pytest.raises(IndexError):
        s.sum(1)


def test_return_types_are_namedtuples_with_values_and_indices():
    from ndgrad.ops.reduction import return_types

    assert return_types.max._fields == ("values", "indices")
    assert return_types.min._fields == ("values", "indices")
