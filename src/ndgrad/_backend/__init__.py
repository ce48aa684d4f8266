"""The only place that knows which array library holds the data.

``namespace(*arrays)`` returns the array-API namespace ``xp`` of the arrays: NumPy itself for NumPy
arrays (NumPy >= 2 implements the standard in its main namespace, and it is the fast path), and
``array_api_compat.array_namespace`` for anything else (CuPy, Dask, array-api-strict, ...).

Functions the array API lacks (``erf``, ``einsum``) live here too, as ``extra(xp, name)``: a native
implementation where the backend has one, otherwise a host round trip through NumPy for CPU
backends, otherwise a clear error naming the op and the backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["namespace", "is_array", "extra", "backend_name", "to_numpy", "asarray"]

_NS: dict[type, Any] = {np.ndarray: np}


def namespace(*arrays: Any) -> Any:
    """Return the array namespace ``xp`` shared by ``arrays`` (Python scalars are ignored)."""
    for a in arrays:
        t = type(a)
        xp = _NS.get(t)
        if xp is not None:
            return xp
        if t in (int, float, bool, complex) or a is None:
            continue
        if isinstance(a, np.generic):
            return np
        import array_api_compat

        xp = array_api_compat.array_namespace(a)
        if xp.__name__ == "array_api_compat.numpy":
            xp = np
        _NS[t] = xp
        return xp
    return np


def is_array(a: Any) -> bool:
    """True for an array of any supported backend (not for Python scalars)."""
    if type(a) in _NS or isinstance(a, np.ndarray):
        return True
    if isinstance(a, (int, float, bool, complex, str, list, tuple)) or a is None:
        return False
    try:
        import array_api_compat

        return array_api_compat.is_array_api_obj(a)
    except ImportError:  # pragma: no cover - array-api-compat is a dependency
        return False


def backend_name(xp: Any) -> str:
    """A short, human name for a namespace: ``numpy``, ``cupy``, ``array_api_strict``..."""
    name = getattr(xp, "__name__", repr(xp))
    return name.replace("array_api_compat.", "")


def to_numpy(a: Any) -> np.ndarray:
    """Copy (or view) any backend array as a NumPy array on the host."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get"):  # CuPy
        return a.get()
    if hasattr(a, "compute"):  # Dask
        return np.asarray(a.compute())
    try:
        return np.from_dlpack(a)
    except Exception:
        return np.asarray(a)


def asarray(xp: Any, a: Any) -> Any:
    """Bring a NumPy array (or scalar) into namespace ``xp``."""
    if xp is np:
        return np.asarray(a)
    return xp.asarray(a)


# --------------------------------------------------------------------------------------------
# Functions outside the array API standard.

_erf_vec = np.frompyfunc(math.erf, 1, 1)


def _np_erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf  # a faster ufunc, when SciPy happens to be installed

        return erf(x)
    except ImportError:
        return _erf_vec(x).astype(x.dtype, copy=False)


_NUMPY_EXTRAS: dict[str, Callable[..., Any]] = {"erf": _np_erf, "einsum": np.einsum}


def extra(xp: Any, name: str) -> Callable[..., Any]:
    """Return backend function ``name`` that the array API does not define.

    Order: NumPy's own; the backend's attribute or its ``scipy.special`` twin (CuPy); a host round
    trip through NumPy for CPU backends (array-api-strict); else ``NotImplementedError``.
    """
    if xp is np:
        return _NUMPY_EXTRAS[name]
    fn = getattr(xp, name, None)
    if fn is not None:
        return fn
    bname = backend_name(xp)
    if bname.startswith("cupy"):
        import cupyx.scipy.special as sp  # type: ignore[import-not-found]

        fn = getattr(sp, name, None)
        if fn is not None:
            return fn
    if bname in ("array_api_strict",):

        def host(*args: Any, **kw: Any) -> Any:
            dev = next((a.device for a in args if hasattr(a, "device")), None)
            out = _NUMPY_EXTRAS[name](*[to_numpy(a) if is_array(a) else a for a in args], **kw)
            return xp.asarray(np.asarray(out), device=dev) if dev is not None else xp.asarray(out)

        return host
    raise NotImplementedError(
        f"op '{name}' is not available on the {bname} backend; "
        "hint: move the data to NumPy with .numpy() or compose the op from array-API functions"
    )
