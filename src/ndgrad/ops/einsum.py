"""einsum: Einstein summation over any number of operands, as ``torch.einsum``.

The equation is brought to a canonical form first: one letter per dimension, ellipses spelt out
with unused letters, the output explicit (so every rule sees the same simple grammar). The
product checks and PyTorch's dtype names are shared with linalg.py.
"""

from __future__ import annotations

import functools
import math
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from .elementwise import _cj
from .linalg import _PY_SCALARS, _SCALAR_NAME, _dname, _fail, _same_dtype_hint
from .registry import EXPORTS, TABLE, Sample, def_op, to_tensor
from .samples import rand

_LABELS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's order of subscripts


def _bad_subscript(i: int) -> RuntimeError:
    return _fail(
        f"einsum(): invalid subscript given at index {i} in the equation string, "
        "subscripts must be in [a-zA-Z]",
        "write subscripts as letters, ellipsis as "
        "'...', operands separated by ',' and the output after '->'",
    )


@functools.lru_cache(maxsize=1024)
def _canonical(equation: str, shapes: tuple) -> str:
    """Validate ``equation`` for operands of ``shapes``; return it as ``"ab,bc->ac"``."""
    nops = len(shapes)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms: list[list[str]] = [[]]
    dots = 0
    for i, c in enumerate(lhs):
        k = len(terms) - 1
        if c == " ":
            continue
        if c == ".":
            if "..." in terms[-1]:
                raise _fail(
                    f"einsum(): found '.' for operand {k} for which an ellipsis was already found",
                    "each operand may have one '...'",
                )
            dots += 1
            if dots == 3:
                terms[-1].append("...")
                dots = 0
            continue
        if dots:
            raise _fail(
                f"einsum(): found '.' for operand {k} that is not part of any ellipsis",
                "an ellipsis is exactly three dots",
            )
        if c == ",":
            if len(terms) >= nops:
                raise _fail(
                    "einsum(): fewer operands were provided than specified in the equation",
                    f"the equation names more operands than the {nops} given",
                )
            terms.append([])
        elif c in _LABELS:
            terms[-1].append(c)
        else:
            raise _bad_subscript(i)
    if dots:
        raise _fail(
            f"einsum(): found '.' for operand {len(terms) - 1} that is not part of any ellipsis",
            "an ellipsis is exactly three dots",
        )
    if len(terms) < nops:
        raise _fail(
            "einsum(): more operands were provided than specified in the equation",
            f"the equation names {len(terms)} operands but {nops} were given",
        )

    ell_dims = []
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        nlab = sum(1 for s in t if s != "...")
        if "..." in t:
            if nlab > len(shape):
                raise _fail(
                    f"einsum(): the number of subscripts in the equation ({nlab}) is "
                    f"more than the number of dimensions ({len(shape)}) for operand {k}",
                    f"operand {k} has shape {shape}",
                )
            ell_dims.append(len(shape) - nlab)
        else:
            if nlab != len(shape):
                raise _fail(
                    f"einsum(): the number of subscripts in the equation ({nlab}) does "
                    f"not match the number of dimensions ({len(shape)}) for operand {k} "
                    "and no ellipsis was given",
                    f"operand {k} has shape {shape}; give one subscript per dimension or use '...'",
                )
            ell_dims.append(0)
    n_ell = max(ell_dims, default=0)
    free = [c for c in _LABELS if c not in equation]
    if n_ell > len(free):
        raise _fail("einsum(): too many dimensions", "einsum supports 52 distinct subscripts")
    ell = "".join(free[:n_ell])
    ins = [
        "".join(ell[n_ell - e :] if s == "..." else s for s in t)
        for t, e in zip(terms, ell_dims, strict=True)
    ]

    sizes: dict[str, int] = {}
    for k, (s, shape) in enumerate(zip(ins, shapes, strict=True)):
        own: dict[str, int] = {}
        for c, n in zip(s, shape, strict=True):
            if c in own:
                if own[c] != n:
                    raise _fail(
                        f"einsum(): subscript {c} is repeated for operand {k} but the "
                        f"sizes don't match, {n} != {own[c]}",
                        "a repeated subscript takes a diagonal, which must be square",
                    )
                continue
            own[c] = n
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n not in (1, prev):
                if c in ell:
                    j = ell.index(c) - (n_ell - ell_dims[k])
                    msg = (
                        f"einsum(): dimension {j} covered by ellipsis in operand {k} has size "
                        f"{n} which does not broadcast with previously seen ellipsis with size "
                        f"{prev} for the respective dimension"
                    )
                else:
                    msg = (
                        f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                        f"broadcast with previously seen size {prev}"
                    )
                raise _fail(msg, "sizes of a subscript must be equal or 1")

    if arrow < 0:  # implicit output: the ellipsis, then subscripts seen once, sorted
        counts = Counter("".join(ins))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = ""
        dots = 0
        seen_ell = False
        for i, c in enumerate(equation[arrow + 2 :], start=arrow + 2):
            if c == " ":
                continue
            if c == ".":
                if seen_ell:
                    raise _fail(
                        "einsum(): found '.' for output but an ellipsis (...) was already found",
                        "the output may have one '...'",
                    )
                dots += 1
                if dots == 3:
                    out += ell
                    seen_ell = True
                    dots = 0
                continue
            if dots:
                raise _fail(
                    "einsum(): found '.' for output that is not part of any ellipsis (...)",
                    "an ellipsis is exactly three dots",
                )
            if c not in _LABELS:
                raise _bad_subscript(i)
            if c in out:
                raise _fail(
                    f"einsum(): output subscript {c} appears more than once in the output",
                    "use a repeated subscript on an input to take a diagonal",
                )
            if c not in sizes:
                raise _fail(
                    f"einsum(): output subscript {c} does not appear in the equation for "
                    "any input operand",
                    "every output subscript must come from an input",
                )
            out += c
        if dots:
            raise _fail(
                "einsum(): found '.' for output that is not part of any ellipsis (...)",
                "an ellipsis is exactly three dots",
            )
    return ",".join(ins) + "->" + out


def _split(equation: str) -> tuple[list[str], str]:
    lhs, out = equation.split("->")
    return lhs.split(","), out


def _label_sizes(ins: list[str], shapes: Any) -> dict[str, int]:
    """The broadcast size of every subscript (a canonical equation is valid: no checks)."""
    sizes: dict[str, int] = {}
    for s, shape in zip(ins, shapes, strict=True):
        for c, n in zip(s, shape, strict=True):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
    return sizes


def _einsum_fwd(xp: Any, *arrays: Any, equation: str) -> Any:
    ins, _ = _split(equation)
    sizes = _label_sizes(ins, [a.shape for a in arrays])
    full = [tuple(sizes[c] for c in s) for s in ins]
    arrays = tuple(
        a if tuple(a.shape) == f else xp.broadcast_to(a, f)
        for a, f in zip(arrays, full, strict=True)
    )
    # NumPy's contraction path (BLAS through tensordot) pays off beyond tiny operands
    big = len(arrays) > 1 and math.prod(sizes.values()) > 4096
    kw = {"optimize": True} if xp is np and big else {}
    out = _backend.extra(xp, "einsum")(equation, *arrays, **kw)
    if xp is np:  # NumPy returns a view for a lone diagonal or permutation: never alias an input
        out = np.asarray(out)
        if any(np.may_share_memory(out, a) for a in arrays):
            out = out.copy()
    return out


def _einsum_rule(i: int) -> Callable[..., Tensor]:
    def rule(g: Tensor, ans: Any, *ops: Tensor, equation: str) -> Tensor:
        # d/dx_i: contract g with the other operands onto x_i's subscripts; subscripts only x_i
        # has (summed in the forward) take g broadcast; a repeated subscript puts the result on
        # that diagonal (zeros elsewhere).
        ins, out = _split(equation)
        mine = ins[i]
        uniq = "".join(dict.fromkeys(mine))
        rest = [(s, o) for j, (s, o) in enumerate(zip(ins, ops, strict=True)) if j != i]
        keep = "".join(c for c in uniq if c in out or any(c in s for s, _ in rest))
        others = [_cj(o) for _, o in rest]  # conjugated for complex: See Note [Complex gradients]
        r = einsum(",".join([out] + [s for s, _ in rest]) + "->" + keep, g, *others)
        sizes = _label_sizes(ins, [o.shape for o in ops])
        rs = tuple(r.shape)
        r = r.reshape(tuple(rs[keep.index(c)] if c in keep else 1 for c in uniq))
        full = tuple(sizes[c] for c in uniq)
        if tuple(r.shape) != full:
            r = r.expand(full)
        own = tuple(ops[i].shape[mine.index(c)] for c in uniq)
        if own != full:  # x_i broadcast along these subscripts: sum them back
            dims = tuple(k for k, (a, b) in enumerate(zip(own, full, strict=True)) if a != b)
            r = r.sum(dims, True)
        if uniq != mine:
            r = _einsum_embed(r, equation=f"{uniq}->{mine}")
        return r

    return rule


def _einsum_jvp(tangents: tuple, ans: Any, *ops: Tensor, equation: str) -> Tensor | None:
    out = None  # multilinear: one operand replaced by its tangent at a time
    for i, t in enumerate(tangents):
        if t is None:
            continue
        r = einsum(equation, *ops[:i], t, *ops[i + 1 :])
        out = r if out is None else out + r
    return out


def _einsum_case(equation: Any, *shapes: tuple, sublist: tuple = ()) -> Callable[..., Sample]:
    def make(rng: np.random.Generator, dtype: Any) -> Sample:
        arrays = [rand(rng, s, dtype) for s in shapes]
        if sublist:  # einsum(op0, sub0, op1, sub1, ..., [out]), given to the record as letters
            args: list = []
            for a, sub in zip(arrays, sublist[: len(arrays)], strict=True):
                args += [a, list(sub)]
            args += [list(s) for s in sublist[len(arrays) :]]
            eq, _ = _sublist_equation(tuple(args))
            return Sample(tuple(arrays), {"equation": eq}, name=f"sublist{sublist}")
        return Sample(tuple(arrays), {"equation": equation}, name=f"{equation}{shapes}")

    return make


def _einsum_samples(rng: np.random.Generator, dtype: Any) -> list:
    cases = [
        _einsum_case("ij,jk->ik", (2, 3), (3, 4)),
        _einsum_case("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
        _einsum_case("i,i->", (3,), (3,)),
        _einsum_case("i,j->ij", (3,), (2,)),
        _einsum_case("ijk->kij", (2, 3, 4)),
        _einsum_case("ij->", (2, 3)),
        _einsum_case("ij,jk", (2, 3), (3, 4)),
        _einsum_case("...ij,...jk->...ik", (2, 2, 3), (3, 4)),
        _einsum_case("ij,jk->ik", (2, 1), (3, 4)),
        _einsum_case("ij,ij,ij->i", (2, 3), (2, 3), (2, 3)),
        _einsum_case("ii->i", (3, 3)),
        _einsum_case("ii", (3, 3)),
        _einsum_case("ii,i->i", (3, 3), (3,)),
        _einsum_case("bii->b", (2, 3, 3)),
        _einsum_case("ij,k->i", (2, 3), (4,)),
        _einsum_case(None, (2, 3), (3, 4), sublist=((0, 1), (1, 2), (0, 2))),
    ]
    return [c(rng, dtype) for c in cases]


def _einsum_ref(*arrays: Any, equation: str) -> np.ndarray:
    return np.einsum(equation, *arrays)


def _einsum_prepare(tensors: list, params: dict) -> dict:
    """The equation in canonical form (explicit ``->``, broadcast dims spelled out)."""
    shapes = tuple(tuple(t._data.shape) for t in tensors)
    return {"equation": _canonical(params["equation"], shapes)}


def _others(i: int, n: int) -> list:
    """Operand i's rule reads every other operand (its own only by shape), as PyTorch saves."""
    return [j for j in range(n) if j != i]


def_op(
    "einsum",
    forward=_einsum_fwd,
    vjp=_einsum_rule,  # a factory: rule i for operand i (a variadic record)
    jvp=_einsum_jvp,
    variadic=True,
    prepare=_einsum_prepare,
    inputs=("operands",),
    params=(("equation", None),),
    save="inputs",
    save_for=_others,
    method=False,
    export=False,
    samples=_einsum_samples,
    ref=_einsum_ref,
    torch=lambda *ts, equation: __import__("torch").einsum(equation, *ts),
    complex=True,
    doc="Einstein summation over any number of operands; see ndgrad.einsum.",
)
_EINSUM = TABLE["einsum"]


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` -> ``("Ab,bc->ac"-like, (op0, op1))``."""

    def letters(sub: Any) -> str:
        out = ""
        for n in sub:
            if n is Ellipsis:
                out += "..."
            elif isinstance(n, int) and 0 <= n < 52:
                out += _LABELS[n]
            else:
                raise _fail(
                    "einsum(): subscript in subscript list is not within the valid range [0, 52)",
                    "subscripts are ints in [0, 52) or Ellipsis",
                    ValueError,
                )
        return out

    ops = args[0::2]
    subs = args[1::2]
    out = None
    if len(args) % 2:  # a trailing output list
        ops, out = ops[:-1], args[-1]
    equation = ",".join(letters(s) for s in subs)
    if out is not None:
        equation += "->" + letters(out)
    return equation, tuple(ops)


def einsum(*args: Any) -> Tensor:
    """Einstein summation: ``einsum(equation, *operands)``, as ``torch.einsum``.

    Subscripts are letters; ``...`` stands for broadcast dimensions; a subscript repeated in an
    operand takes a diagonal; without ``->`` the output is the ellipsis, then the subscripts seen
    once in alphabetical order. Sizes of a subscript broadcast (equal or 1). Operands may also be
    given as one list, or in the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Multilinear in the operands: the vjp for operand i contracts ``g`` with the other operands
    (broadcast along subscripts only operand i has, and put on the diagonal for repeated ones).

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ndgrad.einsum("ij,j->i", a, ndgrad.tensor([1.0, 1.0]))
        tensor([3., 7.])
        >>> ndgrad.einsum("ii", a)
        tensor(5.)
    """
    msg = (
        "einsum(): must specify the equation string and at least one operand, or at least "
        "one operand and its subscripts list"
    )
    if not args:
        raise ValueError(msg)
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise ValueError(msg)
    ops = []
    for k, o in enumerate(operands):
        if o is None or isinstance(o, (*_PY_SCALARS, str)):
            raise _fail(
                f"expected Tensor as element {k} in argument 1, but got {type(o).__name__}",
                "wrap numbers in ndgrad.tensor(...)",
                TypeError,
            )
        ops.append(to_tensor(o))
    canon = _canonical(equation, tuple(tuple(t._data.shape) for t in ops))
    first = _dname(ops[0]._data)
    for t in ops[1:]:
        other = _dname(t._data)
        if other != first:
            raise _fail(
                f"expected scalar type {_SCALAR_NAME[first]} but found {_SCALAR_NAME[other]}",
                _same_dtype_hint(first, other),
            )
    del canon  # checked here, for einsum's own errors; the record's prepare canonicalises
    return _EINSUM.fn(*ops, equation=equation)


def _einsum_embed_fwd(xp: Any, x: Any, *, equation: str) -> Any:
    src, dst = equation.split("->")
    free = iter(c for c in _LABELS if c not in equation)
    labels, eyes, seen = "", [], set()
    for c in dst:  # each repeat of a subscript gets a fresh one, tied to it by an identity matrix
        if c in seen:
            f = next(free)
            n = x.shape[src.index(c)]
            eyes.append((c + f, xp.eye(n, dtype=x.dtype, device=x.device)))
            labels += f
        else:
            seen.add(c)
            labels += c
    spec = ",".join([src] + [s for s, _ in eyes]) + "->" + labels
    return _backend.extra(xp, "einsum")(spec, x, *[e for _, e in eyes])


def _einsum_embed_ref(x: np.ndarray, equation: str) -> np.ndarray:
    src, dst = equation.split("->")
    n = dict(zip(src, x.shape, strict=True))
    out = np.zeros(tuple(n[c] for c in dst), dtype=x.dtype)
    np.einsum(f"{dst}->{src}", out)[...] = x  # NumPy's diagonal view is writeable
    return out


def _einsum_embed_torch(x: Any, equation: str) -> Any:
    import torch

    src, dst = equation.split("->")
    n = dict(zip(src, x.shape, strict=True))
    out = torch.zeros(tuple(n[c] for c in dst), dtype=x.dtype)
    torch.einsum(f"{dst}->{src}", out).copy_(x)  # torch's einsum returns the diagonal view here
    return out


_einsum_embed = def_op(
    "_einsum_embed",
    forward=_einsum_embed_fwd,
    vjp=lambda g, ans, x, *, equation: einsum("->".join(equation.split("->")[::-1]), g),
    jvp="linear",
    params=(("equation", None),),
    save=None,
    method=False,
    export=False,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt),), {"equation": "i->ii"}),
        Sample((rand(rng, (3, 2), dt),), {"equation": "ij->iji"}),
        Sample((rand(rng, (2, 3), dt),), {"equation": "ij->jiij"}),
    ],
    ref=_einsum_embed_ref,
    torch=_einsum_embed_torch,
    complex=True,
    doc="Place an array on diagonals: ``'ij->iji'`` gives out[i, j, k] = x[i, j] if k == i else "
    "0 (the transpose of einsum's diagonal, ``'iji->ij'``, which is its vjp).",
)

EXPORTS["einsum"] = einsum

__all__ = ["einsum"]
