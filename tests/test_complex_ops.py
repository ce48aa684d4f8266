"""view_as_real / view_as_complex (views: aliasing, versions, writes), complex, polar and
conj_physical against PyTorch: values, gradients under its complex convention, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")

Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])


def _same_error(ours, theirs):
    with pytest.raises(Exception) as t:
        theirs()
    with pytest.raises(type(t.value)) as o:
        ours()
    expected = str(t.value).split("\n")[0]
    assert str(o.value).startswith(expected), (str(o.value), expected)


def test_view_as_real_shares_memory_and_the_version_counter():
    z = ndgrad.tensor(Z)
    r = ndgrad.view_as_real(z)
    assert tuple(r.shape) == (3, 2)
    assert r.dtype is ndgrad.float64
    assert r._base is z
    np.testing.assert_array_equal(r.numpy(), np.stack([Z.real, Z.imag], -1))
    r[1, 1] = 5.0
    assert z.tolist()[1] == 3 + 5j
    assert z._version == r._version == 1
    z.mul_(2)
    assert r.tolist()[1] == [6.0, 10.0]
    assert r._version == z._version == 2


def test_view_as_real_of_a_complex64_tensor_is_float32():
    assert ndgrad.view_as_real(ndgrad.ones(2, dtype=ndgrad.cfloat)).dtype is ndgrad.float32
    assert ndgrad.cfloat is ndgrad.complex64
    assert ndgrad.cdouble is ndgrad.complex128


def test_view_as_real_of_a_non_contiguous_tensor_is_a_view():
    z = ndgrad.tensor(np.arange(6.0).reshape(2, 3) * (1 + 1j))
    r = ndgrad.view_as_real(z.t())
    np.testing.assert_array_equal(r.numpy()[..., 1], np.arange(6.0).reshape(2, 3).T)
    r[0, 1, 0] = -1.0
    assert z.tolist()[1][0] == -1 + 3j


def test_a_write_through_view_as_real_is_differentiated_as_pytorch():
    res = []
    for lib in (ndgrad, torch):
        a = lib.tensor(Z, requires_grad=True)
        z = a * 1
        r = lib.view_as_real(z)
        r[1, 0] = 7.0
        assert z.grad_fn.name().endswith("CopySlices")  # PyTorch: torch::autograd::CopySlices
        assert r.grad_fn.name() == "ViewAsRealBackward0"
        loss = (z * z).real.sum() + (r**3).sum()
        loss.backward()
        res.append((z.detach().numpy(), a.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_view_as_complex_shares_memory_and_writes_reach_the_real_tensor():
    x = ndgrad.tensor(np.arange(6.0).reshape(3, 2))
    c = ndgrad.view_as_complex(x)
    assert c.dtype is ndgrad.complex128
    assert tuple(c.shape) == (3,)
    assert c._base is x
    c[0] = 9 - 9j
    assert x.tolist()[0] == [9.0, -9.0]
    assert x._version == c._version == 1
    assert ndgrad.view_as_complex(ndgrad.tensor([1.0, 2.0])).shape == ()


def test_view_as_complex_gradients_equal_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2))
    v = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    grads = []
    for lib in (ndgrad, torch):
        t = lib.tensor(x, requires_grad=True)
        c = lib.view_as_complex(t * 1)
        assert c.grad_fn.name() == "ViewAsComplexBackward0"
        (c * c).backward(lib.tensor(v))
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.view_as_real(lib.ones(3)),
        lambda lib: lib.view_as_complex(lib.ones(3, 3)),
        lambda lib: lib.view_as_complex(lib.tensor(1.0)),
        lambda lib: lib.view_as_complex(lib.ones(2, 3).t()),
        lambda lib: lib.view_as_complex(lib.ones(3, 3, 2)[:, ::2][:, :, :1].expand(3, 2, 2)),
        lambda lib: lib.view_as_complex(lib.ones(4)[1:3]),
        lambda lib: lib.view_as_complex(lib.ones(3, 2, dtype=lib.int32)),
        lambda lib: lib.complex(lib.ones(3, dtype=lib.float64), lib.ones(3)),
        lambda lib: lib.complex(lib.arange(3), lib.arange(3)),
        lambda lib: lib.polar(lib.ones(3, dtype=lib.complex64), lib.ones(3, dtype=lib.complex64)),
        lambda lib: lib.polar(lib.ones(3), lib.ones(3, dtype=lib.float64)),
    ],
)
def test_errors_match_pytorch(call):
    _same_error(lambda: call(ndgrad), lambda: call(torch))


@pytest.mark.parametrize("name", ["complex", "polar"])
def test_complex_and_polar_values_and_gradients_equal_pytorch(name):
    rng = np.random.default_rng(1)
    for shape_a, shape_b in (((3,), (3,)), ((2, 1), (1, 3)), ((), (4,))):
        a = rng.uniform(-2, 2, shape_a)
        b = rng.uniform(-3, 3, shape_b)
        if name == "polar":
            a.flat[0] = 0.0  # abs == 0 and abs < 0: PyTorch's sgn(out) rule holds there too
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        v = rng.standard_normal(out_shape) + 1j * rng.standard_normal(out_shape)
        res = []
        for lib in (ndgrad, torch):
            ta = lib.tensor(a, requires_grad=True)
            tb = lib.tensor(b, requires_grad=True)
            out = getattr(lib, name)(ta, tb)
            assert out.grad_fn.name() == (
                "ComplexBackward0" if name == "complex" else "PolarBackward0"
            )
            out.backward(lib.tensor(v))
            res.append((out.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
        for ours, theirs in zip(*res):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_polar_second_order_equals_pytorch():
    rng = np.random.default_rng(2)
    r, t, w = rng.uniform(0.5, 2, 3), rng.uniform(-3, 3, 3), rng.standard_normal(3)
    res = []
    for lib in (ndgrad, torch):
        a = lib.tensor(r, requires_grad=True)
        b = lib.tensor(t, requires_grad=True)
        z = lib.polar(a, b)
        loss = (z * z).real.sum() + (z.abs() ** 3).sum()
        ga, gb = lib.autograd.grad(loss, [a, b], create_graph=True)
        h = lib.autograd.grad((ga * lib.tensor(w)).sum() + (gb * gb).sum(), [a, b])
        res.append([g.detach().numpy() for g in (ga, gb, *h)])
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_complex_of_float32_parts_is_complex64():
    z = ndgrad.complex(ndgrad.ones(2), ndgrad.zeros(2))
    assert z.dtype is ndgrad.complex64
    assert ndgrad.polar(ndgrad.ones(2), ndgrad.zeros(2)).dtype is ndgrad.complex64
    inf = ndgrad.complex(ndgrad.tensor([float("inf")]), ndgrad.tensor([1.0]))
    assert inf.tolist() == [complex(float("inf"), 1.0)]  # exact, no 0 * inf


def test_conj_physical_matches_pytorch():
    rng = np.random.default_rng(3)
    z = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    v = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    res = []
    for lib in (ndgrad, torch):
        a = lib.tensor(z, requires_grad=True)
        out = lib.conj_physical(a * 2)
        assert out.grad_fn.name() == "ConjPhysicalBackward0"
        assert a.conj_physical().is_conj() is False
        (out * out).backward(lib.tensor(v))
        res.append((out.detach().numpy(), a.grad.numpy()))
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_conj_physical_of_a_real_tensor_is_the_tensor_itself():
    x = ndgrad.ones(3, requires_grad=True)
    assert ndgrad.conj_physical(x) is x
    y = ndgrad.ones(3)
    assert y.conj_physical_() is y
    assert y._version == 0


def test_conj_physical_in_place_conjugates_and_records_history():
    res = []
    for lib in (ndgrad, torch):
        a = lib.tensor(Z, requires_grad=True)
        z = a * (1 + 1j)
        assert z.conj_physical_() is z
        assert z._version == 1
        z.abs().sum().backward()
        res.append((z.detach().numpy(), a.grad.numpy()))
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_no_lazy_bits():
    z = ndgrad.tensor(Z)
    assert ndgrad.is_neg(z) is False
    assert z.is_neg() is False
    assert z.resolve_neg() is z
    assert z.resolve_conj() is z
    assert ndgrad.is_complex(z)
    assert not ndgrad.is_complex(ndgrad.ones(1))
