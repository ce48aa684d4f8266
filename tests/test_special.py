"""Special functions and the extra elementwise arithmetic: what the op table's template cannot
see (numerical care at extreme inputs, PyTorch's choices at singular points, error classes and
messages, node names of the overloads, the namespace and the in-place forms)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import ndgrad
from ndgrad import special as S  # noqa: N812 - short, as the calls read


def t64(v, requires_grad=False):
    return ndgrad.tensor(np.asarray(v, dtype=np.float64), requires_grad=requires_grad)


def grads(fn, *values):
    """fn's values and the gradients of its sum, in ndgrad and in PyTorch (both as NumPy)."""
    torch = pytest.importorskip("torch")
    ours = [t64(v, True) for v in values]
    theirs = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out = fn(ndgrad, ours)
    tout = fn(torch, theirs)
    g = ndgrad.autograd.grad(out, ours, ndgrad.ones_like(out))
    tg = torch.autograd.grad(tout, theirs, torch.ones_like(tout))
    return (
        (out.detach().numpy(), tout.detach().numpy()),
        [(a.numpy(), b.numpy()) for a, b in zip(g, tg)],
    )


def assert_same(pair, rtol=1e-12):
    with np.errstate(invalid="ignore"):  # inf - inf inside the comparison of equal infinities
        np.testing.assert_allclose(pair[0], pair[1], rtol=rtol, atol=1e-300, equal_nan=True)


# ---------------------------------------------------------------- SciPy is optional


def test_special_function_without_scipy_raises_module_not_found_naming_the_op(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ModuleNotFoundError, match=r"^lgamma needs SciPy .*pip install"):
        ndgrad.lgamma(t64([1.5]))
    with pytest.raises(ModuleNotFoundError, match=r"^erfcx needs SciPy"):
        S.erfcx(t64([1.5]))


def test_arith_ops_need_no_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    x = t64([0.5, 2.0])
    assert ndgrad.logaddexp(x, x).shape == (2,)
    assert ndgrad.hypot(x, x).shape == (2,)
    assert ndgrad.sinc(x).shape == (2,)
    assert ndgrad.xlogy(x, x).shape == (2,)


# ---------------------------------------------------------------- numerical care


def test_logaddexp_is_finite_at_large_inputs_and_with_minus_infinity():
    inf = math.inf
    x = [1000.0, -1000.0, 1000.0, -inf, -inf, 3.0]
    y = [1000.0, -1000.0, -1000.0, 0.0, 2.0, -inf]
    for name in ("logaddexp", "logaddexp2"):
        value, [gx, gy] = grads(lambda lib, a, n=name: getattr(lib, n)(a[0], a[1]), x, y)
        assert np.isfinite(value[0]).all(), name
        assert_same(value)
        assert np.isfinite(gx[0]).all(), name
        assert np.isfinite(gy[0]).all(), name
        assert_same(gx)
        assert_same(gy)
    both = ndgrad.logaddexp(t64([-inf, inf]), t64([-inf, inf]))
    assert both.tolist() == [-inf, inf]


def test_xlogy_of_zero_and_zero_is_zero_with_pytorchs_gradient():
    x, y = [0.0, 0.0, 0.0, 2.0], [0.0, -1.0, 3.0, 3.0]
    value, [gx, gy] = grads(lambda lib, a: lib.xlogy(a[0], a[1]), x, y)
    assert value[0].tolist()[:3] == [0.0, 0.0, 0.0]
    assert_same(value)
    assert gx[0].tolist()[:3] == [0.0, 0.0, math.log(3.0)]  # masked where x == 0 and y <= 0
    assert_same(gx)
    assert_same(gy)  # 0/0 is NaN at (0, 0), as PyTorch
    assert math.isnan(ndgrad.xlogy(t64([0.0]), t64([math.nan])).item())


def test_xlog1py_at_zero_matches_pytorch():
    pytest.importorskip("torch")
    value, [gx, gy] = grads(
        lambda lib, a: lib.special.xlog1py(a[0], a[1]), [0.0, 0.0, 0.0, 2.0], [-1.0, -2.0, 3.0, 0.5]
    )
    assert_same(value)
    assert_same(gx)
    assert_same(gy)


@pytest.mark.parametrize("eps", [None, 0.1, 1e-6])
def test_logit_at_and_beyond_eps_matches_pytorch(eps):
    x = [0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 1e-6, 1 - 1e-6]
    value, [g] = grads(lambda lib, a: lib.logit(a[0], eps), x)
    assert_same(value)
    assert_same(g)


def test_lgamma_and_digamma_at_negative_inputs_match_pytorch():
    x = [-0.5, -1.5, -2.7, -3.2, -10.3]
    for name in ("lgamma", "digamma"):
        value, [g] = grads(lambda lib, a, n=name: getattr(lib, n)(a[0]), x)
        assert_same(value, rtol=1e-10)
        assert_same(g, rtol=1e-9)


def test_lgamma_second_derivative_is_trigamma():
    torch = pytest.importorskip("torch")
    x = t64([0.7, 1.9, 3.5], True)
    tx = torch.tensor([0.7, 1.9, 3.5], dtype=torch.float64, requires_grad=True)
    (g,) = ndgrad.autograd.grad(ndgrad.lgamma(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(torch.lgamma(tx).sum(), tx, create_graph=True)
    assert g.grad_fn.name() == tg.grad_fn.name()
    (h,) = ndgrad.autograd.grad(g.sum(), x)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-9)


def test_trigamma_is_exact_where_pytorchs_series_is_off():
    # polygamma(1, 1) = pi^2/6; PyTorch's series gives it to ~4e-10 only
    got = ndgrad.polygamma(1, t64([1.0])).item()
    assert got == pytest.approx(math.pi**2 / 6, rel=1e-15)


@pytest.mark.parametrize("name", ["special.i1", "special.i1e", "sinc", "special.i0e", "i0"])
def test_gradient_at_zero_is_pytorchs(name):
    def fn(lib, a):
        f = lib
        for part in name.split("."):
            f = getattr(f, part)
        return f(a[0])

    value, [g] = grads(fn, [0.0, -0.0, 1.5])
    assert_same(value, rtol=1e-10)
    assert_same(g, rtol=1e-10)


def test_bessel_j1_gradient_at_zero_is_its_limit():
    x = t64([0.0, 2.0], True)
    (g,) = ndgrad.autograd.grad(S.bessel_j1(x).sum(), x)
    j0 = S.bessel_j0(t64([2.0])).item()
    j1 = S.bessel_j1(t64([2.0])).item()
    assert g.tolist() == pytest.approx([0.5, j0 - j1 / 2.0], rel=1e-14)
    (g0,) = ndgrad.autograd.grad(S.bessel_j0(x).sum(), x)
    assert g0.tolist() == pytest.approx([0.0, -j1], rel=1e-14)


def test_entr_values_at_zero_negative_and_nan_match_pytorch():
    value, [g] = grads(lambda lib, a: lib.special.entr(a[0]), [0.0, -1.0, 0.5, math.nan])
    assert value[0][:3].tolist() == [0.0, -math.inf, -0.5 * math.log(0.5)]
    assert_same(value)
    assert_same(g)


def test_log_ndtr_in_the_tails_matches_pytorch():
    x = [-30.0, -8.0, -1.0, 0.0, 6.0, 30.0]
    value, [g] = grads(lambda lib, a: lib.special.log_ndtr(a[0]), x)
    assert np.isfinite(value[0]).all()
    assert_same(value, rtol=1e-10)
    assert_same(g, rtol=1e-9)


def test_ndtr_keeps_its_relative_accuracy_in_the_lower_tail():
    # PyTorch's (1 + erf(x/sqrt 2))/2 loses the lower tail (0 at -30, 2% off at -8); SciPy's
    # ndtr agrees with exp(log_ndtr) there, and with PyTorch from -3 up.
    x = t64([-30.0, -8.0])
    np.testing.assert_allclose(S.ndtr(x).numpy(), np.exp(S.log_ndtr(x).numpy()), rtol=1e-13)
    value, [g] = grads(lambda lib, a: lib.special.ndtr(a[0]), [-3.0, -1.0, 0.0, 6.0, 30.0])
    assert_same(value, rtol=1e-10)
    assert_same(g, rtol=1e-9)


def test_erfinv_and_ndtri_at_the_ends_of_their_domain_match_pytorch():
    for fn in (lambda lib, a: lib.erfinv(a[0]), lambda lib, a: lib.special.ndtri(a[0])):
        value, [g] = grads(fn, [-1.0, 1.0, 0.0, 0.999])
        assert_same(value, rtol=1e-10)
        assert_same(g, rtol=1e-9)


# ---------------------------------------------------------------- gradients PyTorch lacks


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, a, x: lib.special.gammainc(a, x),
        lambda lib, a, x: lib.special.gammaincc(a, x),
        lambda lib, a, x: lib.igamma(a, x),
        lambda lib, a, x: lib.special.zeta(a + 1.5, x),
        lambda lib, a, x: lib.special.zeta(a + 1.5, 2.0),
    ],
)
def test_unsupported_gradients_raise_as_pytorch(call):
    torch = pytest.importorskip("torch")
    a, x = [0.5, 1.5], [0.7, 2.0]
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    with pytest.raises(NotImplementedError) as theirs:
        call(torch, ta, torch.tensor(x, dtype=torch.float64)).sum().backward()
    na = t64(a, True)
    with pytest.raises(NotImplementedError) as ours:
        call(ndgrad, na, t64(x)).sum().backward()
    assert str(ours.value).startswith(str(theirs.value)), (ours.value, theirs.value)


def test_gammainc_gradient_in_x_matches_pytorch():
    value, [g] = grads(
        lambda lib, a: lib.special.gammainc(lib.tensor([0.5, 2.5]).double(), a[0]), [0.3, 4.0]
    )
    assert_same(value, rtol=1e-10)
    assert_same(g, rtol=1e-9)


def test_heaviside_has_no_gradient():
    x = t64([-1.0, 0.0, 2.0], True)
    out = ndgrad.heaviside(x, t64([0.5]))
    assert out.tolist() == [0.0, 0.5, 1.0]
    assert not out.requires_grad
    assert ndgrad.heaviside(t64([math.nan]), t64([0.5])).tolist() == [0.0]  # as PyTorch


# ---------------------------------------------------------------- errors and dtypes


def _same_error(fn):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(ndgrad)
    assert str(ours.value).startswith(str(theirs.value)), (ours.value, theirs.value)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.logaddexp(lib.tensor([1, 2]), lib.tensor([1, 2])),
        lambda lib: lib.logaddexp2(lib.tensor([True]), lib.tensor([False])),
        lambda lib: lib.hypot(lib.tensor([1, 2]), lib.tensor([1, 2])),
        lambda lib: lib.nextafter(lib.tensor([1, 2]), lib.tensor([1, 2])),
        lambda lib: lib.igamma(lib.tensor([1, 2]), lib.tensor([1, 2])),
        lambda lib: lib.heaviside(lib.tensor([1, 2]), lib.tensor([0.5])),
        lambda lib: lib.heaviside(lib.tensor([1j]), lib.tensor([1j])),
        lambda lib: lib.signbit(lib.tensor([1j])),
        lambda lib: lib.deg2rad(lib.tensor([1j])),
        lambda lib: lib.polygamma(-1, lib.tensor([1.0])),
        lambda lib: lib.mvlgamma(lib.tensor([3.0]), 0),
        lambda lib: lib.ones(2).float_power_(2),
    ],
)
def test_errors_match_pytorch(fn):
    _same_error(fn)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: lib.exp2(x),
        lambda lib, x: lib.log2(x),
        lambda lib, x: lib.log10(x),
        lambda lib, x: lib.deg2rad(x),
        lambda lib, x: lib.sgn(x),
        lambda lib, x: lib.signbit(x),
        lambda lib, x: lib.copysign(x, -1),
        lambda lib, x: lib.xlogy(x, x),
        lambda lib, x: lib.lgamma(x),
        lambda lib, x: lib.special.entr(x),
        lambda lib, x: lib.float_power(x, 2),
        lambda lib, x: lib.heaviside(x, x),
    ],
)
@pytest.mark.parametrize("values", [[1, 2, 3], [True, False, True]])
def test_integer_and_bool_inputs_promote_as_pytorch(fn, values):
    torch = pytest.importorskip("torch")
    ours = fn(ndgrad, ndgrad.tensor(values))
    theirs = fn(torch, torch.tensor(values))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_float_power_computes_in_float64_and_gives_float32_gradients():
    x = ndgrad.tensor([1.5, 2.0], requires_grad=True)
    out = ndgrad.float_power(x, 3)
    assert out.dtype is ndgrad.float64
    (g,) = ndgrad.autograd.grad(out.sum(), x)
    assert g.dtype is ndgrad.float32
    assert g.tolist() == pytest.approx([3 * 1.5**2, 12.0])
    assert ndgrad.float_power(ndgrad.tensor([1j]), 2).dtype is ndgrad.complex128
    y = t64([2.0])
    assert y.float_power_(2) is y
    assert y.tolist() == [4.0]


# ---------------------------------------------------------------- names, methods, in place


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: lib.xlogy(x, x),
        lambda lib, x: lib.xlogy(2.0, x),
        lambda lib, x: lib.xlogy(x, 2.0),
        lambda lib, x: lib.special.xlog1py(x, x),
        lambda lib, x: lib.special.xlog1py(2.0, x),
        lambda lib, x: lib.special.xlog1py(x, 2.0),
        lambda lib, x: lib.special.zeta(x + 1, x),
        lambda lib, x: lib.special.zeta(2.0, x),
        lambda lib, x: lib.copysign(x, x),
        lambda lib, x: lib.copysign(x, -1.0),
        lambda lib, x: lib.float_power(x, 2),
        lambda lib, x: lib.float_power(x, x),
        lambda lib, x: lib.float_power(2, x),
        lambda lib, x: lib.special.gammaln(x),
        lambda lib, x: lib.special.psi(x),
        lambda lib, x: lib.special.multigammaln(x + 2, 2),
        lambda lib, x: lib.special.erfcx(x),
        lambda lib, x: lib.special.i0e(x),
        lambda lib, x: lib.special.i1e(x),
        lambda lib, x: lib.special.log_ndtr(x),
        lambda lib, x: lib.special.expit(x),
        lambda lib, x: lib.special.logit(x / 4),
        lambda lib, x: lib.special.softmax(x, 0),
        lambda lib, x: lib.special.exp2(x),
        lambda lib, x: lib.logaddexp2(x, x),
        lambda lib, x: lib.deg2rad(x),
        lambda lib, x: lib.rad2deg(x),
        lambda lib, x: lib.sgn(x),
        lambda lib, x: lib.nextafter(x, x),
        lambda lib, x: lib.hypot(x, x),
        lambda lib, x: lib.logaddexp(x, x),
        lambda lib, x: lib.log10(x),
    ],
)
def test_node_names_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    ours = fn(ndgrad, t64([0.5, 1.5], True))
    theirs = fn(torch, torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)


SPECIAL = [
    *("erfc", "erfinv", "erfcx", "digamma", "psi", "polygamma", "multigammaln", "xlogy"),
    *("xlog1py", "logit", "expit", "sinc", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri"),
    *("log_ndtr", "gammaln", "gammainc", "gammaincc", "zeta", "entr", "bessel_j0", "bessel_j1"),
    *("softmax", "log_softmax", "logsumexp", "round", "exp2", "expm1", "log1p", "erf"),
    *("modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1"),
    *("scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0"),
    "airy_ai",
]


def test_special_namespace_has_pytorchs_names():
    torch = pytest.importorskip("torch")
    for name in SPECIAL:
        assert name in dir(torch.special), name
        assert name in S.__all__, name
        assert callable(getattr(S, name)), name
    assert S.expit is ndgrad.sigmoid
    assert S.gammaln is ndgrad.lgamma
    assert S.psi is S.digamma
    assert S.gammainc is ndgrad.igamma
    assert S.softmax is ndgrad.softmax


def test_top_level_names_and_methods_exist_where_pytorch_has_them():
    torch = pytest.importorskip("torch")
    names = [
        *("erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "xlogy", "logit"),
        *("sinc", "i0", "igamma", "igammac", "logaddexp", "logaddexp2", "hypot", "copysign"),
        *("nextafter", "heaviside", "float_power", "exp2", "log2", "log10", "sgn", "signbit"),
        *("deg2rad", "rad2deg", "true_divide"),
    ]
    for name in names:
        for suffix in ("", "_"):
            if hasattr(torch, name + suffix):
                assert hasattr(ndgrad, name + suffix), name + suffix
            if hasattr(torch.Tensor, name + suffix):
                assert hasattr(ndgrad.Tensor, name + suffix), "Tensor." + name + suffix


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("lgamma_", ()),
        ("digamma_", ()),
        ("erfinv_", ()),
        ("erfc_", ()),
        ("i0_", ()),
        ("sinc_", ()),
        ("logit_", (0.1,)),
        ("polygamma_", (2,)),
        ("mvlgamma_", (1,)),
        ("xlogy_", (2.0,)),
        ("exp2_", ()),
        ("log2_", ()),
        ("hypot_", (0.3,)),
        ("deg2rad_", ()),
        ("sgn_", ()),
    ],
)
def test_in_place_forms_match_pytorch(method, args):
    torch = pytest.importorskip("torch")
    hyp = method == "hypot_"
    vals = [0.25, 0.75]
    x = t64(vals)
    tx = torch.tensor(vals, dtype=torch.float64)
    a = tuple(t64([v]) if hyp else v for v in args)
    ta = tuple(torch.tensor([v], dtype=torch.float64) if hyp else v for v in args)
    v0 = x._version
    assert getattr(x, method)(*a) is x
    getattr(tx, method)(*ta)
    assert x._version == v0 + 1
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-10)


def test_in_place_form_records_history_of_a_non_leaf():
    x = t64([0.3, 0.6], True)
    y = x * 1.0
    y.logit_()
    (g,) = ndgrad.autograd.grad(y.sum(), x)
    assert g.tolist() == pytest.approx([1 / (0.3 * 0.7), 1 / (0.6 * 0.4)])


def test_out_keyword_writes_into_the_given_tensor():
    out = ndgrad.empty(2, dtype=ndgrad.float64)
    res = S.xlog1py(t64([1.0, 2.0]), t64([0.5, 1.0]), out=out)
    assert res is out
    assert out.tolist() == pytest.approx([math.log1p(0.5), 2 * math.log(2.0)])
    out2 = ndgrad.empty(2, dtype=ndgrad.float64)
    ndgrad.logaddexp(t64([0.0, 1.0]), t64([0.0, 1.0]), out=out2)
    assert out2.tolist() == pytest.approx([math.log(2.0), 1 + math.log(2.0)])
    out3 = ndgrad.empty(2, dtype=ndgrad.float64)
    ndgrad.polygamma(0, t64([1.0, 2.0]), out=out3)
    assert out3.tolist() == pytest.approx([-0.5772156649015329, 0.42278433509846713])


def test_signbit_sees_negative_zero():
    assert ndgrad.signbit(t64([-0.0, 0.0, -2.0, math.nan])).tolist() == [True, False, True, False]


def test_sgn_of_complex_is_the_unit_phase_and_zero_at_zero():
    out = ndgrad.sgn(ndgrad.tensor([3 + 4j, 0j]))
    assert out.tolist() == [pytest.approx(0.6 + 0.8j), 0j]


def test_logaddexp_of_complex_values_matches_pytorch():
    torch = pytest.importorskip("torch")
    x, y = [1 + 1j, 0.5 - 1j, -3 + 2j], [0.3 + 0j, 2 - 0.5j, 1j]
    ours = ndgrad.logaddexp(ndgrad.tensor(x), ndgrad.tensor(y))
    theirs = torch.logaddexp(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["modified_bessel_k0", "spherical_bessel_j0", "airy_ai"])
def test_bessel_functions_pytorch_does_not_differentiate_give_no_gradient(name):
    torch = pytest.importorskip("torch")
    out = getattr(S, name)(t64([0.5, 2.0], True))
    theirs = getattr(torch.special, name)(torch.tensor([0.5, 2.0], requires_grad=True))
    assert out.requires_grad is theirs.requires_grad is False
