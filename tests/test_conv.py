"""Convolutions, unfold and fold: what the op-table template cannot see.

Values and gradients against PyTorch on inputs larger than the table's samples, second order
through the grad_output, PyTorch's grad_fn names and error messages.
"""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's alias

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(rng, *shapes, dtype=np.float64):
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _check(out, tout, ours, theirs, rtol=1e-10, atol=1e-10):
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    v = (
        np.random.default_rng(1)
        .standard_normal(tuple(out.shape))
        .astype(out.detach().numpy().dtype)
    )
    gs = ndgrad.autograd.grad(out, ours, ndgrad.tensor(v))
    tgs = torch.autograd.grad(tout, theirs, torch.from_numpy(v))
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=rtol, atol=atol)


CONV2D_CASES = [
    {},
    {"stride": 2, "padding": 1},
    {"stride": (2, 3), "padding": (0, 2), "dilation": (2, 1)},
    {"groups": 2},
    {"padding": "same", "dilation": 2},
    {"padding": "valid", "stride": 3},
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
def test_conv2d_values_and_gradients_equal_pytorch_on_larger_inputs(kw):
    rng = np.random.default_rng(0)
    (x, w, b), (tx, tw, tb) = _pair(rng, (3, 4, 11, 9), (6, 4 // kw.get("groups", 1), 3, 4), (6,))
    _check(F.conv2d(x, w, b, **kw), TF.conv2d(tx, tw, tb, **kw), [x, w, b], [tx, tw, tb])


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_conv2d_same_padding_with_even_kernels_pads_the_extra_on_the_right():
    rng = np.random.default_rng(1)
    (x, w), (tx, tw) = _pair(rng, (2, 2, 6, 7), (3, 2, 4, 2))
    out = F.conv2d(x, w, padding="same")
    assert tuple(out.shape) == (2, 3, 6, 7)
    _check(out, TF.conv2d(tx, tw, padding="same"), [x, w], [tx, tw])
    assert out.grad_fn.name() == "ConvolutionBackward0"


def test_conv1d_and_conv3d_equal_pytorch():
    rng = np.random.default_rng(2)
    (x, w, b), (tx, tw, tb) = _pair(rng, (2, 3, 17), (4, 3, 5), (4,))
    kw = {"stride": 2, "padding": 2, "dilation": 2}
    _check(F.conv1d(x, w, b, **kw), TF.conv1d(tx, tw, tb, **kw), [x, w, b], [tx, tw, tb])
    (x, w), (tx, tw) = _pair(rng, (1, 2, 5, 6, 4), (2, 1, 2, 3, 2))
    kw = {"stride": (1, 2, 1), "padding": 1, "groups": 2}
    _check(F.conv3d(x, w, **kw), TF.conv3d(tx, tw, **kw), [x, w], [tx, tw])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"stride": 2, "output_padding": 1},
        {"stride": 3, "padding": 2, "dilation": 2},
        {"groups": 2, "stride": (1, 2)},
    ],  # fmt: skip
    ids=str,
)
def test_conv_transpose2d_equals_pytorch(kw):
    rng = np.random.default_rng(3)
    g = kw.get("groups", 1)
    (x, w, b), (tx, tw, tb) = _pair(rng, (2, 4, 5, 6), (4, 6 // g, 3, 2), (6,))
    out = F.conv_transpose2d(x, w, b, **kw)
    _check(out, TF.conv_transpose2d(tx, tw, tb, **kw), [x, w, b], [tx, tw, tb])
    assert out.grad_fn.name() == "ConvolutionBackward0"


def test_conv_transpose1d_and_3d_equal_pytorch():
    rng = np.random.default_rng(4)
    (x, w), (tx, tw) = _pair(rng, (2, 3, 7), (3, 2, 4))
    kw = {"stride": 3, "output_padding": 2, "dilation": 1}
    _check(F.conv_transpose1d(x, w, **kw), TF.conv_transpose1d(tx, tw, **kw), [x, w], [tx, tw])
    (x, w), (tx, tw) = _pair(rng, (1, 2, 3, 2, 3), (2, 1, 2, 2, 2))
    kw = {"stride": 2, "padding": (1, 0, 0)}
    _check(F.conv_transpose3d(x, w, **kw), TF.conv_transpose3d(tx, tw, **kw), [x, w], [tx, tw])


def test_strided_convolution_gives_zero_gradient_to_rows_no_window_reads():
    rng = np.random.default_rng(5)
    (x, w), (tx, tw) = _pair(rng, (1, 1, 9, 8), (1, 1, 2, 2))
    _check(F.conv2d(x, w, stride=3), TF.conv2d(tx, tw, stride=3), [x, w], [tx, tw])


def test_float32_convolution_stays_float32_and_close_to_pytorch():
    rng = np.random.default_rng(6)
    (x, w, b), (tx, tw, tb) = _pair(rng, (4, 3, 12, 12), (5, 3, 3, 3), (5,), dtype=np.float32)
    out = F.conv2d(x, w, b, padding=1)
    assert out.dtype is ndgrad.float32
    _check(out, TF.conv2d(tx, tw, tb, padding=1), [x, w, b], [tx, tw, tb], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transposed", [False, True])
def test_second_order_through_grad_output_and_weight_equals_pytorch(transposed):
    rng = np.random.default_rng(7)
    shapes = ((2, 2, 5, 5), (2, 2, 3, 3), (2, 2, 3, 3) if not transposed else (2, 2, 7, 7))
    (x, w, _), (tx, tw, _) = _pair(rng, *shapes)
    f, tf = (F.conv2d, TF.conv2d) if not transposed else (F.conv_transpose2d, TF.conv_transpose2d)
    out, tout = f(x, w, stride=1, padding=0), tf(tx, tw, stride=1, padding=0)
    v = rng.standard_normal(tuple(out.shape))
    gv, tgv = ndgrad.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    gx, gw = ndgrad.autograd.grad(out, [x, w], gv, create_graph=True)
    tgx, tgw = torch.autograd.grad(tout, [tx, tw], tgv, create_graph=True)
    u1, u2 = rng.standard_normal(tuple(gx.shape)), rng.standard_normal(tuple(gw.shape))
    h = (gx * ndgrad.tensor(u1)).sum() + (gw * ndgrad.tensor(u2)).sum()
    th = (tgx * torch.from_numpy(u1)).sum() + (tgw * torch.from_numpy(u2)).sum()
    ours = ndgrad.autograd.grad(h, [x, w, gv])
    theirs = torch.autograd.grad(th, [tx, tw, tgv])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-10)


def test_unbatched_convolution_records_a_squeeze_as_pytorch():
    x = ndgrad.ones(2, 4, 4, requires_grad=True)
    w = ndgrad.ones(3, 2, 2, 2)
    out = F.conv2d(x, w)
    assert tuple(out.shape) == (3, 3, 3)
    assert out.grad_fn.name() == "SqueezeBackward1"


def test_top_level_convolutions_are_the_functional_ones():
    for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "convolution"):  # fmt: skip
        assert callable(getattr(ndgrad, name)), name
    assert ndgrad.conv2d is F.conv2d


def _both_raise(fn, tfn, match):
    with pytest.raises(RuntimeError, match=match) as ours:
        fn()
    with pytest.raises(RuntimeError) as theirs:
        tfn()
    assert str(ours.value).startswith(str(theirs.value).split(";")[0][:40])


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ({"w": (3, 2, 5, 5)}, "Kernel size can't be greater than actual input size"),
        ({"w": (3, 1, 3, 3), "groups": 2}, "expected weight to be divisible by 2"),
        ({"w": (3, 3, 3, 3)}, "to have 3 channels, but got 2 channels instead"),
        ({"w": (3, 2, 3, 3), "padding": -1}, "negative padding is not supported"),
        ({"w": (3, 2, 3, 3), "stride": 0}, "non-positive stride is not supported"),
        ({"w": (3, 2, 3, 3), "padding": "same", "stride": 2}, "not supported for strided"),
        ({"w": (3, 2, 3, 3), "padding": "foo"}, "Invalid padding string: 'foo'"),
        ({"w": (3, 2, 3, 3), "b": (2,)}, "expected bias to be 1-dimensional with 3 elements"),
        ({"x": (4, 4), "w": (3, 2, 3, 3)}, "Expected 3D \\(unbatched\\) or 4D \\(batched\\)"),
    ],
)
def test_conv2d_errors_match_pytorch(case, match):
    x = np.ones(case.get("x", (1, 2, 4, 4)))
    w = np.ones(case["w"])
    b = None if "b" not in case else np.ones(case["b"])
    kw = {k: v for k, v in case.items() if k not in ("x", "w", "b")}

    def ours():
        F.conv2d(ndgrad.tensor(x), ndgrad.tensor(w), None if b is None else ndgrad.tensor(b), **kw)

    def theirs():
        TF.conv2d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **kw)

    _both_raise(ours, theirs, match)


def test_convolution_of_mixed_dtypes_raises_as_pytorch():
    x = ndgrad.ones(1, 2, 4, 4, dtype=ndgrad.float64)
    w = ndgrad.ones(3, 2, 3, 3)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(x, w)


def test_conv_transpose_rejects_output_padding_not_below_stride_or_dilation():
    x, w = ndgrad.ones(1, 2, 4, 4), ndgrad.ones(2, 3, 3, 3)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride"):
        F.conv_transpose2d(x, w, output_padding=1)


def test_unfold_and_fold_equal_pytorch_and_record_im2col_names():
    rng = np.random.default_rng(8)
    kw = {"kernel_size": (2, 3), "dilation": (2, 1), "padding": 1, "stride": (1, 2)}
    (x,), (tx,) = _pair(rng, (2, 3, 7, 8))
    cols = F.unfold(x, **kw)
    _check(cols, TF.unfold(tx, **kw), [x], [tx])
    assert cols.grad_fn.name() == "Im2ColBackward0"
    (c,), (tc,) = _pair(rng, tuple(cols.shape))
    out = F.fold(c, (7, 8), **kw)
    _check(out, TF.fold(tc, (7, 8), **kw), [c], [tc])
    assert out.grad_fn.name() == "Col2ImBackward0"


def test_fold_checks_the_number_of_blocks_as_pytorch():
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match"):
        F.fold(ndgrad.ones(1, 8, 5), (4, 4), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(ndgrad.ones(1, 7, 9), (4, 4), 2)


def test_unfold_rejects_other_ranks():
    with pytest.raises(RuntimeError, match="Only 3D or 4D input"):
        F.unfold(ndgrad.ones(2, 4), 2)


@pytest.mark.parametrize(
    "kw", [{}, {"padding": 2, "dilation": 2}, {"groups": 2, "padding": (1, 0)}], ids=str
)
def test_stride_one_input_gradient_equals_pytorch_in_float32(kw):
    # the input's gradient at stride 1 runs on the wide grid (See Note [Wide rows])
    rng = np.random.default_rng(11)
    (x, w, b), (tx, tw, tb) = _pair(rng, (3, 4, 9, 8), (6, 4 // kw.get("groups", 1), 3, 3), (6,))
    x, w, b = (t.detach().float().requires_grad_() for t in (x, w, b))
    tx, tw, tb = (t.detach().float().requires_grad_() for t in (tx, tw, tb))
    _check(
        F.conv2d(x, w, b, **kw), TF.conv2d(tx, tw, tb, **kw), [x, w, b], [tx, tw, tb], 1e-4, 1e-4
    )
    (gx,) = ndgrad.autograd.grad(F.conv2d(x, w, b, **kw).sum(), [x])
    assert gx.dtype == ndgrad.float32


def test_stride_one_input_gradient_with_an_infinite_weight_equals_pytorch():
    # zero columns of the wide grid times inf would be NaN: that case takes the plain path
    rng = np.random.default_rng(12)
    x0 = rng.standard_normal((2, 2, 5, 5))
    w0 = rng.standard_normal((3, 2, 2, 2))
    w0[1, 0, 1, 1] = np.inf
    g0 = np.zeros((2, 3, 4, 4))
    g0[:, :, 1:3, 1:3] = 1.0
    x = ndgrad.tensor(x0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    F.conv2d(x, ndgrad.tensor(w0)).backward(ndgrad.tensor(g0))
    TF.conv2d(tx, torch.tensor(w0)).backward(torch.tensor(g0))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_reused_work_arrays_never_overwrite_results_still_held():
    # See Note [Scratch arrays]: the second call of the same shape must not reuse the first's
    rng = np.random.default_rng(13)
    w = ndgrad.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    xs = [ndgrad.tensor(rng.standard_normal((2, 2, 7, 7)).astype(np.float32)) for _ in range(3)]
    ys = [F.conv2d(x, w) for x in xs]
    ref = [y.detach().numpy().copy() for y in ys]
    ys[0].sum().backward()
    g0 = w.grad.numpy().copy()
    ys[1].sum().backward()  # accumulates into w.grad
    for y, r in zip(ys, ref):
        np.testing.assert_array_equal(y.detach().numpy(), r)
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    TF.conv2d(torch.tensor(xs[0].numpy()), tw).sum().backward()
    np.testing.assert_allclose(g0, tw.grad.numpy(), rtol=1e-5, atol=1e-5)
    del ys, ref
    again = F.conv2d(xs[2], w)  # a freed work array may come back: the values are fresh
    np.testing.assert_allclose(
        again.detach().numpy(),
        TF.conv2d(torch.tensor(xs[2].numpy()), tw).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "transposed"])
def test_an_empty_batch_gives_empty_input_and_zero_weight_gradients(transposed):
    f, tf = (F.conv_transpose2d, TF.conv_transpose2d) if transposed else (F.conv2d, TF.conv2d)
    x = ndgrad.zeros(0, 2, 5, 5, requires_grad=True)
    w = ndgrad.ones(2, 2, 2, 2, requires_grad=True)
    tx = torch.zeros(0, 2, 5, 5, requires_grad=True)
    tw = torch.ones(2, 2, 2, 2, requires_grad=True)
    f(x, w).sum().backward()
    tf(tx, tw).sum().backward()
    assert tuple(x.grad.shape) == tuple(tx.grad.shape)
    np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())
