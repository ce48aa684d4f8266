"""``vmap``: a function of one example, run on a whole batch in one call.

See Note [Batched tensors] in ``_core/batched.py`` for how it works: the function runs once, on
tensors that look like one example; each op runs on the batch by its batching rule
(``ops/batching.py``), or once per entry when it has none (a warning names the op).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._core import batched as _b
from .._core.batched import BatchedTensor, physical, rewrap, wrap
from .._core.tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["vmap", "to_all_levels", "physical", "rewrap", "BatchedTensor"]


def _dims_for(dims: Any, tree: Any, what: str) -> list:
    """``dims`` (an int/None, or a tree prefix of ``tree``) as one entry per leaf of ``tree``."""
    if dims is None or isinstance(dims, int):
        leaves, _ = tree_flatten(tree)
        return [dims] * len(leaves)
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(dims) != len(tree):
            raise ValueError(
                f"vmap({what}=...): {what} is not compatible with the structure of the inputs: "
                f"{len(dims)} entries for {len(tree)} arguments; hint: give one entry per argument"
            )
        out = []
        for d, t in zip(dims, tree, strict=True):
            out.extend(_dims_for(d, t, what))
        return out
    if isinstance(dims, dict) and isinstance(tree, dict):
        out = []
        for k in tree:
            out.extend(_dims_for(dims.get(k, 0), tree[k], what))
        return out
    raise ValueError(
        f"vmap({what}={dims!r}): {what} must be an int, None or a (nested) tuple matching the "
        "arguments"
    )


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Vectorize ``func`` over dim ``in_dims`` of its inputs (PyTorch's ``torch.func.vmap``).

    ``vmap(f)(x)`` equals ``stack([f(x[i]) for i in range(len(x))])``, computed in one call:
    ``f`` sees one example (no batch dim); ops run on the batch by their batching rules.
    ``in_dims``/``out_dims``: an int, None (not batched) or a tree matching the arguments/results;
    ``randomness``: ``"error"``, ``"different"`` (each entry its own draws) or ``"same"``;
    ``chunk_size``: run the batch in chunks of this many entries (less memory). Nests:
    ``vmap(vmap(f))``, and composes with ``grad``, ``jvp``, ``vjp``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import vmap
        >>> x = ndgrad.arange(6.0).reshape(2, 3)
        >>> vmap(lambda row: (row * row).sum())(x)
        tensor([ 5., 50.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not args:
            raise ValueError(
                f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                "or you are trying to vmap over a function with no inputs. The latter is "
                "unsupported."
            )
        flat, spec = tree_flatten(list(args))
        dims = _dims_for(in_dims if isinstance(in_dims, tuple) else in_dims, list(args), "in_dims")
        sizes = set()
        for x, d in zip(flat, dims, strict=True):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims!r}, ...)(<inputs>): Got in_dim={d} for "
                    f"an input but the input is of type {type(x)}. We cannot vmap over non-Tensor "
                    "arguments, please use None as the respective in_dim"
                )
            if not -x.ndim <= d < max(x.ndim, 1) or x.ndim == 0:
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims!r}, ...)(<inputs>): Got in_dim={d} for "
                    f"some input, but that input is a Tensor of dimensionality {x.ndim} so "
                    f"expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}."
                )
            sizes.add(int(x.shape[d]))
        if not sizes:
            raise ValueError(
                f"vmap({_name(func)}, in_dims={in_dims!r}, ...)(<inputs>): at least one input "
                "must be batched (in_dims all None)"
            )
        if len(sizes) > 1:
            raise ValueError(
                f"vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sorted(sizes)} for the mapped dimension"
            )
        (size,) = sizes
        if chunk_size is None or chunk_size >= size:
            return _run(func, flat, dims, spec, size, kwargs, out_dims, randomness)
        parts = []
        for start in range(0, size, chunk_size):
            n = min(chunk_size, size - start)
            chunk = [
                x if d is None else x.narrow(d, start, n) for x, d in zip(flat, dims, strict=True)
            ]
            parts.append(_run(func, chunk, dims, spec, n, kwargs, out_dims, randomness))
        return _concat_chunks(parts, out_dims)

    return wrapped


def _name(func: Any) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _run(
    func: Callable[..., Any],
    flat: list,
    dims: list,
    spec: Any,
    size: int,
    kwargs: dict,
    out_dims: Any,
    randomness: str,
) -> Any:
    level = (_b.LEVELS[-1][0] if _b.LEVELS else 0) + 1
    _b.LEVELS.append((level, size, randomness))
    _b.VMAP[0] += 1
    try:
        ins = [
            x if d is None else wrap(x.movedim(d, 0) if d != 0 else x, level, size)
            for x, d in zip(flat, dims, strict=True)
        ]
        out = func(*tree_unflatten(ins, spec), **kwargs)
    finally:
        _b.VMAP[0] -= 1
        _b.LEVELS.pop()
    leaves, ospec = tree_flatten(out)
    odims = _dims_for(out_dims, out, "out_dims")
    res = []
    for y, d in zip(leaves, odims, strict=True):
        if not isinstance(y, Tensor):
            if d is None:
                res.append(y)
                continue
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                f"{type(y)}. Did you mean to set out_dims= to None for output?"
            )
        if type(y) is BatchedTensor and y._level == level:
            v = y._value
            if d is None:
                raise ValueError(
                    f"vmap({_name(func)}, ..., out_dims=None): an output is batched, but its "
                    "out_dim is None; hint: give it an int out_dim"
                )
            res.append(v if d == 0 else v.movedim(0, d))
        elif d is None:
            res.append(y)
        else:  # the same for every entry: PyTorch expands it along the batch
            res.append(y.unsqueeze(d).expand(*_expanded(y, d, size)))
    return tree_unflatten(res, ospec)


def _expanded(y: Tensor, d: int, size: int) -> list:
    shape = list(y.shape)
    d = d % (len(shape) + 1)
    shape.insert(d, size)
    return shape


def _concat_chunks(parts: list, out_dims: Any) -> Any:
    from .. import cat

    first, spec = tree_flatten(parts[0])
    odims = _dims_for(out_dims, parts[0], "out_dims")
    cols = [tree_flatten(p)[0] for p in parts]
    res = []
    for k, d in enumerate(odims):
        if d is None:
            res.append(first[k])
        else:
            res.append(cat([c[k] for c in cols], d))
    return tree_unflatten(res, spec)


def to_all_levels(x: Tensor) -> Tensor:
    """``x`` batched at every open vmap level (unbatched levels broadcast along their batch)."""
    if not _b.LEVELS:
        return x
    have = set()
    t = x
    while type(t) is BatchedTensor:
        have.add(t._level)
        t = t._value
    missing = [lv for lv in _b.LEVELS if lv[0] not in have]
    if not missing:
        return x
    if not have:  # not batched at all: a broadcast view (no copy), wrapped at every level
        sizes = tuple(lv[1] for lv in _b.LEVELS)
        p = x.reshape((1,) * len(sizes) + tuple(x.shape)).expand(*sizes, *x.shape)
        return rewrap(p, [(lv[0], lv[1]) for lv in reversed(_b.LEVELS)])
    from .. import zeros

    z = zeros((), dtype=x.dtype)
    for level, size, _ in _b.LEVELS:  # a zero batched at every level, outermost first
        z = wrap(z.unsqueeze(0).expand(size), level, size)
    return x + z
