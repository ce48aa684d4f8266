"""Complex numbers: view_as_real, view_as_complex, polar, complex, conj_physical, ... .

(``real``, ``imag``, ``conj``, ``abs``, ``angle``, ``resolve_conj``, ``is_conj`` live in
elementwise.py and unary.py.) Gradients follow PyTorch's convention, See Note [Complex
gradients] in elementwise.py: for z = x + iy the gradient is dL/dx + i dL/dy, so

* ``view_as_real(z) = (x, y)``: the gradient of z is g[..., 0] + i g[..., 1] (and back for
  ``view_as_complex``);
* ``complex(a, b) = a + ib``: the gradients are Re g and Im g;
* ``polar(r, t) = r e^{it}``: d/dr = e^{it}, d/dt = i r e^{it}, so the gradients are
  Re(conj(g) sgn(out)) and Re(conj(g) i out) (PyTorch's formula: sgn(out), not e^{it}, so a
  negative r gets the sign of the output's direction, as in PyTorch).

Example:
    >>> import ndgrad
    >>> z = ndgrad.complex(ndgrad.tensor([1.0]), ndgrad.tensor([2.0]))
    >>> ndgrad.view_as_real(z)
    tensor([[1., 2.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.factories import torch_name
from .._core.tensor import Tensor
from .elementwise import _sgn, conj, imag, real
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    apply_inplace,
    attach_method,
    def_composite,
    def_op,
    to_tensor,
)
from .samples import rand
from .views import _view_op

__all__ = [
    "view_as_real",
    "view_as_complex",
    "polar",
    "complex",
    "conj_physical",
    "is_neg",
]


def _scalar_name(a: Any) -> str:
    """PyTorch's ScalarType name of an array's dtype (``Float``, ``Long``), for its messages."""
    return torch_name(_dt.from_np_dtype(a.dtype))


def _make_complex(xp: Any, re: Any, im: Any) -> Any:
    """re + i im (broadcast) in the complex dtype of ``re``'s real dtype."""
    cd = _dt.from_np_dtype(re.dtype).to_complex()
    if xp is np:
        re, im = np.broadcast_arrays(re, im)
        out = np.empty(re.shape, dtype=cd.np)
        out.real = re  # exact, also for infinities (no 0 * inf from a multiplication by 1j)
        out.imag = im
        return out
    b = _backend.backend(xp)
    return b.astype(re, cd) + b.astype(im, cd) * 1j


def _check_float_pair(xp: Any, a: Any, b: Any) -> None:
    """PyTorch's checks of ``complex``/``polar``: two floating tensors of one dtype."""
    da, db = _dt.from_np_dtype(a.dtype), _dt.from_np_dtype(b.dtype)
    if not (da.is_floating_point and db.is_floating_point):
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{_scalar_name(a)} and {_scalar_name(b)}; hint: convert them with .float() or "
            ".double() first"
        )
    if da is not db:
        raise RuntimeError(
            f"Expected object of scalar type {_scalar_name(a)} but got scalar type "
            f"{_scalar_name(b)} for second argument; hint: give both the same dtype "
            "(.to(first.dtype))"
        )
    if da is _dt.float16:
        raise RuntimeError(
            "complex32 (ComplexHalf) is not supported by ndgrad; hint: convert the inputs to "
            "float32 first"
        )


# --------------------------------------------------------------------------------------------
# view_as_real / view_as_complex: views (shared memory and version counter).


def _view_as_real_fwd(xp: Any, z: Any) -> Any:
    if not _dt.from_np_dtype(z.dtype).is_complex:
        raise RuntimeError(
            "view_as_real is only supported for complex tensors; hint: a real tensor needs no "
            "view; build a complex one with ndgrad.complex(x, y) first"
        )
    if xp is np:  # the real parts' view, with a last dim stepping to the imaginary parts
        r = z.real
        return np.lib.stride_tricks.as_strided(r, (*z.shape, 2), (*r.strides, r.itemsize))
    return xp.stack([xp.real(z), xp.imag(z)], axis=-1)  # a backend without strided views


def _view_as_real_vjp(g: Tensor, ans: Any, z: Any) -> Tensor:
    return complex(g[..., 0], g[..., 1])  # g[..., 0] + i g[..., 1]


def _view_record(name: str, forward: Any, vjp: Any, doc: str) -> None:
    """A linear view record (view_as_real, view_as_complex): shared memory, no saved values."""
    def_op(
        name,
        forward=forward,
        vjp=vjp,
        jvp="linear",
        save=None,
        view=True,
        method=False,
        export=False,
        complex=True,
        backward_name=f"{''.join(p.title() for p in name.split('_'))}Backward0",
        doc=doc,
    )


_view_record(
    "view_as_real",
    _view_as_real_fwd,
    _view_as_real_vjp,
    "The real view (..., 2) of a complex tensor: (x, y) for x + iy. The gradient is "
    "g[..., 0] + i g[..., 1].",
)


def view_as_real(input: Tensor) -> Tensor:
    """The real view of a complex tensor: shape (..., 2), real and imaginary parts last.

    It shares memory and the version counter with ``input``: writing into it changes ``input``.
    d/dx = (1, 0), d/dy = (0, 1): the gradient is g[..., 0] + i g[..., 1].

    Example:
        >>> import ndgrad
        >>> ndgrad.view_as_real(ndgrad.tensor([1 + 2j, 3 - 4j]))
        tensor([[ 1.,  2.],
                [ 3., -4.]])
    """
    return _view_op(TABLE["view_as_real"], to_tensor(input), {}, check=True)


def _view_as_complex_fwd(xp: Any, x: Any) -> Any:
    d = _dt.from_np_dtype(x.dtype)
    if d not in (_dt.float32, _dt.float64):
        if d is _dt.float16:
            raise RuntimeError(
                "view_as_complex of a Half tensor (ComplexHalf) is not supported by ndgrad; "
                "hint: convert it to float32 first"
            )
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a "
            f"tensor of scalar type: {_scalar_name(x)}; hint: convert it with .float() first"
        )
    if x.ndim == 0:
        raise RuntimeError(
            "Input tensor must have one or more dimensions; hint: the last dimension (of size "
            "2) holds the real and imaginary parts"
        )
    if x.shape[-1] != 2:
        raise RuntimeError(
            f"Tensor must have a last dimension of size 2; hint: got shape {tuple(x.shape)}; "
            "the last dimension holds the real and imaginary parts"
        )
    if xp is not np:
        return _make_complex(xp, x[..., 0], x[..., 1])
    it = x.itemsize
    if x.strides[-1] != it:
        raise RuntimeError(
            "Tensor must have a last dimension with stride 1; hint: call .contiguous() first"
        )
    if any(st % (2 * it) for st in x.strides[:-1]):
        raise RuntimeError(
            "Tensor must have a stride divisible by 2 for all but last dimension; hint: call "
            ".contiguous() first"
        )
    base = x.base if isinstance(x.base, np.ndarray) else x
    offset = x.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if offset % (2 * it):
        raise RuntimeError(
            "Tensor must have a storage_offset divisible by 2; hint: call .clone() first"
        )
    return x.view(d.to_complex().np)[..., 0]


_view_record(
    "view_as_complex",
    _view_as_complex_fwd,
    lambda g, ans, x: view_as_real(g),
    "The complex view of a real tensor whose last dim (of size 2) holds (x, y). The "
    "gradient is view_as_real(g).",
)


def view_as_complex(input: Tensor) -> Tensor:
    """The complex view x + iy of a real tensor of shape (..., 2) holding (x, y).

    It shares memory with ``input``; the last dim must have stride 1 and the others even
    strides, as in PyTorch. The gradient is view_as_real(g) (so Re g, Im g for x, y).

    Example:
        >>> import ndgrad
        >>> ndgrad.view_as_complex(ndgrad.tensor([[1.0, 2.0], [3.0, -4.0]])).tolist()
        [(1+2j), (3-4j)]
    """
    return _view_op(TABLE["view_as_complex"], to_tensor(input), {}, check=True)


# --------------------------------------------------------------------------------------------
# complex / polar: a complex tensor from two real ones.


def _complex_fwd(xp: Any, re: Any, im: Any) -> Any:
    _check_float_pair(xp, re, im)
    return _make_complex(xp, re, im)


complex = def_op(  # noqa: A001 - PyTorch's name
    "complex",
    forward=_complex_fwd,
    vjp=(lambda g, ans, a, b: real(g), lambda g, ans, a, b: imag(g)),
    jvp="linear",
    inputs=("real", "imag"),
    save=None,
    method=False,
    complex=True,  # real inputs, a complex output
    backward_name="ComplexBackward0",
    doc="real + i imag (broadcast; both float32 or both float64). d/dreal = 1, d/dimag = i: "
    "the gradients are Re g and Im g.",
)


def _polar_fwd(xp: Any, r: Any, t: Any) -> Any:
    _check_float_pair(xp, r, t)
    return _make_complex(xp, r * xp.cos(t), r * xp.sin(t))


def _polar_jvp(tangents: tuple, ans: Tensor, r: Tensor, t: Tensor) -> Tensor | None:
    r_t, t_t = tangents
    out = None if r_t is None else polar(r_t, t)  # r_t e^{it}
    if t_t is not None:
        term = t_t * ans * 1j  # t_t i r e^{it}
        out = term if out is None else out + term
    return out


polar = def_op(
    "polar",
    forward=_polar_fwd,
    vjp=(
        lambda g, ans, r, t: real(conj(g) * _sgn(ans)),
        lambda g, ans, r, t: real(conj(g) * (ans * 1j)),
    ),
    jvp=_polar_jvp,
    inputs=("abs", "angle"),
    save="ans",
    method=False,
    complex=True,  # real inputs, a complex output
    backward_name="PolarBackward0",
    doc="abs * (cos(angle) + i sin(angle)). The gradients: Re(conj(g) sgn(out)) for abs (0 "
    "where abs == 0, as PyTorch) and Re(conj(g) i out) for angle.",
)


# --------------------------------------------------------------------------------------------
# conj_physical: the conjugate as a copy (PyTorch's conj is a lazy view; ndgrad's is a copy too).


def _conj_physical_fwd(xp: Any, x: Any) -> Any:
    if _dt.from_np_dtype(x.dtype).is_complex:
        return xp.conj(x)
    return _backend.backend(xp).copy(x)


_conj_physical = def_op(
    "conj_physical",
    forward=_conj_physical_fwd,
    vjp=lambda g, ans, x: conj_physical(g),
    jvp="linear",
    save=None,
    method=False,
    export=False,
    complex=True,
    backward_name="ConjPhysicalBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt),)),
        Sample((rand(rng, (2, 3), dt),)),
    ],
    ref=np.conj,
    doc="The complex conjugate x - iy, computed (no conjugate bit). Its vjp is conj(g).",
)


def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate x - iy as a new tensor; a real tensor is returned as it is.

    Example:
        >>> import ndgrad
        >>> ndgrad.conj_physical(ndgrad.tensor([1 + 2j])).tolist()
        [(1-2j)]
    """
    t = to_tensor(input)
    return _conj_physical(t) if t.dtype.is_complex else t


def _conj_physical_(self: Tensor) -> Tensor:
    """In place: ``self`` conjugated (nothing to do for a real tensor, as in PyTorch)."""
    if self.dtype.is_complex:
        return apply_inplace(TABLE["conj_physical"], self, ())
    return self


def is_neg(input: Tensor) -> bool:
    """False: ndgrad has no lazy negative bit (``resolve_neg`` returns its input)."""
    return False


EXPORTS.update(
    view_as_real=view_as_real,
    view_as_complex=view_as_complex,
    conj_physical=conj_physical,
    is_neg=is_neg,
)
attach_method("conj_physical", conj_physical)
attach_method("conj_physical_", _conj_physical_)
attach_method("is_neg", is_neg)


# --------------------------------------------------------------------------------------------
# Gauges: the template needs real outputs for real inputs (and real inputs for complex
# outputs), so these ops are checked through view_as_real.


def _view_real_np(z: np.ndarray) -> np.ndarray:
    return np.stack([np.real(z), np.imag(z)], axis=-1)


def _gauge(name: str, fn: Any, samples: Any, ref: Any, torch_fn: Any, cplx: bool) -> None:
    def_composite(
        name,
        fn,
        samples=samples,
        ref=ref,
        torch=torch_fn,
        complex=cplx,
        export=False,
        doc=f"The template's gauge of {name.strip('_').split('_as_')[0]} (through view_as_real).",
    )


def _torch() -> Any:
    import torch

    return torch


_W = 0.5 + 1j  # a real input becomes complex through mul, then view_as_real sees it

_gauge(
    "_view_as_real_as_real",
    lambda x: view_as_real(x * _W),
    lambda rng, dt: [Sample((rand(rng, s, dt),), name=str(s)) for s in ((), (3,), (2, 3))],
    lambda x: _view_real_np(x * _W),
    lambda x: _torch().view_as_real(x * _W),
    True,
)
_gauge(
    "_view_as_complex_as_real",
    lambda x: view_as_real(view_as_complex(x)),
    lambda rng, dt: [Sample((rand(rng, s, dt),), name=str(s)) for s in ((2,), (3, 2), (2, 2, 2))],
    lambda x: x,
    lambda x: _torch().view_as_real(_torch().view_as_complex(x)),
    False,
)


def _pairs(low: float, high: float) -> Any:
    shapes = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), ()))

    def gen(rng: np.random.Generator, dt: Any) -> list:
        return [
            Sample((rand(rng, a, dt, low, high), rand(rng, b, dt, -3.0, 3.0)), name=f"{a}{b}")
            for a, b in shapes
        ]

    return gen


_gauge(
    "_complex_as_real",
    lambda a, b: view_as_real(complex(a, b)),
    _pairs(-2.0, 2.0),
    lambda a, b: _view_real_np(a + 1j * b),
    lambda a, b: _torch().view_as_real(_torch().complex(a, b)),
    False,
)
_gauge(
    "_polar_as_real",
    lambda r, t: view_as_real(polar(r, t)),
    _pairs(0.5, 2.0),  # abs > 0: PyTorch's sgn(out) is e^{it} there
    lambda r, t: _view_real_np(r * np.exp(1j * t)),
    lambda r, t: _torch().view_as_real(_torch().polar(r, t)),
    False,
)
