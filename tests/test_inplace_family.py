"""PyTorch's in-place family: values, version bumps, recorded history, leaf checks, writes
through views, and the gradients that flow through each in-place op, compared with PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")

X = np.array([[0.3, -1.2, 2.1], [1.7, -0.4, 0.9], [-2.2, 0.6, 1.4]])


@pytest.fixture(autouse=True)
def _float64():
    """Both libraries make float64 tensors here, so ops mixing X with new tensors agree."""
    ndgrad.set_default_dtype(ndgrad.float64)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


W = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0], [2.0, 0.5, 1.5]])


def both(fn, x=X, w=W, extra=()):
    """Run ``fn(lib, y, *extra)`` on y = x * 1 (x a leaf) with ndgrad and with torch; compare the
    result, its version bump, and the gradients of (y * w).sum() to x and to ``extra``."""
    out = []
    for lib in (ndgrad, torch):
        xs = lib.tensor(x, requires_grad=True)
        ex = [lib.tensor(e, requires_grad=e.dtype.kind == "f") for e in extra]
        y = xs * 1
        v0 = y._version
        r = fn(lib, y, *ex)
        assert r is y, "an in-place method returns self"
        (y * lib.tensor(np.resize(w, tuple(y.shape)))).sum().backward()
        grads = [xs.grad] + [e.grad for e in ex if e.requires_grad]
        out.append((y.detach().numpy().copy(), y._version - v0, [_np(g) for g in grads]))
    (yn, vn, gn), (yt, vt, gt) = out
    np.testing.assert_allclose(yn, yt, rtol=1e-12, atol=1e-12)
    assert vn == vt
    for a, b in zip(gn, gt):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _np(g):
    return None if g is None else g.detach().numpy()


# --------------------------------------------------------------------------------------------
# zero_ / fill_ / copy_


def test_zero__clears_grad_in_place_in_the_tutorial_loop():
    w = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        seen.append(w.grad.numpy().copy())
        g = w.grad
        w.grad.zero_()
        assert w.grad is g, "zero_ writes into the same .grad tensor"
        with ndgrad.no_grad():
            w -= 0.1 * g
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 0.0])


def test_zero__on_a_leaf_that_requires_grad_raises_as_pytorch():
    x = ndgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*zero_"):
        x.zero_()
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[:2].fill_(1.0)
    with ndgrad.no_grad():
        x.zero_()  # allowed under no_grad, as PyTorch
    assert x.sum().item() == 0.0
    assert x.is_leaf
    assert x.requires_grad


def test_zero__and_fill__record_their_backward_with_a_zero_gradient():
    for fn, name in (
        (lambda lib, y: y.zero_(), "ZeroBackward0"),
        (lambda lib, y: y.fill_(2.5), "FillBackward2"),
    ):
        both(fn)
        y = ndgrad.ones(3, requires_grad=True) * 1
        fn(ndgrad, y)
        assert y.grad_fn.name() == name
        assert y._version == 1


def test_fill__with_a_0d_tensor_sends_the_gradient_to_the_value():
    both(lambda lib, y, s: y.fill_(s), extra=(np.array(3.0),))
    y = ndgrad.zeros(3) * 1
    s = ndgrad.tensor(2.0, requires_grad=True)
    y.fill_(s)
    assert y.grad_fn.name() == "FillBackward3"
    assert y.requires_grad
    assert not y.is_leaf


def test_fill__errors_and_casts_match_pytorch():
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        ndgrad.zeros(3).fill_(ndgrad.ones(2))
    with pytest.raises(RuntimeError, match="value cannot be converted"):
        ndgrad.zeros(3).fill_(1 + 1j)
    got = ndgrad.zeros(3, dtype=ndgrad.int64).fill_(2.7)
    want = torch.zeros(3, dtype=torch.int64).fill_(2.7)
    assert got.tolist() == want.tolist()
    assert got.dtype is ndgrad.int64
    assert ndgrad.fill(ndgrad.zeros(2), 4.0).tolist() == [4.0, 4.0]


def test_copy__sends_the_gradient_to_the_source_summed_and_cast():
    both(lambda lib, y, s: y.copy_(s), extra=(np.array([5.0, -1.0, 2.0]),))
    both(lambda lib, y, s: y.copy_(s), extra=(np.array(0.5),))
    y = ndgrad.ones(2, 3, dtype=ndgrad.float32) * 1
    src = ndgrad.tensor([1.0, 2.0, 3.0], dtype=ndgrad.float64, requires_grad=True)
    y.copy_(src)
    assert y.dtype is ndgrad.float32
    assert y.grad_fn.name() == "CopyBackwards"
    y.sum().backward()
    assert src.grad.dtype is ndgrad.float64
    np.testing.assert_allclose(src.grad.numpy(), [2.0, 2.0, 2.0])


def test_copy__into_a_plain_tensor_gives_it_history():
    z = ndgrad.zeros(3)
    src = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z.copy_(src)
    assert z.requires_grad
    assert not z.is_leaf
    assert z._version == 1
    (z * z).sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), [2.0, 4.0, 6.0])


def test_copy__shape_and_type_errors_match_pytorch():
    for bad in (ndgrad.ones(2), ndgrad.ones(2, 3)):
        tb = torch.ones(tuple(bad.shape))
        with pytest.raises(RuntimeError) as theirs:
            torch.zeros(3).copy_(tb)
        with pytest.raises(RuntimeError) as ours:
            ndgrad.zeros(3).copy_(bad)
        assert str(theirs.value) in str(ours.value)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        ndgrad.zeros(3).copy_([1, 2, 3])
    with pytest.warns(UserWarning, match="imaginary part"):
        got = ndgrad.zeros(2).copy_(ndgrad.tensor([1 + 2j, 3 + 0j]))
    assert got.tolist() == [1.0, 3.0]


def test_a_saved_tensor_changed_by_fill__fails_backward_as_pytorch():
    x = ndgrad.ones(3, requires_grad=True)
    y = x * 1
    z = (y * y).sum()  # saves y
    y.fill_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_fill__and_copy__through_a_view_are_seen_by_the_base_and_recorded():
    def fn(lib, y, s):
        y[0:2].fill_(s)
        y[2].copy_(s * 3)
        return y

    both(fn, extra=(np.array(1.5),))
    base = ndgrad.zeros(4)
    v = base[1:3]
    v.fill_(7.0)
    assert base.tolist() == [0.0, 7.0, 7.0, 0.0]
    assert base._version == v._version == 1


# --------------------------------------------------------------------------------------------
# Ops with an out-of-place record, in place


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("floor_", lambda lib, y: y.floor_()),
        ("ceil_", lambda lib, y: y.ceil_()),
        ("round_", lambda lib, y: y.round_()),
        ("round_ decimals", lambda lib, y: y.round_(decimals=1)),
        ("trunc_", lambda lib, y: y.trunc_()),
        ("fix_", lambda lib, y: y.fix_()),
        ("frac_", lambda lib, y: y.frac_()),
        ("reciprocal_", lambda lib, y: y.reciprocal_()),
        ("square_", lambda lib, y: y.square_()),
        ("clamp_", lambda lib, y: y.clamp_(-0.5, 1.0)),
        ("clamp_min_", lambda lib, y: y.clamp_min_(0.0)),
        ("clamp_max_", lambda lib, y: y.clamp_max_(0.5)),
        ("nan_to_num_", lambda lib, y: y.nan_to_num_()),
        ("cumsum_", lambda lib, y: y.cumsum_(1)),
        ("lerp_", lambda lib, y: y.lerp_(lib.ones(3), 0.3)),
        ("addcmul_", lambda lib, y: y.addcmul_(y * 0 + 2, lib.ones(3), value=0.5)),
        ("addcdiv_", lambda lib, y: y.addcdiv_(lib.ones(3), lib.full((3,), 4.0), value=2)),
        ("addmm_", lambda lib, y: y.addmm_(y.detach() * 2, lib.eye(3), beta=0.5, alpha=2)),
        ("t_", lambda lib, y: y.t_()),
        ("transpose_", lambda lib, y: y.transpose_(0, 1)),
        ("swapaxes_", lambda lib, y: y.swapaxes_(1, 0)),
        ("unsqueeze_", lambda lib, y: y.unsqueeze_(1)),
        ("squeeze_", lambda lib, y: (y[0:1].squeeze_(0), y)[1]),
        ("masked_fill_", lambda lib, y: y.masked_fill_(y > 0.5, -1.0)),
        ("index_fill_", lambda lib, y: y.index_fill_(1, lib.tensor([0, 2]), 0.25)),
        ("index_add_", lambda lib, y: y.index_add_(0, lib.tensor([2, 2]), lib.ones(2, 3), alpha=3)),
        ("index_copy_", lambda lib, y: y.index_copy_(0, lib.tensor([2, 0]), lib.ones(2, 3))),
        ("scatter_", lambda lib, y: y.scatter_(1, lib.tensor([[2], [0], [1]]), lib.ones(3, 1))),
        ("scatter_ value", lambda lib, y: y.scatter_(0, lib.tensor([[1, 2]]), 9.0)),
        ("scatter_add_", lambda lib, y: y.scatter_add_(0, lib.tensor([[1, 1, 0]]), lib.ones(1, 3))),
        (
            "scatter_reduce_",
            lambda lib, y: y.scatter_reduce_(0, lib.tensor([[1, 1, 0]]), y[:1] * 2, "amax"),
        ),
        ("masked_scatter_", lambda lib, y: y.masked_scatter_(y > 0, lib.arange(9.0).double())),
        ("put_", lambda lib, y: y.put_(lib.tensor([0, 8]), lib.tensor([5.0, 6.0]).double())),
        (
            "put_ accumulate",
            lambda lib, y: y.put_(lib.tensor([4, 4]), lib.tensor([1.0, 2.0]).double(), True),
        ),
        ("index_put_", lambda lib, y: y.index_put_((lib.tensor([0, 2]),), lib.zeros(3).double())),
        (
            "index_put_ accumulate",
            lambda lib, y: y.index_put_((lib.tensor([1, 1]),), lib.ones(3).double(), True),
        ),
        ("fill_diagonal_", lambda lib, y: y.fill_diagonal_(4.0)),
        ("zero_ through a view", lambda lib, y: y[:, 1].zero_() is not None and y),
    ],
)
def test_in_place_op_matches_pytorch_values_version_and_gradients(name, call):
    both(call)


def test_in_place_ops_keep_their_out_of_place_twins_in_step():
    # every in-place method listed by the issue exists on Tensor
    names = [
        "zero_",
        "fill_",
        "copy_",
        "masked_fill_",
        "masked_scatter_",
        "index_fill_",
        "index_copy_",
        "index_add_",
        "scatter_",
        "scatter_add_",
        "scatter_reduce_",
        "put_",
        "fill_diagonal_",
        "clamp_",
        "clamp_min_",
        "clamp_max_",
        "lerp_",
        "addcmul_",
        "addcdiv_",
        "addmm_",
        "baddbmm_",
        "addbmm_",
        "addmv_",
        "addr_",
        "floor_",
        "ceil_",
        "round_",
        "trunc_",
        "frac_",
        "reciprocal_",
        "square_",
        "t_",
        "transpose_",
        "squeeze_",
        "unsqueeze_",
        "swapaxes_",
        "swapdims_",
        "resize_",
        "resize_as_",
        "logical_and_",
        "logical_or_",
        "logical_xor_",
        "logical_not_",
        "cumsum_",
        "divide_",
        "multiply_",
        "subtract_",
        "true_divide_",
        "negative_",
        "nan_to_num_",
        "index_put_",
        "fix_",
    ]
    assert [n for n in names if not hasattr(ndgrad.Tensor, n)] == []


def test_every_in_place_op_checks_for_leaves_that_require_grad():
    x = ndgrad.ones(3, 3, requires_grad=True)
    for f in (
        lambda: x.floor_(),
        lambda: x.t_(),
        lambda: x.unsqueeze_(0),
        lambda: x.index_fill_(0, ndgrad.tensor([0]), 1.0),
        lambda: x.scatter_(0, ndgrad.tensor([[0]]), 1.0),
        lambda: x.fill_diagonal_(0.0),
        lambda: x.copy_(ndgrad.zeros(3)),
        lambda: x.addmm_(ndgrad.ones(3, 3), ndgrad.ones(3, 3)),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f()


def test_logical_in_place_ops_write_zeros_and_ones_in_self_dtype():
    for lib in (ndgrad, torch):
        a = lib.tensor([0.0, 2.0, -1.0])
        a.logical_and_(lib.tensor([1.0, 1.0, 0.0]))
        b = lib.tensor([0, 3, 0])
        b.logical_not_()
        assert a.tolist() == [0.0, 1.0, 0.0]
        assert b.tolist() == [1, 0, 1]


# --------------------------------------------------------------------------------------------
# Shape-changing in-place ops


def test_shape_changing_in_place_ops_make_self_the_view():
    y = ndgrad.arange(6.0).reshape(2, 3) * 1
    v0 = y._version
    y.t_()
    assert tuple(y.shape) == (3, 2)
    assert y._version == v0 + 1
    y.unsqueeze_(0)
    assert tuple(y.shape) == (1, 3, 2)
    y.squeeze_()
    assert tuple(y.shape) == (3, 2)


def test_an_in_place_shape_change_of_a_view_keeps_it_a_view_of_its_base():
    for lib in (ndgrad, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        v = y[:2]
        v.unsqueeze_(0)
        assert tuple(v.shape) == (1, 2)
        assert v._base is y
        v.mul_(10)  # a write through the changed view reaches the base
        assert y.tolist() == [10.0, 20.0, 3.0]
        y.sum().backward()
        assert x.grad.tolist() == [10.0, 10.0, 1.0]


def test_views_of_a_base_that_changed_shape_in_place_still_see_its_writes():
    for lib in (ndgrad, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        row = y[0]
        y.t_()
        y.mul_(2)
        assert row.tolist() == [2.0, 4.0]
        (row * lib.tensor([1.0, 10.0])).sum().backward()
        assert x.grad.tolist() == [[2.0, 20.0], [0.0, 0.0]]


def test_resize__keeps_the_first_elements_and_refuses_tensors_that_require_grad():
    a = ndgrad.arange(6.0)
    a.resize_(2, 2)
    assert a.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    a.resize_as_(ndgrad.zeros(4))
    assert tuple(a.shape) == (4,)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ndgrad.ones(2, requires_grad=True).resize_(4)


# --------------------------------------------------------------------------------------------
# Out-of-place forms where PyTorch differs or has more to say


def test_scatter_with_a_src_larger_than_index_pads_the_gradient_with_zeros():
    # PyTorch 2.13 fails in this backward; ndgrad gives the gradient of the elements read
    src = ndgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    out = ndgrad.zeros(3, 3).scatter(0, ndgrad.tensor([[2, 0]]), src)
    assert out.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    (out * ndgrad.arange(9.0).reshape(3, 3)).sum().backward()
    assert src.grad.tolist() == [[6.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_scatter_with_reduce_warns_as_pytorch_and_reduces():
    idx = [[0, 0, 1]]
    with pytest.warns(UserWarning, match="deprecated"):
        want = torch.ones(2, 3).scatter_(
            0, torch.tensor(idx), torch.full((1, 3), 2.0), reduce="add"
        )
    with pytest.warns(UserWarning, match="deprecated"):
        got = ndgrad.ones(2, 3).scatter_(
            0, ndgrad.tensor(idx), ndgrad.full((1, 3), 2.0), reduce="add"
        )
    assert got.tolist() == want.tolist()


def test_index_ops_raise_pytorch_errors():
    x = ndgrad.zeros(3, 2)
    cases = [
        (lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([5]), lib.ones(1, 2)), RuntimeError),
        (lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([1.0]), lib.ones(1, 2)), RuntimeError),
        (lambda lib: lib.zeros(3, 2).index_fill(0, lib.tensor([5]), 1.0), IndexError),
        (lambda lib: lib.zeros(3, 2).index_copy(0, lib.tensor([1]), lib.ones(2, 2)), IndexError),
        (lambda lib: lib.zeros(3, 2).scatter(0, lib.tensor([[5]]), lib.ones(1, 1)), RuntimeError),
        (lambda lib: lib.zeros(3).fill_diagonal_(1.0), RuntimeError),
        (lambda lib: lib.zeros(2).put(lib.tensor([7]), lib.ones(1)), IndexError),
        (
            lambda lib: lib.zeros(3, 2).masked_scatter(lib.ones(3, 2).bool(), lib.ones(3)),
            RuntimeError,
        ),
    ]
    for f, cls in cases:
        with pytest.raises(cls):
            f(torch)
        with pytest.raises(cls):
            f(ndgrad)
    assert x._version == 0


def test_fill_diagonal__wraps_tall_matrices_as_pytorch():
    got = ndgrad.zeros(5, 3).fill_diagonal_(1.0, wrap=True)
    want = torch.zeros(5, 3).fill_diagonal_(1.0, wrap=True)
    assert got.tolist() == want.tolist()


def test_rounding_ops_keep_integer_dtypes_and_give_zero_gradients():
    i = ndgrad.tensor([1, -2, 3])
    for name in ("floor", "ceil", "round", "trunc"):
        r = getattr(i, name)()
        assert r.dtype is ndgrad.int64
        assert r.tolist() == [1, -2, 3]
    x = ndgrad.tensor([0.4, 1.6], requires_grad=True)
    x.floor().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ndgrad.tensor([2.0, 0.5]).reciprocal().tolist() == [0.5, 2.0]


@pytest.mark.parametrize(
    "write",
    [
        lambda lib, x: x.index_reduce_(
            0, lib.tensor([0, 2]), lib.tensor([[2.0, 0.5], [5.0, 1.0]]), "amax"
        ),
        lambda lib, x: x.renorm_(2, 0, 1.0),
    ],
    ids=["index_reduce_", "renorm_"],
)
def test_index_reduce_and_renorm_in_place_write_the_result_and_keep_the_gradient(write):
    x0 = np.array([[3.0, 4.0], [0.3, 0.4], [1.0, 1.0]])
    results = []
    for lib in (ndgrad, torch):
        w = lib.tensor(x0, requires_grad=True)
        x = w * 1
        v0 = x._version
        assert write(lib, x) is x
        assert x._version > v0
        (x * lib.tensor(x0)).sum().backward()
        results.append((x.detach().numpy(), w.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)
