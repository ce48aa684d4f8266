"""Linear algebra: matmul, mm, bmm, dot, mv, outer, tril, triu, diag, trace (einsum: einsum.py).

PyTorch's shape rules and error messages. The products are bilinear, so their jvp is the op with
one input replaced by its tangent; their vjps are products again (``g @ B^T``, ``A^T @ g``), which
makes every order of derivative free. The engine sums gradients back over broadcast batch
dimensions, so the rules below only bring 1-D operands back to their shape.

Example:
    >>> import ndgrad
    >>> a = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = ndgrad.tensor([1.0, -1.0])
    >>> y = a @ b
    >>> y
    tensor([-1., -1.], grad_fn=<MvBackward0>)
    >>> y.sum().backward()
    >>> a.grad
    tensor([[ 1., -1.],
            [ 1., -1.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .elementwise import _cj
from .registry import EXPORTS, Sample, attach_method, def_op
from .samples import rand

_PY_SCALARS = (int, float, bool, complex)

# PyTorch names dtypes in two ways in its messages: ScalarType names and C++ type names.
_SCALAR_NAME = {
    "float64": "Double",
    "float32": "Float",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}
_CPP_NAME = {
    "float64": "double",
    "float32": "float",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


# --------------------------------------------------------------------------------------------
# Checks shared by the products: PyTorch's messages, then a hint.


def _fail(msg: str, hint: str, cls: type = RuntimeError) -> Exception:
    return cls(f"{msg}{' ' if msg.endswith('.') else '; '}hint: {hint}")


def _tensor_arg(op: str, name: str, pos: int, a: Any) -> None:
    if a is None or isinstance(a, _PY_SCALARS):
        raise _fail(
            f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(a).__name__}",
            "wrap the data in ndgrad.tensor(...); to scale by a number use `*`",
            TypeError,
        )


def _dname(a: Any) -> str:
    return _dt.from_np_dtype(a.dtype).name


def _no_bool(kernel: str, dtype: str) -> None:
    if dtype == "bool":
        raise _fail(
            f"\"{kernel}\" not implemented for 'Bool'",
            "convert the operands first, e.g. x.float() or x.long()",
            NotImplementedError,
        )


def _same_dtype_hint(ta: str, tb: str) -> str:
    return (
        f"matrix products do not promote dtypes ({ta} and {tb}); convert one operand, "
        f"e.g. b.to(a.dtype)"
    )


def _mm_check(sa: tuple, sb: tuple, ta: str, tb: str) -> None:
    """``mat1 @ mat2`` for 2-D shapes ``sa`` and ``sb`` (PyTorch checks shapes, then dtypes)."""
    if sa[1] != sb[0]:
        raise _fail(
            f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {sb[0]}x{sb[1]})",
            f"the columns of the first ({sa[1]}) must equal the rows of the second ({sb[0]}); "
            "transpose an operand (x.mT) or fix the shapes",
        )
    if ta != tb:
        raise _fail(
            f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAME[ta]} != "
            f"{_CPP_NAME[tb]}",
            _same_dtype_hint(ta, tb),
        )
    _no_bool("addmm_impl_cpu_", ta)


def _mv_check(sm: tuple, n: int, tm: str, tv: str) -> None:
    """``mat @ vec`` for a 2-D shape ``sm`` and a vector of length ``n``."""
    if sm[1] != n:
        raise _fail(
            f"size mismatch, got input ({sm[0]}), mat ({sm[0]}x{sm[1]}), vec ({n})",
            f"the vector's length ({n}) must equal the matrix's columns ({sm[1]})",
        )
    if tm != tv:
        raise _fail(
            f"addmv input tensors must have the same dtype, but got {_SCALAR_NAME[tv]}, "
            f"{_SCALAR_NAME[tm]}, and {_SCALAR_NAME[tv]}",
            _same_dtype_hint(tm, tv),
        )
    _no_bool("addmv_impl_cpu", tm)


def _dot_check(na: int, nb: int, ta: str, tb: str) -> None:
    """``vec · vec`` for lengths ``na`` and ``nb`` (PyTorch checks dtypes, then sizes)."""
    if ta != tb:
        raise _fail(
            f"dot : expected both vectors to have same dtype, but found "
            f"{_SCALAR_NAME[ta]} and {_SCALAR_NAME[tb]}",
            _same_dtype_hint(ta, tb),
        )
    _no_bool("dot", ta)
    if na != nb:
        raise _fail(
            f"inconsistent tensor size, expected tensor [{na}] and src [{nb}] to have the same "
            f"number of elements, but got {na} and {nb} elements respectively",
            "both vectors need the same length",
        )


def _bmm_check(sa: tuple, sb: tuple, ta: str, tb: str) -> None:
    """``batch1 @ batch2`` for 3-D shapes (batch, n, k) and (batch, k, p)."""
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise _fail(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
            f"but got: [{sb[0]}, {sb[1]}].",
            f"the last dimension of the first operand ({sa[2]}) must equal the second-to-last "
            f"of the second ({sb[1]}), and the batch sizes must match",
        )
    if ta != tb:
        raise _fail(
            f"expected scalar type {_SCALAR_NAME[ta]} but found {_SCALAR_NAME[tb]}",
            _same_dtype_hint(ta, tb),
        )
    _no_bool("bmm", ta)


def _broadcast_batch(ba: tuple, bb: tuple) -> tuple:
    """The broadcast of two batch shapes, with PyTorch's message when they do not broadcast."""
    n = max(len(ba), len(bb))
    out = []
    for i in range(n - 1, -1, -1):
        off = n - 1 - i
        sa = ba[len(ba) - 1 - off] if len(ba) - 1 - off >= 0 else 1
        sb = bb[len(bb) - 1 - off] if len(bb) - 1 - off >= 0 else 1
        if sa != sb and sa != 1 and sb != 1:
            raise _fail(
                f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                f"non-singleton dimension {i}",
                f"the batch dimensions {ba} and {bb} (all but the last two) must broadcast",
            )
        out.append(sb if sa == 1 else sa)
    return tuple(reversed(out))


def _matmul_check(a: Any, b: Any) -> None:
    """Validate ``matmul(a, b)`` along the path PyTorch takes for these ranks."""
    _tensor_arg("matmul", "input", 1, a)
    _tensor_arg("matmul", "other", 2, b)
    da, db = a.ndim, b.ndim
    sa, sb = tuple(a.shape), tuple(b.shape)
    ta, tb = _dname(a), _dname(b)
    if da == 0 or db == 0:
        raise _fail(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D",
            "use mul (`*`) to multiply by a 0-d tensor",
        )
    if da == 1 and db == 1:
        _dot_check(sa[0], sb[0], ta, tb)
    elif da == 2 and db == 1:
        _mv_check(sa, sb[0], ta, tb)
    elif da == 1 and db == 2:
        _mm_check((1, sa[0]), sb, ta, tb)
    elif da == 2 and db == 2:
        _mm_check(sa, sb, ta, tb)
    elif da >= 3 and db <= 2:  # PyTorch folds the batch dimensions of input into its rows
        rows = math.prod(sa[:-1])
        if db == 1:
            _mv_check((rows, sa[-1]), sb[0], ta, tb)
        else:
            _mm_check((rows, sa[-1]), sb, ta, tb)
    else:  # broadcast batch dimensions, then a batched product
        batch = math.prod(_broadcast_batch(sa[:-2], sb[:-2]))
        _bmm_check((batch, sa[-2] if da > 1 else 1, sa[-1]), (batch, sb[-2], sb[-1]), ta, tb)


# --------------------------------------------------------------------------------------------
# _swap_last2: the transpose of the last two dimensions, for the rules below (a private record,
# so this module stands alone; shape.py's ``x.mT`` can take its place).


def _cases(*cases: tuple) -> Callable[..., list]:
    """Samples from ``(shapes, kwargs)`` pairs: one uniform array per shape."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [
            Sample(tuple(rand(rng, s, dtype) for s in shapes), dict(kw), name=f"{shapes}{kw or ''}")
            for shapes, kw in cases
        ]

    return gen


_swap_last2 = def_op(
    "_swap_last2",
    forward=lambda xp, x: xp.matrix_transpose(x),
    vjp=lambda g, ans, x: _swap_last2(g),
    jvp="linear",
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="TransposeBackward0",
    samples=_cases((((2, 3),), {}), (((2, 3, 4),), {})),
    ref=lambda x: np.swapaxes(x, -1, -2),
    torch=lambda x: x.mT,
    complex=True,
    doc="The last two dimensions swapped (a view). Its vjp is the same swap of ``g``.",
)


# --------------------------------------------------------------------------------------------
# matmul and its fixed-rank forms.
#
# Note [What a product saves]
# The gradient for one operand of a product reads only the other operand (and the first one's
# shape), so each saves only what the operands that require grad need, as PyTorch: in
# ``y = a @ w`` with only ``a`` requiring grad, ``a`` is not saved, and modifying it in place
# afterwards does not make backward fail.

_BILINEAR = ((1,), (0,))


def _product(xp: Any, a: Any, b: Any, ranks: tuple | None, check: Callable[..., None]) -> Any:
    """``xp.matmul(a, b)``; PyTorch's validation ``check`` runs only when a quick test fails."""
    try:
        ok = (
            a.dtype == b.dtype
            and a.dtype != xp.bool
            and (ranks is None or (a.ndim, b.ndim) == ranks)
        )
    except AttributeError:  # a Python number or None
        ok = False
    if ok and (ranks != (3, 3) or a.shape[0] == b.shape[0]):  # bmm does not broadcast
        if a.ndim >= 3 and b.ndim >= 3 and a.shape[-1] == 1 and b.shape[-2] == 1:
            # Stacked outer products (inner size 1, e.g. per-example weight gradients under
            # vmap): one broadcast multiply, where matmul loops over tiny GEMMs (3x faster).
            try:
                return a * b
            except ValueError:
                pass
        try:
            return xp.matmul(a, b)
        except ValueError:  # shapes: let check say it PyTorch's way
            pass
    check(a, b)
    return xp.matmul(a, b)


def _matmul_fwd(xp: Any, a: Any, b: Any) -> Any:
    return _product(xp, a, b, None, _matmul_check)


def _lift_g(g: Tensor, da: int, db: int) -> Tensor:
    """``g`` with the dimension matmul removed for a 1-D operand put back (size 1)."""
    gs = tuple(g.shape)
    if da == 1:  # (k,) @ (..., k, n) -> (..., n): g as (..., 1, n)
        return g.reshape(gs[:-1] + (1, gs[-1]))
    if db == 1:  # (..., m, k) @ (k,) -> (..., m): g as (..., m, 1)
        return g.reshape(gs + (1,))
    return g


def _matmul_vjp_input(g: Tensor, ans: Any, a: Tensor, b: Tensor) -> Tensor:
    # d/dA (A @ B) . g = g @ B^T, with 1-D operands seen as (1, k) on the left, (k, 1) on the right
    # (B^H for complex: See Note [Complex gradients] in elementwise.py)
    if a.ndim == 1 and b.ndim == 1:
        return g * _cj(b)
    bt = b.reshape(1, b.shape[0]) if b.ndim == 1 else _swap_last2(b)
    r = matmul(_lift_g(g, a.ndim, b.ndim), _cj(bt))
    if a.ndim == 1:  # (..., 1, k) -> (..., k); the engine sums the batch dimensions
        rs = tuple(r.shape)
        r = r.reshape(rs[:-2] + rs[-1:])
    return r


def _matmul_vjp_other(g: Tensor, ans: Any, a: Tensor, b: Tensor) -> Tensor:
    # d/dB (A @ B) . g = A^T @ g (A^H for complex)
    if a.ndim == 1 and b.ndim == 1:
        return g * _cj(a)
    if a.ndim >= 3 and b.ndim <= 2:  # fold the batch into rows, as PyTorch: one product, no
        rows = math.prod(a.shape[:-1])  # batch of partial results for the engine to sum
        g2 = g.reshape(rows) if b.ndim == 1 else g.reshape(rows, g.shape[-1])
        return matmul(_cj(_swap_last2(a.reshape(rows, a.shape[-1]))), g2)
    at = a.reshape(a.shape[0], 1) if a.ndim == 1 else _swap_last2(a)
    r = matmul(_cj(at), _lift_g(g, a.ndim, b.ndim))
    if b.ndim == 1:  # (..., k, 1) -> (..., k)
        r = r.reshape(tuple(r.shape)[:-1])
    return r


def _matmul_samples(rng: np.random.Generator, dtype: Any) -> list:
    shapes = [
        ((3,), (3,)),
        ((2, 3), (3, 4)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((2, 2, 3), (3, 4)),
        ((2, 2, 3), (3,)),
        ((3,), (2, 3, 4)),
        ((2, 3), (2, 3, 4)),
        ((4, 2, 3), (4, 3, 2)),
        ((2, 1, 2, 3), (3, 3, 2)),
    ]
    return _cases(*[((a, b), {}) for a, b in shapes])(rng, dtype)


matmul = def_op(
    "matmul",
    forward=_matmul_fwd,
    vjp=(_matmul_vjp_input, _matmul_vjp_other),
    jvp="bilinear",
    inputs=("input", "other"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    samples=_matmul_samples,
    ref=np.matmul,
    complex=True,
    doc="Matrix product with PyTorch's rules: 1-D x 1-D is a dot product; a 1-D operand is "
    "seen as a row (left) or column (right) that is removed again; more than 2-D is a batch "
    "of matrices whose batch dimensions broadcast. d/dA = g @ B^T, d/dB = A^T @ g.",
)


def _mm_check_args(a: Any, b: Any) -> None:
    _tensor_arg("mm", "input", 1, a)
    _tensor_arg("mm", "mat2", 2, b)
    if a.ndim != 2:
        raise _fail(
            "self must be a matrix",
            f"mm takes 2-D tensors, got input of shape "
            f"{tuple(a.shape)}; matmul handles 1-D and batched operands",
        )
    if b.ndim != 2:
        raise _fail(
            "mat2 must be a matrix",
            f"mm takes 2-D tensors, got mat2 of shape "
            f"{tuple(b.shape)}; matmul handles 1-D and batched operands",
        )
    _mm_check(tuple(a.shape), tuple(b.shape), _dname(a), _dname(b))


def _mm_fwd(xp: Any, a: Any, b: Any) -> Any:
    return _product(xp, a, b, (2, 2), _mm_check_args)


mm = def_op(
    "mm",
    forward=_mm_fwd,
    vjp=(
        lambda g, ans, a, b: mm(g, _cj(_swap_last2(b))),
        lambda g, ans, a, b: mm(_cj(_swap_last2(a)), g),
    ),
    jvp="bilinear",
    inputs=("input", "mat2"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    samples=_cases((((2, 3), (3, 4)), {}), (((1, 3), (3, 1)), {}), (((3, 3), (3, 3)), {})),
    ref=np.matmul,
    complex=True,
    doc="Product of two matrices (2-D only). d/dA = g @ B^T, d/dB = A^T @ g.",
)


def _bmm_check_args(a: Any, b: Any) -> None:
    _tensor_arg("bmm", "input", 1, a)
    _tensor_arg("bmm", "mat2", 2, b)
    if a.ndim != 3:
        raise _fail(
            "batch1 must be a 3D tensor",
            f"bmm takes (batch, n, m) tensors, got input "
            f"of shape {tuple(a.shape)}; matmul broadcasts batch dimensions",
        )
    if b.ndim != 3:
        raise _fail(
            "batch2 must be a 3D tensor",
            f"bmm takes (batch, m, p) tensors, got mat2 "
            f"of shape {tuple(b.shape)}; matmul broadcasts batch dimensions",
        )
    _bmm_check(tuple(a.shape), tuple(b.shape), _dname(a), _dname(b))


def _bmm_fwd(xp: Any, a: Any, b: Any) -> Any:
    return _product(xp, a, b, (3, 3), _bmm_check_args)


bmm = def_op(
    "bmm",
    forward=_bmm_fwd,
    vjp=(
        lambda g, ans, a, b: bmm(g, _cj(_swap_last2(b))),
        lambda g, ans, a, b: bmm(_cj(_swap_last2(a)), g),
    ),
    jvp="bilinear",
    inputs=("input", "mat2"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    samples=_cases((((2, 2, 3), (2, 3, 4)), {}), (((1, 3, 1), (1, 1, 2)), {})),
    ref=np.matmul,
    complex=True,
    doc="Batched matrix product of (b, n, m) and (b, m, p) tensors (3-D only, no broadcasting). "
    "d/dA = g @ B^T, d/dB = A^T @ g per batch.",
)


def _dot_check_args(a: Any, b: Any) -> None:
    _tensor_arg("dot", "input", 1, a)
    _tensor_arg("dot", "tensor", 2, b)
    if a.ndim != 1 or b.ndim != 1:
        raise _fail(
            f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors",
            "dot takes two vectors; use matmul, or (a * b).sum() for other shapes",
        )
    _dot_check(a.shape[0], b.shape[0], _dname(a), _dname(b))


def _dot_fwd(xp: Any, a: Any, b: Any) -> Any:
    return _product(xp, a, b, (1, 1), _dot_check_args)  # no complex conjugation (that is vdot)


dot = def_op(
    "dot",
    forward=_dot_fwd,
    vjp=(lambda g, ans, a, b: g * _cj(b), lambda g, ans, a, b: g * _cj(a)),
    jvp="bilinear",
    inputs=("input", "tensor"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    samples=_cases((((3,), (3,)), {}), (((1,), (1,)), {})),
    ref=np.dot,
    complex=True,
    doc="Inner product of two 1-D tensors. d/da = g b, d/db = g a.",
)


def _vdot_fwd(xp: Any, a: Any, b: Any) -> Any:
    _tensor_arg("vdot", "input", 1, a)
    _tensor_arg("vdot", "other", 2, b)
    if a.ndim != 1 or b.ndim != 1:
        raise _fail(
            f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors",
            "vdot takes two vectors; use (a.conj() * b).sum() for other shapes",
        )
    _dot_check(a.shape[0], b.shape[0], _dname(a), _dname(b))
    return xp.matmul(xp.conj(a), b)


vdot = def_op(
    "vdot",
    forward=_vdot_fwd,
    # out = sum conj(a) b: anti-holomorphic in a (gradient b conj(g)), holomorphic in b
    # (gradient g conj(conj(a)) = g a). See Note [Complex gradients] in elementwise.py.
    vjp=(lambda g, ans, a, b: b * _cj(g), lambda g, ans, a, b: g * a),
    jvp="bilinear",
    inputs=("input", "other"),
    samples=_cases((((3,), (3,)), {}), (((1,), (1,)), {})),
    ref=np.vdot,
    complex=True,
    doc="Inner product conj(a) . b of two 1-D tensors (the first conjugated). d/da = b conj(g), "
    "d/db = g a.",
)


def _mv_check_args(m: Any, v: Any) -> None:
    _tensor_arg("mv", "input", 1, m)
    _tensor_arg("mv", "vec", 2, v)
    if m.ndim != 2 or v.ndim != 1:
        raise _fail(
            f"vector + matrix @ vector expected, got 1, {m.ndim}, {v.ndim}",
            f"mv takes a 2-D matrix and a 1-D vector, got shapes {tuple(m.shape)} and "
            f"{tuple(v.shape)}",
        )
    _mv_check(tuple(m.shape), v.shape[0], _dname(m), _dname(v))


def _mv_fwd(xp: Any, m: Any, v: Any) -> Any:
    return _product(xp, m, v, (2, 1), _mv_check_args)


mv = def_op(
    "mv",
    forward=_mv_fwd,
    vjp=(
        lambda g, ans, m, v: outer(g, _cj(v)),
        lambda g, ans, m, v: mv(_cj(_swap_last2(m)), g),
    ),
    jvp="bilinear",
    inputs=("input", "vec"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    samples=_cases((((2, 3), (3,)), {}), (((1, 4), (4,)), {})),
    ref=np.matmul,
    complex=True,
    doc="Matrix-vector product. d/dM = outer(g, v), d/dv = M^T g.",
)


def _outer_fwd(xp: Any, a: Any, b: Any) -> Any:
    _tensor_arg("outer", "input", 1, a)
    _tensor_arg("outer", "vec2", 2, b)
    for name, x in (("self", a), ("vec2", b)):
        if x.ndim != 1:
            raise _fail(
                f"outer: Expected 1-D argument {name}, but got {x.ndim}-D",
                f"outer takes two vectors, got shape {tuple(x.shape)}; flatten() it or "
                "use broadcasting: a[:, None] * b",
            )
    return xp.reshape(a, (a.shape[0], 1)) * xp.reshape(b, (1, b.shape[0]))


outer = def_op(
    "outer",
    forward=_outer_fwd,
    # through mul and sum, which promote: the saved inputs may differ in dtype from g
    vjp=(
        lambda g, ans, a, b: (g * _cj(b.reshape(1, b.shape[0]))).sum(1),
        lambda g, ans, a, b: (g * _cj(a.reshape(a.shape[0], 1))).sum(0),
    ),
    jvp="bilinear",
    inputs=("input", "vec2"),
    save_for=_BILINEAR,  # See Note [What a product saves]
    promote="binary",
    samples=_cases((((3,), (2,)), {}), (((1,), (4,)), {})),
    ref=np.outer,
    complex=True,
    doc="Outer product a b^T of two vectors (dtypes promote, as in PyTorch). d/da = g b, "
    "d/db = g^T a.",
)


# --------------------------------------------------------------------------------------------
# Triangles, diagonals, trace.


def _tri(name: str) -> Callable[..., Any]:
    def fwd(xp: Any, x: Any, *, diagonal: int = 0) -> Any:
        if x.ndim < 2:
            raise _fail(
                f"{name}: input tensor must have at least 2 dimensions",
                f"got shape {tuple(x.shape)}; {name} works on the last two dimensions",
            )
        return getattr(xp, name)(x, k=int(diagonal))

    return fwd


_TRI_SAMPLES = _cases(
    (((3, 4),), {}),
    (((4, 3),), {"diagonal": 1}),
    (((2, 3, 3),), {"diagonal": -1}),
    (((2, 3),), {"diagonal": 5}),
)

tril = def_op(
    "tril",
    forward=_tri("tril"),
    vjp=lambda g, ans, x, *, diagonal=0: tril(g, diagonal),
    jvp="linear",
    params=(("diagonal", 0),),
    save=None,
    inplace=True,
    samples=_TRI_SAMPLES,
    ref=lambda x, diagonal=0: np.tril(x, diagonal),
    complex=True,
    doc="Lower triangle (on and below ``diagonal``) of the last two dimensions, zeros elsewhere. "
    "Linear: the vjp is tril of ``g``.",
)

triu = def_op(
    "triu",
    forward=_tri("triu"),
    vjp=lambda g, ans, x, *, diagonal=0: triu(g, diagonal),
    jvp="linear",
    params=(("diagonal", 0),),
    save=None,
    inplace=True,
    samples=_TRI_SAMPLES,
    ref=lambda x, diagonal=0: np.triu(x, diagonal),
    complex=True,
    doc="Upper triangle (on and above ``diagonal``) of the last two dimensions, zeros elsewhere. "
    "Linear: the vjp is triu of ``g``.",
)


def _diag_len(rows: int, cols: int, offset: int) -> int:
    """How many elements the ``offset`` diagonal of a rows x cols matrix has."""
    if offset >= 0:
        return max(0, min(rows, cols - offset))
    return max(0, min(rows + offset, cols))


def _embed_fwd(xp: Any, v: Any, *, offset: int = 0, rows: int = 0, cols: int = 0) -> Any:
    n = _diag_len(rows, cols, offset)
    if v.ndim != 1 or v.shape[0] != n:
        raise RuntimeError(
            f"_diag_embed: expected a vector of length {n} for diagonal {offset} "
            f"of a {rows}x{cols} matrix, got shape {tuple(v.shape)}"
        )
    mask = xp.eye(rows, cols, k=offset, dtype=xp.bool, device=v.device)
    # on diagonal ``offset`` row i holds v[i] (offset >= 0), column j holds v[j] (offset < 0)
    size, shape = (rows, (rows, 1)) if offset >= 0 else (cols, (1, cols))
    if size > n:
        v = xp.concat([v, xp.zeros((size - n,), dtype=v.dtype, device=v.device)])
    vals = xp.reshape(v, shape)
    return xp.where(mask, vals, xp.zeros_like(vals))


def _embed_ref(v: np.ndarray, offset: int = 0, rows: int = 0, cols: int = 0) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=v.dtype)
    i = np.arange(v.shape[0])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[r, c] = v
    return out


def _embed_torch(v: Any, offset: int = 0, rows: int = 0, cols: int = 0) -> Any:
    import torch

    return torch.diagonal_scatter(torch.zeros(rows, cols, dtype=v.dtype), v, offset)


_diag_embed = def_op(
    "_diag_embed",
    forward=_embed_fwd,
    vjp=lambda g, ans, v, *, offset=0, rows=0, cols=0: diag(g, offset),
    jvp="linear",
    params=(("offset", 0), ("rows", 0), ("cols", 0)),
    save=None,
    method=False,
    export=False,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt),), {"offset": 0, "rows": 3, "cols": 4}),
        Sample((rand(rng, (2,), dt),), {"offset": 1, "rows": 3, "cols": 3}),
        Sample((rand(rng, (2,), dt),), {"offset": -1, "rows": 4, "cols": 2}),
        Sample((rand(rng, (0,), dt),), {"offset": 3, "rows": 2, "cols": 3}),
    ],
    ref=_embed_ref,
    torch=_embed_torch,
    complex=True,
    doc="A rows x cols matrix of zeros with the vector on diagonal ``offset`` (the transpose of "
    "diag on a rectangular matrix). Linear: the vjp is diag(g, offset).",
)


def _diag_fwd(xp: Any, x: Any, *, diagonal: int = 0) -> Any:
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        return _embed_fwd(xp, x, offset=k, rows=n, cols=n)
    if x.ndim == 2:  # a copy, as in PyTorch (torch.diagonal is the view)
        return xp.asarray(xp.linalg.diagonal(x, offset=k), copy=True)
    raise _fail(
        f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D",
        "diag takes a vector or a matrix; for a batch of matrices use einsum('...ii->...i', x)",
    )


def _diag_vjp(g: Tensor, ans: Any, x: Any, *, diagonal: int = 0) -> Tensor:
    if x.ndim == 1:  # vector -> matrix: read the diagonal back
        return diag(g, diagonal)
    return _diag_embed(g, offset=diagonal, rows=x.shape[0], cols=x.shape[1])


diag = def_op(
    "diag",
    forward=_diag_fwd,
    vjp=_diag_vjp,
    jvp="linear",
    params=(("diagonal", 0),),
    save=None,
    samples=_cases(
        (((4,),), {}),
        (((3,),), {"diagonal": 1}),
        (((3,),), {"diagonal": -2}),
        (((3, 4),), {}),
        (((4, 3),), {"diagonal": 1}),
        (((3, 4),), {"diagonal": -2}),
        (((2, 3),), {"diagonal": 3}),
    ),
    ref=lambda x, diagonal=0: np.diag(x, diagonal),
    complex=True,
    doc="1-D input: a square matrix with the vector on diagonal ``diagonal``; 2-D input: that "
    "diagonal as a vector (a copy). Linear: each case's vjp is the other case.",
)


def _trace_fwd(xp: Any, x: Any) -> Any:
    if x.ndim != 2:
        raise _fail(
            f"trace: expected a matrix, but got tensor with dim {x.ndim}",
            "for a batch of matrices use diagonal(...).sum(-1) or einsum('...ii->...')",
        )
    name = _dname(x)
    if name == "bool":
        raise _fail(
            "\"trace\" not implemented for 'Bool'",
            "convert first, e.g. x.long()",
            NotImplementedError,
        )
    if name in ("int8", "int16", "int32", "int64", "uint8"):  # integers sum to int64
        return xp.linalg.trace(x, dtype=xp.int64)
    return xp.linalg.trace(x)


def _trace_vjp(g: Tensor, ans: Any, x: Any) -> Tensor:
    rows, cols = x.shape
    return _diag_embed(g.expand(min(rows, cols)), offset=0, rows=rows, cols=cols)


trace = def_op(
    "trace",
    forward=_trace_fwd,
    vjp=_trace_vjp,
    jvp="linear",
    save=None,
    samples=_cases((((3, 3),), {}), (((2, 4),), {}), (((4, 2),), {})),
    ref=np.trace,
    complex=True,
    doc="Sum of the main diagonal of a 2-D tensor (rectangular allowed). d/dx = g on the "
    "diagonal, 0 elsewhere.",
)


# --------------------------------------------------------------------------------------------
# matmul picks mm, mv or dot for the ranks where PyTorch does, so its nodes have their names
# (MmBackward0, MvBackward0, DotBackward0), with the same values, checks and messages; other
# ranks keep the matmul record (MatmulBackward0, where PyTorch records views of an mm or bmm).

_matmul_any = matmul


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with PyTorch's rules (see the ``matmul`` record's doc).

    Example:
        >>> import ndgrad
        >>> (ndgrad.ones(2, 3) @ ndgrad.ones(3)).tolist()
        [3.0, 3.0]
    """
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        da, db = input._data.ndim, other._data.ndim
        if da == 2:
            if db == 2:
                return mm(input, other)
            if db == 1:
                return mv(input, other)
        elif da == 1 and db == 1:
            return dot(input, other)
    return _matmul_any(input, other)


EXPORTS["matmul"] = matmul
attach_method("matmul", matmul)


# --------------------------------------------------------------------------------------------
# Operators.


def _matmul_operator(self: Tensor, other: Any) -> Any:
    if other is None or isinstance(other, _PY_SCALARS):
        return NotImplemented  # Python then raises "unsupported operand type(s) for @", as torch
    return matmul(self, other)


def _rmatmul_operator(self: Tensor, other: Any) -> Any:
    if other is None or isinstance(other, _PY_SCALARS):
        return NotImplemented
    return matmul(other, self)


Tensor.__matmul__ = _matmul_operator
Tensor.__rmatmul__ = _rmatmul_operator

__all__ = sorted(k for k in EXPORTS)
