"""Activation functions of ``ndgrad.nn.functional``.

The elementwise activations (elu, gelu, softplus, hardtanh ...) are records, not composites:

* speed: one fused forward and one rule each, where a composite of exp/where/mul would keep
  several temporaries of the input's size alive for backward;
* stability: softplus and logsigmoid take exp of ``-|x|`` only (finite at +-1000), elu and
  celu exp of the non-positive part only, gelu uses erf (no overflow in the tanh form either);
* names: the nodes carry PyTorch's ``grad_fn`` names (``EluBackward0``, ``GeluBackward0``...).

Their rules are written in ndgrad ops (``where``, ``exp``, ``sigmoid``...), so second order is
free. The functions with ``inplace=`` write into the input through ``apply_inplace`` (version
bump, PyTorch's checks for leaves and views); the in-place forms whose PyTorch node has another
name (``elu_`` records ``EluBackward1``) use a twin of the record with that name.
Softsign, tanhshrink, softmin and gumbel_softmax are composites, as in PyTorch.

Non-smooth points follow PyTorch (written next to each rule): the gradient at a kink is the one
of the branch that the backward formula's comparison selects.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _backend
from .._core import random as _r
from .._core.tensor import Tensor
from . import (
    _real,
    pointwise,  # noqa: F401 - before unary, whose aliases name trunc (pointwise's)
)
from .elementwise import _avoiding, exp, where
from .reduction import _is_float, _tname
from .registry import (
    TABLE,
    OpDef,
    Sample,
    apply,
    apply_inplace,
    def_composite,
    def_op,
    def_twin,
    to_tensor,
)
from .samples import rand
from .unary import relu

__all__ = [
    "celu",
    "elu",
    "hardtanh",
    "leaky_relu",
    "prelu",
    "relu6",
    "rrelu",
    "selu",
    "threshold",
]

_F = "nn.functional."
# No complex numbers: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: apply it to .real and .imag, or to .abs()"
_COMPLEX_HINT = "the activation is defined for real inputs: apply it to .real and .imag, or .abs()"
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_forward(forward: Any, kernel: str | None, complex_kernel: Any = "") -> Any:
    """``forward`` refusing integer inputs as PyTorch's kernel ``kernel`` does (None: any dtype),
    and complex ones as ``complex_kernel`` does ("": the same kernel; None: complex is fine; or
    a ``_real.Refusal`` of the params).
    See Note [Complex numbers have no order] in ops/_real.py: most activations are piecewise
    (x > 0) or real-only formulas, and PyTorch's kernels have no complex loops."""
    ckernel = kernel if complex_kernel == "" else complex_kernel
    if callable(ckernel):
        forward = _real.real_only(forward, ckernel)
    elif ckernel is not None:
        forward = _real.real_only(forward, _real.kernel(ckernel, _COMPLEX_HINT))
    if kernel is None:
        return forward

    def checked(xp: Any, x: Any, *rest: Any, **params: Any) -> Any:
        if not _is_float(x):
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{_tname(x)}'; hint: convert the input "
                "first, e.g. x.float()"
            )
        return forward(xp, x, *rest, **params)

    return checked


def _act(
    name: str,
    forward: Any,
    vjp: Any,
    *,
    kernel: str | None,
    backward_name: str,
    samples: Any,
    ref: Any,
    doc: str,
    params: tuple = (),
    complex_kernel: Any = "",
    **kwargs: Any,
) -> OpDef:
    """An elementwise activation record named ``nn.functional.<name>``; ``kernel`` and
    ``complex_kernel``: PyTorch's kernel in the errors for integer and complex inputs (See
    ``_float_forward``)."""
    kwargs.setdefault("jvp", "elementwise")
    def_op(
        _F + name,
        forward=_float_forward(forward, kernel, complex_kernel),
        vjp=vjp,
        params=params,
        method=False,
        export=False,
        backward_name=backward_name,
        samples=samples,
        ref=ref,
        doc=doc,
        **kwargs,
    )
    return TABLE[_F + name]


def _public(op: OpDef, fn: Any) -> Any:
    """Make ``fn`` (PyTorch's signature, with ``inplace=``) the record's public function."""
    fn.__doc__ = fn.__doc__ or op.doc
    op.fn = fn
    return fn


def _twin(op: OpDef, backward_name: str) -> OpDef:
    """The record of an in-place form whose PyTorch node has another name (``EluBackward1``);
    its samples are the out-of-place record's, run through the in-place path by the hand tests."""
    twin = def_twin(op.name, f"_inplace.{op.name[len(_F) :]}", backward_name, samples=None)
    twin.api = ""  # a helper of the in-place form, not a public entry of docs/ops.md
    return twin


def _run(op: OpDef, input: Any, inplace: bool, params: dict, twin: OpDef | None = None) -> Tensor:
    if inplace:
        if not isinstance(input, Tensor):
            raise TypeError(f"{op.name}(): argument 'input' must be Tensor for inplace=True")
        return apply_inplace(twin or op, input, (), params)
    return apply(op, (input,), params)


def _away(*points: float, low: float = -2.0, high: float = 2.0, **kwargs: Any) -> Any:
    """Samples of shapes (), (5,), (2, 3) away from the kinks ``points``; ``kwargs`` to the op."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [
            Sample((_avoiding(rng, s, dtype, points or (1e9,), low, high),), dict(kwargs), name=n)
            for s, n in (((), "()"), ((5,), "(5,)"), ((2, 3), "(2, 3)"))
        ]

    return gen


def _with(gen: Any, *extra: tuple) -> Any:
    """``gen``'s samples plus one (2, 3) sample per ``(kwargs, points, low, high)``."""

    def out(rng: np.random.Generator, dtype: Any) -> list:
        res = gen(rng, dtype)
        for kw, points, low, high in extra:
            x = _avoiding(rng, (2, 3), dtype, points or (1e9,), low, high)
            res.append(Sample((x,), dict(kw), name=str(kw)))
        return res

    return out


def _like(x: Tensor, a: np.ndarray) -> Tensor:
    """The NumPy array ``a`` as a constant tensor on ``x``'s backend."""
    return to_tensor(_backend.asarray(_backend.namespace(x._data), a))


def _sel(c: Any, a: Any, b: Any) -> Tensor:
    """``where`` on tensors (the rules' select)."""
    return where(c, a, b)


# ---------------------------------------------------------------- hardtanh / relu6


def _hardtanh_fwd(xp: Any, x: Any, *, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    return xp.clip(x, xp.asarray(min_val, dtype=x.dtype), xp.asarray(max_val, dtype=x.dtype))


def _hardtanh_vjp(g: Tensor, ans: Any, x: Tensor, *, min_val: float, max_val: float) -> Tensor:
    # PyTorch's hardtanh_backward: 0 where x <= min_val or x >= max_val (the bounds included).
    return _sel((x > min_val) & (x < max_val), g, 0.0)


_HARDTANH = _act(
    "hardtanh",
    _real.real_only(  # PyTorch's hardtanh is a clamp
        _hardtanh_fwd,
        _real.message(NotImplementedError, "clamp is not supported for complex types", _ORDER_HINT),
    ),
    _hardtanh_vjp,
    kernel=None,
    params=(("min_val", -1.0), ("max_val", 1.0)),
    backward_name="HardtanhBackward0",
    samples=_with(_away(-1.0, 1.0), ({"min_val": -0.5, "max_val": 1.5}, (-0.5, 1.5), -2, 2)),
    ref=lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
    doc="clamp(x, min_val, max_val). d/dx = 1 for min_val < x < max_val, else 0 (0 at the "
    "bounds, as PyTorch).",
)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(input, min_val, max_val)``. d/dx = 1 strictly inside the bounds, else 0.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.functional.hardtanh(ndgrad.tensor([-2.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(_HARDTANH, input, inplace, {"min_val": min_val, "max_val": max_val})


_public(_HARDTANH, hardtanh)


def _relu6_composite(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``: hardtanh(x, 0, 6), recorded as HardtanhBackward0 (as PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


relu6 = def_composite(
    _F + "relu6",
    _relu6_composite,
    samples=_with(_away(0.0, 6.0, low=-2.0, high=8.0)),
    ref=lambda x: np.clip(x, 0.0, 6.0),
)


# ---------------------------------------------------------------- relu (with inplace=)


def _relu_composite(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; ``inplace=True`` writes into ``input`` (``relu_``)."""
    return input.relu_() if inplace else relu(input)


def_composite(_F + "relu", _relu_composite, samples=_away(0.0), ref=lambda x: np.maximum(x, 0.0))


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return input.relu_()


# ---------------------------------------------------------------- elu / selu / celu


def _elu_fwd_of(alpha_of: Any, scale: float, input_scale_of: Any) -> Any:
    def fwd(xp: Any, x: Any, **p: Any) -> Any:
        alpha, s = alpha_of(p), input_scale_of(p)
        neg = xp.minimum(x, xp.zeros_like(x))  # exp of the non-positive part only: no overflow
        return xp.where(x > 0, x * scale, xp.expm1(neg * s) * (alpha * scale))

    return fwd


def _elu_vjp_of(alpha_of: Any, scale: float, input_scale_of: Any) -> Any:
    def vjp(g: Tensor, ans: Any, x: Tensor, **p: Any) -> Tensor:
        # PyTorch's elu_backward: the x <= 0 branch at x == 0 (alpha * scale * input_scale).
        alpha, s = alpha_of(p), input_scale_of(p)
        neg = x.clamp_max(0.0)
        return _sel(x > 0, g * scale, g * exp(neg * s) * (alpha * scale * s))

    return vjp


def _celu_scale(p: dict) -> float:
    return 1.0 / p["alpha"]


def _elu_record(name: str, alpha_of: Any, scale: float, is_of: Any, **kwargs: Any) -> OpDef:
    return _act(
        name,
        _elu_fwd_of(alpha_of, scale, is_of),
        _elu_vjp_of(alpha_of, scale, is_of),
        kernel="elu_cpu",
        **kwargs,
    )


def _elu_ref(alpha: float, scale: float, s: float) -> Any:
    return lambda x, **_: np.where(x > 0, x * scale, np.expm1(np.minimum(x, 0) * s) * alpha * scale)


_ELU = _elu_record(
    "elu",
    lambda p: p["alpha"],
    1.0,
    lambda p: 1.0,
    params=(("alpha", 1.0),),
    backward_name="EluBackward0",
    samples=_with(_away(0.0), ({"alpha": 0.5}, (0.0,), -3, 2)),
    ref=lambda x, alpha=1.0: _elu_ref(alpha, 1.0, 1.0)(x),
    doc="x for x > 0, alpha (e^x - 1) otherwise. d/dx = 1 for x > 0, alpha e^x otherwise.",
)
_ELU_ = _twin(_ELU, "EluBackward1")

_SELU = _elu_record(
    "selu",
    lambda p: _SELU_ALPHA,
    _SELU_SCALE,
    lambda p: 1.0,
    backward_name="EluBackward0",
    samples=_away(0.0),
    ref=_elu_ref(_SELU_ALPHA, _SELU_SCALE, 1.0),
    doc="scale * elu(x, alpha) with PyTorch's constants (alpha = 1.6732632423543772, scale = "
    "1.0507009873554805).",
)
_SELU_ = _twin(_SELU, "EluBackward1")

_CELU = _elu_record(
    "celu",
    lambda p: p["alpha"],
    1.0,
    _celu_scale,
    params=(("alpha", 1.0),),
    backward_name="CeluBackward0",
    samples=_with(_away(0.0), ({"alpha": 2.0}, (0.0,), -3, 2)),
    ref=lambda x, alpha=1.0: _elu_ref(alpha, 1.0, 1.0 / alpha)(x),
    doc="max(0, x) + min(0, alpha (e^(x/alpha) - 1)). d/dx = 1 for x > 0, e^(x/alpha) otherwise.",
)
_CELU_ = _twin(_CELU, "CeluBackward1")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise. d/dx = 1 (x > 0), alpha e^x (x <= 0).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.functional.elu(ndgrad.tensor([1.0, 0.0])).tolist()
        [1.0, 0.0]
    """
    return _run(_ELU, input, inplace, {"alpha": alpha}, _ELU_)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with alpha = 1.6732632423543772, scale = 1.0507009873554805."""
    return _run(_SELU, input, inplace, {}, _SELU_)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _run(_CELU, input, inplace, {"alpha": alpha}, _CELU_)


_public(_ELU, elu)
_public(_SELU, selu)
_public(_CELU, celu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu`` (``EluBackward1``)."""
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu`` (``EluBackward1``)."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu`` (``CeluBackward1``)."""
    return celu(input, alpha, inplace=True)


# ---------------------------------------------------------------- leaky_relu / rrelu / prelu


def _leaky_fwd(xp: Any, x: Any, *, negative_slope: float = 0.01) -> Any:
    return xp.where(x > 0, x, x * negative_slope)


def _leaky_vjp(g: Tensor, ans: Any, x: Tensor, *, negative_slope: float) -> Tensor:
    # PyTorch's leaky_relu_backward: the slope at x == 0 (x > 0 is the condition).
    return _sel(x > 0, g, g * negative_slope)


_LEAKY = _act(
    "leaky_relu",
    _leaky_fwd,
    _leaky_vjp,
    kernel="leaky_relu_cpu",
    params=(("negative_slope", 0.01),),
    backward_name="LeakyReluBackward0",
    samples=_with(_away(0.0), ({"negative_slope": 0.2}, (0.0,), -2, 2)),
    ref=lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
    doc="x for x > 0, negative_slope * x otherwise. d/dx = 1 or negative_slope (at 0: the slope).",
)
_LEAKY_ = _twin(_LEAKY, "LeakyReluBackward1")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    return _run(_LEAKY, input, inplace, {"negative_slope": negative_slope}, _LEAKY_)


_public(_LEAKY, leaky_relu)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu`` (``LeakyReluBackward1``)."""
    return leaky_relu(input, negative_slope, inplace=True)


def _slope(noise: Any, lower: float, upper: float) -> Any:
    """The slopes of the non-positive entries: the drawn ``noise`` (training), or the mean
    slope (a Python float, so that it keeps the input's dtype and precision)."""
    return (lower + upper) / 2 if noise is None else noise


def _rrelu_fwd(xp: Any, x: Any, noise: Any, *, lower: float, upper: float, **_: Any) -> Any:
    return xp.where(x > 0, x, x * _slope(noise, lower, upper))


def _rrelu_vjp(
    g: Tensor, ans: Any, x: Tensor, noise: Any, *, lower: float, upper: float, **_: Any
) -> Tensor:
    # PyTorch: grad * noise in training (noise is 1 where x > 0), leaky_relu_backward with the
    # mean slope in evaluation; both are this select.
    return _sel(x > 0, g, g * _slope(noise, lower, upper))


def _rrelu_jvp(
    tangents: tuple, ans: Any, x: Tensor, noise: Any, *, lower: float, upper: float, **_: Any
) -> Any:
    t = tangents[0]
    return None if t is None else _sel(x > 0, t, t * _slope(noise, lower, upper))


def _rrelu_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((_avoiding(rng, (5,), dtype),)),
        Sample((_avoiding(rng, (2, 3), dtype),), {"lower": 0.1, "upper": 0.5}),
    ]


_RRELU = _act(
    "rrelu",
    _rrelu_fwd,
    (_rrelu_vjp, None),
    kernel="rrelu_with_noise_cpu",
    complex_kernel=lambda dtype, params: _real.kernel(  # evaluation: a leaky relu
        "rrelu_with_noise_out_cpu" if params.get("training") else "leaky_relu_cpu", _COMPLEX_HINT
    )(dtype, params),
    inputs=("input", "noise"),
    jvp=_rrelu_jvp,
    params=(("lower", 1 / 8), ("upper", 1 / 3), ("training", False)),
    backward_name="RreluWithNoiseBackward0",
    samples=_rrelu_samples,
    ref=lambda x, lower=1 / 8, upper=1 / 3, training=False: np.where(
        x > 0, x, x * (lower + upper) / 2
    ),
    doc="Randomized leaky relu: slopes drawn from U(lower, upper) for x <= 0 in training, "
    "the mean slope (lower + upper) / 2 otherwise. d/dx = 1 for x > 0, the slope otherwise.",
)
_RRELU_ = _twin(_RRELU, "RreluWithNoiseBackward1")


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Randomized leaky relu. ``training=True``: a slope from U(lower, upper) per element where
    x <= 0 (from ``generator``, by default the one ``manual_seed`` seeds); else the mean slope."""
    params = {"lower": lower, "upper": upper, "training": training}
    x = to_tensor(input)
    noise = None  # evaluation: the mean slope
    if training:
        xa = _backend.to_numpy(x._data)
        draw = _r.np_generator(generator, "rrelu").uniform(lower, upper, xa.shape)
        noise = _like(x, np.where(xa > 0, 1.0, draw).astype(xa.dtype))
    if inplace:
        return apply_inplace(_RRELU_, x, (noise,), params)
    return apply(_RRELU, (x, noise), params)


_public(_RRELU, rrelu)


def rrelu_(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """In-place ``rrelu`` (``RreluWithNoiseBackward1``)."""
    return rrelu(input, lower, upper, training, True, generator=generator)


def _prelu_weight(xp: Any, x: Any, w: Any) -> Any:
    """``w`` shaped to broadcast along dim 1 of ``x`` (the channels)."""
    if w.ndim == 0 or w.shape[0] == 1:
        return xp.reshape(w, ())
    return xp.reshape(w, (w.shape[0],) + (1,) * (x.ndim - 2))


def _prelu_fwd(xp: Any, x: Any, w: Any) -> Any:
    return xp.where(x > 0, x, _prelu_weight(xp, x, w) * x)


def _w_like(w: Tensor, x: Tensor) -> Tensor:
    if w.ndim == 0 or w.shape[0] == 1:
        return w.reshape(())
    return w.reshape((w.shape[0],) + (1,) * (x.ndim - 2))


def _prelu_vjp_x(g: Tensor, ans: Any, x: Tensor, w: Tensor) -> Tensor:
    # PyTorch: x > 0 selects the identity, so the gradient at x == 0 is the weight.
    return _sel(x > 0, g, g * _w_like(w, x))


def _prelu_vjp_w(g: Tensor, ans: Any, x: Tensor, w: Tensor) -> Tensor:
    part = _sel(x > 0, 0.0, g * x)
    if w.ndim == 0 or w.shape[0] == 1:
        return part.sum().reshape(w.shape)
    dims = tuple(d for d in range(x.ndim) if d != 1)
    return part.sum(dims).reshape(w.shape) if dims else part.reshape(w.shape)


def _prelu_jvp(tangents: tuple, ans: Any, x: Tensor, w: Tensor) -> Any:
    tx, tw = tangents
    out = None
    if tx is not None:
        out = _sel(x > 0, tx, tx * _w_like(w, x))
    if tw is not None:
        part = _sel(x > 0, 0.0, _w_like(tw, x) * x)
        out = part if out is None else out + part
    return out


def _prelu_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((_avoiding(rng, (2, 3, 2), dtype), rand(rng, (3,), dtype, 0.1, 0.5))),
        Sample((_avoiding(rng, (2, 3), dtype), rand(rng, (1,), dtype, 0.1, 0.5))),
        Sample((_avoiding(rng, (4,), dtype), rand(rng, (1,), dtype, 0.1, 0.5))),
    ]


def _prelu_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    ww = w.reshape(()) if w.shape[0] == 1 else w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, ww * x)


_PRELU = _act(
    "prelu",
    _prelu_fwd,
    (_prelu_vjp_x, _prelu_vjp_w),
    kernel="prelu_cpu",
    inputs=("input", "weight"),
    jvp=_prelu_jvp,
    backward_name="PreluKernelBackward0",
    samples=_prelu_samples,
    ref=_prelu_ref,
    doc="x for x > 0, weight * x otherwise, one weight per channel (dim 1) or one for all. "
    "d/dx = 1 or weight; d/dweight = sum of x over the non-positive entries of its channel.",
)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)`` with one weight per channel (dim 1) or one in all."""
    x, w = to_tensor(input), to_tensor(weight)
    n = w.numel()
    channels = 1 if x.ndim < 2 else x.shape[1]
    if w.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}"
        )
    if n != 1 and n != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels}."
        )
    return apply(_PRELU, (x, w), {})


_public(_PRELU, prelu)


# ---------------------------------------------------------------- threshold


def _threshold_fwd(xp: Any, x: Any, *, threshold: float, value: float) -> Any:
    return xp.where(x > threshold, x, xp.asarray(value, dtype=x.dtype))


def _threshold_vjp(g: Tensor, ans: Any, x: Tensor, *, threshold: float, value: float) -> Tensor:
    # PyTorch's threshold_backward: 0 where x <= threshold (so at the threshold too).
    return _sel(x > threshold, g, 0.0)


_THRESHOLD = _act(
    "threshold",
    _real.real_only(_threshold_fwd, _real.kernel("threshold_cpu", _ORDER_HINT)),
    _threshold_vjp,
    kernel=None,
    params=(("threshold", None), ("value", None)),
    backward_name="ThresholdBackward0",
    samples=lambda rng, dt: [
        Sample((_avoiding(rng, (2, 3), dt, (0.1,)), 0.1, 20.0)),
        Sample((_avoiding(rng, (4,), dt, (-0.5,)),), {"threshold": -0.5, "value": -2.0}),
    ],
    ref=lambda x, threshold, value: np.where(x > threshold, x, value).astype(x.dtype),
    doc="x where x > threshold, value otherwise. d/dx = 1 where x > threshold, else 0.",
)
_THRESHOLD_ = _twin(_THRESHOLD, "ThresholdBackward1")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where x > threshold, ``value`` elsewhere."""
    return _run(_THRESHOLD, input, inplace, {"threshold": threshold, "value": value}, _THRESHOLD_)


_threshold_fn = _public(_THRESHOLD, threshold)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold`` (``ThresholdBackward1``)."""
    return _threshold_fn(input, threshold, value, inplace=True)
