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
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "namespace",
    "is_array",
    "extra",
    "scipy_fn",
    "backend_name",
    "to_numpy",
    "asarray",
    "CudaNotAvailableError",
    "silence_floating_point_warnings",
    "Backend",
    "backend",
]

# Note [Floating-point warnings]
# PyTorch returns nan/inf silently for sqrt(-1), log(0), x / 0, exp(1000); NumPy warns
# ("invalid value encountered in sqrt") and attributes the warning to the Python frame that called
# the ufunc, which is one of ndgrad's own. So one filter, installed at import, silences exactly the
# RuntimeWarnings raised from ndgrad's modules, in forward and backward alike, at no cost per op
# (``np.errstate`` around each op costs about as much as a small op). A user's own
# ``np.sqrt(-1)`` still warns, and ``python -W error`` does not undo the filter (it is installed
# later, in front). Two limits, both of Python's warnings machinery: a filter installed after
# ndgrad's import (``warnings.simplefilter("error")``) takes precedence, and
# ``warnings.catch_warnings()`` blocks restore the filters they found, so an ndgrad imported inside
# one (pytest collects test modules inside one, and runs each test in a fresh copy) loses the
# filter when the block ends; call ``silence_floating_point_warnings()`` again there, or add
# ``ignore::RuntimeWarning:ndgrad`` to pytest's ``filterwarnings``.
_FP_MODULES = r"ndgrad(\.|$)"


def silence_floating_point_warnings() -> None:
    """Put the filter that silences NumPy's RuntimeWarnings raised inside ndgrad first in line.

    Idempotent (Python replaces an identical filter). See Note [Floating-point warnings].
    """
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=_FP_MODULES)


silence_floating_point_warnings()


class CudaNotAvailableError(AssertionError, RuntimeError):
    """Raised when a CUDA device is asked for and ndgrad has no GPU backend.

    An ``AssertionError``, as PyTorch's "Torch not compiled with CUDA enabled", and a
    ``RuntimeError`` for code written against earlier versions of ndgrad.
    """


def cuda_not_available() -> CudaNotAvailableError:
    """The error for ``x.cuda()``, ``x.to("cuda")``, ``zeros(2, device="cuda")`` without a GPU."""
    return CudaNotAvailableError(
        "Torch not compiled with CUDA enabled: ndgrad was not built with a CUDA backend here "
        "(CuPy is not installed or sees no GPU); hint: install CuPy on a machine with a GPU "
        "(pip install cupy-cuda12x), or use device='cpu'"
    )


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


def _erf_math(x: np.ndarray) -> np.ndarray:
    """``erf`` elementwise through ``math.erf``: always an array of ``x``'s dtype, 0-d included.

    (``frompyfunc`` gives a bare Python float for a 0-d input, hence the ``asarray``.)
    """
    return np.asarray(_erf_vec(x), dtype=object).astype(x.dtype, copy=False)


_ERF: list = []  # the erf in use, found on the first call: SciPy's ufunc, else _erf_math


def _np_erf(x: np.ndarray) -> np.ndarray:
    if not _ERF:
        try:
            from scipy.special import erf  # a faster ufunc, when SciPy happens to be installed
        except ImportError:  # SciPy is optional: never a dependency of ndgrad
            erf = None
        _ERF.append(erf)
    erf = _ERF[0]
    if erf is None:
        return _erf_math(x)
    return np.asarray(erf(x), dtype=x.dtype)  # SciPy gives a NumPy scalar for a 0-d input


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


def scipy_fn(xp: Any, module: str, name: str, op: str) -> Callable[..., Any]:
    """``scipy.<module>.<name>`` for ``xp``: ``scipy_fn(xp, "special", "gammaln", "lgamma")``.

    SciPy is optional (``pip install 'ndgrad[scipy]'``): the special functions NumPy lacks and
    a few decompositions come from it. CuPy uses ``cupyx.scipy``; array-api-strict goes through
    NumPy on the host; other backends raise naming the op. Without SciPy, the op raises
    ``ModuleNotFoundError`` naming itself and the install command.
    """
    bname = backend_name(xp)
    if bname.startswith("cupy"):
        import importlib

        return getattr(importlib.import_module(f"cupyx.scipy.{module}"), name)
    try:
        import importlib

        fn = getattr(importlib.import_module(f"scipy.{module}"), name)
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            f"{op} needs SciPy (scipy.{module}.{name}), which is not installed; "
            "hint: pip install 'ndgrad[scipy]' (or pip install scipy)"
        ) from e
    if xp is np:
        return fn
    if bname in ("array_api_strict",):

        def host(*args: Any, **kw: Any) -> Any:
            dev = next((a.device for a in args if hasattr(a, "device")), None)
            out = np.asarray(fn(*[to_numpy(a) if is_array(a) else a for a in args], **kw))
            return xp.asarray(out, device=dev) if dev is not None else xp.asarray(out)

        return host
    raise NotImplementedError(
        f"op '{op}' is not available on the {bname} backend (it needs scipy.{module}.{name}); "
        "hint: move the data to NumPy with .numpy()"
    )


# --------------------------------------------------------------------------------------------
# What a backend can do: the NumPy special cases behind one object.


class Backend:
    """The capabilities of one array namespace, so that ops never test ``xp is np`` themselves.

    ``astype(a, dtype)`` (an ndgrad dtype, or a backend or NumPy dtype), ``copy(a)``,
    ``scatter_add(out, key, values)`` (in place, repeats add up), ``to_host(a)`` (a NumPy array),
    ``inplace`` (arrays can be written in place), ``device(a)`` and ``is_numpy`` (NumPy itself,
    for speed-only shortcuts that fall back to the array-API path elsewhere).
    """

    __slots__ = ("xp", "name", "is_numpy", "inplace")

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.name = backend_name(xp)
        self.is_numpy = xp is np
        self.inplace = not self.name.startswith(("dask", "jax"))

    def astype(self, a: Any, dtype: Any) -> Any:
        name = getattr(dtype, "name", None)
        npd = getattr(dtype, "np", None)  # an ndgrad dtype
        if self.is_numpy:
            return a.astype(npd if npd is not None else dtype)
        if npd is not None or isinstance(dtype, np.dtype):
            dtype = getattr(self.xp, name if name != "bool_" else "bool")
        return self.xp.astype(a, dtype)

    def copy(self, a: Any) -> Any:
        return a.copy() if self.is_numpy else self.xp.asarray(a, copy=True)

    def scatter_add(self, out: Any, key: Any, values: Any) -> Any:
        """``out[key] += values`` with repeated indices adding up; returns ``out``."""
        if self.is_numpy:
            np.add.at(out, key, values)
            return out
        if self.name.startswith("cupy"):
            import cupyx  # type: ignore[import-not-found]

            cupyx.scatter_add(out, key, values)
            return out
        host = to_numpy(out).copy()
        np.add.at(host, tuple(to_numpy(k) if is_array(k) else k for k in key)
                  if isinstance(key, tuple) else key, to_numpy(values))  # fmt: skip
        dev = getattr(out, "device", None)
        return self.xp.asarray(host, device=dev) if dev is not None else self.xp.asarray(host)

    def to_host(self, a: Any) -> np.ndarray:
        return to_numpy(a)

    def device(self, a: Any) -> Any:
        return getattr(a, "device", "cpu")

    def __repr__(self) -> str:
        return f"<ndgrad backend {self.name}>"


_BACKENDS: dict[int, Backend] = {}


def backend(xp: Any) -> Backend:
    """The ``Backend`` of namespace ``xp`` (one object per namespace)."""
    b = _BACKENDS.get(id(xp))
    if b is None or b.xp is not xp:
        b = _BACKENDS[id(xp)] = Backend(xp)
    return b
