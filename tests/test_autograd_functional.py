"""ndgrad.autograd.functional gives PyTorch's jacobians, hessians and products, with its
structure (Tensors for Tensors, tuples for tuples), create_graph, strict and vectorize."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
import ndgrad.autograd.functional as NF  # noqa: N812

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

RNG = np.random.default_rng(0)
A = RNG.standard_normal(3)
B = RNG.standard_normal(2)


def two_outputs(lib):
    return lambda x, y: (lib.tanh(x).sum() * y, x[:2] * y.sin())


def scalar(lib):
    return lambda x, y: (x**3).sum() * y.sum() + (x[:2] * y).sum() + (x * x.sin()).sum()


def ours(*zs):
    return tuple(ndgrad.tensor(z) for z in zs)


def theirs(*zs):
    return tuple(torch.tensor(z) for z in zs)


def same(a, b, what):
    if isinstance(b, tuple):
        assert isinstance(a, tuple), what
        assert len(a) == len(b), what
        for p, q in zip(a, b):
            same(p, q, what)
        return
    assert isinstance(a, ndgrad.Tensor), what
    assert tuple(a.shape) == tuple(b.shape), what
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobians_equal_pytorch_for_tuples_of_inputs_and_outputs(vectorize):
    got = NF.jacobian(two_outputs(ndgrad), ours(A, B), vectorize=vectorize)
    want = TF.jacobian(two_outputs(torch), theirs(A, B), vectorize=vectorize)
    same(got, want, "jacobian")


def test_the_forward_mode_jacobian_equals_the_reverse_one():
    got = NF.jacobian(two_outputs(ndgrad), ours(A, B), vectorize=True, strategy="forward-mode")
    same(got, TF.jacobian(two_outputs(torch), theirs(A, B)), "jacobian")


def test_a_tensor_input_gives_a_tensor_jacobian():
    got = NF.jacobian(lambda x: x.sin() * x[0], ndgrad.tensor(A))
    same(got, TF.jacobian(lambda x: x.sin() * x[0], torch.tensor(A)), "jacobian")


@pytest.mark.parametrize("vectorize", [False, True])
def test_hessians_equal_pytorch(vectorize):
    same(
        NF.hessian(scalar(ndgrad), ours(A, B), vectorize=vectorize),
        TF.hessian(scalar(torch), theirs(A, B), vectorize=vectorize),
        "hessian",
    )
    b = ndgrad.tensor(B)
    got = NF.hessian(lambda x: scalar(ndgrad)(x, b), ndgrad.tensor(A), vectorize=vectorize)
    tb = torch.tensor(B)
    same(got, TF.hessian(lambda x: scalar(torch)(x, tb), torch.tensor(A)), "hessian")


def test_the_forward_over_reverse_hessian_equals_pytorch():
    same(
        NF.hessian(
            scalar(ndgrad), ours(A, B), vectorize=True, outer_jacobian_strategy="forward-mode"
        ),
        TF.hessian(scalar(torch), theirs(A, B)),
        "hessian",
    )


def test_vjp_jvp_hvp_and_vhp_equal_pytorch():
    same(
        NF.vjp(two_outputs(ndgrad), ours(A, B), ours(B, B)),
        TF.vjp(two_outputs(torch), theirs(A, B), theirs(B, B)),
        "vjp",
    )
    same(
        NF.jvp(two_outputs(ndgrad), ours(A, B), ours(A, B)),
        TF.jvp(two_outputs(torch), theirs(A, B), theirs(A, B)),
        "jvp",
    )
    for fn in ("hvp", "vhp"):
        same(
            getattr(NF, fn)(scalar(ndgrad), ours(A, B), ours(A, B)),
            getattr(TF, fn)(scalar(torch), theirs(A, B), theirs(A, B)),
            fn,
        )


def test_create_graph_keeps_the_results_differentiable():
    x = ndgrad.tensor(A, requires_grad=True)
    h = NF.hessian(lambda x: (x**3).sum(), x, create_graph=True)
    assert h.requires_grad
    (g,) = ndgrad.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.full(3, 6.0))
    assert NF.hessian(lambda x: (x**3).sum(), x).grad_fn is None


def test_strict_mode_refuses_an_output_independent_of_an_input():
    def f(x, y):
        return x * 2

    with pytest.raises(RuntimeError, match="independent of input 1"):
        NF.jacobian(f, ours(A, B), strict=True)
    jac = NF.jacobian(f, ours(A, B))
    assert float(jac[1].abs().sum()) == 0.0
    with pytest.raises(RuntimeError, match="not supported together"):
        NF.jacobian(f, ours(A, B), strict=True, vectorize=True)


def test_bad_arguments_get_pytorch_errors():
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        NF.jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(NotImplementedError, match="only supported when `vectorize=True`"):
        NF.jacobian(lambda x: x, ndgrad.tensor(A), strategy="forward-mode")
    with pytest.raises(RuntimeError, match="v can only be None"):
        NF.vjp(lambda x: x, ndgrad.tensor(A))
    with pytest.raises(RuntimeError, match="should contain a single element"):
        NF.hessian(lambda x: x, ndgrad.tensor(A))
