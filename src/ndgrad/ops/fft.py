"""Discrete Fourier transforms (``ndgrad.fft``).

Every transform is linear (over the reals), so its vjp is its adjoint applied to ``g`` and its
jvp the transform of the tangent. With F the unnormalised DFT over the transformed dims:

* ``fft``/``ifft`` (complex to complex): the adjoint of F is conj(F)^T = n * ifft, i.e. ``ifft``
  with the dual norm (``"backward"`` <-> ``"forward"``, ``"ortho"`` stays), and back.
* ``rfft`` (real to onesided complex): zero-fill g to the full length, ``ifft`` with the dual
  norm, keep the real part (PyTorch's ``fft_r2c_backward``); ``ihfft`` = conj(rfft(x)) scaled.
* ``irfft`` (onesided complex to real): ``rfft(g)`` with the dual norm, with the bins
  1 .. n - (n//2 + 1) doubled: each of them stands for itself and its mirror image
  (PyTorch's ``fft_c2r_backward``); ``hfft(x)`` = irfft(conj(x)) with the dual norm.

``n``/``s`` zero-pad or trim the input first; the adjoint of that is the other way round
(``_fft_fit``). A real input of a complex transform gets the real part of the gradient.

Example:
    >>> import ndgrad
    >>> x = ndgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> y = ndgrad.fft.rfft(x)
    >>> y.dtype
    ndgrad.complex64
    >>> ndgrad.fft.irfft(y, n=4)
    tensor([1., 2., 3., 4.], grad_fn=<FftC2RBackward0>)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor, make
from .complex_ops import view_as_real
from .elementwise import conj, real
from .registry import NAMESPACE_ALIASES, TABLE, Sample, def_composite, def_op
from .samples import rand

__all__: list[str] = []

_NORMS = ("backward", "ortho", "forward")
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


# --------------------------------------------------------------------------------------------
# Arguments: (sizes, dims) from ``n``/``s`` and ``dim``, PyTorch's checks and messages.


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(
            f'Invalid normalization mode: "{norm}"; hint: norm is one of "backward" (the '
            'default), "ortho" or "forward"'
        )
    return norm


def _wrap(dim: int, ndim: int) -> int:
    if ndim == 0:
        raise IndexError(
            f"Dimension specified as {dim} but tensor has no dimensions; hint: a Fourier "
            "transform needs at least one dimension (reshape a scalar with x.reshape(1))"
        )
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
            f"got {dim})"
        )
    return dim % ndim


def _points(n: int) -> int:
    if n < 1:
        raise RuntimeError(
            f"Invalid number of data points ({n}) specified; hint: n (or each entry of s) "
            "must be at least 1"
        )
    return n


def _canon(shape: tuple, s: Any, dim: Any, c2r: bool = False) -> tuple[tuple, tuple]:
    """(sizes, dims) of a transform of an input of ``shape``; ``sizes``: the signal lengths
    along ``dims`` (for ``c2r``: the output lengths, the last one 2 * (m - 1) by default)."""
    ndim = len(shape)
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(s, int):
        s = (s,)
    if dim is None:
        if s is None:
            dims: tuple = tuple(range(ndim))
        else:
            if len(s) > ndim:
                raise RuntimeError(
                    f"Got shape with {len(s)} values but input tensor only has {ndim} "
                    "dimensions.; hint: give at most one size per dimension"
                )
            dims = tuple(range(ndim - len(s), ndim))
    else:
        dims = tuple(_wrap(d, ndim) for d in dim)
        if s is not None and len(s) != len(dims):
            raise RuntimeError(
                "When given, dim and shape arguments must have the same length; hint: give one "
                "size in s for each dimension in dim"
            )
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique; hint: name each dimension once in dim")
    sizes = []
    for k, d in enumerate(dims):
        given = None if s is None or s[k] == -1 else int(s[k])
        if given is None:
            given = 2 * (shape[d] - 1) if c2r and k == len(dims) - 1 else shape[d]
        sizes.append(_points(given))
    return tuple(sizes), dims


def _onesided(sizes: tuple) -> tuple:
    """The input lengths of a c2r transform of output lengths ``sizes``: the last one halved."""
    return (*sizes[:-1], sizes[-1] // 2 + 1)


def _supported(x: Any) -> _dt.dtype:
    d = _dt.from_np_dtype(x.dtype)
    if d.name in ("float16", "bfloat16"):
        raise RuntimeError(
            f"Unsupported dtype {'Half' if d.name == 'float16' else 'BFloat16'}; hint: convert "
            "the input to float32 first (x.float())"
        )
    return d


def _real_input(name: str, x: Any) -> None:
    d = _supported(x)
    if d.is_complex:
        names = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}
        raise RuntimeError(
            f"{name} expects a real input tensor, but got {names.get(d.name, d.name)}; hint: "
            "take x.real, or use the complex transform (fft.fft)"
        )


def _as_complex(xp: Any, x: Any) -> Any:
    d = _supported(x)
    if d.is_complex:
        return x
    return _backend.backend(xp).astype(x, d.to_complex())


# --------------------------------------------------------------------------------------------
# Forward functions: every transform is an n-dimensional one along explicit axes.


def _c2c_fwd(xp: Any, x: Any, *, s: Any, dim: Any, norm: Any, inverse: bool) -> Any:
    sizes, dims = _canon(tuple(x.shape), s, dim)
    f = xp.fft.ifftn if inverse else xp.fft.fftn
    return f(_as_complex(xp, x), s=sizes, axes=dims, norm=_norm(norm))


def _r2c_fwd(xp: Any, x: Any, *, s: Any, dim: Any, norm: Any, name: str, herm: bool) -> Any:
    _real_input(name, x)
    sizes, dims = _canon(tuple(x.shape), s, dim)
    norm = _norm(norm)
    if herm:  # ihfftn(x) = conj(rfftn(x)) with the dual norm
        return xp.conj(xp.fft.rfftn(x, s=sizes, axes=dims, norm=_DUAL[norm]))
    return xp.fft.rfftn(x, s=sizes, axes=dims, norm=norm)


def _c2r_fwd(xp: Any, x: Any, *, s: Any, dim: Any, norm: Any, herm: bool) -> Any:
    sizes, dims = _canon(tuple(x.shape), s, dim, c2r=True)
    norm = _norm(norm)
    x = _as_complex(xp, x)
    if herm:  # hfftn(x) = irfftn(conj(x)) with the dual norm
        return xp.fft.irfftn(xp.conj(x), s=sizes, axes=dims, norm=_DUAL[norm])
    return xp.fft.irfftn(x, s=sizes, axes=dims, norm=norm)


# --------------------------------------------------------------------------------------------
# Two private linear records the rules are written in: resizing and doubling bins.


def _fit_fwd(xp: Any, x: Any, *, sizes: tuple, dims: tuple) -> Any:
    shape = list(x.shape)
    for n, d in zip(sizes, dims):
        shape[d] = n
    out = xp.zeros(tuple(shape), dtype=x.dtype)
    keep = [slice(None)] * len(shape)
    for n, d in zip(sizes, dims):
        keep[d] = slice(0, min(n, x.shape[d]))
    out[tuple(keep)] = x[tuple(keep)]
    return out


def _fit_vjp(g: Tensor, ans: Any, x: Any, *, sizes: tuple, dims: tuple) -> Tensor:
    return _fit(g, sizes=tuple(x.shape[d] for d in dims), dims=dims)


def _fit_ref(x: np.ndarray, sizes: tuple, dims: tuple) -> np.ndarray:
    return _fit_fwd(np, x, sizes=sizes, dims=dims)


_fit = def_op(
    "fft._fit",
    forward=_fit_fwd,
    vjp=_fit_vjp,  # the adjoint of zero-padding is trimming, and the other way round
    jvp="linear",
    params=(("sizes", ()), ("dims", ())),
    save=None,
    method=False,
    complex=True,
    backward_name="ConstantPadNdBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"sizes": (5,), "dims": (1,)}, name="pad"),
        Sample((rand(rng, (4, 3), dt),), {"sizes": (2, 4), "dims": (0, 1)}, name="trim and pad"),
    ],
    ref=_fit_ref,
    torch=False,
    doc="``input`` zero-padded or trimmed to ``sizes`` along ``dims`` (the n/s of the FFTs).",
)


def _double_fwd(xp: Any, x: Any, *, dim: int, length: int) -> Any:
    k = min(length, x.shape[dim] - 1)
    if k <= 0:
        return x
    out = _backend.backend(xp).copy(x)
    idx = (slice(None),) * dim + (slice(1, 1 + k), Ellipsis)
    out[idx] = out[idx] * 2
    return out


def _double_ref(x: np.ndarray, dim: int, length: int) -> np.ndarray:
    return _double_fwd(np, x, dim=dim, length=length)


_double = def_op(
    "fft._double_bins",
    forward=_double_fwd,
    vjp=lambda g, ans, x, *, dim, length: _double(g, dim=dim, length=length),  # self-adjoint
    jvp="linear",
    params=(("dim", -1), ("length", 0)),
    save=None,
    method=False,
    complex=True,
    backward_name="MulBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 4), dt),), {"dim": 1, "length": 2}),
        Sample((rand(rng, (3, 2), dt),), {"dim": 0, "length": 1}),
    ],
    ref=_double_ref,
    torch=False,
    doc="``input`` with the entries 1 .. length along ``dim`` doubled (the onesided bins that "
    "stand for two bins of the full spectrum).",
)


def _fit_back(gi: Tensor, x: Any, dims: tuple) -> Tensor:
    """The gradient ``gi`` of the resized input, for ``x`` itself: the adjoint of the resize;
    the real part for a real ``x`` (the engine need not cast: the output may share its dtype)."""
    if not x.dtype.is_complex and gi.dtype.is_complex:
        gi = real(gi)
    return _fit(gi, sizes=tuple(x.shape[d] for d in dims), dims=dims)


# --------------------------------------------------------------------------------------------
# Samples (small: odd and even lengths, padding and trimming, every norm, other dims).


def _s(shape: tuple, **kw: Any) -> Any:
    return lambda rng, dt: Sample((rand(rng, shape, dt),), kw, name=f"{shape} {kw}")


def _set(*makers: Any) -> Any:
    return lambda rng, dt: [m(rng, dt) for m in makers]


_ONE_D = _set(  # odd and even lengths, padding and trimming, every norm, another dim
    _s((5,)),
    _s((2, 4), n=6, norm="ortho"),
    _s((3, 5), n=3, dim=0, norm="forward"),
    _s((2, 3), n=7),
)
_TWO_D = _set(
    _s((3, 4)),
    _s((2, 3, 3), s=(4, 2), norm="ortho"),
    _s((3, 4, 2), dim=(0, 2), norm="forward"),
)
_N_D = _set(
    _s((2, 3, 3)),
    _s((3, 4), s=(2, 5), norm="ortho"),
    _s((2, 3, 4), s=(3, -1), dim=(2, 0), norm="forward"),
)
_SETS = {"1": _ONE_D, "2": _TWO_D, "n": _N_D}


# --------------------------------------------------------------------------------------------
# The records. ``_args`` turns each public signature into the (s, dim) of the n-d forms.


def _args(kind: str, n_or_s: Any, dim: Any) -> tuple:
    if kind == "1":
        return (None if n_or_s is None else (n_or_s,)), (dim,)
    return n_or_s, dim


def _fn(name: str) -> Any:
    return TABLE[f"fft.{name}"].fn


def _c2c_vjp(inverse: bool, kind: str) -> Any:
    def rule(g: Tensor, ans: Any, x: Any, **p: Any) -> Tensor:
        s, dim = _args(kind, p.get("n", p.get("s")), p["dim"])
        sizes, dims = _canon(tuple(x.shape), s, dim)
        gi = _fn("fftn" if inverse else "ifftn")(g, dim=dims, norm=_DUAL[_norm(p["norm"])])
        return _fit_back(gi, x, dims)

    return rule


def _r2c_vjp(herm: bool, kind: str) -> Any:
    def rule(g: Tensor, ans: Any, x: Any, **p: Any) -> Tensor:
        s, dim = _args(kind, p.get("n", p.get("s")), p["dim"])
        sizes, dims = _canon(tuple(x.shape), s, dim)
        norm = _norm(p["norm"])
        # zero-fill the onesided g to the full length, then the inverse transform
        if herm:
            gi = _fn("ifftn")(conj(g), s=sizes, dim=dims, norm=norm)
        else:
            gi = _fn("ifftn")(g, s=sizes, dim=dims, norm=_DUAL[norm])
        return _fit_back(gi, x, dims)

    return rule


def _c2r_vjp(herm: bool, kind: str) -> Any:
    def rule(g: Tensor, ans: Any, x: Any, **p: Any) -> Tensor:
        s, dim = _args(kind, p.get("n", p.get("s")), p["dim"])
        sizes, dims = _canon(tuple(x.shape), s, dim, c2r=True)
        norm = _norm(p["norm"])
        gi = _fn("rfftn")(g, dim=dims, norm=norm if herm else _DUAL[norm])
        n = sizes[-1]
        gi = _double(gi, dim=dims[-1], length=n - (n // 2 + 1))
        if herm:
            gi = conj(gi)
        return _fit_back(gi, x, dims)

    return rule


_KINDS = {  # the public signature of each family: 1-d (n, dim), 2-d and n-d (s, dim)
    "1": (("n", None), ("dim", -1), ("norm", None)),
    "2": (("s", None), ("dim", (-2, -1)), ("norm", None)),
    "n": (("s", None), ("dim", None), ("norm", None)),
}
_SUFFIX = {"1": "", "2": "2", "n": "n"}


def _declare(
    base: str, kind: str, fwd: Any, vjp: Any, torch_name: str, doc: str, checked: bool = False
) -> Any:
    """Declare ``fft.<base><suffix>``; ``checked``: a real output, so the template checks the
    record itself (the others through their gauges, below)."""
    name = base + _SUFFIX[kind]

    def forward(xp: Any, x: Any, **p: Any) -> Any:
        if kind == "1" and not isinstance(p["dim"], int):
            raise TypeError(
                f"fft_{name}(): argument 'dim' must be int, not {type(p['dim']).__name__}; "
                f"hint: fft.{name} transforms one dim; fft.{base}n takes several"
            )
        s, dim = _args(kind, p.get("n", p.get("s")), p["dim"])
        return fwd(xp, x, name, s=s, dim=dim, norm=p["norm"])

    return def_op(
        f"fft.{name}",
        forward=forward,
        vjp=vjp(kind),
        jvp="linear",  # linear over the reals: the transform of the tangent
        params=_KINDS[kind],
        save=None,
        promote="float",
        method=False,
        complex=True,
        backward_name=torch_name,
        samples=_SETS[kind] if checked else None,
        ref=(lambda x, **kw: _np_transform(name, x, **kw)) if checked else None,
        doc=doc.format(name=name),
    )


_C2C_DOC = (
    "fft.{name}: the {what} discrete Fourier transform, as torch.fft.{name}. Linear: the "
    "gradient is the adjoint applied to g ({adj} with the dual norm)."
)
# (base, forward(xp, x, name, **p), rule factory(herm_or_inverse, kind), backward name of the
# 1-d / 2-d and n-d records (PyTorch's last step), doc, the template checks the record itself)
_FAMILIES = (
    (
        "fft",
        lambda xp, x, name, **p: _c2c_fwd(xp, x, inverse=False, **p),
        lambda k: _c2c_vjp(False, k),
        ("FftC2CBackward0", "FftC2CBackward0"),
        _C2C_DOC.replace("{what}", "forward").replace("{adj}", "ifft"),
    ),
    (
        "ifft",
        lambda xp, x, name, **p: _c2c_fwd(xp, x, inverse=True, **p),
        lambda k: _c2c_vjp(True, k),
        ("FftC2CBackward0", "FftC2CBackward0"),
        _C2C_DOC.replace("{what}", "inverse").replace("{adj}", "fft"),
    ),
    (
        "rfft",
        lambda xp, x, name, **p: _r2c_fwd(xp, x, name=name, herm=False, **p),
        lambda k: _r2c_vjp(False, k),
        ("FftR2CBackward0", "FftR2CBackward0"),
        "fft.{name}: the transform of a real signal, onesided (the last dim n//2 + 1 bins). "
        "The gradient zero-fills g, takes ifft with the dual norm and keeps the real part.",
    ),
    (
        "ihfft",
        lambda xp, x, name, **p: _r2c_fwd(xp, x, name=name, herm=True, **p),
        lambda k: _r2c_vjp(True, k),
        ("ConjBackward0", "FftC2CBackward0"),
        "fft.{name}: the inverse of hfft: conj(rfft(x)) with the dual norm, onesided.",
    ),
    (
        "irfft",
        lambda xp, x, name, **p: _c2r_fwd(xp, x, herm=False, **p),
        lambda k: _c2r_vjp(False, k),
        ("FftC2RBackward0", "FftC2RBackward0"),
        "fft.{name}: the inverse of rfft: a onesided spectrum to a real signal (n defaults to "
        "2 * (m - 1)). The gradient is rfft(g) with the dual norm, the mirrored bins doubled.",
    ),
    (
        "hfft",
        lambda xp, x, name, **p: _c2r_fwd(xp, x, herm=True, **p),
        lambda k: _c2r_vjp(True, k),
        ("FftC2RBackward0", "FftC2RBackward0"),
        "fft.{name}: the transform of a Hermitian-symmetric signal given by its onesided half: "
        "irfft(conj(x)) with the dual norm; real output.",
    ),
)
for _kind in ("1", "2", "n"):
    for _base, _fwd, _vjp, _names, _doc in _FAMILIES:
        _declare(
            _base,
            _kind,
            _fwd,
            _vjp,
            _names[0] if _kind == "1" else _names[1],
            _doc,
            checked=_base in ("irfft", "hfft"),  # real outputs: the records are checked directly
        )


# --------------------------------------------------------------------------------------------
# fftshift / ifftshift: a roll by n//2 (and back); linear, so differentiable.


def _shifts(shape: tuple, dim: Any, inverse: bool) -> tuple[tuple, tuple]:
    ndim = len(shape)
    if dim is None:
        dims: tuple = tuple(range(ndim))
    else:
        dims = tuple(_wrap(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    if inverse:
        return tuple(-(shape[d] // 2) for d in dims), dims
    return tuple(shape[d] // 2 for d in dims), dims


def _shift_fwd(inverse: bool) -> Any:
    def forward(xp: Any, x: Any, *, dim: Any) -> Any:
        shift, dims = _shifts(tuple(x.shape), dim, inverse)
        if not dims:
            raise RuntimeError(
                "`shifts` required; hint: a shift needs at least one dimension (a 0-d tensor "
                "has none)"
            )
        return xp.roll(x, shift=shift, axis=dims)

    return forward


def _shift_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (5,), dt),), name="odd"),
        Sample((rand(rng, (2, 4), dt),), {"dim": 1}, name="dim"),
        Sample((rand(rng, (3, 4), dt),), {"dim": (0, -1)}, name="dims"),
    ]


def _def_shift(name: str, inverse: bool, other: str, where: str) -> Any:
    return def_op(
        f"fft.{name}",
        forward=_shift_fwd(inverse),
        vjp=lambda g, ans, x, *, dim: TABLE[f"fft.{other}"].fn(g, dim=dim),  # the inverse roll
        jvp="linear",
        params=(("dim", None),),
        save=None,
        method=False,
        complex=True,
        backward_name="RollBackward0",
        samples=_shift_samples,
        ref=lambda x, dim=None: getattr(np.fft, name)(x, axes=dim),
        doc=f"fft.{name}: the zero-frequency bin moved {where} (a roll by "
        f"{'-(n//2)' if inverse else 'n//2'} along dim, every dim by default). Linear: the "
        f"gradient is {other}(g).",
    )


fftshift = _def_shift("fftshift", False, "ifftshift", "to the centre")
ifftshift = _def_shift("ifftshift", True, "fftshift", "back to the start")


# --------------------------------------------------------------------------------------------
# fftfreq / rfftfreq: sample frequencies (factories, no gradient of their own).


def _freq(name: str, n: int, d: float, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    if device is not None and str(device) not in ("cpu", "device(type='cpu')"):
        raise RuntimeError(f"{name}: only device='cpu' is supported; hint: leave device unset")
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            f"{name} requires a floating point or complex dtype, got {dt}; hint: pass "
            "dtype=ndgrad.float32 or ndgrad.float64"
        )
    n = int(n)
    if name == "rfftfreq":
        k = np.arange(n // 2 + 1, dtype=np.float64)
    else:
        k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)]).astype(np.float64)
    out = make(np.asarray(k * (1.0 / (n * d)) if n else k).astype(dt.np))
    if requires_grad:
        out.requires_grad_(True)
    return out


def _freq_fn(name: str, doc: str) -> Any:
    def fn(
        n: int,
        d: float = 1.0,
        *,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        out: Tensor | None = None,
    ) -> Tensor:
        res = _freq(name, n, d, dtype, requires_grad, device)
        return res if out is None else out.copy_(res)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


fftfreq = _freq_fn(
    "fftfreq",
    """The sample frequencies of an n-point FFT: [0, 1, ..., (n-1)//2, -(n//2), ..., -1] / (d n).

    Example:
        >>> import ndgrad
        >>> ndgrad.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """,
)
rfftfreq = _freq_fn(
    "rfftfreq",
    """The sample frequencies of rfft: [0, 1, ..., n//2] / (d n).

    Example:
        >>> import ndgrad
        >>> ndgrad.fft.rfftfreq(4)
        tensor([0.0000, 0.2500, 0.5000])
    """,
)
NAMESPACE_ALIASES.setdefault("fft", {}).update(fftfreq=fftfreq, rfftfreq=rfftfreq)


# --------------------------------------------------------------------------------------------
# Gauges: the template needs real outputs for real inputs, so the transforms with complex
# output are checked (values and gradients, against NumPy and PyTorch) as view_as_real(f(x)).


def _np_kw(name: str, shape: tuple, kw: dict) -> tuple[tuple, tuple, str]:
    kind = "1" if name[-1] not in "2n" else name[-1]
    s, dim = _args(kind, kw.get("n", kw.get("s")), kw.get("dim", dict(_KINDS[kind])["dim"]))
    sizes, dims = _canon(shape, s, dim, c2r=name.rstrip("2n") in ("irfft", "hfft"))
    return sizes, dims, _norm(kw.get("norm"))


def _np_transform(name: str, x: np.ndarray, **kw: Any) -> np.ndarray:
    """NumPy's transform for torch's ``fft.<name>`` arguments (hfftn/ihfftn via irfftn/rfftn)."""
    sizes, dims, norm = _np_kw(name, x.shape, kw)
    base = name.rstrip("2n")
    if base in ("fft", "ifft"):
        return getattr(np.fft, base + "n")(x, s=sizes, axes=dims, norm=norm)
    if base == "rfft":
        return np.fft.rfftn(x, s=sizes, axes=dims, norm=norm)
    if base == "ihfft":
        return np.conj(np.fft.rfftn(x, s=sizes, axes=dims, norm=_DUAL[norm]))
    if base == "irfft":
        return np.fft.irfftn(x, s=sizes, axes=dims, norm=norm)
    return np.fft.irfftn(np.conj(x), s=sizes, axes=dims, norm=_DUAL[norm])


def _view_real_np(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1)


def _gauge(name: str, samples: Any, complex_inputs: bool) -> None:
    def fn(x: Tensor, **kw: Any) -> Tensor:
        return view_as_real(_fn(name)(x, **kw))

    def torch_fn(x: Any, **kw: Any) -> Any:
        import torch

        return torch.view_as_real(getattr(torch.fft, name)(x, **kw).resolve_conj())

    def_composite(
        f"fft._{name}_as_real",
        fn,
        samples=samples,
        ref=lambda x, **kw: _view_real_np(_np_transform(name, x, **kw)),
        torch=torch_fn,
        complex=complex_inputs,
        export=False,
        doc=f"view_as_real(fft.{name}(x)): the template's gauge of fft.{name}.",
    )


for _kind, _suffix in _SUFFIX.items():
    for _base in ("fft", "ifft"):
        _gauge(_base + _suffix, _SETS[_kind], complex_inputs=True)
    for _base in ("rfft", "ihfft"):  # real input only (a complex one raises, as in PyTorch)
        _gauge(_base + _suffix, _SETS[_kind], complex_inputs=False)

__all__ = sorted(["fftfreq", "rfftfreq", "fftshift", "ifftshift"])
