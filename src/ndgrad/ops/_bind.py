"""Bind what ``_core`` needs from the op layer (See ``OpsInterface`` in ``_core/node.py``).

The engine sums broadcast gradients back, casts them and adds buffers with differentiable ops,
so that ``create_graph=True`` records those steps too; it reaches them only through ``OPS``.
"""

from __future__ import annotations

from typing import Any

from .._core import dtypes as _dt
from .._core.node import OPS
from .._core.tensor import Tensor
from . import elementwise, join, reduction, shape
from .registry import to_tensor


def sum_to(r: Tensor, shape_: tuple) -> Tensor:
    """Sum ``r`` over the dimensions broadcasting added, back to ``shape_``."""
    rshape = r._data.shape
    lead = len(rshape) - len(shape_)
    kept = [lead + i for i, s in enumerate(shape_) if s == 1 and rshape[lead + i] != 1]
    if kept:
        r = reduction.sum(r, dim=tuple(kept), keepdim=True)
    if lead:  # the leading dimensions go without a reshape (a reshape would be a view)
        r = reduction.sum(r, dim=tuple(range(lead)))
    if r._data.shape != shape_:
        r = shape.reshape(r, shape_)
    return r


def cast(r: Tensor, dt: Any) -> Tensor:
    """``r`` cast to ``dt`` (an ndgrad dtype or a backend dtype), recorded."""
    d = dt if isinstance(dt, _dt.dtype) else _dt.from_np_dtype(dt)
    if d is r.dtype:
        return r
    return elementwise.to_dtype(r, dtype=d)


def zeros_like(t: Tensor) -> Tensor:
    from .._core.factories import zeros_like as _zl

    return _zl(t)


OPS.bind(
    sum_to=sum_to,
    cast=cast,
    add=elementwise.add,
    to_tensor=to_tensor,
    stack=join.stack,
    zeros_like=zeros_like,
    reshape=shape.reshape,
)


def _give_out_keyword() -> None:
    """Every public op takes ``out=`` as PyTorch's do: hand-written public functions (those
    not made by ``def_op``, e.g. ``matmul``, ``cat``) get it here, once, through ``write_out``."""
    import functools
    import inspect

    from .registry import EXPORTS, TABLE, write_out

    made = {op.fn for op in TABLE.values()}
    for name, fn in list(EXPORTS.items()):
        if fn in made or not callable(fn):
            continue
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        if "out" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
            continue
        op = TABLE.get(name) or _Named(name)

        def with_out(*args: Any, __fn: Any = fn, __op: Any = op, **kwargs: Any) -> Any:
            if "out" in kwargs:
                return write_out(__op, __fn, args, kwargs)
            return __fn(*args, **kwargs)

        functools.update_wrapper(with_out, fn)
        EXPORTS[name] = with_out


class _Named:
    """Stands for an op record in ``write_out``'s messages (only its name is read)."""

    def __init__(self, name: str) -> None:
        self.name = name


_give_out_keyword()


def _saved_attribute_names() -> None:
    """``grad_fn._saved_self``, ``_saved_other``, ``_saved_dim``...: one per name in the table."""
    from .._core.node import add_saved_attributes
    from .registry import TABLE

    names = {"self", "result"}
    for op in TABLE.values():
        names.update("self" if n == "input" else n for n in op.inputs)
        names.update(p for p, _ in op.params if not p.startswith("_"))
    add_saved_attributes(sorted(names))


_saved_attribute_names()


# PyTorch's top-level in-place functions (``torch.sin_(x)`` is ``x.sin_()``): each one whose
# Tensor method exists. Listed here, not derived, because PyTorch exposes only these.
_TORCH_INPLACE = [
    "abs_",
    "acos_",
    "acosh_",
    "addmv_",
    "arccos_",
    "arccosh_",
    "arcsin_",
    "arcsinh_",
    "arctan_",
    "arctanh_",
    "asin_",
    "asinh_",
    "atan_",
    "atanh_",
    "ceil_",
    "celu_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "conj_physical_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "detach_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fill_",
    "fix_",
    "floor_",
    "frac_",
    "gcd_",
    "i0_",
    "index_put_",
    "lcm_",
    "ldexp_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "logit_",
    "nan_to_num_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "rrelu_",
    "rsqrt_",
    "selu_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "threshold_",
    "trunc_",
    "xlogy_",
    "zero_",
]


def _torch_inplace_functions() -> None:
    from .._core.tensor import Tensor
    from .registry import EXPORTS

    for name in _TORCH_INPLACE:
        method = getattr(Tensor, name, None)
        if method is not None and name not in EXPORTS:
            EXPORTS[name] = method


_torch_inplace_functions()
