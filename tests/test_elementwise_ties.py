"""Elementwise ops at the points the op-table samples avoid: ties, bounds, kinks, zeros.

Finite differences do not hold there, so the values below are PyTorch 2.13's answers, written
out (and compared with PyTorch itself where it is installed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad


def _torch():
    return pytest.importorskip("torch")


def _grads(lib, fn, *values):
    xs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return [x.grad.detach().numpy() for x in xs]


# ------------------------------------------------------------------------ minimum / maximum


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_of_maximum_and_minimum_split_the_gradient_half_and_half(name):
    a, b = [1.0, 2.0, 3.0], [1.0, 0.0, 5.0]
    ga, gb = _grads(ndgrad, getattr(ndgrad, name), a, b)
    if name == "maximum":
        np.testing.assert_array_equal(ga, [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(gb, [0.5, 0.0, 1.0])
    else:
        np.testing.assert_array_equal(ga, [0.5, 0.0, 1.0])
        np.testing.assert_array_equal(gb, [0.5, 1.0, 0.0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_of_maximum_and_minimum_match_pytorch(name):
    torch = _torch()
    a, b = [[1.0, 2.0, 3.0], [4.0, 4.0, -1.0]], [4.0, 2.0, 0.0]
    ours = _grads(ndgrad, getattr(ndgrad, name), a, b)
    theirs = _grads(torch, getattr(torch, name), a, b)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(o, t)


def test_forward_mode_of_maximum_at_a_tie_is_the_mean_of_the_tangents():
    from ndgrad.autograd import forward_ad

    with forward_ad.dual_level():
        x = forward_ad.make_dual(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([1.0, 1.0]))
        y = forward_ad.make_dual(ndgrad.tensor([1.0, 0.0]), ndgrad.tensor([3.0, 3.0]))
        t = forward_ad.unpack_dual(ndgrad.maximum(x, y)).tangent
    np.testing.assert_array_equal(t.numpy(), [2.0, 1.0])


# ------------------------------------------------------------------------ clamp


def test_clamp_passes_the_gradient_at_its_bounds():
    (g,) = _grads(ndgrad, lambda x: ndgrad.clamp(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_with_min_equal_to_max_passes_the_gradient_only_at_the_bound():
    (g,) = _grads(ndgrad, lambda x: ndgrad.clamp(x, 1.0, 1.0), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_clamp_with_min_above_max_gives_max_and_no_input_gradient():
    x = ndgrad.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = ndgrad.clamp(x, 2.0, 0.0)
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_tensor_bounds_of_clamp_get_the_gradient_where_they_are_selected():
    # x below, between, above the bounds; then at each bound; then min == max, then min > max.
    x = [-3.0, 0.0, 3.0, -1.0, 1.0, 0.0, 1.0, 2.0, 0.0]
    lo = [-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0]
    hi = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -2.0]
    gx, glo, ghi = _grads(ndgrad, ndgrad.clamp, x, lo, hi)
    np.testing.assert_array_equal(gx, [0, 1, 0, 1, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(glo, [1, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 1, 0, 0, 0, 0, 1, 1])


def test_tensor_bounds_of_clamp_match_pytorch_at_ties():
    torch = _torch()
    x = [-3.0, 0.0, 3.0, -1.0, 1.0, 0.0, 1.0, 2.0, 0.0]
    lo = [-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0]
    hi = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -2.0]
    ours = _grads(ndgrad, ndgrad.clamp, x, lo, hi)
    for o, t in zip(ours, _grads(torch, torch.clamp, x, lo, hi), strict=True):
        np.testing.assert_array_equal(o, t)


def test_clamp_of_an_input_smaller_than_its_bounds_sums_the_gradient_back():
    # PyTorch 2.13 fails here in backward; the answer is the sum over the broadcast rows.
    x = ndgrad.tensor([[-2.0, 0.0, 2.0]], requires_grad=True)
    lo = ndgrad.tensor([[-1.0], [-3.0]])
    hi = ndgrad.tensor([[1.0], [3.0]])
    y = ndgrad.clamp(x, lo, hi)
    assert tuple(y.shape) == (2, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 2.0, 1.0]])


def test_clamp_takes_a_tensor_bound_with_a_number_bound():
    x = ndgrad.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    lo = ndgrad.tensor([-1.0, -1.0, -1.0], requires_grad=True)
    y = ndgrad.clamp(x, lo, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), [-1.0, 0.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(lo.grad.numpy(), [1.0, 0.0, 0.0])


def test_clamp_without_bounds_raises_as_in_pytorch():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ndgrad.clamp(ndgrad.tensor([1.0]))


def test_clamp_keeps_integer_dtypes_and_promotes_with_float_bounds():
    x = ndgrad.tensor([1, 2, 3])
    assert ndgrad.clamp(x, 0, 2).dtype is ndgrad.int64
    y = ndgrad.clamp(x, min=1.5)
    assert y.dtype is ndgrad.float32
    np.testing.assert_array_equal(y.numpy(), [1.5, 2.0, 3.0])


def test_clip_clamp_min_and_the_in_place_forms_are_clamp():
    x = ndgrad.tensor([-2.0, 0.5, 2.0])
    assert ndgrad.clip is ndgrad.clamp
    np.testing.assert_array_equal(x.clip(-1, 1).numpy(), [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.clamp_min(0).numpy(), [0.0, 0.5, 2.0])
    np.testing.assert_array_equal(x.clamp_max(0).numpy(), [-2.0, 0.0, 0.0])
    y = x.clone()
    assert y.clamp_(max=1.0) is y
    np.testing.assert_array_equal(y.numpy(), [-2.0, 0.5, 1.0])
    y.clip_(0.0, 0.75)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 0.75])


# ------------------------------------------------------------------------ kinks at zero


def test_relu_abs_and_sign_have_gradient_zero_at_zero():
    (g,) = _grads(ndgrad, ndgrad.relu, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    (g,) = _grads(ndgrad, ndgrad.abs, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    (g,) = _grads(ndgrad, ndgrad.sign, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_sign_is_differentiable_with_a_zero_gradient_as_in_pytorch():
    y = ndgrad.tensor([1.0, -2.0], requires_grad=True).sign()
    assert y.requires_grad
    assert y.grad_fn.name() == "SignBackward0"


def test_relu_keeps_nan_and_passes_its_gradient_as_in_pytorch():
    x = ndgrad.tensor([float("nan"), -1.0], dtype=ndgrad.float64, requires_grad=True)
    y = ndgrad.relu(x)
    assert np.isnan(y.detach().numpy()[0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


def test_relu_abs_and_sign_keep_integer_dtypes():
    x = ndgrad.tensor([-2, 0, 3], dtype=ndgrad.int32)
    for f, want in ((ndgrad.relu, [0, 0, 3]), (ndgrad.abs, [2, 0, 3]), (ndgrad.sign, [-1, 0, 1])):
        y = f(x)
        assert y.dtype is ndgrad.int32
        np.testing.assert_array_equal(y.numpy(), want)
    assert abs(x).dtype is ndgrad.int32


def test_transcendental_ops_promote_integers_to_the_default_float():
    x = ndgrad.tensor([1, 2])
    for name in ("sigmoid", "erf", "sqrt", "atan", "log1p", "expm1", "rsqrt"):
        assert getattr(ndgrad, name)(x).dtype is ndgrad.float32, name
    assert ndgrad.atan2(x, ndgrad.tensor([1, 1])).dtype is ndgrad.float32


def test_sigmoid_of_large_inputs_does_not_overflow():
    x = ndgrad.tensor([-1000.0, 0.0, 1000.0], dtype=ndgrad.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ndgrad.sigmoid(x)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 1.0])


def test_in_place_forms_write_into_the_tensor():
    x = ndgrad.tensor([-1.0, 4.0])
    x.relu_()
    np.testing.assert_array_equal(x.numpy(), [0.0, 4.0])
    x.sqrt_()
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    x = ndgrad.tensor([-1.0, 4.0], requires_grad=True).clone()
    x.abs_().sigmoid_()
    x.sum().backward()  # reaches the leaf through both in-place ops


# ------------------------------------------------------------------------ comparisons


def test_comparisons_give_bool_tensors_and_dunders_call_them():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ndgrad.tensor([3.0, 2.0, 1.0])
    for got, want in (
        (x == y, [0, 1, 0]),
        (x != y, [1, 0, 1]),
        (x < y, [1, 0, 0]),
        (x <= y, [1, 1, 0]),
        (x > y, [0, 0, 1]),
        (x >= y, [0, 1, 1]),
        (x.less(2.5), [1, 1, 0]),
        (x.greater_equal(2), [0, 1, 1]),
    ):
        assert got.dtype is ndgrad.bool
        assert not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), np.array(want, bool))


def test_tensors_stay_hashable_and_compare_unequal_to_none():
    x = ndgrad.tensor([1.0])
    assert hash(x) == hash(x)
    assert x in {x: 1}
    assert (x == None) is False  # noqa: E711 - what PyTorch answers
    assert (x != "a") is True
    assert (3.0 > x).numpy().all()  # noqa: SIM300 - Python calls x.__lt__(3.0)


def test_in_place_comparisons_write_zeros_and_ones_and_cut_the_gradient():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.lt_(2.5)
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, 1.0, 0.0])
    assert y.dtype is ndgrad.float32
    assert y.requires_grad
    assert y.grad_fn.name() == "LtBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    z = ndgrad.tensor([1, 5])
    z.ge_(ndgrad.tensor([2, 2]))
    assert z.dtype is ndgrad.int64
    np.testing.assert_array_equal(z.numpy(), [0, 1])


def test_logical_and_bit_operators():
    a = ndgrad.tensor([True, True, False])
    b = ndgrad.tensor([True, False, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, False])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True, False])
    np.testing.assert_array_equal((~a).numpy(), [False, False, True])
    np.testing.assert_array_equal(
        ndgrad.logical_not(ndgrad.tensor([0.0, 2.0])).numpy(), [True, False]
    )
    c = a.clone()
    c &= b
    np.testing.assert_array_equal(c.numpy(), [True, False, False])


def test_pow_gradient_with_respect_to_a_tensor_exponent_masks_zero_bases():
    # The rule uses (x == 0) & (y >= 0): comparisons and & on tensors.
    x = ndgrad.tensor([0.0, 2.0], dtype=ndgrad.float64)
    y = ndgrad.tensor([2.0, 3.0], dtype=ndgrad.float64, requires_grad=True)
    (x**y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 8.0 * np.log(2.0)])


@pytest.mark.parametrize("exponent", [0, 1, 2, 2.0, 3])
def test_pow_with_a_number_exponent_has_pytorchs_first_and_second_derivatives(exponent):
    torch = pytest.importorskip("torch")
    data = [-1.5, 0.0, 0.5, 2.0]
    x = ndgrad.tensor(data, dtype=ndgrad.float64, requires_grad=True)
    (g,) = ndgrad.autograd.grad((x**exponent).sum(), x, create_graph=True)
    tx = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((tx**exponent).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy())
    assert g.requires_grad == tg.requires_grad  # x**0: a constant gradient in both
    if tg.requires_grad:
        (h,) = ndgrad.autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)
        (th,) = torch.autograd.grad(tg.sum(), tx, allow_unused=True, materialize_grads=True)
        np.testing.assert_allclose(h.numpy(), th.numpy())
