"""``repr`` of a tensor, in PyTorch's look: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from . import dtypes as _dt

_PRINT = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(
    precision: int | None = None,
    threshold: int | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    sci_mode: bool | None = None,
    profile: str | None = None,
) -> None:
    """As ``torch.set_printoptions``."""
    for k, v in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
        ("sci_mode", sci_mode),
    ):
        if v is not None:
            _PRINT[k] = v


def _format(a: np.ndarray, indent: int) -> str:
    kw: dict[str, Any] = {
        "separator": ", ",
        "prefix": " " * indent,
        "threshold": _PRINT["threshold"],
        "edgeitems": _PRINT["edgeitems"],
        "max_line_width": _PRINT["linewidth"],
    }
    if a.dtype.kind == "f" and a.size:
        finite = a[np.isfinite(a)]
        ints = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        amax = float(np.max(np.abs(finite))) if finite.size else 0.0
        nz = np.abs(finite[finite != 0])
        amin = float(np.min(nz)) if nz.size else 0.0
        sci = _PRINT["sci_mode"]
        if sci is None:
            sci = amax >= 1e8 or (amin > 0 and (amax / amin > 1000.0 or amin < 1e-4)) and not ints
        p = _PRINT["precision"]
        if sci:

            def one(v: Any) -> str:
                return np.format_float_scientific(v, precision=p, unique=False, exp_digits=2)
        elif ints:

            def one(v: Any) -> str:
                return (
                    "nan"
                    if v != v
                    else ("inf" if v > 0 else "-inf")
                    if np.isinf(v)
                    else (f"{v:.0f}." if v != 0 or not np.signbit(v) else "-0.")
                )
        else:

            def one(v: Any) -> str:
                return f"{v:.{p}f}"

        shown = a if a.size <= _PRINT["threshold"] else _edges(a)
        width = max(len(one(v)) for v in shown.ravel()) if shown.size else 0
        kw["formatter"] = {"float_kind": lambda v: one(v).rjust(width)}
    if a.dtype.kind == "b":
        w = 5 if a.size and not a.all() else 4
        kw["formatter"] = {"bool": lambda v: ("True" if v else "False").rjust(w)}
    return np.array2string(a, **kw)


def _edges(a: np.ndarray) -> np.ndarray:
    e = _PRINT["edgeitems"]
    flat = a.ravel()
    return np.concatenate([flat[:e], flat[-e:]])


def tensor_repr(t: Any) -> str:
    a = _backend.to_numpy(t._data)
    body = _format(a, len("tensor("))
    if a.size == 0 and a.ndim == 1:
        body = "[]"
    extras = []
    d = _dt.from_np_dtype(a.dtype)
    default_ok = {_dt.get_default_dtype(), _dt.int64, _dt.bool_}
    if d not in default_ok or a.size == 0 and d is not _dt.get_default_dtype():
        extras.append(f"dtype={d!r}")
    if a.size == 0 and a.ndim > 1:
        extras.insert(0, f"size={tuple(a.shape)}")
    if t.device.type != "cpu":
        extras.insert(0, f"device='{t.device}'")
    if t._node is not None:
        extras.append(f"grad_fn=<{t._node.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
