"""Probabilistic losses of ``ndgrad.nn.functional``: binary cross-entropy (with logits),
KL divergence, Poisson and Gaussian negative log-likelihood."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._core.grad_mode import no_grad
from .._core.tensor import Tensor
from .activations import _like
from .activations_smooth import logsigmoid
from .elementwise import exp, log, where
from .losses import (
    _REDUCTIONS,
    _aux,
    _check_reduction,
    _floats,
    _legacy,
    _np,
    _reduce,
    _register,
)
from .registry import Sample, def_composite, def_op, to_tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "gaussian_nll_loss",
    "kl_div",
    "poisson_nll_loss",
]

_F = "nn.functional."

# --------------------------------------------------------------------------------------------
# Binary cross entropy.


_BCE_EPSILON = float(np.float32(1e-12))


def _bce_fwd(xp: Any, x: Any, t: Any) -> Any:
    lo = xp.asarray(-100.0, dtype=x.dtype)
    log_x = xp.maximum(xp.log(x), lo)  # PyTorch clamps both logs at -100
    log_1mx = xp.maximum(xp.log1p(-x), lo)
    return (t - 1) * log_1mx - t * log_x


def _bce_vjp_input(g: Tensor, ans: Any, x: Tensor, t: Tensor) -> Tensor:
    # PyTorch's binary_cross_entropy_backward: (x - t) / max(x (1 - x), EPSILON), finite at 0
    # and 1; its EPSILON is the float32 constant 1e-12, whatever the dtype, so is ours.
    return g * (x - t) / (x * (1 - x)).clamp_min(_BCE_EPSILON)


def _bce_vjp_target(g: Tensor, ans: Any, x: Tensor, t: Tensor) -> Tensor:
    # PyTorch's binary_cross_entropy_target_backward: -logit(x), unclamped (+-inf at 1 and 0).
    return g * -log(x / (1 - x))


_bce_record = def_op(
    "_binary_cross_entropy",
    forward=_bce_fwd,
    vjp=(_bce_vjp_input, _bce_vjp_target),
    jvp="elementwise",
    inputs=("input", "target"),
    method=False,
    export=False,
    backward_name="BinaryCrossEntropyBackward0",
    samples=lambda rng, dt: [
        Sample((_floats(rng, (2, 3), dt, 0.05, 0.95), _floats(rng, (2, 3), dt, 0.0, 1.0)))
    ],
    ref=lambda x, t: -(t * np.log(x) + (1 - t) * np.log1p(-x)),
    torch=lambda x, t: __import__("torch").nn.functional.binary_cross_entropy(
        x, t, reduction="none"
    ),
    doc="binary_cross_entropy's elementwise loss -(t log x + (1 - t) log(1 - x)), logs clamped "
    "at -100 as PyTorch. d/dx = (x - t) / max(x (1 - x), 1e-12).",
)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` with the logs clamped at -100, as PyTorch.
    d/dx = w (x - t) / max(x (1 - x), 1e-12)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    if tuple(t.shape) != tuple(x.shape):
        raise ValueError(
            f"Using a target size ({t.size()}) that is different to the input size "
            f"({x.size()}) is deprecated. Please ensure they have the same size."
        )
    xn = _np(x)
    if xn.size and (np.any(xn < 0) or np.any(xn > 1) or np.isnan(xn).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = _bce_record(x, t)
    if weight is not None:
        loss = loss * _aux(weight, x)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """``-w (p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))`` (p: ``pos_weight``), written
    ``(1 - t) x - (1 + (p - 1) t) logsigmoid(x)``: finite at any x (+-1000 included).
    d/dx = w ((1 - t) - (1 + (p - 1) t) sigmoid(-x))."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    if tuple(t.shape) != tuple(x.shape):
        raise ValueError(f"Target size ({t.size()}) must be the same as input size ({x.size()})")
    ls = logsigmoid(x)
    if pos_weight is None:
        loss = (1 - t) * x - ls
    else:
        loss = (1 - t) * x - ((_aux(pos_weight, x) - 1) * t + 1) * ls
    if weight is not None:
        loss = loss * _aux(weight, x)
    return _reduce(loss, reduction)


def _bce_samples(logits: bool) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        lo, hi = (-3.0, 3.0) if logits else (0.05, 0.95)
        x = lambda *s: _floats(rng, s, dt, lo, hi)  # noqa: E731
        t = lambda *s: _floats(rng, s, dt, 0.0, 1.0)  # noqa: E731
        w = _floats(rng, (3,), dt, 0.5, 2.0)
        out = [
            Sample((x(2, 3), t(2, 3)), {}),
            Sample(
                (
                    x(
                        4,
                    ),
                    t(
                        4,
                    ),
                ),
                {"reduction": "sum"},
            ),
            Sample((x(2, 3), t(2, 3)), {"reduction": "none"}),
            Sample((x(2, 3), t(2, 3), w), {}, (0, 1), "weight"),
        ]
        if logits:
            pw = _floats(rng, (3,), dt, 0.5, 2.0)
            out.append(
                Sample((x(2, 3), t(2, 3)), {"pos_weight": pw, "reduction": "sum"}, (0, 1), "pw")
            )
            out.append(
                Sample(
                    (x(2, 3), t(2, 3), w),
                    {"pos_weight": pw, "reduction": "none"},
                    (0, 1),
                    "weight and pos_weight",
                )
            )
        return out

    return gen


def_composite(_F + "binary_cross_entropy", binary_cross_entropy, samples=_bce_samples(False))
_register("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits, _bce_samples(True))


# --------------------------------------------------------------------------------------------
# Distribution losses: kl_div, poisson_nll_loss, gaussian_nll_loss.


def _xlogx(t: Tensor) -> Tensor:
    """``t log t``, 0 at t = 0 (PyTorch's xlogy(t, t))."""
    pos = t > 0
    return where(pos, t * log(where(pos, t, 1.0)), 0.0)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise ``target (log target - input)`` (``input``: log-probabilities; with
    ``log_target``, ``exp(target) (target - input)``); 'batchmean' divides the sum by the batch
    size (the KL divergence's definition)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=3,
        )
    _check_reduction(reduction, (*_REDUCTIONS, "batchmean"))
    x, t = to_tensor(input), to_tensor(target)
    if x.is_complex() or t.is_complex():
        raise RuntimeError(
            "kl_div: Complex inputs not supported.; hint: the divergence is between real "
            "(log-)probabilities: pass .abs() or .real"
        )
    loss = exp(t) * (t - x) if log_target else _xlogx(t) - t * x
    if reduction == "batchmean":
        out = loss.sum()
        return out / x.shape[0] if x.ndim else out
    return _reduce(loss, reduction)


def _kl_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt, -3.0, 0.0)  # noqa: E731
    t = lambda *s: _floats(rng, s, dt, 0.1, 1.0)  # noqa: E731
    return [
        Sample((x(2, 3), t(2, 3)), {"reduction": "batchmean"}),
        Sample((x(2, 3), t(2, 3)), {"reduction": "sum"}),
        Sample((x(2, 3), t(2, 3)), {"reduction": "none"}),
        Sample(
            (
                x(
                    4,
                ),
                t(
                    4,
                ),
            ),
            {"reduction": "mean"},
        ),
        Sample((x(2, 3), x(2, 3)), {"reduction": "batchmean", "log_target": True}),
    ]


def_composite(_F + "kl_div", kl_div, samples=_kl_samples)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``exp(input) - target * input`` (``log_input``) or ``input - target * log(input + eps)``;
    ``full`` adds Stirling's ``t log t - t + log(2 pi t) / 2`` where t > 1."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    loss = exp(x) - t * x if log_input else x - t * log(x + eps)
    if full:
        if t.is_complex():  # PyTorch's ``target <= 1`` has no complex kernel
            names = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}
            name = names.get(str(t.dtype).split(".")[-1], str(t.dtype))
            raise NotImplementedError(
                f"\"le_cpu\" not implemented for '{name}'; hint: full=True compares the target "
                "with 1, so it needs a real target"
            )
        big = t > 1
        ts = where(big, t, 2.0)  # the masked entries never reach a log of t <= 0
        stirling = ts * log(ts) - ts + 0.5 * log(2 * math.pi * ts)
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def _poisson_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt, 0.2, 2.0)  # noqa: E731
    t = _floats(rng, (2, 3), dt, 0.0, 3.0)
    t[0, 0], t[1, 1] = 0.5, 2.5  # both sides of Stirling's t > 1
    return [
        Sample((x(2, 3), t), {}),
        Sample((x(2, 3), t), {"log_input": False, "reduction": "sum"}),
        Sample((x(2, 3), t), {"full": True, "reduction": "none"}),
        Sample((x(2, 3), t), {"log_input": False, "full": True, "eps": 1e-3}),
    ]


def_composite(_F + "poisson_nll_loss", poisson_nll_loss, samples=_poisson_samples)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """``(log(var) + (input - target)^2 / var) / 2`` (+ ``log(2 pi) / 2`` with ``full``); ``var``
    is clamped at ``eps`` without changing its gradient (PyTorch clamps it under no_grad)."""
    x, t = to_tensor(input), to_tensor(target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        v = _like(x, np.full(tuple(x.shape), float(var), dtype=_np(x).dtype))
    else:
        v = _aux(var, x)
        if bool((v < 0).any()):  # PyTorch's torch.any(var < 0): complex var refuses there
            raise ValueError("var has negative entry/entries")
    if tuple(v.shape) != tuple(x.shape):
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif x.ndim == v.ndim and (sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    v = v.clone()
    with no_grad():
        v.clamp_(min=eps)
    d = x - t
    loss = 0.5 * (log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _gaussian_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt)  # noqa: E731
    v = lambda *s: _floats(rng, s, dt, 0.5, 2.0)  # noqa: E731
    return [
        Sample((x(2, 3), x(2, 3), v(2, 3)), {}),
        Sample((x(2, 3), x(2, 3), v(2)), {"full": True, "reduction": "sum"}, name="homosc."),
        Sample((x(2, 3), x(2, 3), v(2, 1)), {"reduction": "none"}, name="broadcast var"),
        Sample(
            (
                x(
                    4,
                ),
                x(
                    4,
                ),
                0.7,
            ),
            {"eps": 1e-3},
            (0, 1),
            "float var",
        ),
    ]


def_composite(_F + "gaussian_nll_loss", gaussian_nll_loss, samples=_gaussian_samples)
