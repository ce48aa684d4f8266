"""Loss functions of ``ndgrad.nn.functional``.

Every loss is a composite of ndgrad ops (its gradients, to any order, are those of the ops it
calls), with two exceptions that are records, for numerical reasons:

* ``binary_cross_entropy``'s elementwise part: PyTorch clamps the logs at -100, and a composite
  ``max(log(x), -100)`` has the gradient 0 * (1/0) = NaN at x = 0 or 1, where PyTorch's rule
  ``(x - t) / max(x (1 - x), 1e-12)`` is finite;
* the stable pieces they build on: ``log_softmax`` (nn_ops.py), ``logsigmoid`` and ``softplus``
  (activations.py), so ``cross_entropy`` and ``binary_cross_entropy_with_logits`` are finite at
  +-1000 and with ``-inf`` logits wherever the math is.

``cross_entropy`` is one ``log_softmax`` and one ``gather`` (then ``nll_loss``'s weighting), so
its forward and backward are a few vectorised passes over the logits.

``reduction='mean'|'sum'|'none'`` everywhere; PyTorch's legacy ``size_average``/``reduce``
arguments are accepted with PyTorch's deprecation warning. Integer targets are not
differentiable; PyTorch's errors for out-of-range targets and shape mismatches are raised.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.grad_mode import no_grad
from .._core.tensor import Tensor
from .activations import _like, logsigmoid, softplus
from .elementwise import exp, log, where
from .indexing import gather
from .nn_ops import log_softmax
from .reduction import _is_float, _tname
from .registry import EXPORTS, Sample, def_composite, def_op, to_tensor
from .samples import rand

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

_F = "nn.functional."
_REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------------------------
# Reductions and checks shared by every loss.


def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``: the old arguments win, with a warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        UserWarning,
        stacklevel=4,
    )
    return ret


def _check_reduction(reduction: str, valid: tuple = _REDUCTIONS) -> None:
    if reduction not in valid:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=4,
        )


def _weighted(loss: Tensor, weight: Any, input: Tensor, reduction: str, mean: str) -> Tensor:
    """PyTorch's elementwise ``weight=`` of mse/l1/huber: ``mean`` is "sum" (sum(w l) / sum(w))
    or "mean" (mean(w l))."""
    if weight is None:
        return _reduce(loss, reduction)
    w = _aux(weight, input)
    if tuple(w.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    out = loss * w
    if reduction == "mean" and mean == "sum":
        return out.sum() / w.sum()
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'."
        )
    return _reduce(out, reduction)


def _reduction_name(reduction: Any) -> str:
    """The top-level ``torch.kl_div(..., reduction=1)`` form: PyTorch's enum (0, 1, 2)."""
    if isinstance(reduction, str):
        return reduction
    return {0: "none", 1: "mean", 2: "sum"}[int(reduction)]


def _np(t: Tensor) -> np.ndarray:
    return _backend.to_numpy(t._data)


def _aux(v: Any, x: Tensor) -> Any:
    """A weight-like argument as a tensor; a NumPy array goes to ``x``'s backend."""
    if v is None or isinstance(v, Tensor):
        return v
    return _like(x, v) if isinstance(v, np.ndarray) else to_tensor(v)


def _floats(rng: np.random.Generator, shape: tuple, dt: Any, lo: float = -2.0, hi: float = 2.0):
    return rand(rng, shape, dt, lo, hi)


def _signs(rng: np.random.Generator, shape: tuple, dt: Any) -> np.ndarray:
    return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0).astype(dt)


def _away_from(
    rng: np.random.Generator, shape: tuple, dt: Any, lo: float, hi: float, gap: float = 0.1
) -> np.ndarray:
    """Uniform values at least ``gap`` from 0 (kinks of abs, clamps)."""
    v = rng.uniform(gap, hi, shape) * np.where(rng.uniform(size=shape) < 0.5, -1, 1)
    return np.clip(v, lo, hi).astype(dt)


# --------------------------------------------------------------------------------------------
# Regression losses.


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """``(input - target)^2``, reduced; with ``weight``, ``sum(w l) / sum(w)`` for 'mean'.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.functional.mse_loss(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    d = input - target
    return _weighted(d * d, weight, input, reduction, "sum")


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """``|input - target|``, reduced; with ``weight``, ``sum(w l) / sum(w)`` for 'mean'.
    d/dinput = sign(input - target) (0 at 0, as PyTorch)."""
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, input, reduction, "sum")


def _huberish(d: Tensor, beta: float, scale_linear: float) -> Tensor:
    """0.5 d^2 / beta * s where |d| < beta, s (|d| - 0.5 beta) elsewhere (s: 1 or beta)."""
    a = d.abs()
    quad = (0.5 * scale_linear / beta) * d * d
    return where(a < beta, quad, scale_linear * (a - 0.5 * beta))


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere (d = input - target);
    ``beta=0`` is the l1 loss."""
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    return _reduce(_huberish(d, beta, 1.0), reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Any = None,
) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere; with ``weight``,
    ``mean(w l)`` for 'mean' (as PyTorch)."""
    _size_warning(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_reduction(reduction)
    loss = _huberish(input - target, delta, delta)
    return _weighted(loss, weight, input, reduction, "mean")


def _regression_samples(extra: dict, weight: bool = True) -> Any:
    """Samples of (input, target): the three reductions, broadcasting-free, and ``extra``."""

    def gen(rng: np.random.Generator, dt: Any) -> list:
        def pair(shape: tuple) -> tuple:
            x = _floats(rng, shape, dt)
            return x, np.asarray(x - _away_from(rng, shape, dt, -2.0, 2.0, 0.15), dtype=dt)

        out = [
            Sample(pair((2, 3)), {}),
            Sample(pair((4,)), {"reduction": "sum"}),
            Sample(pair((2, 2)), {"reduction": "none"}),
            Sample(pair(()), {}),
        ]
        for kw in extra:
            out.append(Sample(pair((2, 3)), dict(kw), name=str(kw)))
        if weight:
            for r in ("mean", "sum", "none"):
                x, t = pair((2, 3))
                w = _floats(rng, (2, 3), dt, 0.5, 1.5)
                out.append(Sample((x, t), {"weight": w, "reduction": r}, (0, 1), f"weight {r}"))
        return out

    return gen


def _weight_kwarg_tensors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The PyTorch twin for samples with a NumPy ``weight`` keyword (made a tensor here)."""

    def twin(*args: Any, **kwargs: Any) -> Any:
        import torch

        for k in ("weight", "pos_weight", "var"):
            if isinstance(kwargs.get(k), np.ndarray):
                kwargs[k] = torch.from_numpy(kwargs[k])
        return fn(*args, **kwargs)

    return twin


def _torch_f(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        import torch.nn.functional as tf

        return _weight_kwarg_tensors(getattr(tf, name))(*args, **kwargs)

    return call


def _register(name: str, fn: Callable[..., Any], samples: Any, **kwargs: Any) -> None:
    """Register ``nn.functional.<name>`` (a composite); the template's keyword arrays (weights)
    become tensors on both sides."""
    def_composite(_F + name, fn, samples=samples, torch=_torch_f(name), **kwargs)


_register("mse_loss", mse_loss, _regression_samples(()))
_register("l1_loss", l1_loss, _regression_samples(()))
_register(
    "smooth_l1_loss",
    smooth_l1_loss,
    _regression_samples(({"beta": 0.5}, {"beta": 0.0}, {"beta": 2.0, "reduction": "sum"}), False),
)
_register(
    "huber_loss",
    huber_loss,
    _regression_samples(({"delta": 0.5}, {"delta": 2.0, "reduction": "sum"})),
)


# --------------------------------------------------------------------------------------------
# Classification: nll_loss and cross_entropy.


def _target_dtype(target: Tensor) -> None:
    if target.dtype not in (_dt.int64, _dt.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_tname(target._data)}; hint: "
            "class indices are integers, e.g. target.long()"
        )


def _nll_shapes(x: Tensor, t: Tensor) -> None:
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim == 1:
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != 1):
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        got = 0 if t.ndim == 0 else t.shape[0]
        raise ValueError(
            f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({got})."
        )
    if x.ndim == 2 and t.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = (x.shape[0],) + tuple(x.shape[2:])
    if tuple(t.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")


def _class_weight(weight: Any, n_classes: int, x: Tensor) -> Tensor | None:
    if weight is None:
        return None
    w = _aux(weight, x)
    if w.numel() != n_classes or w.ndim != 1:
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {list(w.shape)}"
        )
    return w


def _targets(t: Tensor, n_classes: int, ignore_index: int) -> tuple:
    """The target as a safe index (ignored entries -> 0), and the ignored mask (None: none)."""
    tn = _np(t).astype(np.int64, copy=False)
    ignored = tn == ignore_index
    valid = tn[~ignored] if ignored.any() else tn
    if valid.size:
        bad = (valid < 0) | (valid >= n_classes)
        if bad.any():
            raise IndexError(f"Target {int(valid[bad.argmax()])} is out of bounds.")
    if not ignored.any():
        return t if t.dtype is _dt.int64 else _like(t, tn), None
    return _like(t, np.where(ignored, 0, tn)), ignored


def _nll(
    x: Tensor, t: Tensor, weight: Any, ignore_index: int, reduction: str
) -> tuple[Tensor, Tensor | None, Any]:
    """``nll_loss`` on (N, C, ...) log-probabilities; also the per-entry weights and the
    ignored mask, which label smoothing reuses."""
    n_classes = x.shape[1]
    w = _class_weight(weight, n_classes, x)
    safe, ignored = _targets(t, n_classes, ignore_index)
    picked = gather(x, 1, safe.unsqueeze(1)).squeeze(1)
    wt = None if w is None else w[safe]
    if ignored is not None:
        keep = _like(x, ~ignored)
        wt = keep.to(x.dtype) if wt is None else where(keep, wt, 0.0)
    loss = -picked if wt is None else -(picked * wt)
    if reduction == "none":
        return loss, wt, ignored
    if reduction == "sum":
        return loss.sum(), wt, ignored
    return (loss.mean() if wt is None else loss.sum() / wt.sum()), wt, ignored


# Note [Fused cross entropy]
# cross_entropy of (N, C) logits and class indices, the common case, is one record for speed:
# its forward makes the per-sample loss lse(x) - x[t] and the softmax p in one pass over the
# logits (max, exp, sum, divide), and its backward is p * g - onehot(t) * g (one multiply and a
# scatter of N values): no second exp, no (N, C) zeros to scatter into, as a composite of
# log_softmax and gather would need. p is a second (differentiable) output that the rules read,
# so create_graph differentiates through it (p's own rule is softmax's).


def _ce_fwd(xp: Any, x: Any, t: Any) -> tuple:
    m = xp.max(x, axis=1, keepdims=True)
    xt = xp.take_along_axis(x, xp.reshape(t, (-1, 1)), axis=1)[:, 0]
    if xp is np:  # in place: the only (N, C) arrays made are x - m and nothing else
        e = np.subtract(x, m)
        np.exp(e, out=e)
        se = e.sum(axis=1, keepdims=True)
        e /= se
        return np.log(se[:, 0]) + (m[:, 0] - xt), e
    e = xp.exp(x - m)
    se = xp.sum(e, axis=1, keepdims=True)
    return xp.log(se[:, 0]) + (m[:, 0] - xt), e / se


def _ce_backward_fwd(xp: Any, p: Any, g: Any, t: Any) -> Any:
    if xp is np:
        out = p * g[:, None]
        out[np.arange(p.shape[0]), t] -= g
        return out
    hot = xp.astype(xp.arange(p.shape[1])[None, :] == t[:, None], p.dtype)
    return (p - hot) * g[:, None]


def _ce_backward_jvp(tangents: tuple, ans: Any, p: Tensor, g: Tensor, t: Any) -> Any:
    tp, tg = tangents[0], tangents[1]
    out = None if tp is None else tp * g.unsqueeze(1)
    if tg is not None:
        part = _ce_backward(p, tg, t)
        out = part if out is None else out + part
    return out


_ce_backward = def_op(
    "_cross_entropy_backward",
    forward=_ce_backward_fwd,
    vjp=(
        lambda gg, ans, p, g, t: gg * g.unsqueeze(1),
        lambda gg, ans, p, g, t: (gg * p).sum(1) - gather(gg, 1, t.unsqueeze(1)).squeeze(1),
        None,
    ),
    jvp=_ce_backward_jvp,
    inputs=("softmax", "grad_output", "target"),
    method=False,
    export=False,
    backward_name="CrossEntropyBackwardBackward0",
    samples=lambda rng, dt: [
        Sample(
            (rng.dirichlet(np.ones(4), 3).astype(dt), _floats(rng, (3,), dt), np.array([1, 0, 3])),
            grad=(0, 1),
        )
    ],
    ref=lambda p, g, t: (p - np.eye(p.shape[1])[t]) * g[:, None],
    torch=False,
    doc="The fused cross entropy's backward: (p - onehot(t)) * g[:, None]. See Note [Fused "
    "cross entropy].",
)


def _ce_vjp(gs: tuple, ans: tuple, x: Any, t: Tensor) -> Any:
    g_loss, g_p = gs
    p = ans[1]
    out = None if g_loss is None else _ce_backward(p, g_loss, t)
    if g_p is not None:  # softmax's rule, for create_graph through the saved p
        part = p * (g_p - (g_p * p).sum(1, True))
        out = part if out is None else out + part
    return out


def _ce_jvp(tangents: tuple, ans: tuple, x: Any, t: Tensor) -> Any:
    tx = tangents[0]
    if tx is None:
        return None, None
    p = ans[1]
    tp = p * (tx - (p * tx).sum(1, True))
    return (p * tx).sum(1) - gather(tx, 1, t.unsqueeze(1)).squeeze(1), tp


def _ce_ref(x: np.ndarray, t: np.ndarray) -> tuple:
    m = x.max(1, keepdims=True)
    e = np.exp(x - m)
    lse = np.log(e.sum(1)) + m[:, 0]
    return lse - x[np.arange(x.shape[0]), t], e / e.sum(1, keepdims=True)


_ce_record = def_op(
    "_cross_entropy",
    forward=_ce_fwd,
    vjp=(_ce_vjp, None),
    jvp=_ce_jvp,
    inputs=("input", "target"),
    outputs=("loss", "softmax"),
    save=(1,),
    save_outputs=(1,),
    result_name="",
    method=False,
    export=False,
    backward_name="CrossEntropyBackward0",
    samples=lambda rng, dt: [
        Sample((_floats(rng, (3, 4), dt, -3.0, 3.0), np.array([1, 0, 3]))),
        Sample((_floats(rng, (2, 5), dt, -3.0, 3.0), np.array([4, 4]))),
    ],
    ref=_ce_ref,
    torch=lambda x, t: (
        __import__("torch").nn.functional.cross_entropy(x, t, reduction="none"),
        __import__("torch").softmax(x, 1),
    ),
    doc="Per-sample cross entropy lse(x) - x[t] of (N, C) logits and the softmax, in one pass. "
    "See Note [Fused cross entropy].",
)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log likelihood ``-w[t] * input[n, t]`` of class-index targets, for inputs
    (C,), (N, C) or (N, C, d1, ...); 'mean' divides by the sum of the weights of the targets
    that are not ``ignore_index``. d/dinput: ``-w[t]`` at the target entries, 0 elsewhere."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    _target_dtype(t)
    _nll_shapes(x, t)
    if x.ndim == 1:
        loss = _nll(x.unsqueeze(0), t.reshape(1), weight, ignore_index, reduction)[0]
        return loss.squeeze(0) if reduction == "none" else loss
    return _nll(x, t, weight, ignore_index, reduction)[0]


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)`` for class indices, or
    ``-sum(target * log_softmax(input, 1))`` for class probabilities (a floating target of the
    input's shape); ``label_smoothing`` mixes the target with the uniform distribution.
    d/dinput = softmax(input) - onehot(target) (times the weights, over the count for 'mean').

    Example:
        >>> import ndgrad
        >>> x = ndgrad.zeros(2, 4, requires_grad=True)
        >>> loss = ndgrad.nn.functional.cross_entropy(x, ndgrad.tensor([0, 3]))
        >>> round(loss.item(), 4)
        1.3863
    """
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x, t = to_tensor(input), to_tensor(target)
    cdim = 0 if x.ndim == 1 else 1
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    n_classes = x.shape[cdim]
    if tuple(t.shape) == tuple(x.shape) and _is_float(t._data):
        return _ce_probabilities(x, t, weight, reduction, label_smoothing, cdim, n_classes)
    _target_dtype(t)
    _nll_shapes(x, t)
    if x.ndim <= 2 and label_smoothing == 0 and x.shape[-1] > 0 and _is_float(x._data):
        return _fused(x, t, weight, ignore_index, reduction)
    logp = log_softmax(x, cdim)
    if x.ndim == 1:
        logp, t = logp.unsqueeze(0), t.reshape(1)
    nll, wt, ignored = _nll(logp, t, weight, ignore_index, reduction)
    if label_smoothing > 0:
        w = _class_weight(weight, n_classes, x)
        wb = None if w is None else w.reshape((n_classes,) + (1,) * (logp.ndim - 2))
        smooth = -(logp if wb is None else logp * wb).sum(1)
        if ignored is not None:
            smooth = where(_like(x, ignored), 0.0, smooth)
        if reduction == "mean":
            smooth = smooth.mean() if wt is None else smooth.sum() / wt.sum()
        elif reduction == "sum":
            smooth = smooth.sum()
        nll = (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)
    if x.ndim == 1 and reduction == "none":
        nll = nll.squeeze(0)
    return nll


def _fused(x: Tensor, t: Tensor, weight: Any, ignore_index: int, reduction: str) -> Tensor:
    """cross_entropy of (N, C) or (C,) logits and class indices: See Note [Fused cross entropy]."""
    one = x.ndim == 1
    x2, t2 = (x.unsqueeze(0), t.reshape(1)) if one else (x, t)
    n_classes = x2.shape[1]
    w = _class_weight(weight, n_classes, x)
    safe, ignored = _targets(t2, n_classes, ignore_index)
    loss = _ce_record(x2, safe)[0]
    wt = None if w is None else w[safe]
    if ignored is not None:
        keep = _like(x, ~ignored)
        wt = keep.to(x.dtype) if wt is None else where(keep, wt, 0.0)
        loss = where(keep, loss, 0.0)
    if wt is not None:
        loss = loss * wt
    if reduction == "none":
        return loss.squeeze(0) if one else loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if wt is None else loss.sum() / wt.sum()


def _ce_probabilities(
    x: Tensor, t: Tensor, weight: Any, reduction: str, ls: float, cdim: int, n_classes: int
) -> Tensor:
    logp = log_softmax(x, cdim)
    if ls > 0:
        t = t * (1 - ls) + ls / n_classes
    prod = logp * t
    w = _class_weight(weight, n_classes, x)
    if w is not None:
        prod = prod * w.reshape((n_classes,) + (1,) * (x.ndim - cdim - 1))
    if reduction == "none":
        return -prod.sum(cdim)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum() / (x.numel() / n_classes)


def _ce_samples(probabilities: bool) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        x = lambda *s: _floats(rng, s, dt, -3.0, 3.0)  # noqa: E731
        w = _floats(rng, (4,), dt, 0.5, 2.0)
        t = np.array([1, 0, 3])
        ign = np.array([2, -100, 0])
        out = [
            Sample((x(3, 4), t), {}),
            Sample((x(3, 4), t, w), {"reduction": "sum"}, (0,), "weight sum"),
            Sample((x(3, 4), t, w), {}, (0,), "weight mean"),
            Sample((x(3, 4), ign), {"reduction": "none"}, (0,), "ignored none"),
            Sample((x(3, 4), ign, w), {}, (0,), "ignored weight mean"),
            Sample((x(3, 4), np.array([2, 1, 1])), {"ignore_index": 1}, (0,), "ignore_index=1"),
            Sample((x(2, 4, 2), np.array([[0, 3], [-100, 1]])), {}, (0,), "K-dim"),
            Sample((x(4), np.array(2)), {"reduction": "none"}, (0,), "1-D input"),
        ]
        if probabilities:
            out += [
                Sample((x(3, 4), t, w), {"label_smoothing": 0.2}, (0,), "smoothing weight"),
                Sample((x(3, 4), ign), {"label_smoothing": 0.1}, (0,), "smoothing ignored"),
                Sample(
                    (x(3, 4), ign, w),
                    {"label_smoothing": 0.3, "reduction": "sum"},
                    (0,),
                    "smoothing ignored weight sum",
                ),
                Sample(
                    (x(2, 4, 2), np.array([[0, 3], [-100, 1]])),
                    {"label_smoothing": 0.1, "reduction": "none"},
                    (0,),
                    "smoothing K-dim",
                ),
            ]
            p = rng.dirichlet(np.ones(4), 3).astype(dt)
            out += [
                Sample((x(3, 4), p), {}, name="probabilities"),
                Sample((x(3, 4), p, w), {"reduction": "none"}, (0, 1), "probabilities weight"),
                Sample((x(3, 4), p), {"label_smoothing": 0.1, "reduction": "sum"}, (0, 1)),
            ]
        else:  # nll_loss takes log-probabilities: any float input is fine for its gradients
            out.append(Sample((x(3, 4), ign, w), {"reduction": "sum"}, (0,), "ignored weight sum"))
        return out

    return gen


def_composite(_F + "nll_loss", nll_loss, samples=_ce_samples(False))
def_composite(_F + "cross_entropy", cross_entropy, samples=_ce_samples(True))


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
        if (_np(v) < 0).any():
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


# --------------------------------------------------------------------------------------------
# Margin losses.


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target (input1 - input2) + margin)``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x1, x2, t = to_tensor(input1), to_tensor(input2), to_tensor(target)
    if x1.ndim != x2.ndim or x1.ndim != t.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {x1.size()}, input2: {x2.size()}, target: {t.size()} "
        )
    return _reduce((-t * (x1 - x2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where target is -1 (both where it is
    neither, as PyTorch)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    out_margin = where(t != 1, (margin - x).clamp_min(0), 0.0)
    out_self = where(t != -1, x, 0.0)
    return _reduce(out_margin + out_self, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``log(1 + exp(-target * input))``, through the stable softplus."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce(softplus(-to_tensor(target) * input), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``-mean_c(w (t log sigmoid(x) + (1 - t) log sigmoid(-x)))`` per sample, then reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    x, t = to_tensor(input), to_tensor(target)
    loss = -(t * logsigmoid(x) + (1 - t) * logsigmoid(-x))
    if weight is not None:
        loss = loss * _aux(weight, x)
    cdim = x.ndim - 1
    loss = loss.sum(cdim) / x.shape[cdim]
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``sum_{j in targets, i not in targets} max(0, 1 - (x[j] - x[i])) / C`` per sample; the
    targets of a row are its class indices up to the first -1."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t = to_tensor(input), to_tensor(target)
    if x.ndim not in (1, 2) or tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}"
        )
    _target_dtype(t)
    one = x.ndim == 1
    x2 = x.unsqueeze(0) if one else x
    tn = _np(t).reshape(x2.shape).astype(np.int64)
    n, c = x2.shape
    counts = np.zeros((n, c))
    for r in range(n):
        row = tn[r]
        stop = np.flatnonzero(row < 0)
        row = row[: stop[0]] if stop.size else row
        if row.size and (row.max() >= c):
            raise RuntimeError("argument #2 'target' is out of range")
        np.add.at(counts[r], row, 1.0)
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]
    z = (1 - x2.unsqueeze(2) + x2.unsqueeze(1)).clamp_min(0)
    loss = (z * _like(x, pairs.astype(_np(x).dtype))).sum((1, 2)) / c
    if one:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C`` per sample (p = 1 or 2)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, t = to_tensor(input), to_tensor(target)
    w = _aux(weight, x)
    if w is not None and w.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    one = x.ndim <= 1
    x2 = x.reshape(1, -1) if one else x
    t2 = t.reshape(1) if one else t
    _target_dtype(t2)
    n, c = x2.shape
    if tuple(t2.shape) != (n,):
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(t.shape)}")
    tn = _np(t2)
    if tn.size and (tn.min() < 0 or tn.max() >= c):
        raise RuntimeError("target out of range")
    xy = gather(x2, 1, t2.unsqueeze(1))
    z = (margin - xy + x2).clamp_min(0)
    if p == 2:
        z = z * z
    if w is not None:
        z = z * w[t2].unsqueeze(1)
    not_y = _like(x, (np.arange(c)[None, :] != tn[:, None]).astype(_np(x).dtype))
    loss = (z * not_y).sum(1) / c
    if one:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def _ranking_samples(rng: np.random.Generator, dt: Any) -> list:
    out = []
    for kw, m in (
        ({}, 0.0),
        ({"margin": 0.5, "reduction": "sum"}, 0.5),
        ({"reduction": "none"}, 0),
    ):
        x1 = _floats(rng, (5,), dt)
        y = _signs(rng, (5,), dt)
        # -y (x1 - x2) + m away from the kink at 0
        z = _away_from(rng, (5,), dt, -2.0, 2.0, 0.15)
        x2 = (x1 - (m - z) / y).astype(dt)
        out.append(Sample((x1, x2, y), dict(kw), (0, 1), str(kw)))
    return out


def_composite(_F + "margin_ranking_loss", margin_ranking_loss, samples=_ranking_samples)


def _hinge_samples(rng: np.random.Generator, dt: Any) -> list:
    out = []
    for kw in ({}, {"margin": 2.0, "reduction": "sum"}, {"reduction": "none"}):
        m = kw.get("margin", 1.0)
        x = (m - _away_from(rng, (2, 3), dt, -2.0, 2.0, 0.15)).astype(dt)
        out.append(Sample((x, _signs(rng, (2, 3), dt)), dict(kw), (0,), str(kw)))
    return out


def_composite(_F + "hinge_embedding_loss", hinge_embedding_loss, samples=_hinge_samples)


def _soft_margin_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((_floats(rng, (2, 3), dt), _signs(rng, (2, 3), dt)), {}, (0,)),
        Sample((_floats(rng, (4,), dt), _floats(rng, (4,), dt)), {"reduction": "sum"}, (0,)),
        Sample((_floats(rng, (2, 3), dt), _signs(rng, (2, 3), dt)), {"reduction": "none"}, (0,)),
    ]


def_composite(_F + "soft_margin_loss", soft_margin_loss, samples=_soft_margin_samples)


def _mlsm_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt)  # noqa: E731
    t = lambda *s: (rng.uniform(size=s) < 0.5).astype(dt)  # noqa: E731
    return [
        Sample((x(2, 3), t(2, 3)), {}, (0,)),
        Sample((x(2, 3), t(2, 3), _floats(rng, (3,), dt, 0.5, 2)), {"reduction": "sum"}, (0,)),
        Sample((x(2, 3), _floats(rng, (2, 3), dt, 0, 1)), {"reduction": "none"}),
    ]


_register(
    "multilabel_soft_margin_loss",
    multilabel_soft_margin_loss,
    lambda rng, dt: [
        Sample(
            s.args[:2], {**s.kwargs, "weight": s.args[2]} if len(s.args) > 2 else s.kwargs, s.grad
        )
        for s in _mlsm_samples(rng, dt)
    ],
)


def _distinct_rows(rng: np.random.Generator, n: int, c: int, dt: Any) -> np.ndarray:
    """Rows whose entries are at least 0.15 apart and whose pairwise gaps avoid 1 (the kinks
    of max(0, 1 - (x_j - x_i)) and of max(0, margin - x_y + x_i))."""
    rows = []
    for _ in range(n):
        for _ in range(1000):
            v = rng.uniform(-1.5, 1.5, c)
            gaps = np.abs(v[:, None] - v[None, :])
            off = ~np.eye(c, dtype=bool)
            if (gaps[off] > 0.15).all() and (np.abs(gaps[off] - 1) > 0.15).all():
                break
        rows.append(v)
    return np.asarray(rows).astype(dt)


def _mlm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((_distinct_rows(rng, 2, 4, dt), np.array([[3, 0, -1, 1], [1, 2, 3, -1]])), {}),
        Sample(
            (_distinct_rows(rng, 2, 3, dt), np.array([[0, 0, -1], [2, -1, 0]])),
            {"reduction": "none"},
            name="repeated target",
        ),
        Sample((_distinct_rows(rng, 1, 4, dt)[0], np.array([2, -1, 0, 0])), {"reduction": "sum"}),
    ]


def_composite(_F + "multilabel_margin_loss", multilabel_margin_loss, samples=_mlm_samples)


def _mm_samples(rng: np.random.Generator, dt: Any) -> list:
    w = _floats(rng, (4,), dt, 0.5, 2.0)
    return [
        Sample((_distinct_rows(rng, 3, 4, dt), np.array([0, 3, 1])), {}),
        Sample((_distinct_rows(rng, 3, 4, dt), np.array([2, 2, 0])), {"p": 2, "reduction": "sum"}),
        Sample(
            (_distinct_rows(rng, 3, 4, dt), np.array([1, 0, 3])),
            {"margin": 0.5, "weight": w, "reduction": "none"},
            (0,),
            "weight",
        ),
        Sample((_distinct_rows(rng, 1, 4, dt)[0], np.array(2)), {}, name="1-D"),
    ]


_register("multi_margin_loss", multi_margin_loss, _mm_samples)


# --------------------------------------------------------------------------------------------
# Embedding losses.

_EPSILON = 1e-12


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    x1, x2, t = to_tensor(input1), to_tensor(input2), to_tensor(target)
    if t.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if t.ndim == 1 and not (x1.ndim == 2 and x2.ndim == 2):
        raise RuntimeError(
            "1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(x1.shape)} and {list(x2.shape)}."
        )
    if t.ndim == 0 and not (x1.ndim == 1 and x2.ndim == 1):
        raise RuntimeError(
            "0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(x1.shape)} and {list(x2.shape)}."
        )
    d = t.ndim
    prod = (x1 * x2).sum(d)
    mag1 = (x1 * x1).sum(d) + _EPSILON
    mag2 = (x2 * x2).sum(d) + _EPSILON
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(t == 1, 1 - cos, 0.0)
    neg = where(t == -1, (cos - margin).clamp_min(0), 0.0)
    return _reduce(pos + neg, reduction)


def _cosine_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt)  # noqa: E731
    y = np.array([1.0, -1.0, -1.0, 1.0], dtype=dt)
    out = [
        Sample((x(4, 3), x(4, 3), y), {}, (0, 1)),
        Sample((x(4, 3), x(4, 3), y), {"reduction": "none", "margin": -0.5}, (0, 1), "margin"),
        Sample((x(3), x(3), np.array(1.0, dtype=dt)), {"reduction": "sum"}, (0, 1), "0-D target"),
    ]
    return out


def_composite(_F + "cosine_embedding_loss", cosine_embedding_loss, samples=_cosine_samples)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """PyTorch's ``pairwise_distance``: ``norm(x1 - x2 + eps, p, -1)``."""
    d = x1 - x2 + eps
    return EXPORTS["norm"](d, p, dim=d.ndim - 1 if d.ndim else None)


def _triplet_dims(a: Tensor, p: Tensor, n: Tensor) -> None:
    if not (a.ndim == p.ndim == n.ndim):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a.ndim}D, positive {p.ndim}D, and negative "
            f"{n.ndim}D inputs"
        )


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with d the p-norm distance of ``x1 - x2 + eps``;
    ``swap`` uses ``min(d(a, n), d(p, n))``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    a, pos, neg = to_tensor(anchor), to_tensor(positive), to_tensor(negative)
    _triplet_dims(a, pos, neg)
    d_pos = _pairwise_distance(a, pos, p, eps)
    d_neg = _pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = EXPORTS["minimum"](d_neg, _pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance ``d`` (default: the euclidean
    pairwise distance)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pos, neg = to_tensor(anchor), to_tensor(positive), to_tensor(negative)
    _triplet_dims(a, pos, neg)
    dist = distance_function if distance_function is not None else _pairwise_distance
    d_pos = dist(a, pos)
    d_neg = dist(a, neg)
    if swap:
        d_neg = EXPORTS["minimum"](d_neg, dist(pos, neg))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def _triplet_samples(rng: np.random.Generator, dt: Any) -> list:
    x = lambda *s: _floats(rng, s, dt)  # noqa: E731
    out = [
        Sample((x(3, 4), x(3, 4), x(3, 4)), {}),
        Sample((x(3, 4), x(3, 4), x(3, 4)), {"margin": 3.0, "p": 1, "reduction": "sum"}),
        Sample((x(3, 4), x(3, 4), x(3, 4)), {"margin": 2.0, "swap": True, "reduction": "none"}),
        Sample((x(4), x(4), x(4)), {"margin": 2.0, "eps": 1e-3}, name="1-D"),
    ]
    return out


def _triplet_distance_samples(rng: np.random.Generator, dt: Any) -> list:
    out = _triplet_samples(rng, dt)[:1]
    out.append(Sample(out[0].args, {"margin": 2.0, "swap": True, "reduction": "sum"}))
    return out


def_composite(_F + "triplet_margin_loss", triplet_margin_loss, samples=_triplet_samples)
def_composite(
    _F + "triplet_margin_with_distance_loss",
    triplet_margin_with_distance_loss,
    samples=_triplet_distance_samples,
)


# --------------------------------------------------------------------------------------------
# Top-level names (torch.kl_div, torch.binary_cross_entropy_with_logits ...): ATen's signatures,
# whose ``reduction`` is the enum 0 (none), 1 (mean), 2 (sum).


def _torch_binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: Any = 1,
) -> Tensor:
    return binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction_name(reduction), pos_weight=pos_weight
    )


def _torch_cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: Any = 1
) -> Tensor:
    return cosine_embedding_loss(
        input1, input2, target, margin, reduction=_reduction_name(reduction)
    )


def _torch_hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, reduction: Any = 1
) -> Tensor:
    return hinge_embedding_loss(input, target, margin, reduction=_reduction_name(reduction))


def _torch_kl_div(
    input: Tensor, target: Tensor, reduction: Any = 1, *, log_target: bool = False
) -> Tensor:
    r = _reduction_name(reduction)
    with warnings.catch_warnings():  # ATen's kl_div does not warn about 'mean'
        warnings.simplefilter("ignore", UserWarning)
        return kl_div(input, target, reduction=r, log_target=log_target)


def _torch_margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: Any = 1
) -> Tensor:
    return margin_ranking_loss(input1, input2, target, margin, reduction=_reduction_name(reduction))


def _torch_poisson_nll_loss(
    input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float, reduction: Any
) -> Tensor:
    return poisson_nll_loss(
        input, target, log_input, full, eps=eps, reduction=_reduction_name(reduction)
    )


def _torch_triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: Any = 1,
) -> Tensor:
    return triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=_reduction_name(reduction)
    )


for _name, _fn in (
    ("binary_cross_entropy_with_logits", _torch_binary_cross_entropy_with_logits),
    ("cosine_embedding_loss", _torch_cosine_embedding_loss),
    ("hinge_embedding_loss", _torch_hinge_embedding_loss),
    ("kl_div", _torch_kl_div),
    ("margin_ranking_loss", _torch_margin_ranking_loss),
    ("poisson_nll_loss", _torch_poisson_nll_loss),
    ("triplet_margin_loss", _torch_triplet_margin_loss),
):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = f"``torch.{_name}``: ``nn.functional.{_name}`` with ATen's signature " + (
        "(``reduction``: 0 none, 1 mean, 2 sum)."
    )
    EXPORTS[_name] = _fn
