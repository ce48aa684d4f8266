"""Pooling and resampling (pad, interpolate, grid_sample): what the op-table template cannot see.

Values, indices and gradients against PyTorch on larger inputs, NaN and tie rules, second order
through the grad_output of the linear records, grad_fn names and error messages.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's alias

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _leaf(a):
    return ndgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _check(out, tout, x, tx, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    v = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (g,) = ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))
    (tg,) = torch.autograd.grad(tout, [tx], torch.from_numpy(v))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=rtol, atol=atol)


def _distinct(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 3.0


MAX_CASES = [
    {"kernel_size": 3},
    {"kernel_size": 2, "stride": 1, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True, "dilation": 2},
]


@pytest.mark.parametrize("kw", MAX_CASES, ids=str)
def test_max_pool2d_values_indices_and_gradients_equal_pytorch(kw):
    x, tx = _leaf(_distinct((2, 3, 11, 10)))
    out, idx = F.max_pool2d(x, return_indices=True, **kw)
    tout, tidx = TF.max_pool2d(tx, return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype is ndgrad.int64
    _check(out, tout, x, tx)
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"


def test_max_pool1d_and_3d_indices_equal_pytorch():
    x, tx = _leaf(_distinct((2, 3, 13)))
    kw = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    out, idx = F.max_pool1d(x, return_indices=True, **kw)
    tout, tidx = TF.max_pool1d(tx, return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _check(out, tout, x, tx)
    assert out.grad_fn.name() == "SqueezeBackward1"
    x, tx = _leaf(_distinct((1, 2, 5, 6, 7)))
    kw = {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "padding": (1, 1, 0)}
    out, idx = F.max_pool3d(x, return_indices=True, **kw)
    tout, tidx = TF.max_pool3d(tx, return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _check(out, tout, x, tx)


def test_max_pool_ties_pick_the_first_maximum_and_nan_propagates_as_pytorch():
    a = np.array([[[[1.0, 1.0, 0.0, np.nan], [1.0, 0.0, np.nan, 2.0]]]])
    out, idx = F.max_pool2d(ndgrad.tensor(a), 2, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_overlapping_max_pool_windows_add_their_gradients():
    x, tx = _leaf(np.array([[[0.0, 5.0, 1.0, 2.0]]]))
    _check(F.max_pool1d(x, 2, 1), TF.max_pool1d(tx, 2, 1), x, tx)


AVG_CASES = [
    {"kernel_size": 3},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": 2, "padding": (1, 1), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "divisor_override": 3},
]


@pytest.mark.parametrize("kw", AVG_CASES, ids=str)
def test_avg_pool2d_equals_pytorch(kw):
    x, tx = _leaf(np.random.default_rng(2).standard_normal((2, 3, 10, 9)))
    out = F.avg_pool2d(x, **kw)
    _check(out, TF.avg_pool2d(tx, **kw), x, tx)
    assert out.grad_fn.name() == "AvgPool2DBackward0"


def test_avg_pool1d_and_3d_equal_pytorch():
    x, tx = _leaf(np.random.default_rng(3).standard_normal((2, 3, 11)))
    kw = {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}
    _check(F.avg_pool1d(x, **kw), TF.avg_pool1d(tx, **kw), x, tx)
    x, tx = _leaf(np.random.default_rng(3).standard_normal((1, 2, 5, 4, 6)))
    kw = {"kernel_size": 2, "stride": (1, 2, 2), "padding": 1, "count_include_pad": False}
    _check(F.avg_pool3d(x, **kw), TF.avg_pool3d(tx, **kw), x, tx)


def test_adaptive_pools_equal_pytorch_on_uneven_windows():
    x, tx = _leaf(_distinct((2, 3, 11, 7)))
    _check(F.adaptive_avg_pool2d(x, (4, 3)), TF.adaptive_avg_pool2d(tx, (4, 3)), x, tx)
    out, idx = F.adaptive_max_pool2d(x, (4, 5), return_indices=True)
    tout, tidx = TF.adaptive_max_pool2d(tx, (4, 5), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _check(out, tout, x, tx)
    assert out.grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert F.adaptive_avg_pool2d(x, 3).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    x, tx = _leaf(_distinct((2, 3, 10)))
    _check(F.adaptive_max_pool1d(x, 4), TF.adaptive_max_pool1d(tx, 4), x, tx)
    _check(F.adaptive_avg_pool1d(x, 6), TF.adaptive_avg_pool1d(tx, 6), x, tx)
    x, tx = _leaf(_distinct((1, 2, 5, 4, 7)))
    _check(F.adaptive_avg_pool3d(x, (2, 3, 3)), TF.adaptive_avg_pool3d(tx, (2, 3, 3)), x, tx)
    _check(F.adaptive_max_pool3d(x, (2, 3, 3)), TF.adaptive_max_pool3d(tx, (2, 3, 3)), x, tx)


def test_lp_pool_and_max_unpool_equal_pytorch():
    x, tx = _leaf(np.random.default_rng(4).uniform(0.5, 2.0, (2, 3, 8, 9)))
    _check(F.lp_pool2d(x, 3, (2, 3), 2), TF.lp_pool2d(tx, 3, (2, 3), 2), x, tx)
    out, idx = TF.max_pool2d(torch.tensor(_distinct((2, 3, 8, 9))), 2, return_indices=True)
    v, tv = _leaf(np.random.default_rng(5).standard_normal(tuple(out.shape)))
    ours = F.max_unpool2d(v, ndgrad.tensor(idx.numpy()), 2, output_size=(8, 9))
    _check(ours, TF.max_unpool2d(tv, idx, 2, output_size=(8, 9)), v, tv)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f, x: f.max_pool2d(x, 5), "Output size is too small"),
        (lambda f, x: f.avg_pool2d(x, 5), "Output size is too small"),
        (lambda f, x: f.max_pool2d(x, 2, padding=2), "pad should be at most half"),
        (lambda f, x: f.avg_pool2d(x, 2, padding=2), "pad should be at most half"),
        (lambda f, x: f.max_pool2d(x, 2, stride=0), "stride should not be zero"),
        (lambda f, x: f.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
    ],
)
def test_pooling_errors_match_pytorch(call, match):
    with pytest.raises(RuntimeError, match=match):
        call(F, ndgrad.ones(1, 2, 4, 4))
    with pytest.raises(RuntimeError, match=match):
        call(TF, torch.ones(1, 2, 4, 4))


# ---------------------------------------------------------------------------- linear records:
# the backward records (adjoints) have their own vjp: differentiate through the grad_output.


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("avg_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        ("adaptive_avg_pool2d", {"output_size": (3, 2)}),
        ("interpolate", {"size": (7, 5), "mode": "bilinear"}),
        ("interpolate", {"scale_factor": 1.7, "mode": "nearest"}),
        ("interpolate", {"size": (6, 6), "mode": "bicubic", "align_corners": True}),
        ("unfold", {"kernel_size": 2, "padding": 1}),
    ],
)
def test_second_order_through_the_grad_output_equals_pytorch(name, kw):
    rng = np.random.default_rng(6)
    x, tx = _leaf(rng.standard_normal((1, 2, 5, 4)))
    out, tout = getattr(F, name)(x, **kw), getattr(TF, name)(tx, **kw)
    gv, tgv = _leaf(rng.standard_normal(tuple(out.shape)))
    (gx,) = ndgrad.autograd.grad(out, [x], gv, create_graph=True)
    (tgx,) = torch.autograd.grad(tout, [tx], tgv, create_graph=True)
    u = rng.standard_normal(tuple(gx.shape))
    (a,) = ndgrad.autograd.grad((gx * gx * ndgrad.tensor(u)).sum(), [gv])
    (b,) = torch.autograd.grad((tgx * tgx * torch.from_numpy(u)).sum(), [tgv])
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- pad


@pytest.mark.parametrize(
    ("shape", "pad", "mode"),
    [
        ((2, 3, 5, 6), (1, 2, 3, 0), "constant"),
        ((2, 3, 5, 6), (-1, 2, 0, -2), "constant"),
        ((2, 3, 5, 6), (4, 3, 2, 4), "reflect"),
        ((3, 5, 6), (2, -1, 1, 3), "reflect"),
        ((2, 3, 5, 6), (5, 1, 2, 7), "replicate"),
        ((1, 2, 3, 4, 5), (1, 2, 2, 1, 0, 2), "replicate"),
        ((2, 3, 5, 6), (6, 2, 5, 1), "circular"),
        ((2, 3, 7), (-2, 3), "circular"),
    ],
)
def test_pad_modes_equal_pytorch(shape, pad, mode):
    x, tx = _leaf(np.random.default_rng(7).standard_normal(shape))
    _check(F.pad(x, pad, mode=mode), TF.pad(tx, pad, mode=mode), x, tx)


def test_constant_pad_records_constant_pad_nd_and_fills_the_value():
    x = ndgrad.zeros(2, 2, requires_grad=True)
    out = F.pad(x, (1, 1), value=7.0)
    assert out.grad_fn.name() == "ConstantPadNdBackward0"
    assert out.tolist() == [[7.0, 0.0, 0.0, 7.0], [7.0, 0.0, 0.0, 7.0]]


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"pad": (1, 2, 3)}, RuntimeError, "Padding length must be divisible by 2"),
        ({"pad": (1,) * 10}, RuntimeError, "Padding length should be less than or equal"),
        ({"pad": (1, 1), "mode": "reflect"}, NotImplementedError, "Padding size 2 is not"),
        ({"pad": (1, 1, 4, 4), "mode": "reflect"}, RuntimeError, "should be less than the"),
        ({"pad": (1, 1), "mode": "foo"}, NotImplementedError, "Unrecognised padding mode foo"),
        ({"pad": (1, 1, 1, 1), "mode": "reflect", "value": 2.0}, RuntimeError, "doesn't take"),
    ],
)
def test_pad_errors_match_pytorch(kw, exc, match):
    with pytest.raises(exc, match=match):
        F.pad(ndgrad.ones(1, 2, 4, 4), **kw)
    with pytest.raises(exc, match=match):
        TF.pad(torch.ones(1, 2, 4, 4), **kw)


# ---------------------------------------------------------------------------- interpolate

INTERP_CASES = [
    ((2, 3, 7), {"size": 12, "mode": "nearest"}),
    ((2, 3, 7, 5), {"scale_factor": (1.3, 0.6), "mode": "nearest"}),
    ((2, 3, 7, 5), {"scale_factor": 2.5, "mode": "nearest-exact"}),
    ((1, 2, 3, 4, 5), {"size": (5, 3, 8), "mode": "nearest"}),
    ((2, 3, 7), {"scale_factor": 1.6, "mode": "linear"}),
    ((2, 3, 7), {"size": 4, "mode": "linear", "align_corners": True}),
    ((2, 3, 7, 5), {"size": (11, 3), "mode": "bilinear"}),
    ((2, 3, 7, 5), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}),
    ((2, 3, 7, 5), {"scale_factor": 0.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 6, 5), {"size": (9, 8), "mode": "bicubic"}),
    ((2, 3, 6, 5), {"scale_factor": 0.6, "mode": "bicubic", "align_corners": True}),
    ((1, 2, 3, 4, 5), {"scale_factor": 1.5, "mode": "trilinear"}),
    ((2, 3, 9, 7), {"size": (4, 3), "mode": "area"}),
]


@pytest.mark.parametrize(("shape", "kw"), INTERP_CASES, ids=str)
def test_interpolate_equals_pytorch(shape, kw):
    x, tx = _leaf(np.random.default_rng(8).standard_normal(shape))
    _check(F.interpolate(x, **kw), TF.interpolate(tx, **kw), x, tx)


def test_interpolate_records_pytorch_grad_fn_names():
    x = ndgrad.ones(1, 1, 3, 3, requires_grad=True)
    assert F.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    names = F.interpolate(x, size=5, mode="bilinear").grad_fn.name()
    assert names == "UpsampleBilinear2DBackward0"
    assert F.interpolate(x, size=5, mode="bicubic").grad_fn.name() == "UpsampleBicubic2DBackward0"


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"size": 3, "scale_factor": 2}, ValueError, "only one of size or scale_factor"),
        ({}, ValueError, "either size or scale_factor should be defined"),
        ({"size": 3, "align_corners": True}, ValueError, "align_corners option can only be set"),
        ({"size": (3,)}, ValueError, "same number of spatial dimensions"),
        ({"size": 3, "mode": "linear"}, NotImplementedError, "Got 4D input, but linear mode"),
        ({"size": 3, "recompute_scale_factor": True}, ValueError, "not meaningful"),
    ],
)
def test_interpolate_errors_match_pytorch(kw, exc, match):
    with pytest.raises(exc, match=match):
        F.interpolate(ndgrad.ones(1, 2, 4, 4), **kw)
    with pytest.raises(exc, match=match):
        TF.interpolate(torch.ones(1, 2, 4, 4), **kw)


def test_interpolate_refuses_antialias_rather_than_ignoring_it():
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(ndgrad.ones(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)


def test_upsample_aliases_warn_and_interpolate():
    x = ndgrad.arange(4.0).reshape(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="deprecated"):
        out = F.upsample_bilinear(x, scale_factor=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TF.upsample_bilinear(torch.arange(4.0).reshape(1, 1, 2, 2), scale_factor=2)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------- grid_sample


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_equals_pytorch_for_input_and_grid(mode, padding_mode, align_corners):
    rng = np.random.default_rng(9)
    x, tx = _leaf(rng.standard_normal((2, 3, 6, 5)))
    gr, tgr = _leaf(rng.uniform(-1.3, 1.3, (2, 4, 7, 2)))
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    out, tout = F.grid_sample(x, gr, **kw), TF.grid_sample(tx, tgr, **kw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10)
    v = rng.standard_normal(tuple(out.shape))
    ours = ndgrad.autograd.grad(out, [x, gr], ndgrad.tensor(v), materialize_grads=True)
    theirs = torch.autograd.grad(tout, [tx, tgr], torch.from_numpy(v), materialize_grads=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_affine_grid_then_grid_sample_equals_pytorch():
    rng = np.random.default_rng(10)
    th, tth = _leaf(rng.standard_normal((2, 2, 3)) * 0.5)
    x, tx = _leaf(rng.standard_normal((2, 3, 5, 6)))
    grid = F.affine_grid(th, (2, 3, 4, 7), align_corners=False)
    tgrid = TF.affine_grid(tth, (2, 3, 4, 7), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False)
    _check(out, TF.grid_sample(tx, tgrid, align_corners=False), th, tth)


def test_pixel_shuffle_round_trips_and_equals_pytorch():
    x, tx = _leaf(np.random.default_rng(11).standard_normal((2, 12, 3, 4)))
    out = F.pixel_shuffle(x, 2)
    _check(out, TF.pixel_shuffle(tx, 2), x, tx)
    np.testing.assert_array_equal(F.pixel_unshuffle(out, 2).detach().numpy(), x.detach().numpy())
    assert ndgrad.pixel_shuffle is F.pixel_shuffle
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ndgrad.ones(1, 3, 2, 2), 2)


def test_top_level_pooling_twins_follow_pytorch():
    x = _distinct((1, 2, 7))
    vals, idx = ndgrad.adaptive_max_pool1d(ndgrad.tensor(x), 3)
    tvals, tidx = torch.adaptive_max_pool1d(torch.tensor(x), 3)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(vals.numpy(), tvals.numpy())
    for name in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "constant_pad_nd"):
        assert callable(getattr(ndgrad, name)), name


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_volumetric_grid_sample_and_affine_grid_equal_pytorch(padding_mode):
    rng = np.random.default_rng(12)
    th, tth = _leaf(rng.standard_normal((2, 3, 4)) * 0.6)
    x, tx = _leaf(rng.standard_normal((2, 2, 4, 5, 3)))
    grid = F.affine_grid(th, (2, 2, 3, 4, 5), align_corners=True)
    tgrid = TF.affine_grid(tth, (2, 2, 3, 4, 5), align_corners=True)
    kw = {"padding_mode": padding_mode, "align_corners": True}
    _check(F.grid_sample(x, grid, **kw), TF.grid_sample(tx, tgrid, **kw), th, tth)


@pytest.mark.parametrize("k", [2, 3, 4], ids=str)
def test_max_pool_indices_with_many_ties_equal_pytorch(k):
    # the tap of each maximum is computed arithmetically from "tap != max" flags
    rng = np.random.default_rng(21)
    a = rng.integers(0, 3, (2, 3, 12, 12)).astype(np.float32)
    a[0, 0, 0, 1] = np.nan
    a[1, 2, 5, 5] = np.nan
    a[1, 2, 4, 4] = np.nan
    x = ndgrad.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    out, idx = F.max_pool2d(x, k, stride=k - 1 if k > 2 else k, return_indices=True)
    tout, tidx = TF.max_pool2d(tx, k, stride=k - 1 if k > 2 else k, return_indices=True)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(ndgrad.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert out.dtype == ndgrad.float32
    assert x.grad.dtype == ndgrad.float32
