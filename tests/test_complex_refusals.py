"""The ops that order numbers refuse complex tensors as PyTorch 2.13 does: the same exception
class and message, then ndgrad's hint. See Note [Complex numbers have no order] in
ndgrad/ops/_real.py.

Each case is one call written once for both libraries (``lib`` is ``ndgrad`` or ``torch``) on
complex128 tensors ``z``, ``w``, a float64 tensor ``r`` and a target ``t`` of +-1. Without
PyTorch the class and the fixed message below are checked; with it, PyTorch's own text too.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import ndgrad
from ndgrad.ops import TABLE

HAVE_TORCH = importlib.util.find_spec("torch") is not None

Z = np.array([[1.0 + 2.0j, -0.5j, 3.0], [0.25 - 1.0j, 2.0 + 0.0j, -1.0 + 1.0j]])
W = np.array([[0.5 + 0.5j, 1.0, -2.0j], [1.0 + 1.0j, -3.0 + 0.5j, 0.0]])
R = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
T = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])


def _kernel(name: str, dtype: str = "ComplexDouble") -> str:
    return f"\"{name}\" not implemented for '{dtype}'"


CLAMP = "clamp is not supported for complex types"
SIGN = (
    "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn "
    "instead."
)
NIE, RTE = NotImplementedError, RuntimeError

# (id, call, exception class, PyTorch's message)
CASES = (
    [
        # comparisons: operators, functions, methods, aliases, in-place, numbers, promotion
        ("z > w", lambda lib, z, w, r, t: z > w, NIE, _kernel("gt_cpu")),
        ("z < w", lambda lib, z, w, r, t: z < w, NIE, _kernel("lt_cpu")),
        ("z <= w", lambda lib, z, w, r, t: z <= w, NIE, _kernel("le_cpu")),
        ("z >= w", lambda lib, z, w, r, t: z >= w, NIE, _kernel("ge_cpu")),
        ("gt(z, w)", lambda lib, z, w, r, t: lib.gt(z, w), NIE, _kernel("gt_cpu")),
        ("z.le(w)", lambda lib, z, w, r, t: z.le(w), NIE, _kernel("le_cpu")),
        ("greater_equal", lambda lib, z, w, r, t: lib.greater_equal(z, w), NIE, _kernel("ge_cpu")),
        ("less", lambda lib, z, w, r, t: lib.less(z, w), NIE, _kernel("lt_cpu")),
        ("z.gt_(w)", lambda lib, z, w, r, t: z.clone().gt_(w), NIE, _kernel("gt_cpu")),
        ("r.lt_(z)", lambda lib, z, w, r, t: r.clone().lt_(z), NIE, _kernel("lt_cpu")),
        ("z > 1", lambda lib, z, w, r, t: z > 1, NIE, _kernel("gt_cpu")),
        ("1.5 < z", lambda lib, z, w, r, t: 1.5 < z, NIE, _kernel("gt_cpu")),  # noqa: SIM300
        ("r > z", lambda lib, z, w, r, t: r > z, NIE, _kernel("gt_cpu")),
        ("r >= 1j", lambda lib, z, w, r, t: r >= 1j, NIE, _kernel("ge_cpu")),
        (
            "z64 < w64",
            lambda lib, z, w, r, t: z.to(lib.complex64) < w.to(lib.complex64),
            NIE,
            _kernel("lt_cpu", "ComplexFloat"),
        ),
        # maximum, minimum, fmax, fmin, max(x, other)
        (
            "maximum",
            lambda lib, z, w, r, t: lib.maximum(z, w),
            RTE,
            "maximum not implemented for complex tensors.",
        ),
        (
            "minimum",
            lambda lib, z, w, r, t: lib.minimum(z, r),
            RTE,
            "minimum not implemented for complex tensors.",
        ),
        (
            "max(z, w)",
            lambda lib, z, w, r, t: lib.max(z, w),
            RTE,
            "maximum not implemented for complex tensors.",
        ),
        (
            "fmax",
            lambda lib, z, w, r, t: lib.fmax(z, w),
            RTE,
            "fmax not implemented for complex tensors.",
        ),
        (
            "fmin",
            lambda lib, z, w, r, t: lib.fmin(z, w),
            RTE,
            "fmin not implemented for complex tensors.",
        ),
        # clamp and what is one: relu, hardtanh, relu6, the margin losses
        ("clamp", lambda lib, z, w, r, t: lib.clamp(z, -1, 1), NIE, CLAMP),
        ("clamp(min=r)", lambda lib, z, w, r, t: z.clamp(min=r), NIE, CLAMP),
        ("clamp_min", lambda lib, z, w, r, t: z.clamp_min(0), NIE, CLAMP),
        ("clamp_max", lambda lib, z, w, r, t: z.clamp_max(0), NIE, CLAMP),
        ("clip", lambda lib, z, w, r, t: z.clip(-1, 1), NIE, CLAMP),
        ("clamp_", lambda lib, z, w, r, t: z.clone().clamp_(-1, 1), NIE, CLAMP),
        ("relu", lambda lib, z, w, r, t: lib.relu(z), NIE, CLAMP),
        ("relu_", lambda lib, z, w, r, t: z.clone().relu_(), NIE, CLAMP),
        ("F.relu", lambda lib, z, w, r, t: lib.nn.functional.relu(z), NIE, CLAMP),
        ("F.hardtanh", lambda lib, z, w, r, t: lib.nn.functional.hardtanh(z), NIE, CLAMP),
        ("F.relu6", lambda lib, z, w, r, t: lib.nn.functional.relu6(z), NIE, CLAMP),
        (
            "F.hinge_embedding_loss",
            lambda lib, z, w, r, t: lib.nn.functional.hinge_embedding_loss(z, t),
            NIE,
            CLAMP,
        ),
        (
            "F.margin_ranking_loss",
            lambda lib, z, w, r, t: lib.nn.functional.margin_ranking_loss(z, w, t),
            NIE,
            CLAMP,
        ),
        (
            "F.threshold",
            lambda lib, z, w, r, t: lib.nn.functional.threshold(z, 0.5, 0.0),
            NIE,
            _kernel("threshold_cpu"),
        ),
        (
            "F.huber_loss",
            lambda lib, z, w, r, t: lib.nn.functional.huber_loss(z, w),
            NIE,
            _kernel("huber_cpu"),
        ),
        # reductions to the extremes
        ("max()", lambda lib, z, w, r, t: z.max(), NIE, _kernel("max_all")),
        ("min()", lambda lib, z, w, r, t: lib.min(z), NIE, _kernel("min_all")),
        (
            "max(dim)",
            lambda lib, z, w, r, t: z.max(1),
            RTE,
            "max(): does not support complex input",
        ),
        (
            "min(dim)",
            lambda lib, z, w, r, t: lib.min(z, dim=0, keepdim=True),
            RTE,
            "min(): does not support complex input",
        ),
        ("amax", lambda lib, z, w, r, t: z.amax(), NIE, _kernel("max_values_cpu")),
        ("amin", lambda lib, z, w, r, t: lib.amin(z, 1), NIE, _kernel("min_values_cpu")),
        (
            "argmax",
            lambda lib, z, w, r, t: z.argmax(),
            RTE,
            "argmax(): does not support complex input",
        ),
        (
            "argmin",
            lambda lib, z, w, r, t: lib.argmin(z, 1),
            RTE,
            "argmin(): does not support complex input",
        ),
        ("aminmax", lambda lib, z, w, r, t: lib.aminmax(z), NIE, _kernel("aminmax_cpu")),
        # sorting and order statistics
        (
            "sort",
            lambda lib, z, w, r, t: z.sort(),
            RTE,
            " Sort does not support complex dtypes on CPU",
        ),
        (
            "argsort",
            lambda lib, z, w, r, t: lib.argsort(z, 0),
            RTE,
            " Sort does not support complex dtypes on CPU",
        ),
        (
            "msort",
            lambda lib, z, w, r, t: lib.msort(z),
            RTE,
            " Sort does not support complex dtypes on CPU",
        ),
        (
            "topk",
            lambda lib, z, w, r, t: z.topk(2),
            RTE,
            " topk does not support complex dtypes on CPU",
        ),
        ("kthvalue", lambda lib, z, w, r, t: z.kthvalue(1), NIE, _kernel("kthvalue_cpu")),
        ("median()", lambda lib, z, w, r, t: z.median(), NIE, _kernel("median_cpu")),
        ("median(dim)", lambda lib, z, w, r, t: z.median(0), NIE, _kernel("median_out")),
        ("nanmedian()", lambda lib, z, w, r, t: lib.nanmedian(z), NIE, _kernel("median_cpu")),
        ("nanmedian(dim)", lambda lib, z, w, r, t: z.nanmedian(1), NIE, _kernel("median_out")),
        # sign and the signed infinities
        ("sign", lambda lib, z, w, r, t: z.sign(), NIE, SIGN),
        ("sign_", lambda lib, z, w, r, t: z.clone().sign_(), NIE, SIGN),
        (
            "isposinf",
            lambda lib, z, w, r, t: lib.isposinf(z),
            RTE,
            "isposinf does not support complex inputs.",
        ),
        (
            "isneginf",
            lambda lib, z, w, r, t: z.isneginf(),
            RTE,
            "isneginf does not support complex inputs.",
        ),
        # max pooling picks maxima
        (
            "F.max_pool2d",
            lambda lib, z, w, r, t: lib.nn.functional.max_pool2d(z[None, None], 2),
            NIE,
            _kernel("max_pool2d"),
        ),
        (
            "F.max_pool1d indices",
            lambda lib, z, w, r, t: lib.nn.functional.max_pool1d(z[None], 2, return_indices=True),
            NIE,
            _kernel("max_pool2d"),
        ),
        (
            "F.max_pool3d",
            lambda lib, z, w, r, t: lib.nn.functional.max_pool3d(z[None, None, None], 1),
            NIE,
            _kernel("max_pool3d"),
        ),
        (
            "F.adaptive_max_pool2d",
            lambda lib, z, w, r, t: lib.nn.functional.adaptive_max_pool2d(z[None, None], 1),
            NIE,
            _kernel("adaptive_max_pool2d"),
        ),
        (
            "F.adaptive_max_pool3d",
            lambda lib, z, w, r, t: lib.nn.functional.adaptive_max_pool3d(z[None, None, None], 1),
            NIE,
            _kernel("adaptive_max_pool3d_cpu"),
        ),
    ]
    + [
        # piecewise and real-only activations: PyTorch's kernels have no complex loops
        (
            f"F.{name}",
            lambda lib, z, w, r, t, name=name: getattr(lib.nn.functional, name)(z),
            NIE,
            _kernel(k),
        )
        for name, k in (
            ("elu", "elu_cpu"),
            ("selu", "elu_cpu"),
            ("celu", "elu_cpu"),
            ("leaky_relu", "leaky_relu_cpu"),
            ("rrelu", "leaky_relu_cpu"),
            ("gelu", "GeluKernelImpl"),
            ("mish", "mish_cpu"),
            ("softplus", "softplus_cpu"),
            ("logsigmoid", "log_sigmoid_cpu"),
            ("softshrink", "softshrink_check"),
            ("hardshrink", "hardshrink_cpu"),
            ("hardsigmoid", "hardsigmoid_cpu"),
            ("hardswish", "hardswish_cpu"),
        )
    ]
    + [
        (
            "F.rrelu training",
            lambda lib, z, w, r, t: lib.nn.functional.rrelu(z, training=True),
            NIE,
            _kernel("rrelu_with_noise_out_cpu"),
        ),
        (
            "F.leaky_relu_",
            lambda lib, z, w, r, t: lib.nn.functional.leaky_relu_(z.clone()),
            NIE,
            _kernel("leaky_relu_cpu"),
        ),
        (
            "F.glu",
            lambda lib, z, w, r, t: lib.nn.functional.glu(z, 0),
            NIE,
            _kernel("glu_cpu"),
        ),
        (
            "F.prelu",
            lambda lib, z, w, r, t: lib.nn.functional.prelu(z, z.new_tensor([0.25])),
            NIE,
            _kernel("prelu_cpu"),
        ),
    ]
    + [
        # rounding and rounded quotients
        (
            "floor",
            lambda lib, z, w, r, t: z.floor(),
            NIE,
            "floor is not supported for complex inputs",
        ),
        (
            "ceil_",
            lambda lib, z, w, r, t: z.clone().ceil_(),
            NIE,
            "ceil is not supported for complex inputs",
        ),
        (
            "trunc",
            lambda lib, z, w, r, t: lib.trunc(z),
            NIE,
            "trunc is not supported for complex inputs",
        ),
        ("fix", lambda lib, z, w, r, t: z.fix(), NIE, "trunc is not supported for complex inputs"),
        ("round", lambda lib, z, w, r, t: z.round(), NIE, _kernel("round_vml_cpu")),
        (
            "round(decimals=1)",
            lambda lib, z, w, r, t: z.round(decimals=1),
            NIE,
            _kernel("round_cpu"),
        ),
        ("frac", lambda lib, z, w, r, t: z.frac(), NIE, _kernel("frac_cpu")),
        ("z // w", lambda lib, z, w, r, t: z // w, NIE, _kernel("div_floor_cpu")),
        ("z % w", lambda lib, z, w, r, t: z % w, NIE, _kernel("remainder_cpu")),
        ("fmod", lambda lib, z, w, r, t: lib.fmod(z, w), NIE, _kernel("fmod_cpu")),
        # what subtracts a max, pools or bins
        (
            "softmax",
            lambda lib, z, w, r, t: lib.softmax(z, -1),
            NIE,
            _kernel("softmax_lastdim_kernel_impl"),
        ),
        (
            "softmax(dim=0)",
            lambda lib, z, w, r, t: lib.softmax(z, 0),
            NIE,
            _kernel("softmax_kernel_impl"),
        ),
        (
            "log_softmax",
            lambda lib, z, w, r, t: lib.log_softmax(z, 1),
            NIE,
            _kernel("log_softmax_lastdim_kernel_impl"),
        ),
        (
            "F.softmin",
            lambda lib, z, w, r, t: lib.nn.functional.softmin(z, 1),
            NIE,
            _kernel("softmax_lastdim_kernel_impl"),
        ),
        (
            "F.scaled_dot_product_attention",
            lambda lib, z, w, r, t: lib.nn.functional.scaled_dot_product_attention(
                z[None], w[None], z[None]
            ),
            NIE,
            _kernel("softmax_lastdim_kernel_impl"),
        ),
        (
            "F.max_pool1d",
            lambda lib, z, w, r, t: lib.nn.functional.max_pool1d(z[None], 2),
            NIE,
            _kernel("max_pool1d_impl"),
        ),
        (
            "F.avg_pool1d",
            lambda lib, z, w, r, t: lib.nn.functional.avg_pool1d(z[None], 2),
            NIE,
            _kernel("avg_pool2d"),
        ),
        (
            "F.avg_pool2d",
            lambda lib, z, w, r, t: lib.nn.functional.avg_pool2d(z[None, None], 1),
            NIE,
            _kernel("avg_pool2d"),
        ),
        (
            "F.avg_pool3d",
            lambda lib, z, w, r, t: lib.nn.functional.avg_pool3d(z[None, None, None], 1),
            NIE,
            _kernel("avg_pool3d_out_frame"),
        ),
        (
            "F.lp_pool1d",
            lambda lib, z, w, r, t: lib.nn.functional.lp_pool1d(z[None], 2, 1),
            NIE,
            _kernel("avg_pool2d"),
        ),
        (
            "F.kl_div",
            lambda lib, z, w, r, t: lib.nn.functional.kl_div(z, r, reduction="sum"),
            RTE,
            "kl_div: Complex inputs not supported.",
        ),
        (
            "F.gaussian_nll_loss",
            lambda lib, z, w, r, t: lib.nn.functional.gaussian_nll_loss(r, r, z),
            NIE,
            _kernel("lt_cpu"),
        ),
        (
            "F.multi_margin_loss",
            lambda lib, z, w, r, t: lib.nn.functional.multi_margin_loss(z, lib.tensor([0, 2])),
            NIE,
            _kernel("multi_margin_loss_cpu_kernel"),
        ),
        (
            "F.multilabel_margin_loss",
            lambda lib, z, w, r, t: lib.nn.functional.multilabel_margin_loss(
                z, lib.tensor([[0, -1, 0], [2, 1, -1]])
            ),
            NIE,
            _kernel("multilabel_margin_loss_forward_out_frame"),
        ),
        ("unique", lambda lib, z, w, r, t: lib.unique(z), NIE, _kernel("unique")),
        ("unique(dim)", lambda lib, z, w, r, t: lib.unique(z, dim=1), NIE, _kernel("unique_dim")),
        (
            "unique_consecutive",
            lambda lib, z, w, r, t: lib.unique_consecutive(z),
            NIE,
            _kernel("unique"),
        ),
        ("histc", lambda lib, z, w, r, t: lib.histc(z), NIE, _kernel("aminmax_cpu")),
        (
            "histc(min, max)",
            lambda lib, z, w, r, t: lib.histc(z, 4, -1, 1),
            NIE,
            _kernel("histogram_cpu"),
        ),
        (
            "searchsorted",
            lambda lib, z, w, r, t: lib.searchsorted(r.sort().values, z),
            NIE,
            _kernel("searchsorted_out_cpu"),
        ),
        (
            "bucketize",
            lambda lib, z, w, r, t: lib.bucketize(z, r[0].sort().values),
            NIE,
            _kernel("searchsorted_out_cpu"),
        ),
    ]
)
IDS = [c[0] for c in CASES]


def _inputs(lib, requires_grad=False):
    make = ndgrad.tensor if lib is ndgrad else lib.tensor
    z, w = make(Z.copy()), make(W.copy())
    if requires_grad:
        z.requires_grad_(True)
    return z, w, make(R.copy()), make(T.copy())


def _ours(call, requires_grad=False):
    with pytest.raises(Exception) as info:
        call(ndgrad, *_inputs(ndgrad, requires_grad))
    return info.value


@pytest.mark.parametrize(("name", "call", "cls", "text"), CASES, ids=IDS)
def test_an_ordering_op_refuses_complex_input_with_pytorchs_class_and_message(
    name, call, cls, text
):
    err = _ours(call)
    assert type(err) is cls, (name, type(err), err)
    assert str(err).startswith(text + "; hint: "), (name, str(err))


@pytest.mark.parametrize(("name", "call", "cls", "text"), CASES, ids=IDS)
def test_the_refusal_comes_before_the_missing_complex_derivative_when_input_requires_grad(
    name, call, cls, text
):
    err = _ours(call, requires_grad=True)
    assert type(err) is cls, (name, type(err), err)
    assert str(err).startswith(text + "; hint: "), (name, str(err))


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (pip install '.[torch]')")
@pytest.mark.parametrize(("name", "call", "cls", "text"), CASES, ids=IDS)
def test_pytorch_refuses_the_same_call_with_the_same_class_and_message(name, call, cls, text):
    import torch

    with pytest.raises(Exception) as theirs:
        call(torch, *_inputs(torch))
    assert type(theirs.value) is cls, (name, type(theirs.value), theirs.value)
    assert str(theirs.value) == text, name
    ours = _ours(call)
    assert str(ours).split("; hint: ")[0] == str(theirs.value), name


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (pip install '.[torch]')")
def test_both_libraries_still_compare_complex_tensors_for_equality():
    """eq/ne order nothing: PyTorch and ndgrad take complex tensors."""
    import torch

    for lib in (ndgrad, torch):
        z, w, _, _ = _inputs(lib)
        assert (z == z).all()
        assert (z != w).all()


def test_equality_of_complex_tensors_still_works():
    z, w, _, _ = _inputs(ndgrad)
    np.testing.assert_array_equal((z == w).numpy(), Z == W)
    np.testing.assert_array_equal(ndgrad.ne(z, z).numpy(), np.zeros(Z.shape, bool))


def test_real_inputs_of_the_refusing_ops_still_give_numpys_answers():
    x, y = ndgrad.tensor(R.copy()), ndgrad.tensor(R[::-1].copy())
    np.testing.assert_array_equal((x > y).numpy(), np.greater(R, R[::-1]))
    np.testing.assert_array_equal((x <= 0.5).numpy(), R <= 0.5)
    np.testing.assert_array_equal((2 > x).numpy(), np.less(R, 2))  # noqa: SIM300
    np.testing.assert_array_equal(ndgrad.maximum(x, y).numpy(), np.maximum(R, R[::-1]))
    np.testing.assert_array_equal(x.clamp(-0.5, 0.5).numpy(), np.clip(R, -0.5, 0.5))
    np.testing.assert_array_equal(x.sort().values.numpy(), np.sort(R))
    np.testing.assert_array_equal(x.sign().numpy(), np.sign(R))
    ints = ndgrad.tensor(np.array([3, 1, 2]))
    np.testing.assert_array_equal((ints > 1).numpy(), [True, False, True])


# The fast paths (ops/dispatch.py's _unary_fn/_binary_fn) call a record's ``ufunc`` instead of
# its forward: a record that refuses complex data in its forward must not have one unwrapped.
REFUSING = [
    "lt",
    "le",
    "gt",
    "ge",
    "lt_",
    "le_",
    "gt_",
    "ge_",
    "maximum",
    "minimum",
    "clamp",
    "_clamp_tensor",
    "_clamp_min",
    "_clamp_min_tensor",
    "_clamp_max",
    "_clamp_max_tensor",
    "relu",
    "_threshold_backward",
    "nn.functional.hardtanh",
    "nn.functional.threshold",
    "sign",
    "isposinf",
    "isneginf",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "_arg_mask",
    "_max_dim",
    "_min_dim",
    "_sort",
    "_topk",
    "_kthvalue",
    "_median_dim",
    "_nanmedian_dim",
    "_median_all",
    "_nanmedian_all",
    "aminmax",
    "floor",
    "ceil",
    "trunc",
    "round",
    "frac",
    "floor_divide",
    "remainder",
    "fmod",
    "_trunc_div",
    "_max_pool2d_with_indices",
    "_max_pool3d_with_indices",
    "_adaptive_max_pool2d",
    "_adaptive_max_pool3d",
    "nn.functional.elu",
    "nn.functional.leaky_relu",
    "nn.functional.hardshrink",
    "nn.functional.softplus",
]


@pytest.mark.parametrize("name", REFUSING)
def test_a_refusing_record_has_no_fast_path_around_its_check(name):
    op = TABLE[name]
    assert op.ufunc is None or hasattr(op.ufunc, "__wrapped__"), name  # real_only's
    z = ndgrad.tensor(Z.copy())
    params = {k: 0.0 if v is None else v for k, v in op.params}
    with pytest.raises((NotImplementedError, RuntimeError), match="complex|Complex"):
        op.fn(*[z] * len(op.inputs), **params)


def test_soft_margin_loss_of_complex_values_is_still_computed_as_pytorch_does():
    """PyTorch computes it by its formula, not through softplus (which refuses complex)."""
    torch = pytest.importorskip("torch")
    for reduction in ("mean", "none"):
        ours = ndgrad.nn.functional.soft_margin_loss(
            ndgrad.tensor(Z.copy()), ndgrad.tensor(T.copy()), reduction=reduction
        )
        theirs = torch.nn.functional.soft_margin_loss(
            torch.tensor(Z.copy()), torch.tensor(T.copy()), reduction=reduction
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
