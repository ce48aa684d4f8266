"""Cumulative ops: cumprod, cummax, cummin, logcumsumexp; and mode; trapezoid, trapz and
cumulative_trapezoid (composites of narrow, sum and cumsum).

cumsum is in norms.py. cummax, cummin and mode select elements of the input: their gradients
go to the returned indices (See Note [Gradients of selections] in sorting.py).

# Note [cumprod at zeros]
With no zero in the input, d cumprod / d x is ``rcumsum(g * ans) / x`` (``rcumsum``: the sums
from each position to the end). A zero makes that 0/0. Per slice, with ``P_i = prod_{k<i} x_k``
(the exclusive cumprod) and ``S_i = sum_{j>=i} g_j prod_{i<k<=j} x_k``, the gradient is exactly
``P_i * S_i``, also at zeros, and ``S`` follows the reverse recurrence
``S_{n-1} = g_{n-1}``, ``S_i = g_i + x_{i+1} S_{i+1}`` (no division). It is written in ndgrad ops
(unbind, stack, cumprod), so its own derivative is exact too (second order at zeros matches
PyTorch). It costs one small op per position along ``dim``, so it runs only when the input has a
zero (a branch on the data, as PyTorch's ``cumprod_backward``). The jvp is the forward twin:
``T_0 = t_0``, ``T_j = T_{j-1} x_j + ans_{j-1} t_j``.

# Note [Stable logcumsumexp gradients]
``out_j = log sum_{i<=j} exp(x_i)``; d out_j / d x_i = exp(x_i - out_j) for i <= j. The vjp
``sum_{j>=i} g_j exp(x_i - out_j)`` is computed in log space, the positive and negative parts
of ``g`` apart: ``exp(x_i + rlogcumsumexp(log g+ - out)_i) - exp(x_i + rlogcumsumexp(log g- -
out)_i)``, so no intermediate overflows. Where a part is empty its log is a large finite
negative number rather than -inf (its exponential is exactly 0), which keeps the second
derivative free of ``-inf - -inf``. At ``x_i = -inf`` with every earlier element -inf too, the
gradient is NaN, as PyTorch's. Complex x (a complex g has no sign to split on) takes PyTorch's
complex form: ``conj(exp(x + rlogcumsumexp(log(conj g) - out)))``, which is
``sum_{j>=i} g_j conj(exp(x_i - out_j))`` (See Note [Complex gradients] in elementwise.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor, make
from .elementwise import _cj
from .norms import _rcumsum
from .reduction import _accumulate_dtype, _dtype, _has_zero, _one_dim, _require_dim, _tname
from .registry import EXPORTS, Sample, attach_method, def_composite, def_op
from .samples import distinct, rand
from .sorting import _keep_jvp, _keep_vjp, _out, _select_jvp, _select_vjp, _wrap

__all__ = [
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "mode",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
]


def _E(name: str) -> Any:  # noqa: N802 - an op of the table, looked up when called
    return EXPORTS[name]


def _const(like: Tensor, shape: tuple, value: float) -> Tensor:
    """A constant tensor of ``shape`` filled with ``value``, on ``like``'s backend and dtype."""
    xp = _backend.namespace(like._data)
    return make(xp.full(tuple(shape), value, dtype=like._data.dtype))


def _refuse(x: Any, kernel: str, complex_ok: bool, int_ok: bool) -> None:
    """PyTorch's error for a dtype its kernel lacks."""
    d = _dtype(x)
    if (d.is_complex and not complex_ok) or (not d.is_complex and not d.is_floating_point
                                             and not int_ok):  # fmt: skip
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(x)}'")


def _on_host(xp: Any, fn: Any, *arrays: Any) -> Any:
    """``fn`` on NumPy copies of ``arrays``, results back in namespace ``xp`` (the array API
    has no running max/min/logaddexp scans)."""
    if xp is np:
        return fn(*arrays)
    res = fn(*(np.asarray(_backend.to_numpy(a)) for a in arrays))
    if isinstance(res, tuple):
        return tuple(_backend.asarray(xp, np.asarray(r)) for r in res)
    return _backend.asarray(xp, np.asarray(res))


# --------------------------------------------------------------------------------------------
# cumprod. See Note [cumprod at zeros].


def _cumprod_fwd(xp: Any, x: Any, *, dim: Any = None, dtype: Any = None) -> Any:
    _require_dim(dim, "cumprod")
    d = _one_dim(dim, x.ndim, "cumprod")
    x = _accumulate_dtype(xp, x, dtype)
    if d is None:
        return xp.asarray(x, copy=True)
    if xp is np:
        return np.cumprod(x, axis=d)
    return xp.cumulative_prod(x, axis=d)


def _cumprod_vjp(g: Tensor, ans: Tensor, x: Tensor, *, dim: Any = None, dtype: Any = None):
    if x.ndim == 0 or x.shape[dim % x.ndim] <= 1:
        return g
    d = dim % x.ndim
    if not _has_zero(x):  # complex: conj of the partials (See Note [Complex gradients])
        return _rcumsum(g * _cj(ans), dim=d) / _cj(x)
    n = x.shape[d]
    xs, gs = _cj(x).unbind(d), g.unbind(d)
    s = gs[n - 1]
    parts = [s]
    for i in range(n - 2, -1, -1):
        s = gs[i] + xs[i + 1] * s
        parts.append(s)
    big_s = _E("stack")(parts[::-1], d)
    head = x.narrow(d, 0, n - 1)
    ones = _const(x, (*x.shape[:d], 1, *x.shape[d + 1 :]), 1.0)
    lead = _E("cat")([ones, cumprod(head, d)], d)  # prod_{k<i} x_k
    return _cj(lead) * big_s


def _cumprod_jvp(tangents: tuple, ans: Tensor, x: Tensor, *, dim: Any = None, dtype: Any = None):
    t = tangents[0]
    if x.ndim == 0 or x.shape[dim % x.ndim] <= 1:
        return t
    d = dim % x.ndim
    if not _has_zero(x):
        return _E("cumsum")(t / x, d) * ans
    n = x.shape[d]
    xs, ts, outs = x.unbind(d), t.unbind(d), ans.unbind(d)
    acc = ts[0]
    parts = [acc]
    for j in range(1, n):
        acc = acc * xs[j] + outs[j - 1] * ts[j]
        parts.append(acc)
    return _E("stack")(parts, d)


def _with_zeros(rng: np.random.Generator, shape: tuple, dt: Any, where: tuple) -> np.ndarray:
    sign = np.where(rng.random(shape) < 0.5, -1, 1).astype(dt)
    a = np.asarray(rand(rng, shape, dt, 0.5, 1.5) * sign)
    for idx in where:
        a[idx] = 0.0
    return a


def _cumprod_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((_with_zeros(rng, (4,), dt, ()),), {"dim": 0}),
        Sample((_with_zeros(rng, (2, 3, 2), dt, ()),), {"dim": -2}),
        Sample((_with_zeros(rng, (2, 4), dt, ((0, 1),)),), {"dim": 1}, name="one zero"),
        Sample((_with_zeros(rng, (5,), dt, ((1,), (3,))),), {"dim": 0}, name="two zeros"),
        Sample((_with_zeros(rng, (3, 2), dt, ((2, 0),)),), {"dim": 0}, name="zero last"),
        Sample((_with_zeros(rng, (), dt, ()),), {"dim": 0}),
        Sample((_with_zeros(rng, (0, 3), dt, ()),), {"dim": 0}, name="empty"),
    ]


cumprod = def_op(
    "cumprod",
    forward=_cumprod_fwd,
    vjp=_cumprod_vjp,
    jvp=_cumprod_jvp,
    params=(("dim", None), ("dtype", None)),
    save="both",
    inplace=True,
    complex=True,
    samples=_cumprod_samples,
    ref=lambda x, dim: np.cumprod(x, axis=dim if x.ndim else None).reshape(x.shape),
    doc="Running products along ``dim``; integers and bools accumulate in int64. "
    "d/dx_i = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k, exact at zeros: See Note [cumprod at zeros].",
)


# The record fields of a selection: values (differentiable) and indices (read by the rules).
_SELECTION: dict = {
    "save": (),
    "outputs": ("values", "indices"),
    "diff_outputs": (0,),
    "save_outputs": (1,),
}

# --------------------------------------------------------------------------------------------
# cummax / cummin: (values, indices); a tie or a NaN moves the index to the later element.


def _cumext_np(x: np.ndarray, d: int, largest: bool) -> tuple:
    acc = np.maximum if largest else np.minimum
    v = acc.accumulate(x, axis=d) if x.size else x.copy()
    pos = np.arange(x.shape[d]).reshape([-1 if i == d else 1 for i in range(x.ndim)])
    upd = x == v
    if x.dtype.kind in "fc":
        upd = upd | np.isnan(x)
    idx = np.where(upd, pos, 0)
    idx = np.maximum.accumulate(idx, axis=d) if x.size else idx
    return v, idx.astype(np.int64)


def _def_cumext(name: str, largest: bool) -> Any:
    def fwd(xp: Any, x: Any, *, dim: int) -> tuple:
        _refuse(x, f"{name}_cpu", False, True)
        if x.ndim == 0:
            _wrap(dim, 0, name)
            return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
        d = _wrap(dim, x.ndim, name)
        return _on_host(xp, lambda a: _cumext_np(a, d, largest), x)

    def ref(x: np.ndarray, dim: int) -> tuple:
        if x.ndim == 0:
            return x.copy(), np.zeros((), np.int64)
        return _cumext_np(x, dim % x.ndim, largest)

    def samples(rng: np.random.Generator, dt: Any) -> list:
        return [
            Sample((distinct(rng, (5,), dt),), {"dim": 0}),
            Sample((distinct(rng, (3, 4), dt),), {"dim": 1}),
            Sample((distinct(rng, (2, 3, 2), dt),), {"dim": -3}),
            Sample((distinct(rng, (), dt),), {"dim": 0}),
        ]  # empty inputs: tests/test_arrange.py (PyTorch's gradient of one requires grad)

    return def_op(
        name,
        forward=fwd,
        vjp=_select_vjp,
        jvp=_select_jvp,
        params=(("dim", None),),
        **_SELECTION,
        backward_name=f"{name.capitalize()}Backward0",
        samples=samples,
        ref=ref,
        doc=f"``{name}(x, dim)``: the running {'max' if largest else 'min'}imum along ``dim`` "
        "and the index it came from (a tie or a NaN takes the later index, as PyTorch). The "
        "gradient of each value goes to its index: See Note [Gradients of selections].",
    )


cummax = _def_cumext("cummax", True)
cummin = _def_cumext("cummin", False)


# --------------------------------------------------------------------------------------------
# logcumsumexp. See Note [Stable logcumsumexp gradients].


def _logcumsumexp_fwd(xp: Any, x: Any, *, dim: int) -> Any:
    _refuse(x, "logcumsumexp_out_cpu", True, False)
    if x.ndim == 0:
        _wrap(dim, 0, "logcumsumexp")
        return xp.asarray(x, copy=True)
    d = _wrap(dim, x.ndim, "logcumsumexp")
    if x.shape[d] == 0:
        return xp.asarray(x, copy=True)
    if _dtype(x).is_complex:
        return _on_host(xp, lambda a: _complex_lcse(a, d), x)
    return _on_host(xp, lambda a: np.logaddexp.accumulate(a, axis=d), x)


def _log_add_exp_complex(x: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """PyTorch's complex ``log(e^x + e^acc)``: the one with the larger real part is the max,
    ``max + log1p(exp(min - max))`` (a tie takes ``x`` as the max); two real parts of -inf give
    ``-inf + 0j``, two of +inf ``log(e^x + e^acc)``, a NaN part NaN."""
    swap = x.real < acc.real
    lo, hi = np.where(swap, x, acc), np.where(swap, acc, x)
    with np.errstate(all="ignore"):
        out = np.log1p(np.exp(lo - hi)) + hi
        inf = ~np.isfinite(lo.real) & (lo.real == hi.real)
        if inf.any():
            out = np.where(inf & (lo.real < 0), lo.real + 0j, out)
            out = np.where(inf & (lo.real > 0), np.log(np.exp(x) + np.exp(acc)), out)
    nan = np.isnan(x) | np.isnan(acc)
    return np.where(nan, complex(np.nan, np.nan), out) if nan.any() else out


def _complex_lcse(a: np.ndarray, d: int) -> np.ndarray:
    """logcumsumexp of complex ``a`` along ``d``: PyTorch's scan (one step per position), so
    the imaginary parts (defined up to 2 pi) are PyTorch's."""
    a = np.moveaxis(a, d, 0)
    out = np.empty_like(a)
    acc = np.full(a.shape[1:], complex(-np.inf, 0.0), dtype=a.dtype)
    for i in range(a.shape[0]):
        acc = _log_add_exp_complex(a[i], acc)
        out[i] = acc
    return np.moveaxis(out, 0, d)


_EMPTY_LOG = -1e30  # the log of an empty part: finite, so no -inf - -inf in second order


def _signed_logs(w: Tensor) -> tuple:
    """log(w+) and log(w-) elementwise, ``_EMPTY_LOG`` where that part is 0."""
    where, log = _E("where"), _E("log")
    pos, neg = w > 0, w < 0
    lp = where(pos, log(where(pos, w, 1.0)), _EMPTY_LOG)
    ln = where(neg, log(where(neg, -w, 1.0)), _EMPTY_LOG)
    return lp, ln


def _rlogcumsumexp(y: Tensor, d: int) -> Tensor:
    flip = _E("flip")
    return flip(logcumsumexp(flip(y, (d,)), d), (d,))


def _logcumsumexp_vjp(g: Tensor, ans: Tensor, x: Tensor, *, dim: int) -> Tensor:
    if x.ndim == 0:
        return g
    d = dim % x.ndim
    exp = _E("exp")
    if x.is_complex():  # sum_{j>=i} g_j conj(exp(x_i - out_j)): no sign split needed
        return _cj(exp(x + _rlogcumsumexp(_E("log")(_cj(g)) - ans, d)))
    lp, ln = _signed_logs(g)
    return exp(x + _rlogcumsumexp(lp - ans, d)) - exp(x + _rlogcumsumexp(ln - ans, d))


def _logcumsumexp_jvp(tangents: tuple, ans: Tensor, x: Tensor, *, dim: int) -> Tensor:
    t = tangents[0]
    if x.ndim == 0:
        return t
    d = dim % x.ndim
    exp = _E("exp")
    if x.is_complex() or t.is_complex():  # sum_{i<=j} exp(x_i - out_j) t_i
        return exp(logcumsumexp(_E("log")(t) + x, d) - ans)
    lp, ln = _signed_logs(t)
    return exp(logcumsumexp(lp + x, d) - ans) - exp(logcumsumexp(ln + x, d) - ans)


def _lcse_ref(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0 or x.size == 0:
        return x.copy()
    return np.logaddexp.accumulate(x, axis=dim)


logcumsumexp = def_op(
    "logcumsumexp",
    forward=_logcumsumexp_fwd,
    vjp=_logcumsumexp_vjp,
    jvp=_logcumsumexp_jvp,
    params=(("dim", None),),
    save="both",
    samples=lambda rng, dt: [
        Sample((rand(rng, (5,), dt),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt, -30.0, 30.0),), {"dim": 1}, name="wide range"),
        Sample((rand(rng, (2, 3, 2), dt),), {"dim": -2}),
        Sample((rand(rng, (), dt),), {"dim": 0}),
        Sample((rand(rng, (0, 2), dt),), {"dim": 0}, name="empty"),
    ],
    ref=_lcse_ref,
    complex=True,
    doc="``log(cumsum(exp(x), dim))`` without overflow (-inf entries allowed). "
    "d out_j / d x_i = exp(x_i - out_j) for i <= j: See Note [Stable logcumsumexp gradients].",
)


# --------------------------------------------------------------------------------------------
# mode: the most frequent value of each slice (the smallest of equally frequent ones) and the
# last index where it occurs, as PyTorch.


def _mode_np(x: np.ndarray, d: int, keepdim: bool) -> tuple:
    moved = np.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    vals = np.empty(rows.shape[0], dtype=x.dtype)
    idx = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        u, counts = np.unique(row, return_counts=True)
        v = u[np.argmax(counts)]
        vals[r] = v
        idx[r] = np.flatnonzero(row == v)[-1]
    shape = moved.shape[:-1]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim:
        vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    return vals, idx


def _mode_fwd(xp: Any, x: Any, *, dim: int = -1, keepdim: bool = False) -> tuple:
    _refuse(x, "mode_cpu", False, True)
    if x.ndim == 0:
        _wrap(dim, 0, "mode")
        return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
    d = _wrap(dim, x.ndim, "mode")
    if x.shape[d] == 0:
        raise IndexError(
            f"mode(): Expected reduction dim {d} to have non-zero size.; hint: the tensor has "
            f"shape {tuple(x.shape)}"
        )
    return _on_host(xp, lambda a: _mode_np(a, d, keepdim), x)


_mode = def_op(
    "mode",
    forward=_mode_fwd,
    vjp=_keep_vjp,
    jvp=_keep_jvp,
    params=(("dim", -1), ("keepdim", False)),
    **_SELECTION,
    method=False,
    export=False,
    backward_name="ModeBackward0",
    # distinct values: the mode of each slice is then its smallest value, and finite
    # differences keep it so (repeated values are in tests/test_arrange.py)
    samples=lambda rng, dt: [
        Sample((distinct(rng, (5,), dt),)),
        Sample((distinct(rng, (3, 4), dt),), {"dim": 0, "keepdim": True}),
        Sample((distinct(rng, (2, 3, 2), dt),), {"dim": 1}),
        Sample((distinct(rng, (), dt),), {"dim": 0}),
    ],
    ref=lambda x, dim=-1, keepdim=False: _mode_fwd(np, x, dim=dim, keepdim=keepdim),
    torch=lambda x, dim=-1, keepdim=False: __import__("torch").mode(x, dim, keepdim),
    doc="``mode(x, dim=-1, keepdim=False)``: (values, indices) of the most frequent value "
    "along ``dim`` (the smallest of equally frequent ones; its last index). The gradient goes "
    "to that index.",
)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, out: Any = None) -> Any:
    """The most frequent value along ``dim`` and the last index where it occurs.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([3.0, 1.0, 3.0, 2.0]).mode()
        ndgrad.return_types.mode(
        values=tensor(3.),
        indices=tensor(2))
    """
    return _out(_mode(input, dim=dim, keepdim=keepdim), out, "mode")


EXPORTS["mode"] = mode
attach_method("mode", mode)


# --------------------------------------------------------------------------------------------
# trapezoid / trapz / cumulative_trapezoid: composites.


def _trap_parts(y: Tensor, x: Any, dx: Any, dim: int, who: str) -> tuple:
    """The sums of neighbours along ``dim`` and the widths (a tensor or a number)."""
    if y.ndim == 0:
        raise IndexError(
            "Dimension out of range (expected to be in range of [-1, 0], but got "
            f"{dim}); hint: {who}() needs a tensor with at least one dimension"
        )
    d = _wrap(dim, y.ndim, who)
    n = y.shape[d]
    if n == 0:
        return None, d
    left, right = y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)
    pairs = left + right
    if isinstance(x, Tensor):
        if x.ndim == 1:
            if x.shape[0] != n:
                raise RuntimeError(
                    f"{who}: There must be one `x` value for each sample point; hint: y has "
                    f"{n} along dim {d}, x has {x.shape[0]}"
                )
            w = x[1:] - x[:-1]
            w = w.reshape((n - 1,) + (1,) * (y.ndim - 1 - d))
        else:
            w = x.narrow(d, 1, n - 1) - x.narrow(d, 0, n - 1)
        return pairs * w / 2, d
    step = 1.0 if dx is None and x is None else (x if dx is None else dx)
    return pairs * (step / 2), d


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: ``sum((y[i] + y[i+1]) / 2 * (x[i+1] - x[i]))`` with
    sample points ``x`` (a tensor) or spacing ``dx`` (default 1).

    Example:
        >>> import ndgrad
        >>> ndgrad.trapezoid(ndgrad.tensor([1.0, 2.0, 3.0]))
        tensor(4.)
    """
    if isinstance(x, Tensor) and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments")
    parts, d = _trap_parts(y, x, dx, dim, "trapezoid")
    if parts is None:
        return y.sum(d)
    return parts.sum(d)


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Alias of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along ``dim`` (one element fewer than ``y`` along it)."""
    if isinstance(x, Tensor) and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments")
    parts, d = _trap_parts(y, x, dx, dim, "cumulative_trapezoid")
    if parts is None:
        return y.narrow(d, 0, 0) * 1
    return _E("cumsum")(parts, d)


def _trap_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (5,), dt),)),
        Sample((rand(rng, (3, 4), dt), np.sort(rand(rng, (4,), dt))), name="x 1-d"),
        Sample((rand(rng, (3, 4), dt), rand(rng, (3, 4), dt)), {"dim": 0}, name="x like y"),
        Sample((rand(rng, (2, 3), dt),), {"dx": 0.5, "dim": 0}),
        Sample((rand(rng, (2, 1), dt),), {"dim": 1}, name="one point"),
    ]


def _np_trap(y: np.ndarray, x: Any = None, dx: Any = None, dim: int = -1, cum: bool = False):
    d = dim % y.ndim
    n = y.shape[d]
    s = np.take(y, range(n - 1), d) + np.take(y, range(1, n), d)
    if x is not None and x.ndim == 1:
        w = np.diff(x).reshape((n - 1,) + (1,) * (y.ndim - 1 - d))
    elif x is not None:
        w = np.diff(x, axis=d)
    else:
        w = 1.0 if dx is None else dx
    parts = s * w / 2
    return np.cumsum(parts, d) if cum else parts.sum(d)


for _name, _fn, _cum in (
    ("trapezoid", trapezoid, False),
    ("trapz", trapz, False),
    ("cumulative_trapezoid", cumulative_trapezoid, True),
):
    def_composite(
        _name,
        _fn,
        samples=_trap_samples,
        ref=lambda y, x=None, dx=None, dim=-1, _cum=_cum: _np_trap(y, x, dx, dim, _cum),
        complex=True,
    )
