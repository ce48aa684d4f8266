"""Joining and splitting: cat, stack and their inverses split, chunk, unbind.

cat and stack take any number of tensors; split, chunk and unbind give tuples of views (narrow
and select of shape.py, so each piece is tracked as a view).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, Sample, attach_method, def_op
from .samples import rand
from .shape import _axis, _narrow, _reshape, _select, narrow, select, wrap_dim

# --------------------------------------------------------------------------------------------
# split / chunk / unbind: tuples of views, each with its own node.


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes.

    Example:
        >>> import ndgrad
        >>> [p.shape[0] for p in ndgrad.arange(5.0).split(2)]
        [2, 2, 1]
    """
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [operator.index(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    else:
        size = operator.index(split_size_or_sections)
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0 and n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        sizes = [0] if n == 0 else [min(size, n - s) for s in range(0, n, size)]
    out = []
    start = 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """:func:`split` with a list of sizes."""
    return split(input, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces of equal size ``ceil(n / chunks)`` along ``dim``."""
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = input.shape[wrap_dim(dim, input.ndim)]
    if n == 0:
        return split(input, [0] * chunks, dim)
    return split(input, (n + chunks - 1) // chunks, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, as a tuple of views without that dim."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# --------------------------------------------------------------------------------------------
# cat / stack: variadic records (any number of inputs, declared ``variadic=True``); each gives
# every input's gradient in one call (``vjp_all``), which the engine calls once per node.
#
# Note [Linear backward of cat and stack]
# Each input's rule must cost O(1), or backward is quadratic in the number of inputs (5,000
# inputs to cat once took 73 s). So the rules read nothing of the inputs: cat's rule i slices
# ``g`` (a view) at ``_starts[i]``, the prefix sums of the sizes along ``dim`` that ``_cat_apply``
# computes once per call (its ``prepare`` hook: params the forward ignores; ``_legacy`` lists the
# skipped 1-d empty inputs), and stack's rule i selects index i. With ``stubs=False`` the engine
# passes None for each input rather than one shape stub per input. ``cat_grads``/``stack_grads``
# give every input's
# gradient in one call, for an engine that calls a variadic record's rule once per node.


def _legacy_empty(shape: tuple, others_ndim: int) -> bool:
    """PyTorch's cat skips 1-d empty tensors when the others have more dims."""
    return len(shape) == 1 and shape[0] == 0 and others_ndim != 1


def _cat_fwd(xp: Any, *arrays: Any, dim: int = 0, _starts: Any = None, _legacy: Any = ()) -> Any:
    nd = max(a.ndim for a in arrays)
    keep = [a for a in arrays if not _legacy_empty(tuple(a.shape), nd)] or list(arrays[:1])
    return xp.concat(keep, axis=dim)


def _cat_layout(shapes: Sequence[tuple], dim: int) -> dict:
    """``_starts`` (where each input's slice begins along ``dim``; n + 1 prefix sums) and
    ``_legacy`` (the positions of skipped 1-d empty inputs) of ``cat`` on these shapes."""
    nd = max(len(s) for s in shapes)
    d = dim % nd if nd else 0
    starts = [0]
    legacy = []
    for i, s in enumerate(shapes):
        if _legacy_empty(s, nd):
            legacy.append(i)
            starts.append(starts[-1])
        else:
            starts.append(starts[-1] + s[d])
    return {"_starts": tuple(starts), "_legacy": tuple(legacy)}


def _cat_piece(g: Tensor, i: int, dim: int, starts: tuple, legacy: tuple) -> Tensor:
    if legacy and i in legacy:
        return _narrow(_reshape(g, shape=(-1,)), dim=0, start=0, length=0)
    return _narrow(g, dim=_axis(dim, g.ndim), start=starts[i], length=starts[i + 1] - starts[i])


def _no_layout() -> RuntimeError:
    return RuntimeError(
        "cat's node was recorded without its layout (_starts): it was applied without "
        "_cat_apply; hint: call ndgrad.cat, or pass the params of _cat_layout(shapes, dim)"
    )


def cat_grads(
    g: Tensor, ans: Any, *xs: Any, dim: int, _starts: Any = None, _legacy: tuple = ()
) -> tuple:
    """Every input's gradient of ``cat(xs, dim)`` at once: the slices of ``g``, O(n) in all."""
    if _starts is None:
        raise _no_layout()
    return tuple(_cat_piece(g, i, dim, _starts, _legacy) for i in range(len(_starts) - 1))


def _cat_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (2, 3), dt), rand(rng, (1, 3), dt)), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 1), dt), rand(rng, (2, 2), dt)), {"dim": -1}),
        Sample((rand(rng, (3,), dt),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (0,), dt)), {"dim": 1}),
    ]


def _cat_prepare(tensors: list, params: dict) -> dict:
    """cat's layout, from the inputs' shapes, once per call: See Note [Linear backward...]."""
    out = _cat_layout([tuple(t.shape) for t in tensors], params["dim"])
    out["dim"] = params["dim"]
    return out


_cat_op_fn = def_op(
    "cat",
    complex=True,  # linear: no conjugation
    forward=_cat_fwd,
    vjp_all=cat_grads,
    variadic=True,
    prepare=_cat_prepare,
    jvp="linear",
    inputs=("tensors",),
    params=(("dim", 0), ("_starts", None), ("_legacy", ())),
    save=None,
    promote="binary",
    method=False,
    export=False,
    backward_name="CatBackward0",
    stubs=False,  # See Note [Linear backward of cat and stack]
    samples=_cat_samples,
    ref=lambda *arrays, dim=0: np.concatenate(
        [a for a in arrays if not _legacy_empty(a.shape, max(b.ndim for b in arrays))], dim
    ),
    torch=lambda *ts, dim=0: __import__("torch").cat(ts, dim),
    doc="Concatenate along ``dim``. The gradient of each input is its slice of ``g``.",
)
_CAT = TABLE["cat"]
_cat_apply = _cat_op_fn  # the record's own function: cat(*tensors, dim=d)


def _tensor_list(tensors: Any, who: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{who}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}; hint: pass a list, e.g. ndgrad.{who}([a, b])"
        )
    if len(tensors) == 0:
        raise ValueError(f"torch.{who}(): expected a non-empty list of Tensors")
    out = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}; "
                "hint: wrap it with ndgrad.tensor(...)"
            )
        out.append(t)
    return out


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate ``tensors`` along ``dim`` (1-d empty tensors are skipped, as in PyTorch).

    Example:
        >>> import ndgrad
        >>> ndgrad.cat([ndgrad.zeros(2, 3), ndgrad.ones(1, 3)]).shape
        ndgrad.Size([3, 3])
    """
    ts = _tensor_list(tensors, "cat")
    nd = max(t.ndim for t in ts)
    kept = [(i, t) for i, t in enumerate(ts) if not _legacy_empty(tuple(t.shape), nd)]
    if not kept:
        kept = [(0, ts[0])]
    i0, first = kept[0]
    if first.ndim == 0:
        raise RuntimeError(
            f"zero-dimensional tensor (at position {i0}) cannot be concatenated; hint: "
            "unsqueeze it to 1-d, or use ndgrad.stack"
        )
    d = wrap_dim(dim, first.ndim)
    ref = tuple(first.shape)
    for i, t in kept[1:]:
        if t.ndim != first.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}"
            )
        for k, (a, b) in enumerate(zip(ref, t.shape, strict=True)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list."
                )
    return _cat_apply(*ts, dim=d)


def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of :func:`cat`."""
    return cat(tensors, dim)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Alias of :func:`cat` (NumPy's name and ``axis`` keyword)."""
    return cat(tensors, axis)


def stack_grads(g: Tensor, ans: Any, *xs: Any, dim: int = 0) -> tuple:
    """Every input's gradient of ``stack(xs, dim)`` at once: ``g.select(dim, i)`` for each i."""
    d = _axis(dim, g.ndim)
    return tuple(_select(g, dim=d, index=i) for i in range(len(xs)))


_stack_op_fn = def_op(
    "stack",
    complex=True,  # linear: no conjugation
    forward=lambda xp, *arrays, dim=0: xp.stack(arrays, axis=dim),
    vjp_all=stack_grads,
    variadic=True,
    jvp="linear",
    inputs=("tensors",),
    params=(("dim", 0),),
    save=None,
    promote="binary",
    method=False,
    export=False,
    backward_name="StackBackward0",
    stubs=False,  # See Note [Linear backward of cat and stack]
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt)), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), rand(rng, (2, 3), dt)), {"dim": -1}),
        Sample((rand(rng, (), dt), rand(rng, (), dt)), {"dim": 0}),
    ],
    ref=lambda *arrays, dim=0: np.stack(arrays, dim),
    torch=lambda *ts, dim=0: __import__("torch").stack(ts, dim),
    doc="Stack along a new dim ``dim``. The gradient of input i is ``g.select(dim, i)``.",
)
_STACK = TABLE["stack"]
_stack_apply = _stack_op_fn  # the record's own function: stack(*tensors, dim=d)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack tensors of equal shape along a new dim ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.stack([ndgrad.zeros(2, 3), ndgrad.ones(2, 3)], dim=1).shape
        ndgrad.Size([2, 2, 3])
    """
    ts = _tensor_list(tensors, "stack")
    ref = tuple(ts[0].shape)
    for i, t in enumerate(ts[1:], 1):
        if tuple(t.shape) != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    return _stack_apply(*ts, dim=wrap_dim(dim, len(ref), 1))


# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

_FUNCS = {
    "split": split,
    "split_with_sizes": split_with_sizes,
    "chunk": chunk,
    "unbind": unbind,
    "cat": cat,
    "concat": concat,
    "concatenate": concatenate,
    "stack": stack,
}
EXPORTS.update(_FUNCS)
for _n in ("split", "split_with_sizes", "chunk", "unbind"):
    attach_method(_n, _FUNCS[_n])

__all__ = sorted(_FUNCS)
