"""Complex gradients follow PyTorch's convention.

See Note [Complex gradients] in ndgrad/ops/elementwise.py.

For a real loss L of z = x + iy, ``z.grad`` is dL/dx + i dL/dy: the conjugate Wirtinger derivative
times two, the direction of steepest ascent. Each test states the formula and, when PyTorch is
installed, compares with it.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import ndgrad

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")


def leaf(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.complex128), requires_grad=True)


def grad_of(lib, loss_fn, values):
    z = leaf(lib, values)
    loss_fn(lib, z).backward()
    return np.asarray(z.grad.detach().resolve_conj().numpy())


def both(loss_fn, values):
    """The gradient from ndgrad, and from PyTorch when it is installed (else None)."""
    ours = grad_of(ndgrad, loss_fn, values)
    if not HAVE_TORCH:
        return ours, None
    import torch

    return ours, grad_of(torch, loss_fn, values)


def check(loss_fn, values, expected):
    ours, theirs = both(loss_fn, values)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    if theirs is not None:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_abs_at_one_plus_i_has_gradient_z_over_abs_z():
    # |z| = sqrt(x^2 + y^2): d/dx + i d/dy = (x + iy) / |z| = 0.7071 + 0.7071i
    check(lambda lib, z: z.abs(), 1 + 1j, (1 + 1j) / np.sqrt(2))


def test_abs_at_zero_has_gradient_zero():
    check(lambda lib, z: z.abs().sum(), [0j, 1j], [0, 1j])


def test_abs_of_a_square_has_gradient_two_z_over_abs_z():
    # |z z| = |z|^2: the gradient is 2 z
    z = np.array([1 + 2j, -0.5 + 0.25j, 3j])
    check(lambda lib, t: (t * t).abs().sum(), z, 2 * z)


def test_sin_conjugates_its_derivative():
    # L = Re(sin z): the gradient is conj(cos z)
    z = np.array([0.3 + 0.7j, -1.2 + 0.1j])
    check(lambda lib, t: t.sin().real.sum(), z, np.conj(np.cos(z)))


def test_mul_by_a_complex_constant_conjugates_the_constant():
    # L = Re(c z): the gradient is conj(c), for a Python number and for a tensor
    c = 2 - 3j
    z = np.array([1 + 1j, 0.5 - 2j])
    check(lambda lib, t: (t * c).real.sum(), z, np.full(2, np.conj(c)))
    check(lambda lib, t: (t * lib.tensor(np.full(2, c))).real.sum(), z, np.full(2, np.conj(c)))


def test_matmul_gradient_is_g_times_b_conjugate_transpose():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    w = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))
    # L = Re(sum(conj(w) * (a @ b))): the gradient of a is w @ b^H
    check(
        lambda lib, t: (lib.tensor(np.conj(w)) * (t @ lib.tensor(b))).real.sum(),
        a,
        w @ b.conj().T,
    )


def test_a_real_loss_through_real_and_imag_sends_one_and_i():
    # L = 2 Re z - 3 Im z: the gradient is 2 - 3i
    check(lambda lib, z: (2 * z.real - 3 * z.imag).sum(), [1 + 1j, -2j], [2 - 3j, 2 - 3j])


def test_angle_gradient_is_i_z_over_abs_z_squared():
    z = np.array([0.3 + 0.7j, -1 + 0j, 0j])
    expected = np.where(z == 0, 0, 1j * z / np.where(z == 0, 1, np.abs(z) ** 2))
    check(lambda lib, t: t.angle().sum(), z, expected)


def test_conj_gradient_is_conjugated_back():
    # L = Re(c conj(z)) = Re(conj(c) z): the gradient is conj(conj(c)) = c
    c = 0.5 + 2j
    check(lambda lib, z: (z.conj() * c).real.sum(), [1 + 1j], [c])


def test_vdot_conjugates_its_first_argument():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    b = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    assert complex(ndgrad.vdot(ndgrad.tensor(a), ndgrad.tensor(b))) == pytest.approx(np.vdot(a, b))
    # L = Re(sum conj(a) b): the gradient of a is b, of b is a
    check(lambda lib, t: lib.vdot(t, lib.tensor(b)).real, a, b)
    check(lambda lib, t: lib.vdot(lib.tensor(a), t).real, b, a)


def test_a_real_input_of_a_complex_op_gets_the_real_part():
    c = 1 - 2j
    for lib in (ndgrad, *([__import__("torch")] if HAVE_TORCH else [])):
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        y = x * c  # complex
        (y * lib.tensor(np.array([2 + 1j, 1j]))).real.sum().backward()
        assert x.grad.dtype == lib.float64
        # d/dx Re(w c x) = Re(w c)
        np.testing.assert_allclose(x.grad.numpy(), np.real(np.array([2 + 1j, 1j]) * c))


def test_backward_of_a_complex_output_without_a_gradient_raises_as_pytorch():
    z = leaf(ndgrad, 1 + 1j)
    with pytest.raises(RuntimeError, match="only for real scalar outputs"):
        (z * z).backward()
    with pytest.raises(RuntimeError, match="only for real scalar outputs"):
        ndgrad.autograd.grad((z * z).sum(), z)
    if HAVE_TORCH:
        t = leaf(__import__("torch"), 1 + 1j)
        with pytest.raises(RuntimeError, match="only for real scalar outputs"):
            (t * t).backward()


def test_backward_of_a_complex_output_with_a_gradient_weights_its_real_loss():
    # grad_output v stands for L = Re(conj(v) out): for out = z * z the gradient is v conj(2 z)
    v = np.array([1 - 1j, 2j])
    z = np.array([0.5 + 1j, -1 + 0.5j])
    for lib in (ndgrad, *([__import__("torch")] if HAVE_TORCH else [])):
        t = leaf(lib, z)
        (t * t).backward(lib.tensor(v))
        np.testing.assert_allclose(t.grad.numpy(), v * np.conj(2 * z), rtol=1e-12)


def test_gradient_descent_on_a_complex_parameter_converges():
    # |z - c|^2 has gradient 2 (z - c): plain SGD steps along -grad reach c
    c = 1.5 - 0.5j
    z = leaf(ndgrad, 0j)
    for _ in range(50):
        loss = (z - c).abs() ** 2
        z.grad = None
        loss.backward()
        with ndgrad.no_grad():
            z -= 0.25 * z.grad
    assert complex(z) == pytest.approx(c, abs=1e-9)


def test_an_op_without_complex_rules_refuses_a_complex_input_that_requires_grad():
    z = leaf(ndgrad, [1 + 1j, -1j])
    with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
        ndgrad.relu(z)  # PyTorch refuses in the forward (tests/test_complex_refusals.py)
    with pytest.raises(RuntimeError, match="nn.functional.silu: complex inputs are not supported"):
        ndgrad.nn.functional.silu(z)
    with pytest.raises(RuntimeError, match="erf: complex inputs are not supported"):
        ndgrad.erf(z)
    # without requires_grad (or under no_grad) the forward runs: nothing is recorded
    with ndgrad.no_grad():
        ndgrad.erf(z)
    ndgrad.erf(z.detach())


def test_the_refusal_covers_complex_data_that_flows_from_a_real_leaf():
    x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="erf: complex inputs are not supported"):
        ndgrad.erf(x * 1j)


def test_second_order_through_abs_of_a_complex_input_matches_pytorch():
    pytest.importorskip("torch")
    import torch

    z0 = np.array([0.3 + 0.7j, -1.0 + 0.2j])
    out = []
    for lib in (ndgrad, torch):
        z = leaf(lib, z0)
        (g,) = lib.autograd.grad((z.abs() ** 3).sum(), z, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(np.array([1 + 2j, -1j]))).real.sum(), z)
        out.append(h.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_imag_of_a_real_tensor_raises_as_pytorch():
    x = ndgrad.tensor([1.0])
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        x.imag  # noqa: B018 - the property access is what raises


def test_real_and_conj_of_a_real_tensor_are_the_tensor_itself():
    x = ndgrad.tensor([1.0, -2.0], requires_grad=True)
    assert x.real is x
    assert x.conj() is x
    assert not x.is_conj()


def test_real_and_imag_are_views_of_the_complex_tensor():
    z = ndgrad.tensor(np.array([1 + 2j, 3 - 1j]))
    r = z.real
    assert r._base is z
    assert r.dtype is ndgrad.float64
    np.testing.assert_array_equal(z.imag.numpy(), [2.0, -1.0])


def test_casting_complex_to_real_warns_and_keeps_the_real_part():
    z = leaf(ndgrad, [1 + 2j])
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        x = z.to(ndgrad.float64)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0])
    x.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [1 + 0j])


def test_a_real_to_complex_cast_sends_the_real_part_back():
    x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the gradient's cast back is silent
        (x.to(ndgrad.complex128) * (1 + 1j)).imag.sum().backward()
    assert x.grad.dtype is ndgrad.float64
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


@needs_torch
def test_gradients_of_a_small_complex_program_equal_pytorch():
    import torch

    rng = np.random.default_rng(2)
    a0 = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    b0 = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    grads = []
    for lib in (ndgrad, torch):
        a, b = leaf(lib, a0), leaf(lib, b0)
        y = (a @ b).exp() / (1 + a.sum(0) * b.conj())
        loss = y.abs().sum() + (lib.einsum("ij,j->i", a, b).sqrt() * b).imag.sum()
        loss.backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
