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

from .._core.grad_mode import no_grad
from .._core.tensor import Tensor
from .registry import EXPORTS, Sample, def_composite, def_op
from .samples import rand

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "one_hot",
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


for _fn, _samples in (
    (dropout, _dropout_samples((2, 3))),
    (alpha_dropout, _dropout_samples((2, 3))),
    (feature_alpha_dropout, _dropout_samples((2, 2, 2))),
    (dropout1d, _dropout_samples((2, 2, 3), (2, 3))),
    (dropout2d, _dropout_samples((1, 2, 2, 2))),
    (dropout3d, _dropout_samples((1, 2, 1, 2, 2), (2, 1, 2, 2))),
    (embedding, _embedding_samples),
    (embedding_bag, _embedding_bag_samples),
):
    # complex: PyTorch's dropouts take complex data in eval mode and at p = 0 or 1 (the samples'
    # p = 1); in training with 0 < p < 1 its bernoulli refuses them, as ndgrad's does
    _cplx = _fn not in (embedding, embedding_bag)
    def_composite(_F + _fn.__name__, _fn, samples=_samples, complex=_cplx)


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
):
    if _top.__name__.startswith("_"):
        _top.__name__ = _top.__qualname__ = _name
    EXPORTS[_name] = _top
