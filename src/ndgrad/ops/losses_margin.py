"""Margin, ranking and embedding losses of ``ndgrad.nn.functional``, and the top-level
(ATen-signature) loss names; the other losses are in losses.py."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from ._real import complex_name
from .activations import _like
from .activations_smooth import logsigmoid, softplus
from .elementwise import where
from .indexing import gather
from .losses import (
    _REDUCTIONS,
    _aux,
    _away_from,
    _check_reduction,
    _floats,
    _legacy,
    _np,
    _reduce,
    _reduction_name,
    _register,
    _signs,
    _target_dtype,
)
from .losses_prob import binary_cross_entropy_with_logits, kl_div, poisson_nll_loss
from .registry import EXPORTS, Sample, def_composite, to_tensor

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

_F = "nn.functional."

# --------------------------------------------------------------------------------------------
# Margin losses.


def _no_complex(x: Tensor, kernel: str) -> None:
    """PyTorch's kernels of the margin losses have no complex loops (a margin orders scores):
    See Note [Complex numbers have no order] in ops/_real.py."""
    name = complex_name((x._data,))
    if name is not None:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{name}'; hint: complex numbers have no order: "
            "score with .real or .abs()"
        )


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
    """``log(1 + exp(-target * input))``, through the stable softplus (the formula itself for
    complex values, as PyTorch computes them: softplus refuses complex numbers)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    z = -to_tensor(target) * input
    if z.is_complex():
        return _reduce((1 + z.exp()).log(), reduction)
    return _reduce(softplus(z), reduction)


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
    _no_complex(x, "multilabel_margin_loss_forward_out_frame")
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
    _no_complex(x, "multi_margin_loss_cpu_kernel")
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


def_composite(
    _F + "triplet_margin_loss", triplet_margin_loss, samples=_triplet_samples, complex=True
)
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
