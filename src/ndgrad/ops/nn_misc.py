"""The rest of ``ndgrad.nn.functional``: dropout, embedding, one_hot, distances, attention.

Almost everything is a composite of ndgrad ops. Two records:

* ``nn.functional._embedding`` (``EmbeddingBackward0``): the weight's gradient is an
  ``index_add`` of the incoming rows, with the ``padding_idx`` rows left out and, with
  ``scale_grad_by_freq``, each row divided by its index's count in the batch. As a composite
  (``weight[indices]``) neither could be expressed, and the gather's rule would build an index
  tensor per use.
* ``nn.functional.one_hot``: integer in, int64 out, no gradient (a comparison with ``arange``).

Random ops (the dropouts) draw their mask from the default generator (``ndgrad.manual_seed``) as
a constant tensor, so the gradient is ``g * mask * scale``; with ``training=False`` or ``p=0``
they return the input itself, as PyTorch does.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.grad_mode import no_grad
from .._core.tensor import Tensor
from .registry import EXPORTS, Sample, def_composite, def_op
from .samples import rand

__all__ = [
    "alpha_dropout",
    "bilinear",
    "cosine_similarity",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "multi_head_attention_forward",
    "one_hot",
    "pairwise_distance",
    "pdist",
    "scaled_dot_product_attention",
]

_F = "nn.functional."


def _E(name: str) -> Any:  # noqa: N802 - an op of the table, looked up when called
    return EXPORTS[name]


# --------------------------------------------------------------------------------------------
# Dropout. See the module docstring.

_SELU_ALPHA_SCALE = 1.7580993408473766  # selu's alpha * scale: the value alpha dropout drops to


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mask(input: Tensor, shape: tuple, keep: float) -> Tensor:
    """A constant 0/1 tensor of ``shape`` (input's dtype), each entry 1 with probability keep."""
    return input.new_empty(shape).bernoulli_(keep)


def _dropout_impl(
    input: Tensor, p: float, train: bool, inplace: bool, shape: Any, alpha: bool
) -> Tensor:
    """Every dropout: a mask of ``shape`` (None: the input's; (N, C, 1...) for channels)."""
    if not train or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:  # PyTorch: input * 0 (keeps the graph, gives zeros)
        return input.mul_(0.0) if inplace else input * 0.0
    mask = _mask(input, tuple(input.shape) if shape is None else shape, 1.0 - p)
    if not alpha:
        mask = mask / (1.0 - p)
        return input.mul_(mask) if inplace else input * mask
    # alpha dropout, with s = selu's alpha * scale: a = ((s^2 p + 1)(1 - p))^-1/2,
    # y = a * (x * m + s * (m - 1)) + a * s * p
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE**2 * p + 1) * (1 - p))
    b = (mask - 1.0) * (_SELU_ALPHA_SCALE * a) + _SELU_ALPHA_SCALE * a * p
    mask = mask * a
    return input.mul_(mask).add_(b) if inplace else input * mask + b


def _feature_shape(input: Tensor) -> tuple:
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; the
    gradient is ``g * mask / (1 - p)``. ``training=False`` returns the input.

    Example:
        >>> import ndgrad
        >>> _ = ndgrad.manual_seed(0)
        >>> y = ndgrad.nn.functional.dropout(ndgrad.ones(6), p=0.5)
        >>> sorted(set(y.tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
    """
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, None, False)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for SELU networks: dropped elements take selu's negative saturation value and the
    result is shifted and scaled (``a``, ``b``) to keep zero mean and unit variance."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, None, True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels (dim 1 of an (N, C, ...) input)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, _feature_shape(input), True)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    return _dropout_impl(input, p, training, inplace, _feature_shape(input), False)


def _unbatched(fn: Any, input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    y = fn(x, p, training, inplace)
    return y.squeeze_(0) if inplace else y.squeeze(0)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of an (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if input.ndim == 2:
        return _unbatched(_feature_dropout, input, p, training, inplace)
    return _feature_dropout(input, p, training, inplace)


def _deprecated_dims(name: str, ndim: int, spatial: int, ok: tuple) -> None:
    if ndim not in ok:
        warnings.warn(
            f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, "
            f"please use dropout instead. Note that {name} exists to provide channel-wise "
            f"dropout on inputs with {spatial} spatial dimensions, a channel dimension, and an "
            f"optional batch dimension (i.e. {ok[0]}D or {ok[1]}D inputs).",
            stacklevel=3,
        )


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of an (N, C, H, W) input; a 3-D input is taken as (N, C, L) with
    PyTorch's warning."""
    _check_p(p)
    _deprecated_dims("dropout2d", input.ndim, 2, (3, 4))
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    _deprecated_dims("dropout3d", input.ndim, 3, (4, 5))
    if input.ndim != 5:
        return _unbatched(_feature_dropout, input, p, training, inplace)
    return _feature_dropout(input, p, training, inplace)


# --------------------------------------------------------------------------------------------
# embedding, embedding_bag, one_hot


def _embedding_fwd(xp: Any, idx: Any, w: Any, *, padding_idx: int, scale_grad_by_freq: bool):
    flat = xp.reshape(idx, (-1,))
    return xp.reshape(xp.take(w, flat, axis=0), tuple(idx.shape) + (w.shape[1],))


def _embedding_vjp(
    g: Tensor, ans: Any, idx: Tensor, w: Any, *, padding_idx: int, scale_grad_by_freq: bool
) -> Tensor:
    # d/dW[r] = sum of g's rows whose index is r (none for padding_idx), / count(r) when scaled
    flat = idx.reshape(-1)
    rows = g.reshape(-1, w.shape[1])
    if padding_idx >= 0:
        rows = rows * (flat != padding_idx).unsqueeze(1).to(g.dtype)
    if scale_grad_by_freq:
        ones = g.new_ones((flat.shape[0],))
        counts = g.new_zeros((w.shape[0],)).index_add(0, flat, ones)
        rows = rows / counts.index_select(0, flat).unsqueeze(1)
    return g.new_zeros(tuple(w.shape)).index_add(0, flat, rows)


def _embedding_jvp(tangents: tuple, ans: Any, idx: Tensor, w: Any, **params: Any) -> Any:
    return None if tangents[1] is None else _embedding_rec(idx, tangents[1], **params)


_embedding_rec = def_op(
    _F + "_embedding",
    forward=_embedding_fwd,
    vjp=(None, _embedding_vjp),
    jvp=_embedding_jvp,
    inputs=("input", "weight"),
    params=(("padding_idx", -1), ("scale_grad_by_freq", False)),
    save=(0,),
    method=False,
    export=False,
    backward_name="EmbeddingBackward0",
    doc="The node of nn.functional.embedding: rows of weight; d/dweight = index_add of g.",
)


def _check_indices(input: Any, who: str) -> None:
    if not isinstance(input, Tensor) or input.dtype.name not in ("int64", "int32"):
        got = getattr(getattr(input, "dtype", None), "name", type(input).__name__)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {got} instead (while checking arguments for {who}); "
            "hint: indices are integers, e.g. idx.long()"
        )


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rows used by ``input`` whose norm exceeds ``max_norm`` are
    scaled by ``max_norm / (norm + 1e-7)``, in place and without history."""
    with no_grad():
        rows = _E("unique")(input.reshape(-1))
        sel = weight.index_select(0, rows)
        norms = sel.norm(norm_type, 1, True)
        scale = _E("where")(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, rows, sel * scale)


def _padding(padding_idx: Any, n: int) -> int:
    if padding_idx is None:
        return -1
    if padding_idx >= n or padding_idx < -n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + n if padding_idx < 0 else padding_idx


def _no_sparse(who: str, sparse: bool) -> None:
    if sparse:
        raise NotImplementedError(
            f"{who}: sparse=True is not supported: ndgrad has no sparse tensors; hint: pass "
            "sparse=False (the weight's gradient is then dense, with the same values)"
        )


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows ``weight[input]``. The row ``padding_idx`` gets no gradient; ``max_norm``
    renormalizes the used rows of ``weight`` in place first; ``scale_grad_by_freq`` divides each
    row's gradient by its count in ``input``.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.arange(6.0).reshape(3, 2).requires_grad_()
        >>> e = ndgrad.nn.functional.embedding(ndgrad.tensor([2, 0, 2]), w, padding_idx=0)
        >>> e.sum().backward()
        >>> w.grad
        tensor([[0., 0.],
                [0., 0.],
                [2., 2.]])
    """
    _check_indices(input, "embedding")
    _no_sparse("embedding", sparse)
    n = weight.shape[0]
    pad = _padding(padding_idx, n)
    if input.numel() and (bool((input < 0).any()) or bool((input >= n).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _embedding_rec(input, weight, padding_idx=pad, scale_grad_by_freq=scale_grad_by_freq)


def _bags(input: Tensor, offsets: Any, include_last_offset: bool) -> tuple:
    """(flat indices, bag id of each, number of bags) of embedding_bag's input."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        b, n = input.shape
        ids = input.new_tensor(np.repeat(np.arange(b), n), dtype=input.dtype)
        return input.reshape(-1), ids, b
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    b = offsets.shape[0] - (1 if include_last_offset else 0)
    pos = input.new_tensor(np.arange(input.shape[0]), dtype=offsets.dtype)
    ids = _E("searchsorted")(offsets, pos, right=True) - 1
    return input, ids.to(input.dtype), b


def _bag_max(rows: Tensor, ids: Tensor, b: int) -> Tensor:
    """Per bag and column, the row holding the maximum (the first one on ties, as PyTorch's
    kernel), picked without history and then gathered, so the gradient and the tangent reach
    that row only. An empty bag gives zeros. O(k d) memory."""
    k, d = rows.shape
    with no_grad():
        r = rows.detach()
        index = ids.unsqueeze(1).expand(k, d)
        top = r.new_zeros((b, d)).scatter_reduce(0, index, r, "amax", include_self=False)
        order = ids.new_tensor(np.arange(k)).unsqueeze(1).expand(k, d)
        first = _E("where")(r == top.index_select(0, ids), order, k)
        winner = ids.new_full((b, d), k).scatter_reduce(0, index, first, "amin")
        empty = winner == k
    picked = rows.gather(0, winner.clamp_max(max(k - 1, 0)))
    return picked.masked_fill(empty, 0.0)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embeddings: bag i holds ``input[offsets[i]:offsets[i+1]]``
    (1-D input) or row i (2-D input). Entries equal to ``padding_idx`` are left out (a mean
    counts only the others); an empty bag gives zeros."""
    _check_indices(input, "embedding_bag")
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    flat, ids, b = _bags(input, offsets, include_last_offset)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _no_sparse("embedding_bag", sparse)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    n, d = weight.shape
    pad = _padding(padding_idx, n)
    if flat.numel() and (bool((flat < 0).any()) or bool((flat >= n).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, flat, max_norm, norm_type)
    keep = (ids >= 0) & (ids < b)
    if pad >= 0:
        keep = keep & (flat != pad)
    if not bool(keep.all()):
        sel = _E("nonzero")(keep).reshape(-1)
        flat, ids = flat.index_select(0, sel), ids.index_select(0, sel)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1).index_select(0, sel)
    rows = _embedding_rec(flat, weight, padding_idx=-1, scale_grad_by_freq=scale_grad_by_freq)
    out = weight.new_zeros((b, d))
    if mode == "max":
        return _bag_max(rows, ids, b)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    out = out.index_add(0, ids, rows)
    if mode == "mean":
        counts = weight.new_zeros((b,)).index_add(0, ids, weight.new_ones((ids.shape[0],)))
        out = out / counts.clamp_min(1.0).unsqueeze(1)
    return out


def _one_hot_fwd(xp: Any, x: Any, *, num_classes: int = -1) -> Any:
    if x.dtype != xp.int64:
        raise RuntimeError(
            "one_hot is only applicable to index tensor of type LongTensor.; hint: convert "
            "the classes with .long()"
        )
    n = num_classes
    empty = math.prod(x.shape) == 0
    if n == -1:
        if empty:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        n = int(xp.max(x)) + 1
    if not empty:
        if int(xp.min(x)) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(xp.max(x)) >= n:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = xp.arange(n, dtype=xp.int64)
    return xp.astype(xp.expand_dims(x, axis=-1) == classes, xp.int64)


def _one_hot_ref(x: np.ndarray, num_classes: int = -1) -> np.ndarray:
    n = int(x.max()) + 1 if num_classes == -1 else num_classes
    return (x[..., None] == np.arange(n)).astype(np.int64)


one_hot = def_op(
    _F + "one_hot",
    forward=_one_hot_fwd,
    inputs=("input",),  # PyTorch's name (its docs say ``tensor``)
    params=(("num_classes", -1),),
    differentiable=False,
    method=False,
    samples=lambda rng, dt: [
        Sample((np.array([0, 2, 1, 2]),), name="inferred"),
        Sample((np.array([[1, 0], [3, 3]]),), {"num_classes": 5}, name="num_classes"),
        Sample((np.zeros((0,), np.int64),), {"num_classes": 3}, name="empty"),
    ],
    ref=_one_hot_ref,
    doc="One-hot rows of int64 class indices: out[..., c] = (x == c); num_classes=-1 infers "
    "max + 1. No gradient.",
)


# --------------------------------------------------------------------------------------------
# Distances and bilinear


def _broadcast(a: Tensor, b: Tensor) -> tuple:
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return a.expand(*shape), b.expand(*shape)


def _clamped(n: Tensor, eps: float) -> Tensor:
    """``max(n, eps)`` whose gradient is that of ``n`` (PyTorch clamps under no_grad)."""
    return n + (n.clamp_min(eps) - n).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps), dim)``, PyTorch's formula: each
    input is divided by its norm first (the result stays in [-1, 1]); the clamps carry no
    gradient of their own."""
    a, b = _broadcast(x1, x2)
    na = _clamped(a.norm(2, dim, True), eps)
    nb = _clamped(b.norm(2, dim, True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between the rows of an (N, M) input, for i < j in row-major order
    (N(N-1)/2 values)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    ti = input.new_tensor(i, dtype=_dt.int64)
    tj = input.new_tensor(j, dtype=_dt.int64)
    return (input.index_select(0, ti) - input.index_select(0, tj)).norm(p, 1)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for k in range(input1.ndim - 1):
        if input1.shape[k] != input2.shape[k]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {k}: got "
                f"{input1.shape[k]} and {input2.shape[k]}"
            )
    for name, x, k in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                f"expected {weight.shape[k]}"
            )
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )
    out = _E("einsum")("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# --------------------------------------------------------------------------------------------
# Attention


def _repeat_heads(x: Tensor, r: int) -> Tensor:
    """``x.repeat_interleave(r, dim=-3)``: each key/value head serves r query heads (GQA)."""
    if r == 1:
        return x
    shape = tuple(x.shape)
    y = x.unsqueeze(-3).expand(*shape[:-2], r, *shape[-2:])
    return y.reshape(*shape[:-3], shape[-3] * r, *shape[-2:])


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows that are all -inf giving zeros (and zero gradient),
    as PyTorch's scaled_dot_product_attention does since 2.5 (plain softmax gives NaN)."""
    dead = scores.isneginf().all(-1, keepdim=True)
    if not bool(dead.any()):
        return _E("softmax")(scores, -1)
    return _E("softmax")(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q k^T * scale + bias) v`` with ``scale = 1/sqrt(E)`` by default. A bool
    ``attn_mask`` says which positions take part (True) and a float one is added; ``is_causal``
    masks j > i. A row with no position left gives zeros, as PyTorch's.

    Example:
        >>> import ndgrad
        >>> q = ndgrad.ones(1, 2, 3)
        >>> ndgrad.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        ndgrad.Size([1, 2, 3])
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True; hint: pass one of them (a causal bool mask is tril(ones(L, S)))"
        )
    n_q, n_k = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError(
                f"Number of heads in key and value must divide the number of heads in query; "
                f"got {hq}, {hk} and {hv}"
            )
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        keep = scores.new_ones((n_q, n_k), dtype=_dt.bool_).tril()
        scores = scores.masked_fill(keep.logical_not(), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype is _dt.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    out = x @ w.t()
    return out if b is None else out + b


def _float_mask(mask: Any, name: str, dtype: Any) -> Any:
    """MHA's masks as floats to add: a bool mask's True (masked) becomes -inf."""
    if mask is None:
        return None
    if mask.dtype is _dt.bool_:
        return mask.new_zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, -math.inf)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _zero_col(m: Any) -> Any:
    """F.pad(m, (0, 1)): one more (unmasked) key position."""
    if m is None:
        return None
    return _E("cat")([m, m.new_zeros((*m.shape[:-1], 1))], -1)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple:
    """nn.MultiheadAttention's forward: project q, k, v (packed ``in_proj_weight`` or three
    separate weights), attend per head (masks: True or -inf = masked), project out. Returns
    ``(attn_output, attn_weights)``, the weights averaged over heads by default, None without
    ``need_weights``. Inputs are (L, N, E) or unbatched (L, E)."""
    if query.ndim not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
            "query tensor"
        )
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if (
        key_padding_mask is not None
        and attn_mask is not None
        and (key_padding_mask.dtype is _dt.bool_) != (attn_mask.dtype is _dt.bool_)
    ):
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
            "type for both instead.",
            stacklevel=2,
        )
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        ws = in_proj_weight.chunk(3)
    else:
        ws = (q_proj_weight, k_proj_weight, v_proj_weight)
        for w, name in zip(ws, "qkv"):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
    bs = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    q = _linear(query, ws[0], bs[0])
    k = _linear(key, ws[1], bs[1])
    v = _linear(value, ws[2], bs[2])
    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError(
            "bias_k is set but bias_v is None"
            if bias_v is None
            else "bias_v is set but bias_k is None"
        )
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(
                f"bias cannot be added to static {'key' if static_k is not None else 'value'}."
            )
        k = _E("cat")([k, bias_k.expand(1, bsz, embed_dim)])
        v = _E("cat")([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _zero_col(attn_mask), _zero_col(key_padding_mask)
    bh = bsz * num_heads
    q = q.reshape(tgt_len, bh, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bh, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], bh, head_dim).transpose(0, 1) if static_v is None else static_v
    for st, name in ((static_k, "static_k"), (static_v, "static_v")):
        for d, want in ((0, bh), (2, head_dim)):
            if st is not None and st.shape[d] != want:
                raise AssertionError(f"expecting {name}.size({d}) of {want}, but got {st.shape[d]}")
    if add_zero_attn:
        k = _E("cat")([k, k.new_zeros((bh, 1, head_dim))], 1)
        v = _E("cat")([v, v.new_zeros((bh, 1, head_dim))], 1)
        attn_mask, key_padding_mask = _zero_col(attn_mask), _zero_col(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bh, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = _E("softmax")(scores, -1)  # a fully masked row is NaN here, as PyTorch's
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None


# --------------------------------------------------------------------------------------------
# Samples and the table. The random ops' samples are deterministic (p=1 in training: zeros
# with a graph); their randomness is tested by hand (tests/test_nn_misc.py).


def _s(*args: Any, grad: tuple | None = None, name: str = "", **kwargs: Any) -> Sample:
    return Sample(tuple(args), kwargs, grad=grad, name=name)


def _dropout_samples(*shapes: tuple, **kwargs: Any) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        return [_s(rand(rng, s, dt), 1.0, True, name=str(s), **kwargs) for s in shapes]

    return gen


def _idx(*rows: Any) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def _embedding_samples(rng: np.random.Generator, dt: Any) -> list:
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
    # derivative): finite differences cannot check them; tests/test_nn_misc.py compares them
    # with PyTorch.
    return [
        _s(_idx([0, 2], [1, 2]), rand(rng, (4, 3), dt), name="2-d indices"),
        _s(_idx(3, 1, 3), rand(rng, (4, 2), dt), name="repeated"),
    ]


def _embedding_bag_samples(rng: np.random.Generator, dt: Any) -> list:
    w = lambda: rand(rng, (5, 2), dt)  # noqa: E731
    return [
        _s(_idx([0, 2, 1], [4, 4, 3]), w(), mode="sum", name="2-d sum"),
        _s(_idx([0, 2, 1], [4, 3, 3]), w(), name="2-d mean"),
        _s(_idx([0, 2, 1], [4, 3, 1]), w(), mode="max", name="2-d max"),
        _s(
            _idx(1, 2, 4, 0, 3),
            w(),
            _idx(0, 2, 2),
            None,
            2,
            False,
            "sum",
            False,
            rand(rng, (5,), dt),
            name="offsets, empty bag, per_sample_weights",
        ),
        _s(
            _idx(1, 2, 4, 0, 3),
            w(),
            _idx(0, 3, 5),
            include_last_offset=True,
            padding_idx=2,
            name="include_last_offset, padding_idx",
        ),
    ]


def _cosine_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), name="default"),
        _s(rand(rng, (2, 3), dt), rand(rng, (3,), dt), dim=-1, eps=1e-6, name="broadcast"),
    ]


def _pairwise_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), name="default"),
        _s(rand(rng, (2, 3), dt), rand(rng, (3,), dt), 1.0, keepdim=True, name="p=1 keepdim"),
        _s(rand(rng, (3,), dt), rand(rng, (3,), dt), p=3.0, eps=0.0, name="1-d p=3"),
    ]


def _pdist_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (3, 2), dt), name="p=2"),
        _s(rand(rng, (4, 2), dt), 1.5, name="p=1.5"),
    ]


def _bilinear_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (2, 3), dt),
            rand(rng, (2, 2), dt),
            rand(rng, (2, 3, 2), dt),
            rand(rng, (2,), dt),
            name="bias",
        ),
        _s(
            rand(rng, (2, 1, 2), dt),
            rand(rng, (2, 1, 3), dt),
            rand(rng, (1, 2, 3), dt),
            name="batch dims",
        ),
    ]


def _sdpa_samples(rng: np.random.Generator, dt: Any) -> list:
    q, k, v = rand(rng, (2, 3, 2), dt), rand(rng, (2, 4, 2), dt), rand(rng, (2, 4, 3), dt)
    keep = np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], dtype=bool)
    bias = rand(rng, (3, 4), dt)
    bias[0, 1] = -np.inf
    return [
        _s(q, k, v, name="plain"),
        _s(q, k, v, keep, grad=(0, 1, 2), name="bool mask, a fully masked row"),
        _s(q, k, v, bias, scale=0.3, grad=(0, 1, 2), name="float mask, scale"),
        _s(q, rand(rng, (2, 3, 2), dt), v[:, :3], is_causal=True, name="is_causal"),
        _s(
            rand(rng, (1, 4, 2, 2), dt),
            rand(rng, (1, 2, 3, 2), dt),
            rand(rng, (1, 2, 3, 2), dt),
            enable_gqa=True,
            name="gqa",
        ),
    ]


def _mha_samples(rng: np.random.Generator, dt: Any) -> list:
    e, h = 4, 2

    def proj() -> tuple:
        return (rand(rng, (3 * e, e), dt, -1, 1), rand(rng, (3 * e,), dt))

    def out() -> tuple:
        return (rand(rng, (e, e), dt, -1, 1), rand(rng, (e,), dt))

    q, k = rand(rng, (2, 2, e), dt), rand(rng, (3, 2, e), dt)
    kpm = np.array([[0.0, 0.0, -np.inf], [0.0, -np.inf, 0.3]], dtype=dt)
    mask = np.array([[0.0, -np.inf, 0.5], [0.2, 0.0, -1.0]], dtype=dt)
    return [
        _s(q, k, k, e, h, *proj(), None, None, False, 0.0, *out(), name="packed"),
        _s(
            q,
            k,
            k,
            e,
            h,
            *proj(),
            rand(rng, (1, 1, e), dt),
            rand(rng, (1, 1, e), dt),
            True,
            0.0,
            *out(),
            False,
            kpm,
            True,
            mask,
            average_attn_weights=False,
            grad=(0, 1, 2, 5, 6, 7, 8, 11, 12),
            name="float masks, bias_k/v, zero attn",
        ),
        _s(
            q[:, 0],
            k[:, 0],
            rand(rng, (3, e), dt),
            e,
            h,
            None,
            rand(rng, (3 * e,), dt),
            None,
            None,
            False,
            0.0,
            *out(),
            True,
            None,
            True,
            None,
            True,
            *(rand(rng, (e, e), dt, -1, 1) for _ in range(3)),
            grad=(0, 1, 2, 6, 11, 12, 18, 19, 20),
            name="unbatched, separate weights",
        ),
    ]


for _fn, _samples in (
    (dropout, _dropout_samples((2, 3))),
    (alpha_dropout, _dropout_samples((2, 3))),
    (feature_alpha_dropout, _dropout_samples((2, 2, 2))),
    (dropout1d, _dropout_samples((2, 2, 3), (2, 3))),
    (dropout2d, _dropout_samples((1, 2, 2, 2))),
    (dropout3d, _dropout_samples((1, 2, 1, 2, 2), (2, 1, 2, 2))),
    (embedding, _embedding_samples),
    (embedding_bag, _embedding_bag_samples),
    (cosine_similarity, _cosine_samples),
    (pairwise_distance, _pairwise_samples),
    (pdist, _pdist_samples),
    (bilinear, _bilinear_samples),
    (scaled_dot_product_attention, _sdpa_samples),
):
    def_composite(_F + _fn.__name__, _fn, samples=_samples)

def_composite(
    _F + "multi_head_attention_forward",
    multi_head_attention_forward,
    samples=_mha_samples,
    outputs=("attn_output", "attn_output_weights"),
)


# Top-level ``torch.dropout`` & co. (ATen's positional forms).
def _dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    return dropout(input, p, train)


def _alpha_dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    return alpha_dropout(input, p, train)


def _feature_dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    _check_p(p)
    return _feature_dropout(input, p, train, False)


def _feature_alpha_dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    return feature_alpha_dropout(input, p, train)


def _embedding_top(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    _check_indices(indices, "embedding")
    _no_sparse("embedding", sparse)
    return _embedding_rec(
        indices, weight, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


for _name, _top in (
    ("dropout", _dropout_top),
    ("alpha_dropout", _alpha_dropout_top),
    ("feature_dropout", _feature_dropout_top),
    ("feature_alpha_dropout", _feature_alpha_dropout_top),
    ("embedding", _embedding_top),
    ("cosine_similarity", cosine_similarity),
    ("pairwise_distance", pairwise_distance),
    ("pdist", pdist),
    ("bilinear", bilinear),
):
    if _top.__name__.startswith("_"):
        _top.__name__ = _top.__qualname__ = _name
    EXPORTS[_name] = _top
