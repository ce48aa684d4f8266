"""Edge cases where ndgrad's ops once differed from PyTorch: each compared with torch (float64).

Found by running random programs under both (issue 5): non-finite values meeting masks, ties and
NaNs in reductions, empty inputs, exception classes, what a product saves for backward, backward
names per overload, and cat/stack with many inputs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.ops import join

NAN = float("nan")
INF = float("inf")


def _torch():
    return pytest.importorskip("torch")


def _pair(values, dtype="float64", requires_grad=True):
    """The same data as an ndgrad tensor and a torch tensor."""
    torch = _torch()
    a = np.asarray(values, dtype=dtype)
    return (
        ndgrad.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _same(ours, theirs, exact_zero_sign=False):
    """Values equal, NaN where torch has NaN; optionally the sign of each zero as well."""
    a = np.asarray(ours.detach().numpy(), dtype=np.float64)
    b = np.asarray(theirs.detach().numpy(), dtype=np.float64)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True)
    if exact_zero_sign:
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def _grads(f, *values):
    """f's gradients w.r.t. each input (sum of the output), under ndgrad and under torch."""
    torch = _torch()
    pairs = [_pair(v) for v in values]
    ours = [p[0] for p in pairs]
    theirs = [p[1] for p in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's, on the NaN/inf cases
        f(ndgrad, *ours).sum().backward()
    f(torch, *theirs).sum().backward()
    return [t.grad for t in ours], [t.grad for t in theirs]


# --------------------------------------------------------------------------------------------
# relu: a select, not a product with the mask; its backward is differentiable again.


def test_relu_gives_zero_gradient_where_masked_even_if_upstream_is_nan():
    ours, theirs = _grads(lambda lib, x: x.relu().sqrt(), [-1.0, 2.0])
    _same(ours[0], theirs[0])
    assert ours[0][0].item() == 0.0


def test_relu_backward_selects_zero_for_inf_and_negative_upstream_gradients():
    torch = _torch()
    x, tx = _pair([-1.0, 2.0, -3.0, 0.0])
    up = [-1.0, 1.0, INF, NAN]
    x.relu().backward(ndgrad.tensor(up, dtype=ndgrad.float64))
    tx.relu().backward(torch.tensor(up, dtype=torch.float64))
    _same(x.grad, tx.grad, exact_zero_sign=True)  # +0.0, not the -0.0 of -1 * False


def test_relu_double_backward_gives_zeros_as_pytorch():
    torch = _torch()
    x, tx = _pair([-1.0, 2.0, 0.0])
    (g,) = ndgrad.autograd.grad(x.relu().sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tx.relu().sum(), tx, create_graph=True)
    assert g.requires_grad
    assert tg.requires_grad
    assert g.grad_fn.name() == type(tg.grad_fn).__name__ == "ThresholdBackwardBackward0"
    (gg,) = ndgrad.autograd.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    _same(g, tg)
    _same(gg, tgg)


def test_relu_second_order_through_a_product_matches_pytorch():
    torch = _torch()
    x, tx = _pair([-1.5, 0.5, 2.0])
    (g,) = ndgrad.autograd.grad((x.relu() * x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx.relu() * tx).sum(), tx, create_graph=True)
    (gg,) = ndgrad.autograd.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    _same(g, tg)
    _same(gg, tgg)


# --------------------------------------------------------------------------------------------
# Non-smooth and non-finite points of elementwise ops.


def test_atan2_at_the_origin_has_zero_gradients():
    ours, theirs = _grads(lambda lib, y, x: lib.atan2(y, x), [0.0, 1.0, 0.0], [0.0, 0.0, -2.0])
    for a, b in zip(ours, theirs):
        _same(a, b, exact_zero_sign=True)


def test_sign_of_nan_is_zero_with_zero_gradient():
    torch = _torch()
    for dtype in ("float64", "float32", "float16"):
        x, tx = _pair([NAN, 1.0, -2.0, 0.0], dtype)
        _same(ndgrad.sign(x), torch.sign(tx))
    ours, theirs = _grads(lambda lib, x: lib.sign(x), [NAN, 1.0, -2.0])
    _same(ours[0], theirs[0])


@pytest.mark.parametrize("base", [-2.0, 0.0, 2.0, -1])
def test_number_base_to_a_tensor_power_has_pytorchs_gradient(base):
    ours, theirs = _grads(lambda lib, e: base**e, [0.5, 2.0, 0.0, -1.0, 3.0])
    _same(ours[0], theirs[0])


def test_tensor_base_to_a_tensor_power_has_pytorchs_gradients():
    ours, theirs = _grads(
        lambda lib, b, e: b**e, [-2.0, -2.0, 0.0, 0.0, 0.0, 3.0], [0.5, 2.0, 0.0, -1.0, 2.0, 0.5]
    )
    for a, b in zip(ours, theirs):
        _same(a, b)


# --------------------------------------------------------------------------------------------
# amax / amin: a NaN result equals nothing, so its slice's gradient is NaN.


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize(
    ("values", "dim"),
    [
        ([1.0, NAN, 3.0, NAN], ()),
        ([[1.0, NAN], [2.0, 3.0]], 1),
        ([[1.0, 3.0], [3.0, 3.0]], 1),  # ties: split evenly
        ([[NAN, 1.0], [2.0, 2.0]], 0),
    ],
)
def test_amax_and_amin_gradients_with_nans_and_ties_match_pytorch(name, values, dim):
    ours, theirs = _grads(lambda lib, x: getattr(x, name)(dim), values)
    _same(ours[0], theirs[0])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_of_all_elements_sends_the_gradient_to_the_nans(name):
    ours, theirs = _grads(lambda lib, x: getattr(x, name)(), [1.0, NAN, 3.0])
    _same(ours[0], theirs[0])


def test_amax_forward_gradient_with_a_nan_slice_is_nan():
    from ndgrad.autograd import forward_ad as fwad

    x = ndgrad.tensor([[1.0, NAN], [2.0, 3.0]], dtype=ndgrad.float64)
    with fwad.dual_level():
        y = ndgrad.amax(fwad.make_dual(x, ndgrad.ones_like(x)), 1)
        t = fwad.unpack_dual(y).tangent
    torch = _torch()
    tx = torch.tensor([[1.0, NAN], [2.0, 3.0]], dtype=torch.float64)
    tt = torch.func.jvp(lambda a: torch.amax(a, 1), (tx,), (torch.ones_like(tx),))[1]
    _same(t, tt)


# --------------------------------------------------------------------------------------------
# softmax / log_softmax: float16 as PyTorch computes it, and empty inputs.


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_half_softmax_values_and_gradients_equal_pytorchs(name):
    torch = _torch()
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 50)) * 3).astype(np.float16)
    g = rng.standard_normal((4, 50)).astype(np.float16)
    ours = ndgrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y = getattr(ndgrad, name)(ours, 1)
    ty = getattr(torch, name)(theirs, 1)
    y.backward(ndgrad.tensor(g))
    ty.backward(torch.tensor(g))
    assert y.dtype == ndgrad.float16
    assert ours.grad.dtype == ndgrad.float16
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((0,), 0), ((2, 0), 1), ((0, 3), 1), ((0, 3), 0)])
def test_softmax_of_an_empty_tensor_is_empty_with_an_empty_gradient(name, shape, dim):
    torch = _torch()
    x = ndgrad.zeros(*shape, dtype=ndgrad.float64, requires_grad=True)
    tx = torch.zeros(*shape, dtype=torch.float64, requires_grad=True)
    y = getattr(ndgrad, name)(x, dim)
    ty = getattr(torch, name)(tx, dim)
    assert tuple(y.shape) == tuple(ty.shape)
    assert y.grad_fn.name() == type(ty.grad_fn).__name__
    y.sum().backward()
    ty.sum().backward()
    assert tuple(x.grad.shape) == tuple(tx.grad.shape) == shape


# --------------------------------------------------------------------------------------------
# Exception classes of empty reductions.


@pytest.mark.parametrize("name", ["argmax", "argmin", "max", "min", "amax", "amin"])
@pytest.mark.parametrize("dim", [None, 0])
@pytest.mark.parametrize("shape", [(0,), (0, 3)])
def test_empty_reductions_raise_pytorchs_exception_class(name, dim, shape):
    torch = _torch()
    args = () if dim is None else (dim,)
    with pytest.raises(Exception) as theirs:
        getattr(torch.zeros(*shape), name)(*args)
    with pytest.raises(theirs.type) as ours:
        getattr(ndgrad.zeros(*shape), name)(*args)
    assert str(ours.value).startswith(str(theirs.value).split(" Specify")[0].rstrip("."))


# --------------------------------------------------------------------------------------------
# Products save only what the inputs that require grad need (no spurious in-place errors).

_PRODUCTS = {
    "matmul": ((2, 3), (3, 4)),
    "mm": ((2, 3), (3, 4)),
    "mv": ((2, 3), (3,)),
    "dot": ((3,), (3,)),
    "outer": ((3,), (2,)),
    "bmm": ((2, 2, 3), (2, 3, 4)),
    "mul": ((2, 3), (2, 3)),
    "div": ((2, 3), (2, 3)),
}


@pytest.mark.parametrize(
    ("name", "which"),
    [(n, w) for n in sorted(_PRODUCTS) for w in (0, 1) if (n, w) != ("div", 1)],
)
def test_modifying_the_operand_that_requires_grad_is_fine_when_its_rule_does_not_read_it(
    name, which
):
    torch = _torch()
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(0.5, 2.0, s) for s in _PRODUCTS[name]]
    grads = []
    for lib in (ndgrad, torch):
        leaves = [lib.tensor(a.copy(), requires_grad=(i == which)) for i, a in enumerate(arrays)]
        ops = [t * 1 if i == which else t.clone() for i, t in enumerate(leaves)]
        y = getattr(lib, name)(*ops)
        ops[which].add_(1)  # read only by the rule of the other operand, which needs none
        y.sum().backward()
        grads.append(leaves[which].grad)
    _same(*grads)


@pytest.mark.parametrize("name", sorted(_PRODUCTS))
def test_modifying_an_operand_that_backward_needs_still_raises(name):
    rng = np.random.default_rng(4)
    leaves = [ndgrad.tensor(rng.uniform(0.5, 2.0, s), requires_grad=True) for s in _PRODUCTS[name]]
    ops = [t * 1 for t in leaves]
    y = getattr(ndgrad, name)(*ops)
    ops[0].add_(1)  # the gradient of the other operand reads it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# --------------------------------------------------------------------------------------------
# Backward names per overload.

_NAMED = {
    "sum()": lambda lib, x, v: x.sum(),
    "sum(dtype)": lambda lib, x, v: x.sum(dtype=lib.float64),
    "sum(0)": lambda lib, x, v: x.sum(0),
    "sum(dim=None)": lambda lib, x, v: x.sum(dim=None),
    "sum((0, 1), keepdim)": lambda lib, x, v: lib.sum(x, (0, 1), True),
    "mean()": lambda lib, x, v: x.mean(),
    "mean(0)": lambda lib, x, v: x.mean(0),
    "mean(dim=1, keepdim)": lambda lib, x, v: lib.mean(x, dim=1, keepdim=True),
    "prod()": lambda lib, x, v: x.prod(),
    "prod(1)": lambda lib, x, v: x.prod(1),
    "matrix @ matrix": lambda lib, x, v: x @ x.t(),
    "matrix @ vector": lambda lib, x, v: x @ v,
    "vector @ vector": lambda lib, x, v: v @ v,
    "matmul(matrix, vector)": lambda lib, x, v: lib.matmul(x, v),
    "x.matmul(matrix)": lambda lib, x, v: x.matmul(x.t()),
    "x ** 2": lambda lib, x, v: x**2,
    "x ** x": lambda lib, x, v: x**x,
    "pow(x, tensor)": lambda lib, x, v: lib.pow(x, v),
    "2 ** x": lambda lib, x, v: 2**x,
    "1 - x": lambda lib, x, v: 1 - x,
    "x - 1": lambda lib, x, v: x - 1,
}


@pytest.mark.parametrize("case", sorted(_NAMED))
def test_backward_names_follow_the_overload_as_pytorch(case):
    torch = _torch()
    rng = np.random.default_rng(5)
    xa, va = rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, 4)
    names = []
    values = []
    for lib in (ndgrad, torch):
        x = lib.tensor(xa.copy(), requires_grad=True)
        v = lib.tensor(va.copy(), requires_grad=True)
        y = _NAMED[case](lib, x, v)
        gf = y.grad_fn
        names.append(gf.name() if lib is ndgrad else type(gf).__name__)
        y.sum().backward()
        values.append((y, x.grad, v.grad))
    assert names[0] == names[1]
    for a, b in zip(*values):
        if a is not None or b is not None:
            _same(a, b)


# --------------------------------------------------------------------------------------------
# cat and stack with many inputs. See Note [Linear backward of cat and stack] in join.py.


def test_cat_of_many_inputs_of_different_sizes_has_each_inputs_gradient():
    torch = _torch()
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((int(rng.integers(0, 4)), 2)) for _ in range(2000)]
    arrays[5] = np.zeros((0,))  # a legacy 1-d empty tensor, skipped by cat
    w = rng.standard_normal((sum(a.shape[0] for a in arrays), 2))
    ours = [ndgrad.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    (ndgrad.cat(ours) * ndgrad.tensor(w)).sum().backward()
    (torch.cat(theirs) * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        assert tuple(a.grad.shape) == tuple(b.grad.shape)
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_stack_of_many_inputs_has_each_inputs_gradient():
    torch = _torch()
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(3) for _ in range(2000)]
    w = rng.standard_normal((3, 2000))
    ours = [ndgrad.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    (ndgrad.stack(ours, dim=1) * ndgrad.tensor(w)).sum().backward()
    (torch.stack(theirs, dim=1) * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_cat_and_stack_gradients_at_once_equal_the_per_input_rules():
    rng = np.random.default_rng(8)
    xs = [ndgrad.tensor(rng.standard_normal((2, k))) for k in (1, 3, 0, 2)]
    g = ndgrad.tensor(rng.standard_normal((2, 6)))
    layout = join._cat_layout([tuple(x.shape) for x in xs], 1)
    starts = layout["_starts"]
    at_once = join.cat_grads(g, None, *xs, dim=1, **layout)
    for i, r in enumerate(at_once):
        one = join._CAT.vjp[i](g, None, *xs, dim=1, **layout)  # the per-input rule
        np.testing.assert_array_equal(r.numpy(), one.numpy())
        np.testing.assert_array_equal(r.numpy(), g.numpy()[:, starts[i] : starts[i + 1]])
    ys = [ndgrad.tensor(rng.standard_normal(3)) for _ in range(4)]
    gs = ndgrad.tensor(rng.standard_normal((3, 4)))
    for i, r in enumerate(join.stack_grads(gs, None, *ys, dim=-1)):
        np.testing.assert_array_equal(r.numpy(), gs.numpy()[:, i])


def test_cat_forward_gradient_and_double_backward_still_work():
    torch = _torch()
    a, ta = _pair([[1.0, 2.0]])
    b, tb = _pair([[3.0, 4.0], [5.0, 6.0]])
    y = ndgrad.cat([a, b]) ** 2
    ty = torch.cat([ta, tb]) ** 2
    (ga, gb) = ndgrad.autograd.grad(y.sum(), [a, b], create_graph=True)
    (tga, tgb) = torch.autograd.grad(ty.sum(), [ta, tb], create_graph=True)
    _same(ga, tga)
    _same(gb, tgb)
    (gga,) = ndgrad.autograd.grad(ga.sum(), a)
    (tgga,) = torch.autograd.grad(tga.sum(), ta)
    _same(gga, tgga)


def test_einsum_saves_only_the_other_operands_so_a_later_in_place_change_is_fine():
    x = ndgrad.ones(2, 3, requires_grad=True)
    w = ndgrad.ones(3, 2)
    a = x * 1
    y = ndgrad.einsum("ij,jk->ik", a, w)
    a.add_(1)  # PyTorch computes this too: a's gradient needs only w
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 2.0))


def test_stack_and_cat_backward_are_linear_in_the_number_of_inputs():
    # 100,000 inputs once took 114 s in backward; the gradient of each input is its own slice
    ts = [ndgrad.full((2,), float(i), requires_grad=True) for i in range(20_000)]
    (ndgrad.stack(ts) * ndgrad.stack(ts)).sum().backward()
    assert ts[123].grad.tolist() == [246.0, 246.0]
    ts2 = [ndgrad.full((1,), float(i), requires_grad=True) for i in range(20_000)]
    (ndgrad.cat(ts2) ** 2).sum().backward()
    assert ts2[7].grad.item() == 14.0
