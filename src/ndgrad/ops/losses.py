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

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .activations import _like
from .elementwise import where
from .indexing import gather
from .nn_ops import log_softmax
from .reduction import _is_float, _tname
from .registry import Sample, def_composite, def_op, to_tensor
from .samples import rand

__all__ = [
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
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
    _no_complex_kernel(d, "mse_cpu")
    return _weighted(d * d, weight, input, reduction, "sum")


def _no_complex_kernel(d: Tensor, kernel: str) -> None:
    """PyTorch's error for a loss whose kernel has no complex form (mse, smooth_l1)."""
    if isinstance(d, Tensor) and d.is_complex():
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_tname(d)}'; hint: the loss of complex "
            "values is not defined here: use l1_loss, or a loss of (input - target).abs()"
        )


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
    if beta == 0:  # the l1 loss: complex inputs too, as PyTorch
        return _reduce(d.abs(), reduction)
    _no_complex_kernel(d, "smooth_l1_cpu")
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
    d = input - target
    _no_complex_kernel(d, "huber_cpu")
    loss = _huberish(d, delta, delta)
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
_register("l1_loss", l1_loss, _regression_samples(()), complex=True)
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
