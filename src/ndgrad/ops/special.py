"""Special functions (``ndgrad.special`` and top-level names), on SciPy's ``scipy.special``.

The forwards call ``scipy.special`` through ``_backend.scipy_fn`` (SciPy is the optional
``[scipy]`` extra: without it each op raises ``ModuleNotFoundError`` naming itself), except the
few that the array API spells directly (sinc, logit, entr, xlogy, xlog1py). Every rule is written
in ndgrad ops, and the derivative functions are records themselves (lgamma' = digamma,
digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1), i0' = i1, ...), so second order works.

Top-level names and Tensor methods exist where PyTorch has them (``erfc``, ``erfinv``, ``lgamma``,
``digamma``, ``polygamma``, ``mvlgamma``, ``xlogy``, ``logit``, ``sinc``, ``i0``, ``igamma``,
``igammac``), each with its in-place form; the rest live in ``ndgrad.special`` only, named
``special.<name>`` as PyTorch's ``torch.special``. Aliases (``special.gammaln`` is ``lgamma``,
``special.expit`` is ``sigmoid``, ``special.softmax`` is ``softmax`` ...) are registered in
``NAMESPACE_ALIASES["special"]``.

Gradients PyTorch does not implement raise its ``NotImplementedError`` (``gammainc``/``gammaincc``
with respect to their first argument, ``zeta`` with respect to ``x``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from .arith import _NUMBERS, _arrays, _require_float, exp2
from .elementwise import _cj, cos, exp, log, sin, where
from .nn_ops import log_softmax, logsumexp, softmax
from .pointwise import round as _round  # special.round (not the builtin, in doctests too)
from .registry import EXPORTS, NAMESPACE_ALIASES, TABLE, Sample, attach_method, def_op, def_twin
from .samples import binary, rand, unary
from .unary import erf, expm1, log1p, sigmoid, sign

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _scipy(xp: Any, name: str, op: str, *args: Any) -> Any:
    """``scipy.special.<name>(*args)`` on ``xp``'s arrays, in the dtype of the first array."""
    out = _backend.scipy_fn(xp, "special", name, op)(*args)
    dt = next(a.dtype for a in args if hasattr(a, "dtype"))
    if xp is np:
        return np.asarray(out, dtype=dt)
    return out if out.dtype == dt else xp.astype(out, dt)


def _ref(name: str) -> Any:
    """The NumPy reference: SciPy's function, in the input's dtype (imported when called)."""

    def ref(*args: Any, **kwargs: Any) -> np.ndarray:
        import scipy.special as sp

        dt = next(a.dtype for a in args if isinstance(a, np.ndarray))
        return np.asarray(getattr(sp, name)(*args, **kwargs), dtype=dt)

    return ref


def _not_implemented(what: str) -> Any:
    """A rule PyTorch does not have: its NotImplementedError, then ndgrad's hint."""

    def rule(g: Tensor, ans: Any, *args: Any, **params: Any) -> Tensor:
        raise NotImplementedError(
            f"the derivative for '{what}' is not implemented.; hint: detach() that input (PyTorch "
            "has no formula for it either)"
        )

    return rule


def _scipy_unary(
    name: str,
    sp_name: str,
    vjp: Any,
    *,
    low: float = -2.0,
    high: float = 2.0,
    save: Any = "inputs",
    samples: Any = None,
    doc: str = "",
    **kwargs: Any,
) -> Any:
    """An elementwise function of one floating input computed by ``scipy.special.<sp_name>``."""
    short = name.rsplit(".", 1)[-1]
    opts: dict[str, Any] = {
        "jvp": "elementwise",
        "promote": "float",
        "save": save,
        "samples": samples or unary(low=low, high=high),
        "ref": _ref(sp_name),
        "doc": doc,
    }
    if "." in name:
        opts["method"] = False
    else:
        opts["inplace"] = True
    opts.update(kwargs)

    def forward(xp: Any, x: Any) -> Any:
        _require_float(short, x)  # complex: PyTorch's NotImplementedError (ints are promoted)
        return _scipy(xp, sp_name, short, x)

    return def_op(name, forward=forward, vjp=vjp, **opts)


# ---------------------------------------------------------------- gamma family
def _polygamma_fwd(xp: Any, x: Any, *, n: Any = None) -> Any:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(
            "polygamma(n, x) does not support negative n.; hint: n is the order of the "
            "derivative of digamma: 0, 1, 2, ..."
        )
    if n == 0:
        return _scipy(xp, "psi", "polygamma", x)
    return _scipy(xp, "polygamma", "polygamma", n, x)


def _polygamma_ref(x: np.ndarray, n: int) -> np.ndarray:
    import scipy.special as sp

    return np.asarray(sp.polygamma(n, x), dtype=x.dtype)


def _polygamma_samples(rng: np.random.Generator, dt: Any) -> list:
    out = [
        Sample((rand(rng, s, dt, 0.5, 3.0),), {"n": n}, name=f"n={n} {s}")
        for n, s in ((0, (3,)), (2, ()), (3, (4,)))
    ]
    # PyTorch's trigamma (n = 1) is a short asymptotic series, off by ~4e-10 (relative) below
    # x ~ 8; SciPy's is exact to rounding (tests/test_special.py), so n = 1 samples x >= 10.
    out.append(Sample((rand(rng, (2, 3), dt, 10.0, 14.0),), {"n": 1}, name="n=1"))
    return out


_polygamma = def_op(
    "polygamma",
    forward=_polygamma_fwd,
    # d/dx polygamma(n, x) = polygamma(n + 1, x)
    vjp=lambda g, ans, x, *, n=None: g * _polygamma(x, n + 1),
    jvp="elementwise",
    params=(("n", None),),
    promote="float",
    inplace=True,
    export=False,
    samples=_polygamma_samples,
    ref=lambda x, n: _polygamma_ref(x, n),
    torch=lambda x, n: __import__("torch").polygamma(n, x),
    doc="The n-th derivative of digamma (record form ``(input, n)``; the public function is "
    "``polygamma(n, input)``). d/dx polygamma(n, x) = polygamma(n + 1, x).",
)


def polygamma(n: int, input: Any, *, out: Tensor | None = None) -> Tensor:
    """``polygamma(n, x)``: the n-th derivative of digamma, psi^(n)(x).

    d/dx polygamma(n, x) = polygamma(n + 1, x).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0], dtype=ndgrad.float64)
        >>> round(ndgrad.polygamma(1, x).item(), 6)  # pi^2 / 6
        1.644934
    """
    if out is not None:
        return _polygamma(input, n, out=out)
    return _polygamma(input, n)


EXPORTS["polygamma"] = polygamma

lgamma = _scipy_unary(
    "lgamma",
    "gammaln",
    lambda g, ans, x: g * digamma(x),
    samples=lambda rng, dt: [
        *unary(low=0.5, high=4.0)(rng, dt),
        Sample((rand(rng, (3,), dt, -2.8, -2.2),), name="negative"),
    ],
    doc="log|Gamma(x)| (also for negative x, as PyTorch). d/dx lgamma x = digamma x.\n\n"
    "Example:\n"
    "    >>> import ndgrad\n"
    "    >>> ndgrad.lgamma(ndgrad.tensor([1.0, 3.0])).tolist()\n"
    "    [0.0, 0.6931471824645996]\n",
)

digamma = _scipy_unary(
    "digamma",
    "psi",
    lambda g, ans, x: g * _polygamma(x, 1),
    low=0.5,
    high=4.0,
    doc="The logarithmic derivative of Gamma, psi(x) = Gamma'(x)/Gamma(x) (-inf at 0, NaN at "
    "negative integers, as PyTorch). d/dx digamma x = polygamma(1, x).",
)


def _mvlgamma_fwd(xp: Any, x: Any, *, p: Any = None) -> Any:
    if not isinstance(p, int) or p < 1:
        raise RuntimeError(
            "p has to be greater than or equal to 1; hint: p is the dimension of the "
            "multivariate gamma function"
        )
    out = _scipy(xp, "gammaln", "mvlgamma", x)
    for i in range(1, p):
        out = out + _scipy(xp, "gammaln", "mvlgamma", x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def _mvlgamma_ref(x: np.ndarray, p: int) -> np.ndarray:
    import scipy.special as sp

    i = np.arange(p) / 2
    out = sp.gammaln(x[..., None] - i).sum(-1) + p * (p - 1) / 4 * np.log(np.pi)
    return np.asarray(out, dtype=x.dtype)


def _mvlgamma_vjp(g: Tensor, ans: Any, x: Tensor, *, p: Any = None) -> Tensor:
    # d/dx sum_i lgamma(x - i/2) = sum_i digamma(x - i/2)
    d = digamma(x)
    for i in range(1, p):
        d = d + digamma(x - i / 2)
    return g * d


mvlgamma = def_op(
    "mvlgamma",
    forward=_mvlgamma_fwd,
    vjp=_mvlgamma_vjp,
    jvp="elementwise",
    params=(("p", None),),
    promote="float",
    inplace=True,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt, 1.5, 4.0),), {"p": 1}),
        Sample((rand(rng, (2, 3), dt, 2.5, 4.0),), {"p": 3}),
    ],
    ref=_mvlgamma_ref,
    doc="The multivariate log-gamma function: sum_{i<p} lgamma(x - i/2) + p(p-1)/4 log(pi). "
    "d/dx = sum_{i<p} digamma(x - i/2).",
)

# ---------------------------------------------------------------- error functions
erfc = _scipy_unary(
    "erfc",
    "erfc",
    lambda g, ans, x: g * (-2.0 / _SQRT_PI * exp(-(x * x))),
    doc="The complementary error function 1 - erf x, accurate where erf x is near 1. "
    "d/dx erfc x = -2/sqrt(pi) e^(-x^2).",
)

erfinv = _scipy_unary(
    "erfinv",
    "erfinv",
    lambda g, ans, x: g * (_SQRT_PI / 2 * exp(ans * ans)),
    low=-0.9,
    high=0.9,
    save="ans",
    doc="The inverse error function on (-1, 1). d/dx erfinv x = sqrt(pi)/2 e^(erfinv(x)^2).",
)

_erfcx = _scipy_unary(
    "special.erfcx",
    "erfcx",
    lambda g, ans, x: g * (2.0 * x * ans - 2.0 / _SQRT_PI),
    save="both",
    backward_name="SpecialErfcxBackward0",
    doc="The scaled complementary error function e^(x^2) erfc x. d/dx = 2x erfcx x - 2/sqrt(pi).",
)

_ndtr = _scipy_unary(
    "special.ndtr",
    "ndtr",
    # (PyTorch composes (1 + erf(x/sqrt 2)) / 2, whose node is MulBackward1; SciPy's ndtr keeps
    # its relative accuracy in the lower tail, so ndgrad keeps its own record.)
    lambda g, ans, x: g * (exp(-0.5 * x * x) / _SQRT_2PI),
    low=-3.0,
    high=3.0,
    doc="The standard normal CDF (1 + erf(x/sqrt 2))/2. d/dx = e^(-x^2/2)/sqrt(2 pi).",
)

_ndtri = _scipy_unary(
    "special.ndtri",
    "ndtri",
    lambda g, ans, x: g * (_SQRT_2PI * exp(0.5 * ans * ans)),
    low=0.05,
    high=0.95,
    save="ans",
    doc="The inverse of ndtr on (0, 1). d/dx ndtri x = sqrt(2 pi) e^(ndtri(x)^2/2).",
)

_log_ndtr = _scipy_unary(
    "special.log_ndtr",
    "log_ndtr",
    lambda g, ans, x: g * (exp(-(ans + 0.5 * x * x)) / _SQRT_2PI),
    low=-3.0,
    high=3.0,
    save="both",
    doc="log(ndtr x), accurate in both tails. d/dx = e^(-x^2/2)/(sqrt(2 pi) ndtr x), computed as "
    "exp(-(log_ndtr x + x^2/2))/sqrt(2 pi).",
)

# ---------------------------------------------------------------- Bessel functions
i0 = _scipy_unary(
    "i0",
    "i0",
    lambda g, ans, x: g * _i1(x),
    doc="The modified Bessel function of the first kind of order 0. d/dx i0 x = i1 x.",
)

_i0e = _scipy_unary(
    "special.i0e",
    "i0e",
    lambda g, ans, x: g * (_i1e(x) - sign(x) * ans),
    save="both",
    backward_name="SpecialI0EBackward0",
    doc="The exponentially scaled i0: e^(-|x|) i0 x. d/dx = i1e x - sign(x) i0e x.",
)


def _safe(x: Tensor) -> tuple:
    """(x == 0, x with its zeros replaced by 1): a division by x that stays finite."""
    zero = x == 0
    return zero, where(zero, 1.0, x)


def _order_one_vjp(order_zero: Any) -> Any:
    """The rule of i1 and j1: d/dx f1 x = f0 x - f1(x)/x, and 1/2 at x = 0 (its limit, as
    PyTorch's i1); ``order_zero`` is looked up when the rule runs (f0 may be declared later)."""

    def rule(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
        zero, xs = _safe(x)
        return g * where(zero, 0.5, order_zero()(x) - ans / xs)

    return rule


_i1 = _scipy_unary(
    "special.i1",
    "i1",
    _order_one_vjp(lambda: i0),
    save="both",
    doc="The modified Bessel function of the first kind of order 1. d/dx i1 x = i0 x - i1(x)/x "
    "(1/2 at x = 0).",
)


def _i1e_vjp(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    # d/dx e^(-|x|) i1 x = i0e x - i1e(x) (sign x + 1/x), and 1/2 at x = 0 (as PyTorch)
    zero, xs = _safe(x)
    return g * where(zero, 0.5, _i0e(x) - ans * (sign(x) + 1 / xs))


_i1e = _scipy_unary(
    "special.i1e",
    "i1e",
    _i1e_vjp,
    save="both",
    backward_name="SpecialI1EBackward0",
    doc="The exponentially scaled i1: e^(-|x|) i1 x. d/dx = i0e x - i1e(x) (sign x + 1/x).",
)

_bessel_j0 = _scipy_unary(
    "special.bessel_j0",
    "j0",
    lambda g, ans, x: -g * _bessel_j1(x),
    low=-3.0,
    high=3.0,
    doc="The Bessel function of the first kind of order 0. d/dx j0 x = -j1 x. (PyTorch records "
    "no gradient for it; ndgrad differentiates it.)",
)


_bessel_j1 = _scipy_unary(
    "special.bessel_j1",
    "j1",
    _order_one_vjp(lambda: _bessel_j0),
    low=-3.0,
    high=3.0,
    save="both",
    doc="The Bessel function of the first kind of order 1. d/dx j1 x = j0 x - j1(x)/x (1/2 at "
    "0). (PyTorch records no gradient for it; ndgrad differentiates it.)",
)

# The Bessel functions PyTorch computes but does not differentiate (their results do not
# require grad there, so they do not here either).


def _values_only(name: str, sp_name: str, low: float, high: float, doc: str, *pre: Any) -> Any:
    """A forward-only ``special.<name>``: ``scipy.special.<sp_name>(*pre, x)``."""

    def forward(xp: Any, x: Any) -> Any:
        _require_float(name, x)
        if sp_name != "airy":
            return _scipy(xp, sp_name, name, *pre, x)
        out = _backend.scipy_fn(xp, "special", "airy", name)(x)  # (Ai, Ai', Bi, Bi')
        out = out[0] if isinstance(out, tuple) else out[0, ...]  # a host round trip stacks them
        return np.asarray(out, dtype=x.dtype) if xp is np else xp.astype(out, x.dtype)

    def ref(x: np.ndarray) -> np.ndarray:
        import scipy.special as sp

        out = getattr(sp, sp_name)(*pre, x)
        return np.asarray(out[0] if sp_name == "airy" else out, dtype=x.dtype)

    return def_op(
        f"special.{name}",
        forward=forward,
        differentiable=False,
        promote="float",
        method=False,
        samples=unary(low=low, high=high),
        ref=ref,
        doc=doc + " (No gradient, as PyTorch.)",
    )


_values_only("modified_bessel_i0", "i0", -3.0, 3.0, "The modified Bessel function I0.")
_values_only("modified_bessel_i1", "i1", -3.0, 3.0, "The modified Bessel function I1.")
_values_only("modified_bessel_k0", "k0", 0.2, 4.0, "The modified Bessel function K0 (x > 0).")
_values_only("modified_bessel_k1", "k1", 0.2, 4.0, "The modified Bessel function K1 (x > 0).")
_values_only("scaled_modified_bessel_k0", "k0e", 0.2, 4.0, "e^x K0(x), for x > 0.")
_values_only("scaled_modified_bessel_k1", "k1e", 0.2, 4.0, "e^x K1(x), for x > 0.")
_values_only("spherical_bessel_j0", "spherical_jn", -4.0, 4.0, "sin(x)/x (1 at 0).", 0)
_values_only("airy_ai", "airy", -3.0, 3.0, "The Airy function Ai.")

# ---------------------------------------------------------------- elementary special functions


def _sinc_fwd(xp: Any, x: Any) -> Any:
    zero = x == 0
    y = xp.where(zero, xp.ones_like(x), x) * math.pi
    return xp.where(zero, xp.ones_like(y), xp.sin(y) / y)


def _sinc_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    # d/dx sin(pi x)/(pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), and 0 at x = 0 (as PyTorch)
    zero, xs = _safe(x)
    y = xs * math.pi
    return g * _cj(where(zero, 0.0, (y * cos(y) - sin(y)) / (xs * xs * math.pi)))


sinc = def_op(
    "sinc",
    forward=_sinc_fwd,
    vjp=_sinc_vjp,
    jvp="elementwise",
    promote="float",
    inplace=True,
    complex=True,
    samples=unary(),
    ref=lambda x: np.sinc(x),
    doc="The normalized sinc sin(pi x)/(pi x), 1 at 0. d/dx = (pi x cos(pi x) - sin(pi x)) / "
    "(pi x^2), 0 at x = 0.",
)


def _logit_fwd(xp: Any, x: Any, *, eps: Any = None) -> Any:
    if eps is not None:
        x = xp.clip(x, eps, 1 - eps)
    return xp.log(x / (1 - x))


def _logit_vjp(g: Tensor, ans: Any, x: Tensor, *, eps: Any = None) -> Tensor:
    # d/dx log(x/(1-x)) = 1/(x(1-x)); as PyTorch, NaN outside [0, 1] without eps, and 0 where
    # the clamp to [eps, 1 - eps] is active (the bounds themselves keep the formula).
    d = g / (x * (1 - x))
    if eps is None:
        return where((x < 0) | (x > 1), math.nan, d)
    return where((x < eps) | (x > 1 - eps), 0.0, d)


def _logit_ref(x: np.ndarray, eps: Any = None) -> np.ndarray:
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def _logit_samples(rng: np.random.Generator, dt: Any) -> list:
    clamped = np.asarray([0.03, 0.5, 0.97, 0.3], dtype=dt)  # the ends are clamped (eps = 0.1)
    return [
        *unary(low=0.05, high=0.95)(rng, dt),
        Sample((clamped,), {"eps": 0.1}, name="eps"),
        Sample((rand(rng, (2, 3), dt, 0.15, 0.85),), {"eps": 1e-6}, name="small eps"),
    ]


logit = def_op(
    "logit",
    forward=_logit_fwd,
    vjp=_logit_vjp,
    jvp="elementwise",
    params=(("eps", None),),
    promote="float",
    inplace=True,
    samples=_logit_samples,
    ref=_logit_ref,
    doc="log(x/(1 - x)), the inverse of sigmoid; with ``eps``, x is clamped to [eps, 1 - eps] "
    "first. d/dx = 1/(x(1 - x)) (0 where clamped; NaN outside [0, 1] without eps).",
)


def _entr_fwd(xp: Any, x: Any) -> Any:
    pos = x > 0
    out = -x * xp.log(xp.where(pos, x, xp.ones_like(x)))
    out = xp.where(pos, out, xp.where(x == 0, xp.zeros_like(x), xp.full_like(x, -math.inf)))
    return xp.where(xp.isnan(x), x, out)


_entr = def_op(
    "special.entr",
    forward=_entr_fwd,
    # d/dx (-x log x) = -(log x + 1): inf at 0, NaN for x < 0 (as PyTorch)
    vjp=lambda g, ans, x: g * -(log(x) + 1),
    jvp="elementwise",
    promote="float",
    method=False,
    samples=unary(low=0.2, high=2.0),
    ref=_ref("entr"),
    doc="The elementwise entropy -x log x (0 at 0, -inf for x < 0). d/dx = -(log x + 1).",
)

# ---------------------------------------------------------------- functions of two inputs
# Note [Overloads of binary special functions]
# PyTorch names the node of xlogy, xlog1py and zeta by which argument is a Python number:
# (Tensor, Tensor) Backward0, (number, Tensor) Backward1, (Tensor, number) Backward2. Each
# overload is a twin of the record (``registry.def_twin``) and the public function picks one
# by the types of its arguments (as elementwise.py's pow: See Note [Overload names of pow and
# rsub] there).


def _overloads(base: Any, scalar_self: Any, scalar_other: Any) -> Any:
    """The public function of a record with twins for a number first or second argument."""
    op = TABLE[base]
    bname = op.backward_name[: -len("0")]
    prefix, dot, short = base.rpartition(".")
    t1 = def_twin(base, f"{prefix}{dot}_{short}_scalar_self", bname + "1", scalar_self).fn
    t2 = None
    if scalar_other is not None:
        t2 = def_twin(base, f"{prefix}{dot}_{short}_scalar_other", bname + "2", scalar_other).fn
    fn = op.fn

    def public(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        if out is not None:
            from .out import write_out

            return write_out(op, public, (input, other), {"out": out})
        if isinstance(input, _NUMBERS) and not isinstance(other, _NUMBERS):
            return t1(input, other)
        if t2 is not None and isinstance(other, _NUMBERS) and not isinstance(input, _NUMBERS):
            return t2(input, other)
        return fn(input, other)

    public.__name__ = public.__qualname__ = base.rsplit(".", 1)[-1]
    public.__doc__ = op.doc
    return public


def _scalar_samples(first: Any, second: Any, grad: Any = None) -> Any:
    """Samples of the overloads: a number first (``first``: its value) or second."""

    def gen(rng: np.random.Generator, dt: Any) -> list:
        if first is not None:
            a, (lo, hi) = first
            return [Sample((a, rand(rng, (2, 3), dt, lo, hi)), grad=grad, name="number first")]
        (lo, hi), b = second
        return [Sample((rand(rng, (2, 3), dt, lo, hi), b), grad=grad, name="number second")]

    return gen


def _x_log_fwd(f: Any) -> Any:
    def forward(xp: Any, x: Any, y: Any) -> Any:
        x, y = _arrays(xp, x, y)
        out = x * f(xp, y)
        keep = (x == 0) & xp.logical_not(xp.isnan(y))  # 0 log 0 = 0, but NaN stays NaN
        return xp.where(keep, xp.zeros_like(out), out)

    return forward


def _x_log_ref(f: Any) -> Any:
    def ref(x: Any, y: Any) -> np.ndarray:
        out = np.asarray(np.asarray(x) * f(np.asarray(y)))
        return np.where((np.asarray(x) == 0) & ~np.isnan(y), 0, out).astype(out.dtype)

    return ref


def _x_log_dx(f: Any, edge: float) -> Any:
    """d/dx x f(y) = f(y), as PyTorch's ``f(grad, y)`` masked to 0 where x == 0 and y <= edge
    (so 0 log 0 and 0 log(negative) have a zero gradient; 0 log y for y > 0 has log y)."""

    def rule(g: Tensor, ans: Any, x: Tensor, y: Any) -> Tensor:
        d = f(g, y)
        if isinstance(y, _NUMBERS):
            return where(x == 0, 0.0, d) if y <= edge else d
        return where((x == 0) & (y <= edge), 0.0, d)

    return rule


_xlogy = def_op(
    "xlogy",
    forward=_x_log_fwd(lambda xp, y: xp.log(y)),
    # d/dx = log y (0 where x == 0 and y <= 0, as PyTorch); d/dy = x / y
    vjp=(
        _x_log_dx(lambda g, y: _xlogy(g, y), 0.0),
        lambda g, ans, x, y: g * x / y,
    ),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    inplace=True,
    samples=binary(low=-2.0, high=2.0, low2=0.5, high2=2.0, scalar=1.5),
    ref=_x_log_ref(np.log),
    doc="x log y, and 0 where x == 0 (unless y is NaN). d/dx = log y (0 where x == 0 and "
    "y <= 0, as PyTorch), d/dy = x/y.",
)
xlogy = _overloads(
    "xlogy",
    _scalar_samples((1.5, (0.5, 2.0)), None),
    _scalar_samples(None, ((-2.0, 2.0), 1.5)),
)
EXPORTS["xlogy"] = xlogy
attach_method("xlogy", xlogy)

_xlog1py = def_op(
    "special.xlog1py",
    forward=_x_log_fwd(lambda xp, y: xp.log1p(y)),
    # d/dx = log1p y (0 where x == 0 and y <= -1, as PyTorch); d/dy = x / (1 + y)
    vjp=(
        _x_log_dx(lambda g, y: _xlog1py(g, y), -1.0),
        lambda g, ans, x, y: g * x / (y + 1),
    ),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    method=False,
    backward_name="SpecialXlog1PyBackward0",
    samples=binary(low=-2.0, high=2.0, low2=-0.5, high2=2.0, scalar=0.5),
    ref=_x_log_ref(np.log1p),
    doc="x log(1 + y), and 0 where x == 0 (unless y is NaN). d/dx = log1p y (0 where x == 0 "
    "and y <= -1), d/dy = x/(1 + y).",
)
xlog1py = _overloads(
    "special.xlog1py",
    _scalar_samples((1.5, (-0.5, 2.0)), None),
    _scalar_samples(None, ((-2.0, 2.0), 0.5)),
)


def _igamma_fwd(name: str) -> Any:
    def forward(xp: Any, a: Any, x: Any) -> Any:
        _require_float(name, a, x)
        return _scipy(xp, "gammainc" if name == "igamma" else "gammaincc", name, a, x)

    return forward


def _igamma_density(a: Tensor, x: Tensor) -> Tensor:
    """d/dx P(a, x) = x^(a-1) e^(-x) / Gamma(a), in logs (as PyTorch)."""
    return exp((a - 1) * log(x) - x - lgamma(a))


def _igamma_samples(rng: np.random.Generator, dt: Any) -> list:
    out = binary(low=0.5, high=3.0, scalar=None)(rng, dt)
    for s in out:
        s.grad = (1,)  # PyTorch has no derivative with respect to a
    return out


def _def_igamma(name: str, sp_name: str, sign: float, doc: str) -> Any:
    return def_op(
        name,
        forward=_igamma_fwd(name),
        vjp=(
            _not_implemented(f"{name}: input"),
            lambda g, ans, a, x: sign * g * _igamma_density(a, x),
        ),
        jvp="elementwise",
        inputs=("input", "other"),
        promote="binary",
        inplace=True,
        samples=_igamma_samples,
        ref=_ref(sp_name),
        doc=doc,
    )


igamma = _def_igamma(
    "igamma",
    "gammainc",
    1.0,
    "The regularized lower incomplete gamma function P(a, x) (``special.gammainc``). "
    "d/dx = x^(a-1) e^(-x)/Gamma(a); the derivative in a is not implemented (as PyTorch).",
)
igammac = _def_igamma(
    "igammac",
    "gammaincc",
    -1.0,
    "The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) "
    "(``special.gammaincc``). d/dx = -x^(a-1) e^(-x)/Gamma(a); not implemented in a.",
)


def _zeta_fwd(xp: Any, x: Any, q: Any) -> Any:
    x, q = _arrays(xp, x, q)
    return _scipy(xp, "zeta", "zeta", x, q)


def _zeta_samples(rng: np.random.Generator, dt: Any) -> list:
    out = binary(low=1.5, high=4.0, low2=0.5, high2=2.0, scalar=None)(rng, dt)
    for s in out:
        s.grad = (1,)  # PyTorch has no derivative with respect to x
    return out


_zeta = def_op(
    "special.zeta",
    forward=_zeta_fwd,
    # d/dq zeta(x, q) = -x zeta(x + 1, q); the derivative in x is not implemented (as PyTorch)
    vjp=(
        _not_implemented("zeta"),
        lambda g, ans, x, q: g * -x * _zeta(x + 1, q),
    ),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    method=False,
    samples=_zeta_samples,
    ref=_ref("zeta"),
    doc="The Hurwitz zeta function sum_k (k + q)^(-x). d/dq = -x zeta(x + 1, q); the "
    "derivative in x is not implemented (as PyTorch).",
)
zeta = _overloads(
    "special.zeta",
    _scalar_samples((2.5, (0.5, 2.0)), None, grad=(1,)),
    # zeta(x, number): only x could take a gradient, and PyTorch has none, so no sample could
    # test a twin; the base record serves it (SpecialZetaBackward0, PyTorch's is ...Backward2).
    None,
)

# ---------------------------------------------------------------- torch.special's names
NAMESPACE_ALIASES.setdefault("special", {}).update(
    {
        "erf": erf,
        "erfc": erfc,
        "erfinv": erfinv,
        "expm1": expm1,
        "exp2": exp2,
        "log1p": log1p,
        "gammaln": lgamma,
        "digamma": digamma,
        "psi": digamma,
        "polygamma": polygamma,
        "multigammaln": mvlgamma,
        "xlogy": xlogy,
        "xlog1py": xlog1py,
        "zeta": zeta,
        "logit": logit,
        "expit": sigmoid,
        "sinc": sinc,
        "i0": i0,
        "gammainc": igamma,
        "gammaincc": igammac,
        "softmax": softmax,
        "log_softmax": log_softmax,
        "logsumexp": logsumexp,
        "round": _round,
    }
)

__all__ = [
    "digamma",
    "erfc",
    "erfinv",
    "i0",
    "igamma",
    "igammac",
    "lgamma",
    "logit",
    "mvlgamma",
    "polygamma",
    "sinc",
    "xlog1py",
    "xlogy",
    "zeta",
]
