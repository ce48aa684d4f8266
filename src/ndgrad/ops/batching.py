"""Batching rules: how each op of the table runs on a whole batch at once (``vmap``).

See Note [Batched tensors] in ``_core/batched.py``. A rule gets the op, its arguments with the
highest vmap level unwrapped (``bd[i]``: argument i carries the batch in its dim 0), its params
and the batch size; it calls ordinary ops and returns a result whose dim 0 is the batch. The
families:

* ``elementwise``: broadcasting ops. A batched argument of lower rank gets size-1 dims after its
  batch dim, so broadcasting lines the entries up as it would for one entry.
* ``dims``: ops with ``dim``-like params (reductions, scans, softmax, sort, cat, gather, ...):
  the dims move one place right; ``dim=None`` (all dims) becomes the explicit logical dims.
* ``trailing``: ops that already treat leading dims as batch dims (``linalg``, ``tril``,
  ``view_as_real``, padding): the batch is one more leading dim.
* ``merge``: ops on ``(N, C, ...)`` inputs (convolution, pooling, resampling): the batch and N
  merge into one dim for the call and split after it.
* shape ops, ``matmul`` and its relatives, ``einsum``, indexing: a rule each.

An op without a rule runs once per batch entry and its results are stacked (correct, slower),
with a warning naming the op, once per op. A record may declare its own rule: ``OpDef.batch``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from .._core import batched as _b
from .._core.batched import BatchedTensor, wrap
from .._core.tensor import Tensor
from . import dispatch
from .registry import TABLE, OpDef

__all__ = ["rule_of", "RULES", "handle", "handle_inplace"]

_BT = BatchedTensor


# --------------------------------------------------------------------------------------------
# Arguments: unwrapping one level.


def _top(args: Sequence[Any], params: dict) -> tuple[int, int]:
    """The highest level among the arguments and params (0: none), with its batch size."""
    level = size = 0
    for a in args:
        if type(a) is _BT:
            if a._level > level:
                level, size = a._level, a._bsize
        elif type(a) in (list, tuple):
            for t in a:
                if type(t) is _BT and t._level > level:
                    level, size = t._level, t._bsize
    for a in params.values():
        if type(a) is _BT and a._level > level:
            level, size = a._level, a._bsize
        elif type(a) in (list, tuple):
            for t in a:
                if type(t) is _BT and t._level > level:
                    level, size = t._level, t._bsize
    return level, size


def _peel(a: Any, level: int) -> tuple[Any, Any]:
    if type(a) is _BT and a._level == level:
        return a._value, True
    if type(a) in (list, tuple) and any(type(t) is _BT and t._level == level for t in a):
        vals, flags = zip(*(_peel(t, level) for t in a), strict=True)
        return type(a)(vals), list(flags)
    return a, False


def _lrank(a: Any, b: bool) -> int:
    return a.ndim - 1 if b else a.ndim


def _call(op: OpDef, args: Sequence[Any], params: dict) -> Any:
    if op.outputs:
        return dispatch.apply_multi(op, args, params)
    return dispatch.apply(op, args, params)


def _expand(a: Tensor, size: int) -> Tensor:
    return a.expand((size, *a.shape))


def _pad(a: Tensor, rank: int) -> Tensor:
    """Batched ``a`` with size-1 dims after its batch dim, to logical rank ``rank``."""
    lr = a.ndim - 1
    if lr >= rank:
        return a
    return a.reshape((a.shape[0],) + (1,) * (rank - lr) + tuple(a.shape[1:]))


# --------------------------------------------------------------------------------------------
# The loop: an op without a rule.

_WARNED: set = set()


def _loop(op: OpDef, args: list, bd: list, params: dict, pbd: dict, size: int) -> Any:
    if op.name not in _WARNED:
        _WARNED.add(op.name)
        warnings.warn(
            f"vmap: there is a performance drop because ndgrad has no batching rule for "
            f"'{op.api or op.name}': it runs once per batch entry ({size} calls) and the results "
            "are stacked; hint: the result is correct, only slower",
            UserWarning,
            stacklevel=4,
        )
    return _per_entry(op, args, bd, params, pbd, size)


def _entry(a: Any, flag: Any, b: int) -> Any:
    if flag is True:
        return a.select(0, b)
    if isinstance(flag, list):
        return type(a)(_entry(t, f, b) for t, f in zip(a, flag, strict=True))
    return a


def _per_entry(op: OpDef, args: list, bd: list, params: dict, pbd: dict, size: int) -> Any:
    from .join import stack

    outs = []
    for b in range(size):
        a_b = [_entry(a, f, b) for a, f in zip(args, bd, strict=True)]
        p_b = {k: _entry(v, pbd.get(k, False), b) for k, v in params.items()}
        outs.append(_call(op, a_b, p_b))
    if op.outputs:
        return tuple(stack([o[k] for o in outs]) for k in range(len(outs[0])))
    return stack(outs)


# --------------------------------------------------------------------------------------------
# Families.


def elementwise(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """Broadcasting ops: batched arguments padded to the common logical rank."""
    rank = max((_lrank(a, b) for a, b in zip(args, bd) if isinstance(a, Tensor)), default=0)
    new = [_pad(a, rank) if b is True and isinstance(a, Tensor) else a for a, b in zip(args, bd)]
    return _call(op, new, params)


def trailing(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """Ops that treat leading dims as batch dims: unbatched tensors get the batch dim too."""
    tens = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if len(tens) > 1:
        args = [_expand(a, size) if i in tens and not bd[i] else a for i, a in enumerate(args)]
        ranks = [args[i].ndim for i in tens]
        if min(ranks) >= 3:  # matrices with their own batch dims: line those up
            top = max(ranks) - 1
            a0 = args[tens[0]]
            args = [
                _pad(a, top) if i in tens and not _vector_of(op, a, a0) else a
                for i, a in enumerate(args)
            ]
    return _call(op, args, params)


def _vector_of(op: OpDef, b: Tensor, a: Tensor) -> bool:
    """``b`` is a batch of vectors for matrix ``a`` in PyTorch's solve rule (shape ``a[:-1]``)."""
    return op.name == "linalg.solve_ex" and b is not a and tuple(b.shape) == tuple(a.shape[:-1])


def merge(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """``(N, C, ...)`` ops: the batch joins N for the call (only the first input batched)."""
    if any(b for b in bd[1:]):
        return None
    x = args[0]
    if op.name == "_convolution":
        nsp = args[1].ndim - 2
    else:
        nsp = next((k for k in (1, 2, 3) if f"{k}d" in op.name), 2)
    if x.ndim - 1 == nsp + 1:  # one entry is an unbatched (C, ...) input: the batch is N
        return _call(op, args, params)
    n = x.shape[1]
    out = _call(op, [x.reshape((size * n, *x.shape[2:])), *args[1:]], params)
    if isinstance(out, tuple):
        if any(o.ndim == 0 or o.shape[0] != size * n for o in out):
            return None  # an output without the N dim (a saved workspace): the loop
        return tuple(o.reshape((size, n, *o.shape[1:])) for o in out)
    return out.reshape((size, n, *out.shape[1:]))


_DIM_KEYS = ("dim", "dims", "dim0", "dim1", "dim2", "start_dim", "end_dim")
# ``dim=None`` means every dim (a full reduction or transform over all of them).
_ALL_DIMS = {
    "sum", "mean", "prod", "amax", "amin", "std", "var", "_std_mean", "_var_mean", "aminmax",
    "norm", "linalg.vector_norm", "argmax", "argmin", "logsumexp",
    "fft.fftn", "fft.ifftn", "fft.rfftn", "fft.irfftn", "fft.hfftn", "fft.ihfftn",
    "fft.fftshift", "fft.ifftshift",
}  # fmt: skip
_FLAT_NONE = {"argmax", "argmin", "aminmax", "prod"}  # their dim=None flattens first
_NEW_DIM = {"unsqueeze", "stack", "diag_embed"}  # dims index the result, one rank higher
# Ops whose other tensor inputs share the first one's layout (gained the batch dim too).
_SAME_LAYOUT = {
    "cat", "stack", "gather", "scatter", "scatter_add", "scatter_reduce", "_scatter_value",
    "linalg.cross", "index_copy", "index_add",
}  # fmt: skip
_KEEP = {"index_select", "index_fill", "index_copy", "index_add"}  # their ``index`` stays 1-d


def _shift(v: Any, rank: int) -> Any:
    """Dim ``v`` of a logical rank-``rank`` tensor as a dim of its batch (one to the right)."""
    if isinstance(v, int):
        return (v % rank if v < 0 else v) + 1
    return type(v)(_shift(d, rank) for d in v)


def dims(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """Ops with dim params: the dims move past the batch dim."""
    if not any(k in params for k in _DIM_KEYS):
        return None
    main = next(i for i, a in enumerate(args) if isinstance(a, Tensor))
    x = args[main]
    rank = _lrank(x, bd[main])
    if isinstance(x, (list, tuple)):  # cat, stack
        flags = bd[main] if isinstance(bd[main], list) else [bd[main]] * len(x)
        rank = max(_lrank(t, f) for t, f in zip(x, flags))
    extra = 1 if op.name in _NEW_DIM else 0
    if rank + extra == 0:  # a 0-d entry: its dim 0 (or -1) is a size-1 dim added for the call
        if not bd[main] or len([a for a in args if isinstance(a, Tensor)]) > 1:
            return None
        if op.name == "flatten":
            return x.reshape((size, 1))
        x1 = [x.unsqueeze(-1), *args[1:]]
        new = {k: 1 for k in params if k in _DIM_KEYS}
        if not new:
            return None
        out = _call(op, x1, {**params, **new})
        if isinstance(out, tuple):
            return tuple(o.squeeze(-1) if o.ndim == 2 else o for o in out)
        return out.squeeze(-1) if out.ndim == 2 else out
    new = dict(params)
    for k in _DIM_KEYS:
        if k not in new:
            continue
        v = new[k]
        if v is None:
            if op.name not in _ALL_DIMS:
                return None
            if op.name in _FLAT_NONE or rank == 0:
                keep = new.get("keepdim", False)
                out = _dims_flat(op, args, bd, new, k, size, main)
                if keep:
                    return out.reshape((size,) + (1,) * rank)
                return out
            new[k] = tuple(range(1, rank + 1))
        else:
            if isinstance(v, (list, tuple)) and not v and op.name in _ALL_DIMS:
                new[k] = tuple(range(1, rank + 1))  # dim=() reduces every dim, as in PyTorch
            else:
                new[k] = _shift(v, rank + extra)
    if op.name == "cat":  # PyTorch's legacy rule skips 1-d empty inputs among higher-rank ones
        keep = [
            i
            for i, a in enumerate(args)
            if not (tuple(a.shape[1:] if bd[i] else a.shape) == (0,) and rank != 1)
        ]
        args, bd = [args[i] for i in keep], [bd[i] for i in keep]
    new_args = list(args)
    if isinstance(x, (list, tuple)):  # cat/stack: every tensor gains the batch dim
        flags = bd[main] if isinstance(bd[main], list) else [bd[main]] * len(x)
        new_args[main] = type(x)(t if f else _expand(t, size) for t, f in zip(x, flags))
    for i, a in enumerate(args):
        if i == main or not isinstance(a, Tensor):
            continue
        name = op.inputs[i] if i < len(op.inputs) else ""
        if op.name in _KEEP and name == "index":
            if bd[i]:
                return None  # a batched index: the loop
            continue
        if bd[i]:
            if op.name not in _SAME_LAYOUT:
                return None
        elif op.name in _SAME_LAYOUT:
            new_args[i] = _expand(a, size)
    if not bd[main] and not isinstance(x, (list, tuple)):
        if op.name not in _SAME_LAYOUT:
            return None
        new_args[main] = _expand(x, size)
    return _call(op, new_args, new)


def _dims_flat(op: OpDef, args: list, bd: list, params: dict, k: str, size: int, main: int) -> Any:
    x = args[main] if bd[main] else _expand(args[main], size)
    new = dict(params)
    new[k] = 1
    if "keepdim" in new:
        new["keepdim"] = False
    a = list(args)
    a[main] = x.reshape((size, -1))
    return _call(op, a, new)


# --------------------------------------------------------------------------------------------
# Shape ops, matmul, einsum, indexing.


def _sizes(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def reshape(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    return _call(op, args, {**params, "shape": (size, *_sizes(params["shape"]))})


def expand(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    shape = _sizes(params["shape"])
    x = _pad(args[0], len(shape))
    return _call(op, [x], {**params, "shape": (size, *shape)})


def repeat(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    reps = _sizes(params["repeats"])
    x = _pad(args[0], len(reps))
    return _call(op, [x], {**params, "repeats": (1, *reps)})


def permute(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    rank = args[0].ndim - 1
    return _call(op, args, {**params, "dims": (0, *_shift(tuple(params["dims"]), rank))})


def squeeze(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    x = args[0]
    shape = tuple(x.shape[1:])
    d = params.get("dim")
    if d is None:
        ds: tuple = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        ds = tuple(_sizes(d))
    ds = tuple(_shift(i, len(shape)) for i in ds)
    return dispatch.apply(TABLE["_squeeze_dims"], (x,), {"dim": ds})


def _is_tensorish(k: Any) -> bool:
    return isinstance(k, Tensor) or hasattr(k, "shape") and hasattr(k, "dtype")


def _apart(key: tuple) -> int | None:
    """Where a batched key ``(:, *key)`` puts the batch dim when NumPy moves advanced indices
    that are apart to the front (the number of broadcast advanced dims), else None."""
    adv = [
        i
        for i, k in enumerate(key)
        if _is_tensorish(k) or isinstance(k, list) or (type(k) is int and len(key) > 1)
    ]
    arrays = any(_is_tensorish(k) or isinstance(k, list) for k in key)
    if arrays and adv and adv != list(range(adv[0], adv[-1] + 1)):
        import numpy as np

        shapes = [tuple(key[i].shape) if _is_tensorish(key[i]) else np.shape(key[i]) for i in adv]
        return len(np.broadcast_shapes(*shapes))
    return None


def getitem(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """``x[key]`` on a batch: the key gets a leading ``:`` (advanced indices kept together)."""
    idx = params["idx"]
    key = idx if isinstance(idx, tuple) else (idx,)
    out = _call(op, args, {**params, "idx": (slice(None), *key)})
    at = _apart(key)
    return out if at is None else out.movedim(at, 0)


def index_backward(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """The transpose of ``getitem`` on a batch of cotangents: zeros of ``(size, *shape)``
    written at ``(:, *key)``, the cotangent's batch dim put where that key puts it."""
    if not bd[0]:
        return None
    idx = params["idx"]
    key = idx if isinstance(idx, tuple) else (idx,)
    g = args[0]
    at = _apart(key)
    if at is not None:
        g = g.movedim(0, at)
    return _call(op, [g], {"shape": (size, *params["shape"]), "idx": (slice(None), *key)})


def matmul(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """``matmul`` (and ``mm``, ``bmm``, ``mv``) with a batch on either side."""
    a, b = args[0], args[1]
    ba, bb = bd[0], bd[1]
    la, lb = _lrank(a, ba), _lrank(b, bb)
    mm = TABLE["matmul"]
    # One GEMM instead of a batch of matrix-vector products where one side is not batched.
    if ba and not bb and la == 1 and lb == 2:  # rows of a times b
        return _call(mm, [a, b], {})
    if bb and not ba and lb == 1 and la == 2:  # a times each row of b: (b a^T)
        return _call(mm, [b, a.transpose(0, 1)], {})
    if ba and not bb and la >= 2 and lb == 2:  # stacked matrices times one: rows at once
        k = a.shape[-1]
        out = _call(mm, [a.reshape((-1, k)), b], {})
        return out.reshape((*a.shape[:-1], b.shape[-1]))
    a_vec = bool(ba) and la == 1
    b_vec = lb == 1
    if a_vec:
        a, la = a.unsqueeze(-2), 2
    if bb and b_vec:
        b = b.unsqueeze(-1)
        lb = 2
    if ba and la < lb:
        a = _pad(a, lb)
    if bb and lb < la:
        b = _pad(b, la)
    out = _call(TABLE["matmul"], [a, b], {})
    if bb and b_vec:
        out = out.squeeze(-1)
    if a_vec:  # its row dim: last when b was a vector, else second to last
        out = out.squeeze(-1 if b_vec else -2)
    return out


def dot(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    a, b = args
    if op.name == "vdot":
        a = a.conj()
    return (elementwise(TABLE["mul"], [a, b], bd, {}, size)).sum(-1)


def outer(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    a, b = args
    return elementwise(TABLE["mul"], [a.unsqueeze(-1), b.unsqueeze(-2)], bd, {}, size)


def addmm(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """``beta * input + alpha * (m1 @ m2)`` (and addmv, addr, baddbmm), from batched parts."""
    inp, m1, m2 = args
    beta, alpha = params.get("beta", 1), params.get("alpha", 1)
    if op.name == "addr":
        prod = outer(op, [m1, m2], bd[1:], {}, size)
    elif op.name == "addbmm":
        prod = matmul(op, [m1, m2], bd[1:], {}, size).sum(1 if (bd[1] or bd[2]) else 0)
    else:
        prod = matmul(op, [m1, m2], bd[1:], {}, size)
    pb = bool(bd[1] or bd[2])
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod if pb else _expand(prod, size)
    term = inp * beta if beta != 1 else inp
    return elementwise(TABLE["add"], [term, prod], [bd[0], pb], {}, size)


def trace(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    return args[0].diagonal(0, 1, 2).sum(-1)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    eq = params["equation"].replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:  # the implicit output: the letters seen once, in order (after the broadcast dims)
        lhs = eq
        letters = [c for c in lhs if c.isalpha()]
        rhs = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    free = next(c for c in _LETTERS if c not in eq)
    terms = lhs.split(",")
    new = [free + t if b else t for t, b in zip(terms, bd, strict=True)]
    return _call(op, args, {**params, "equation": ",".join(new) + "->" + free + rhs})


def median_all(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    name = "_median_dim" if op.name == "_median_all" else "_nanmedian_dim"
    return dispatch.apply_multi(
        TABLE[name], (args[0].reshape((size, -1)),), {"dim": 1, "keepdim": False}
    )[0]


def full_max(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    x = args[0].reshape((size, -1))
    return dispatch.apply(TABLE["amax" if op.name == "max" else "amin"], (x,), {"dim": 1})


def first_only(op: OpDef, args: list, bd: list, params: dict, size: int) -> Any:
    """Ops that accept any leading shape in their first input (embedding, one_hot)."""
    if any(b for b in bd[1:]):
        return None
    return _call(op, args, params)


# --------------------------------------------------------------------------------------------
# Which op takes which rule.

_ELEMENTWISE_MODULES = {
    "unary", "special", "pointwise", "arith", "compare", "clamping", "division", "elementwise",
    "casting", "inplace", "activations",
}  # fmt: skip
_NOT_ELEMENTWISE = {
    "nn.functional.prelu", "nn.functional.glu", "view_as_real", "view_as_complex",
}  # fmt: skip
_TRAILING_MODULES = {
    "linalg_spectral", "linalg_cholesky", "linalg_solve", "linalg_lu", "linalg_lstsq",
    "linalg_svd",
}  # fmt: skip
_DIM_MODULES = {
    "reduction", "sorting", "norms", "scatter", "join", "cumulative", "fft", "nn_ops",
    "arrange", "shape",
}  # fmt: skip
RULES: dict[str, Any] = {
    "reshape": reshape,
    "expand": expand,
    "repeat": repeat,
    "squeeze": squeeze,
    "permute": permute,
    "_squeeze_dim": None,  # set below: the dims family
    "getitem": getitem,
    "index": getitem,
    "_index_backward": index_backward,
    "matmul": matmul,
    "mm": matmul,
    "bmm": matmul,
    "mv": matmul,
    "dot": dot,
    "vdot": dot,
    "outer": outer,
    "addmm": addmm,
    "addmv": addmm,
    "addr": addmm,
    "baddbmm": addmm,
    "addbmm": addmm,
    "trace": trace,
    "einsum": einsum,
    "max": full_max,
    "_median_all": median_all,
    "_nanmedian_all": median_all,
    "min": full_max,
    "tril": trailing,
    "triu": trailing,
    "_swap_last2": trailing,
    "view_as_real": trailing,
    "view_as_complex": trailing,
    "constant_pad_nd": trailing,
    "masked_fill": elementwise,
    "lerp": elementwise,
    "complex": elementwise,
    "polar": elementwise,
    "conj_physical": elementwise,
    "_binary_cross_entropy": None,
    "gather": dims,
    "index_select": dims,
    "scatter_add": dims,
    "linalg.cross": dims,
    "linalg.vector_norm": dims,
    "nn.functional.glu": dims,
    "_convolution": merge,
    "nn.functional._embedding": first_only,
    "nn.functional.one_hot": first_only,
}
RULES["_squeeze_dim"] = squeeze
RULES["_squeeze_dims"] = squeeze
for _n in ("_diagonal_backward", "lu_unpack", "linalg.lstsq"):  # internal or rare: the loop
    RULES[_n] = None


def rule_of(op: OpDef) -> Any:
    """The batching rule of ``op`` (None: the loop)."""
    if op.batch is not None:
        return op.batch
    if op.name in RULES:
        return RULES[op.name]
    mod = op.module.rsplit(".", 1)[-1]
    if op.name.startswith("_random."):
        return elementwise
    if mod in ("pooling", "resample") and not op.name.endswith("_backward"):
        return merge
    if mod in _ELEMENTWISE_MODULES and op.name not in _NOT_ELEMENTWISE:
        return elementwise
    if mod in _TRAILING_MODULES:
        return trailing
    if mod in _DIM_MODULES or any(k in dict(op.params) for k in _DIM_KEYS):
        return dims
    return None


# --------------------------------------------------------------------------------------------
# Dispatch's entry points.


def _randomness(op: OpDef, args: list, bd: list, params: dict, pbd: dict, size: int) -> Any:
    mode = _b.LEVELS[-1][2] if _b.LEVELS else "error"
    if mode == "error":
        raise RuntimeError(_b.RANDOM_ERROR)
    if mode == "same":  # the same draws for every entry: the generator rewinds for each
        from .._core.random import default_generator

        state = default_generator.get_state()
        outs = []
        for b in range(size):
            default_generator.set_state(state)
            a_b = [_entry(a, f, b) for a, f in zip(args, bd, strict=True)]
            outs.append(_call(op, a_b, params))
        from .join import stack

        return stack(outs)
    return None


def handle(op: OpDef, args: Sequence[Any], params: dict) -> Any:
    """Run ``op`` on batched arguments; NotImplemented when none is batched."""
    level, size = _top(args, params)
    if not level:
        return NotImplemented
    peeled = [_peel(a, level) for a in args]
    new = [p[0] for p in peeled]
    bd = [p[1] for p in peeled]
    pp = {k: _peel(v, level) for k, v in params.items()}
    prm = {k: v[0] for k, v in pp.items()}
    pbd = {k: v[1] for k, v in pp.items() if v[1]}
    out = None
    if op.name.startswith("_random."):
        out = _randomness(op, new, bd, prm, pbd, size)
    if out is None:
        rule = None if pbd else rule_of(op)
        if rule is not None:
            out = rule(op, new, bd, prm, size)
        if out is None:
            out = _loop(op, new, bd, prm, pbd, size)
    if op.outputs:
        parts = [wrap(o, level, size) if isinstance(o, Tensor) else o for o in out]
        return op.result(parts) if op.result is tuple else op.result(*parts)
    return wrap(out, level, size)


def handle_inplace(op: OpDef, self: Tensor, args: Sequence[Any], params: dict) -> Any:
    """``self.op_(*args)`` with batched tensors: the write goes into the batch's values."""
    from .writes import apply_inplace

    level, size = _top((self, *args), params)
    if not level:
        return NotImplemented
    if not (type(self) is _BT and self._level == level):
        raise RuntimeError(
            f"vmap: {op.name}_(self, *extra_args) is not possible because there exists a Tensor "
            "`other` in extra_args that has more elements than `self`. This happened due to "
            "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try "
            f"to use out-of-place operators instead of {op.name}_; hint: write y = x.{op.name}(...)"
        )
    inner = self._value
    peeled = [_peel(a, level) for a in args]
    new = [p[0] for p in peeled]
    bd = [p[1] for p in peeled]
    rule = rule_of(op)
    if rule is elementwise:
        rank = inner.ndim - 1
        new = [_pad(a, rank) if b is True else a for a, b in zip(new, bd)]
        apply_inplace(op, inner, new, params)
    else:
        for b in range(size):
            apply_inplace(
                op, inner.select(0, b), [_entry(a, f, b) for a, f in zip(new, bd)], params
            )
    return self


def _levels_in(x: Any, found: list) -> None:
    if type(x) is _BT:
        found.append((x._level, x._bsize))
    elif type(x) in (list, tuple):
        for t in x:
            _levels_in(t, found)
    elif type(x) is dict:
        for t in x.values():
            _levels_in(t, found)


def _entry_of(x: Any, level: int, b: int) -> Any:
    if type(x) is _BT and x._level == level:
        return x._value.select(0, b)
    if type(x) in (list, tuple):
        return type(x)(_entry_of(t, level, b) for t in x)
    if type(x) is dict:
        return {k: _entry_of(t, level, b) for k, t in x.items()}
    return x


def handle_composite(op: OpDef, fn: Any, args: tuple, kwargs: dict) -> Any:
    """A composite under vmap: its ops batch by their rules; when it reads the values of a
    batched tensor in Python (``VmapDataError``), it runs once per entry instead."""
    found: list = []
    _levels_in(args, found)
    _levels_in(kwargs, found)
    if not found:
        return fn(*args, **kwargs)
    try:
        return fn(*args, **kwargs)
    except _b.VmapDataError:
        pass
    return loop_call(f"'{op.name}' (it reads values in Python)", fn, args, kwargs, found)


def loop_call(what: str, fn: Any, args: tuple, kwargs: dict, found: list | None = None) -> Any:
    """``fn`` once per entry of the innermost batched level among the arguments, the results
    stacked (warning once per ``what``): vmap's fallback where no batching rule applies."""
    if found is None:
        found = []
        _levels_in(args, found)
        _levels_in(kwargs, found)
    level, size = max(found)
    if what not in _WARNED:
        _WARNED.add(what)
        warnings.warn(
            f"vmap: there is a performance drop because ndgrad has no batching rule for "
            f"{what}: it runs once per batch entry ({size} calls) and the results are stacked; "
            "hint: the result is correct, only slower",
            UserWarning,
            stacklevel=4,
        )
    from .join import stack

    outs = [fn(*_entry_of(args, level, b), **_entry_of(kwargs, level, b)) for b in range(size)]
    if isinstance(outs[0], tuple):
        parts = [wrap(stack([o[k] for o in outs]), level, size) for k in range(len(outs[0]))]
        return type(outs[0])(*parts) if hasattr(outs[0], "_fields") else tuple(parts)
    return wrap(stack(outs), level, size)


dispatch.BATCH_HOOKS[:] = [handle, handle_inplace]
from . import registry as _registry  # noqa: E402

_registry.COMPOSITE_HOOK[0] = handle_composite
