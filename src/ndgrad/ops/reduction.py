"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std, norm, cumsum
(logsumexp, softmax, log_softmax: nn_ops.py).

``dim`` may be an int, a tuple of ints or None (all dimensions); ``keepdim`` keeps reduced
dimensions with size 1. Rules bring ``g`` back to the input's rank with ``expand_back``.

Most rules here are ``g * d(out)/dx`` with the partial derivative written once (``_*_partial``),
so the jvp is the same partial contracted with the tangent: ``sum(partial * x_t, dim)``.

# Note [Ties in max and min]
PyTorch, followed here:
* ``max(x)``/``min(x)`` (no dim): the gradient is split evenly among the elements equal to the
  result (``evenly_distribute_backward``; a NaN result selects the NaNs);
* ``amax``/``amin``: split evenly among the elements equal to the result too, but a NaN result
  equals nothing, so its whole slice gets a NaN gradient (``g / count * mask`` with count 0);
* ``max(x, dim)``/``min(x, dim)``: the gradient goes only to the returned index (the first
  extremum along ``dim``), like a ``gather`` of the indices;
* ``norm(x, inf)``: like ``amax(abs(x))``, split evenly among ties, times ``sign(x)``.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from ._real import Refusal, kernel, message, real_only
from .registry import EXPORTS, RETURN_TYPES, TABLE, Sample, _make_fn, attach_method, def_op
from .samples import distinct, rand

_inf = math.inf

# --------------------------------------------------------------------------------------------
# Helpers: dims, counts, dtypes.


def norm_dims(dim: Any, ndim: int) -> tuple:
    """``dim`` as a sorted tuple of non-negative axes (None -> all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(ndim))
        dims = dim
    else:
        dims = (dim,)
    out = []
    n = ndim if ndim else 1  # a 0-d tensor accepts dim 0 and -1, as PyTorch
    for d in dims:
        d = int(d)
        if not (-n <= d < n):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _axes(dim: Any, ndim: int) -> tuple | None:
    dims = norm_dims(dim, ndim)  # validates dim, also for 0-d inputs (PyTorch accepts 0 and -1)
    return dims if ndim else None


def _one_dim(dim: Any, ndim: int, op: str) -> int | None:
    """A single ``dim`` (int) as a non-negative axis, or None for a 0-d input."""
    if isinstance(dim, (list, tuple, bool)) or dim is None:
        raise TypeError(
            f"{op}(): argument 'dim' must be int, not {type(dim).__name__}; hint: {op} reduces "
            "one dimension at a time"
        )
    d = norm_dims(int(dim), ndim)[0]
    return d if ndim else None


def _count(shape: tuple, dim: Any) -> int:
    """How many elements each output element reduces over."""
    n = 1
    for d in norm_dims(dim, len(shape)):
        n *= shape[d] if len(shape) else 1
    return n


def expand_back(g: Tensor, x_shape: tuple, dim: Any, keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input (inserting size-1 dims)."""
    if not keepdim and len(x_shape):
        dims = norm_dims(dim, len(x_shape))
        shape = [1 if i in dims else s for i, s in enumerate(x_shape)]
        g = g.reshape(tuple(shape))
    return g


def _cast(xp: Any, a: Any, dtype: Any) -> Any:
    return _backend.backend(xp).astype(a, _dt.to_dtype(dtype))


def _dtype(a: Any) -> _dt.dtype:
    return _dt.from_np_dtype(a.dtype)


def _is_float(a: Any) -> bool:
    d = _dtype(a)
    return d.is_floating_point or d.is_complex


_TORCH_NAMES = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def _tname(a: Any) -> str:
    return _TORCH_NAMES.get(_dtype(a).name, _dtype(a).name)


def _accumulate_dtype(xp: Any, x: Any, dtype: Any) -> Any:
    """sum/prod/cumsum: cast to ``dtype`` if given; bool and integers accumulate in int64."""
    if dtype is not None:
        return _cast(xp, x, dtype)
    d = _dtype(x)
    if not (d.is_floating_point or d.is_complex) and d is not _dt.int64:
        return _cast(xp, x, _dt.int64)
    return x


def _check_nonempty(x: Any, dim: Any, op: str) -> None:
    if len(x.shape) == 0:
        return
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        if math.prod(x.shape) == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return
    for d in norm_dims(dim, x.ndim):
        if x.shape[d] == 0:
            raise IndexError(
                f"{op}(): Expected reduction dim {d} to have non-zero size; hint: the input has "
                f"shape {tuple(x.shape)}"
            )


def _require_dim(dim: Any, op: str) -> None:
    if dim is None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')


# Masks, in ndgrad ops (elementwise.py is imported lazily: it is written alongside this file).


def _eq(a: Any, b: Any) -> Tensor:
    from . import compare as _cmp

    return _cmp.eq(a, b)


def _ties(x: Tensor, v: Tensor) -> Tensor:
    """``x == v``, where a NaN ``v`` selects the NaNs of ``x`` (PyTorch's tie mask)."""
    from . import compare as _cmp

    both_nan = _cmp.logical_and(_cmp.ne(x, x), _cmp.ne(v, v))
    return _cmp.logical_or(_cmp.eq(x, v), both_nan)


def _safe(den: Tensor, zero: Tensor) -> Tensor:
    """``den`` with 1 where ``zero``: keeps 0/0 out of both the value and its derivatives."""
    return _where(zero, 1.0, den)


def _where(c: Any, a: Any, b: Any) -> Tensor:
    from . import elementwise as _ew

    return _ew.where(c, a, b)


def _has_zero(x: Tensor) -> bool:
    # A branch on the data, as PyTorch's prod_backward (it checks (input == 0).nonzero()).
    d = x._data
    return bool(_backend.namespace(d).any(d == 0))


def _contract(partial: Tensor, x_t: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """The jvp of a reduction with elementwise partials: ``sum(partial * x_t, dim)``."""
    return sum(partial * x_t, dim=dim, keepdim=keepdim)


# --------------------------------------------------------------------------------------------
# sum, mean
#
# Note [Overloads and backward names]
# PyTorch names a node after the overload that made it: ``x.sum()`` records SumBackward0, any
# call that passes ``dim`` (even ``dim=None``) SumBackward1; the same for mean and prod. The
# ``dim`` overload is a twin record (``_sum_dim``: the same fields, its own backward name and
# samples), and the public function picks one by whether ``dim`` was passed.


def _dim_overload(fn: Any, backward_name: str, samples: Any) -> Any:
    """Register the ``dim`` twin of ``fn``'s record; return the public function choosing one.

    See Note [Overloads and backward names].
    """
    import dataclasses

    op = TABLE[fn.__name__]
    twin = dataclasses.replace(
        op,
        name=f"_{op.name}_dim",
        backward_name=backward_name,
        samples=samples,
        torch=op.name if op.torch is None else op.torch,  # the twin's PyTorch function: op's
    )
    TABLE[twin.name] = twin
    by_dim = twin.fn = _make_fn(twin)
    by_dim.__name__ = by_dim.__qualname__ = twin.name

    def public(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        if args or "dim" in kwargs:
            return by_dim(input, *args, **kwargs)
        return fn(input, **kwargs)

    public.__name__ = public.__qualname__ = op.name
    public.__doc__ = fn.__doc__
    public.__wrapped__ = fn  # the signature that help() and inspect show
    EXPORTS[op.name] = public
    attach_method(op.name, public)
    return public


def _with_dim(samples: Any) -> Any:
    """The samples of ``samples`` that pass ``dim``."""
    return lambda rng, dtype: [s for s in samples(rng, dtype) if "dim" in s.kwargs]


def _sum_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    axes = _axes(dim, x.ndim)
    if dtype is not None:
        x = _cast(xp, x, dtype)
    return xp.sum(x, axis=axes, keepdims=keepdim)


def _sum_vjp(
    g: Tensor, ans: Any, x: Tensor, *, dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    return expand_back(g, x.shape, dim, keepdim).expand(x.shape)


def _sum_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((rand(rng, (), dtype),)),
        Sample((rand(rng, (2, 3), dtype),)),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": (0, 2), "keepdim": True}),
        Sample((rand(rng, (2, 3), dtype),), {"dim": -1, "keepdim": False}),
    ]


sum = def_op(  # noqa: A001 - PyTorch's name
    "sum",
    forward=_sum_fwd,
    vjp=_sum_vjp,
    jvp="linear",
    params=(("dim", None), ("keepdim", False), ("dtype", None)),
    save=None,
    samples=_sum_samples,
    ref=lambda x, dim=None, keepdim=False: np.sum(x, axis=dim, keepdims=keepdim),
    complex=True,
    doc="Sum over ``dim`` (all by default). d/dx_i = 1: the gradient is ``g`` expanded back.",
)
sum = _dim_overload(sum, "SumBackward1", _with_dim(_sum_samples))  # noqa: A001


def _mean_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    axes = _axes(dim, x.ndim)
    if dtype is not None:
        x = _cast(xp, x, dtype)
    if not _is_float(x):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_tname(x)}; hint: convert first (x.float()) or pass "
            "dtype=ndgrad.float32"
        )
    return xp.mean(x, axis=axes, keepdims=keepdim)


def _mean_vjp(
    g: Tensor, ans: Any, x: Any, *, dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    # d/dx_i mean = 1/n for each of the n reduced elements.
    return expand_back(g, x.shape, dim, keepdim).expand(x.shape) / _count(x.shape, dim)


mean = def_op(
    "mean",
    forward=_mean_fwd,
    vjp=_mean_vjp,
    jvp="linear",
    params=(("dim", None), ("keepdim", False), ("dtype", None)),
    save=None,
    samples=_sum_samples,
    ref=lambda x, dim=None, keepdim=False: np.mean(x, axis=dim, keepdims=keepdim),
    complex=True,
    doc="Mean over ``dim`` (all by default); floating inputs only, as PyTorch. d/dx_i = 1/n.",
)
mean = _dim_overload(mean, "MeanBackward1", _with_dim(_sum_samples))

# --------------------------------------------------------------------------------------------
# prod


def _prod_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    if dim is not None:
        dim = _one_dim(dim, x.ndim, "prod")
    axes = _axes(dim, x.ndim)
    return xp.prod(_accumulate_dtype(xp, x, dtype), axis=axes, keepdims=keepdim)


def _prod_partial(ans: Tensor, x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """d prod / d x_i = the product of the other elements of x_i's slice, also at zeros.

    Without zeros it is ``prod / x_i``. With zeros (PyTorch computes the product of the others
    with exclusive cumprods) we use, per slice with ``z`` zeros, ``p`` = product of the nonzero
    elements and ``s`` = sum of the zero elements (0, but d s/d x_k = 1 at each zero x_k):
    z = 1: ``p`` at the zero, ``p / x_i * s`` elsewhere; z = 2: ``p * (s - x_i)`` at each zero
    (the other zero), 0 elsewhere; z > 2: 0. Values and first derivatives are exact, so second
    order (create_graph) matches PyTorch at zeros too.
    """
    if not _has_zero(x):
        return expand_back(ans, x.shape, dim, keepdim) / x
    zero = _eq(x, 0.0)
    nonzero = _where(zero, 1.0, x)
    p = prod(nonzero, dim, True)
    z = sum(zero.to(x.dtype), dim, True)
    s = sum(_where(zero, x, 0.0), dim, True)
    others = p / nonzero
    one_zero = _where(zero, p, others * s)
    two_zeros = _where(zero, p * (s - x), 0.0)
    many = _where(_eq(z, 1.0), one_zero, _where(_eq(z, 2.0), two_zeros, 0.0))
    return _where(_eq(z, 0.0), others, many)


def _prod_vjp(
    g: Tensor, ans: Tensor, x: Tensor, *, dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    partial = _prod_partial(ans, x, dim, keepdim)
    if partial.dtype.is_complex:  # See Note [Complex gradients] in elementwise.py
        from . import elementwise as _ew

        partial = _ew._conj(partial)
    return expand_back(g, x.shape, dim, keepdim) * partial


def _prod_jvp(
    tangents: tuple,
    ans: Tensor,
    x: Tensor,
    *,
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    return _contract(_prod_partial(ans, x, dim, keepdim), tangents[0], dim, keepdim)


def _signed(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Magnitudes in [0.5, 1.5) with random signs: no zeros, for prod and norm."""
    mag = rng.uniform(0.5, 1.5, shape)
    return np.asarray(np.where(rng.random(shape) < 0.5, -mag, mag)).astype(dtype)


def _prod_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((_signed(rng, (), dtype),)),
        Sample((_signed(rng, (2, 3), dtype),)),
        Sample((_signed(rng, (2, 3, 4), dtype),), {"dim": 1}),
        Sample((_signed(rng, (2, 3), dtype),), {"dim": -1, "keepdim": True}),
        Sample((_signed(rng, (), dtype),), {"dim": 0}),
    ]


prod = def_op(
    "prod",
    forward=_prod_fwd,
    vjp=_prod_vjp,
    jvp=_prod_jvp,
    params=(("dim", None), ("keepdim", False), ("dtype", None)),
    save="both",
    samples=_prod_samples,
    ref=lambda x, dim=None, keepdim=False: np.prod(x, axis=dim, keepdims=keepdim),
    complex=True,
    doc="Product over one ``dim`` (all by default). d/dx_i = product of the others (also when "
    "x_i or another element is 0, as PyTorch).",
)
prod = _dim_overload(prod, "ProdBackward1", _with_dim(_prod_samples))

# --------------------------------------------------------------------------------------------
# max, min, amax, amin, argmax, argmin. See Note [Ties in max and min].

return_types = RETURN_TYPES  # filled by the records with several outputs (ops/sorting.py)


# The one-hot of argmax along dim, as its own (non-differentiable) op: built from the backend's
# argmax in one pass, on any backend, and it always agrees with the indices max(x, dim) returns
# (x == values would select every tie).
# No complex numbers: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: take the extremes of .abs() or .real"


def _no_complex_arg(name: str) -> Refusal:
    return message(RuntimeError, f"{name}(): does not support complex input", _ORDER_HINT)


def _arg_mask_refusal(dtype: str, params: dict) -> Exception:
    return _no_complex_arg("argmax" if params.get("largest", True) else "argmin")(dtype, params)


def _arg_mask_fwd(xp: Any, x: Any, *, dim: int, largest: bool) -> Any:
    """One-hot along ``dim`` of the index argmax/argmin returns (keepdim shape broadcast)."""
    if x.ndim == 0:
        return xp.ones((), dtype=xp.bool)
    d = dim % x.ndim
    idx = (xp.argmax if largest else xp.argmin)(x, axis=d, keepdims=True)
    shape = [1] * x.ndim
    shape[d] = x.shape[d]
    pos = xp.reshape(xp.arange(x.shape[d], dtype=idx.dtype), tuple(shape))
    return pos == idx


def _np_arg_mask(x: np.ndarray, dim: int, largest: bool) -> np.ndarray:
    return np.asarray(_arg_mask_fwd(np, x, dim=dim, largest=largest))


def _torch_arg_mask(x: Any, dim: int, largest: bool) -> Any:
    import torch

    idx = (torch.argmax if largest else torch.argmin)(x, dim, keepdim=True)
    return torch.zeros_like(x, dtype=torch.bool).scatter_(dim, idx, True)


_arg_mask = def_op(
    "_arg_mask",
    forward=real_only(_arg_mask_fwd, _arg_mask_refusal),
    params=(("dim", 0), ("largest", True)),
    save=None,
    differentiable=False,
    method=False,
    export=False,
    samples=lambda rng, dt: [
        Sample((distinct(rng, (2, 3), dt),), {"dim": 1, "largest": True}),
        Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 0, "largest": False}),
    ],
    ref=_np_arg_mask,
    torch=_torch_arg_mask,
    doc="The mask of the index that max(x, dim)/min(x, dim) select (used by their rules).",
)


def _def_extremes(name: str, largest: bool) -> tuple:
    """Declare ``max``/``min`` (all), ``_max_dim``, ``amax``/``amin``, ``argmax``/``argmin``."""
    camel = name.capitalize()

    def red(xp: Any) -> Any:
        return xp.max if largest else xp.min

    def np_red(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        axis = dim if x.ndim else None
        return (np.max if largest else np.min)(x, axis=axis, keepdims=keepdim)

    # ---- max(x): all elements; the gradient split evenly among the ties.
    def all_fwd(xp: Any, x: Any) -> Any:
        _check_nonempty(x, None, name)
        return red(xp)(x)

    def all_vjp(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
        mask = _ties(x, ans)
        return _where(mask, g / sum(mask.to(g.dtype)), 0.0)

    def all_jvp(tangents: tuple, ans: Tensor, x: Tensor) -> Tensor:
        mask = _ties(x, ans)
        return sum(_where(mask, tangents[0], 0.0)) / sum(mask.to(tangents[0].dtype))

    whole = def_op(
        name,
        forward=real_only(all_fwd, kernel(f"{name}_all", _ORDER_HINT)),
        vjp=all_vjp,
        jvp=all_jvp,
        save="both",
        backward_name=f"{camel}Backward1",
        samples=lambda rng, dt: [Sample((distinct(rng, s, dt),)) for s in ((), (4,), (2, 3))],
        ref=np_red,
        doc=f"``{name}(x)``: the {name}imum of all elements; ``{name}(x, dim, keepdim=False)``: "
        f"namedtuple (values, indices); ``{name}(x, other)``: {name}imum(x, other). "
        "See Note [Ties in max and min].",
    )

    # ---- amax(x, dim=()): the gradient split evenly among the ties of each slice.
    def a_fwd(xp: Any, x: Any, *, dim: Any = (), keepdim: bool = False) -> Any:
        axes = _axes(dim, x.ndim)
        _check_nonempty(x, dim, f"a{name}")
        return red(xp)(x, axis=axes, keepdims=keepdim)

    # PyTorch's rule is g / count * mask with mask = (x == result): a NaN result matches no
    # element, so count is 0 and the whole slice gets NaN (unlike max(x), which picks the NaNs).
    # The count is made safe (1 for 0) and the NaN put back with where: no 0/0 warnings.
    def a_mask(ans: Tensor, x: Tensor, dim: Any, keepdim: bool) -> Tensor:
        return _eq(x, expand_back(ans, x.shape, dim, keepdim)).to(x.dtype)

    def a_share(num: Tensor, count: Tensor) -> Tensor:
        none = _eq(count, 0)
        return _where(none, math.nan, num / _safe(count, none))

    def a_vjp(g: Tensor, ans: Tensor, x: Tensor, *, dim: Any = (), keepdim: bool = False) -> Tensor:
        mask = a_mask(ans, x, dim, keepdim)
        return a_share(expand_back(g, x.shape, dim, keepdim), sum(mask, dim, True)) * mask

    def a_jvp(
        tangents: tuple, ans: Tensor, x: Tensor, *, dim: Any = (), keepdim: bool = False
    ) -> Tensor:
        mask = a_mask(ans, x, dim, keepdim)
        return a_share(sum(tangents[0] * mask, dim, keepdim), sum(mask, dim, keepdim))

    amax = def_op(
        f"a{name}",
        forward=real_only(a_fwd, kernel(f"{name}_values_cpu", _ORDER_HINT)),
        vjp=a_vjp,
        jvp=a_jvp,
        params=(("dim", ()), ("keepdim", False)),
        save="both",
        samples=lambda rng, dt: [
            Sample((distinct(rng, (2, 3), dt),)),
            Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 1}),
            Sample((distinct(rng, (2, 3, 4), dt),), {"dim": (0, 2), "keepdim": True}),
            Sample((distinct(rng, (), dt),), {"dim": 0}),
        ],
        ref=lambda x, dim=(), keepdim=False: np_red(x, None if dim == () else dim, keepdim),
        doc=f"The {name}imum over ``dim`` (all by default). The gradient is split evenly among "
        "ties, as PyTorch.",
    )

    # ---- argmax: int64 indices, no gradient.
    def arg_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            if len(x.shape) and math.prod(x.shape) == 0:  # PyTorch: IndexError here (max: Runtime)
                raise IndexError(
                    f"arg{name}(): Expected reduction dim to be specified for input.numel() == 0."
                    f" hint: pass dim=..., or check that the tensor (shape {tuple(x.shape)}) is "
                    "not empty"
                )
            out = (xp.argmax if largest else xp.argmin)(x, axis=None, keepdims=keepdim)
        else:
            d = _one_dim(dim, x.ndim, f"arg{name}")
            _check_nonempty(x, dim, f"arg{name}")
            if d is None:
                return xp.zeros((), dtype=xp.int64)
            out = (xp.argmax if largest else xp.argmin)(x, axis=d, keepdims=keepdim)
        return _cast(xp, out, _dt.int64) if out.dtype != xp.int64 else out

    def arg_ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        f = np.argmax if largest else np.argmin
        return f(x, axis=dim if x.ndim else None, keepdims=keepdim)

    argmax = def_op(
        f"arg{name}",
        forward=real_only(arg_fwd, _no_complex_arg(f"arg{name}")),
        params=(("dim", None), ("keepdim", False)),
        save=None,
        differentiable=False,
        samples=lambda rng, dt: [
            Sample((distinct(rng, (2, 3), dt),)),
            Sample((distinct(rng, (2, 3), dt),), {"keepdim": True}),
            Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 1}),
            Sample((distinct(rng, (2, 3), dt),), {"dim": -1, "keepdim": True}),
            Sample((distinct(rng, (), dt),), {"dim": 0}),
            Sample((rng.integers(-5, 5, (3, 4)),), {"dim": 0}, name="int"),
        ],
        ref=arg_ref,
        doc=f"The int64 index of the first {name}imum (of the flattened input when ``dim`` is "
        "None). No gradient.",
    )

    # ---- the public max(): three signatures, as PyTorch.

    def public(
        input: Any,
        dim: Any = None,
        keepdim: bool = False,
        *,
        other: Any = None,
    ) -> Any:
        if other is not None or isinstance(dim, Tensor) or _backend.is_array(dim):
            from . import elementwise as _ew

            return getattr(_ew, f"{name}imum")(input, dim if other is None else other)
        if dim is None:
            return whole(input)
        return DIM_VARIANTS[name](input, dim, keepdim)  # one op, two outputs: ops/sorting.py

    public.__name__ = public.__qualname__ = name
    public.__doc__ = whole.__doc__
    EXPORTS[name] = public
    attach_method(name, public)
    return public, whole, amax, argmax


DIM_VARIANTS: dict = {}  # "max"/"min" -> the (values, indices) op, declared in sorting.py
max, _max_all, amax, argmax = _def_extremes("max", True)  # noqa: A001
min, _min_all, amin, argmin = _def_extremes("min", False)  # noqa: A001

# --------------------------------------------------------------------------------------------
# var, std


def _var_fwd(
    xp: Any, x: Any, *, dim: Any = None, correction: Any = 1, keepdim: bool = False
) -> Any:
    axes = _axes(dim, x.ndim)
    if not _is_float(x):
        raise RuntimeError(
            "std and var only support floating point and complex dtypes; hint: convert first, "
            "e.g. x.double()"
        )
    m = xp.mean(x, axis=axes, keepdims=True)
    d = x - m
    # complex: |x - mean|^2, a real variance (as PyTorch)
    dd = xp.real(d * xp.conj(d)) if xp.isdtype(d.dtype, "complex floating") else d * d
    s = xp.sum(dd, axis=axes, keepdims=keepdim)
    dof = builtins.max(_count(tuple(x.shape), dim) - correction, 0)
    if dof == 0:  # PyTorch: 0/0 = nan, s/0 = inf (with a warning)
        return s * _inf if xp is np else s / xp.asarray(0.0, dtype=s.dtype)
    return s / dof


def _std_fwd(xp: Any, x: Any, **params: Any) -> Any:
    return xp.sqrt(_var_fwd(xp, x, **params))


def _two_over_dof(x: Tensor, dim: Any, correction: Any) -> float:
    dof = _count(tuple(x.shape), dim) - correction  # not clamped, as PyTorch's var_backward
    return 2.0 / dof if dof else math.copysign(_inf, 2.0)


def _var_partial(x: Tensor, dim: Any, correction: Any) -> Tensor:
    # d var / d x_i = 2 (x_i - mean) / (n - correction)
    return (x - mean(x, dim, True)) * _two_over_dof(x, dim, correction)


def _var_vjp(
    g: Tensor, ans: Any, x: Tensor, *, dim: Any = None, correction: Any = 1, keepdim: bool = False
) -> Tensor:
    return expand_back(g, x.shape, dim, keepdim) * _var_partial(x, dim, correction)


def _var_jvp(
    tangents: tuple,
    ans: Any,
    x: Tensor,
    *,
    dim: Any = None,
    correction: Any = 1,
    keepdim: bool = False,
) -> Tensor:
    p, t = _var_partial(x, dim, correction), tangents[0]
    if p.is_complex():  # the real output moves by Re(conj(partial) t)
        return EXPORTS["real"](_contract(EXPORTS["conj"](p), t, dim, keepdim))
    return _contract(p, t, dim, keepdim)


def _std_scale(t: Tensor, ans: Tensor) -> Tensor:
    # d std = d var / (2 std); PyTorch masks std == 0 to a zero gradient.
    zero = _eq(ans, 0.0)
    return _where(zero, 0.0, t / (2 * _safe(ans, zero)))


def _std_vjp(
    g: Tensor,
    ans: Tensor,
    x: Tensor,
    *,
    dim: Any = None,
    correction: Any = 1,
    keepdim: bool = False,
) -> Tensor:
    gs = _std_scale(g, ans)
    return expand_back(gs, x.shape, dim, keepdim) * _var_partial(x, dim, correction)


def _std_jvp(
    tangents: tuple,
    ans: Tensor,
    x: Tensor,
    *,
    dim: Any = None,
    correction: Any = 1,
    keepdim: bool = False,
) -> Tensor:
    return _std_scale(
        _var_jvp(tangents, None, x, dim=dim, correction=correction, keepdim=keepdim), ans
    )


def _var_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((rand(rng, (4,), dtype),)),
        Sample((rand(rng, (2, 3), dtype),)),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": (0, 2), "keepdim": True}),
        Sample((rand(rng, (2, 3), dtype),), {"dim": -1, "correction": 0}),
        Sample((rand(rng, (3, 4), dtype),), {"dim": 0, "correction": 0.5, "keepdim": True}),
    ]


def _var_ref(x: np.ndarray, dim: Any = None, correction: Any = 1, keepdim: bool = False) -> Any:
    return np.var(x, axis=dim, ddof=correction, keepdims=keepdim)


def _std_ref(x: np.ndarray, dim: Any = None, correction: Any = 1, keepdim: bool = False) -> Any:
    return np.std(x, axis=dim, ddof=correction, keepdims=keepdim)


_VAR_PARAMS = (("dim", None), ("correction", 1), ("keepdim", False))

_var = def_op(
    "var",
    forward=_var_fwd,
    vjp=_var_vjp,
    jvp=_var_jvp,
    params=_VAR_PARAMS,
    save=(0,),
    method=False,
    complex=True,  # real output; d/dx_i = 2 (x_i - mean) / (n - correction) in PyTorch's sense
    samples=_var_samples,
    ref=_var_ref,
    doc="Variance over ``dim`` with ``correction`` (1: Bessel). d/dx_i = 2 (x_i - mean) / "
    "(n - correction).",
)

_std = def_op(
    "std",
    forward=_std_fwd,
    vjp=_std_vjp,
    jvp=_std_jvp,
    params=_VAR_PARAMS,
    save="both",
    method=False,
    complex=True,
    samples=_var_samples,
    ref=_std_ref,
    doc="Standard deviation, sqrt(var). d/dx_i = (x_i - mean) / ((n - correction) std); 0 where "
    "std == 0, as PyTorch.",
)


def _correction(op: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any) -> tuple:
    """PyTorch's three signatures: (dim, *, correction, keepdim), (dim, unbiased, keepdim),
    (unbiased)."""
    if isinstance(dim, bool):  # var(x, True): the legacy ``unbiased`` flag
        if unbiased is not None:
            raise TypeError(f"{op}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(
                f"{op}() received an invalid combination of arguments - got both 'unbiased' and "
                "'correction'; hint: pass only correction= (unbiased=True is correction=1)"
            )
        correction = 1 if unbiased else 0
    return dim, (1 if correction is None else correction), keepdim


def var(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    """Variance over ``dim``: sum((x - mean)^2) / (n - correction); ``unbiased`` is the legacy
    spelling of ``correction`` (True: 1, False: 0).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    dim, corr, keepdim = _correction("var", dim, unbiased, keepdim, correction)
    return _var(input, dim=dim, correction=corr, keepdim=keepdim)


def std(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    """Standard deviation over ``dim``: sqrt(var); same arguments as ``var``.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 3.0]).std(correction=0)
        tensor(1.)
    """
    dim, corr, keepdim = _correction("std", dim, unbiased, keepdim, correction)
    return _std(input, dim=dim, correction=corr, keepdim=keepdim)


for _n, _f in (("var", var), ("std", std)):
    EXPORTS[_n] = _f
    attach_method(_n, _f)

__all__ = sorted(k for k in EXPORTS)
