"""``ndgrad.func`` behaves as ``torch.func``: hand-written checks that read as sentences."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import Function
from ndgrad.func import (
    directional_derivative,
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
    vmap,
)

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((4, 3))
B1 = RNG.standard_normal(4)
W2 = RNG.standard_normal((2, 4))
X = RNG.standard_normal(3)


def nd(a):
    return ndgrad.tensor(np.asarray(a, dtype=np.float64))


def th(a):
    torch = pytest.importorskip("torch")
    return torch.tensor(np.ascontiguousarray(a, dtype=np.float64))


def close(ours, theirs, **kw):
    a = ours.numpy() if hasattr(ours, "numpy") and not hasattr(ours, "detach") else ours
    if hasattr(ours, "detach"):
        a = ours.detach().numpy()
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12, **kw)


def mlp(lib):
    def f(x):
        w1, b1, w2 = (lib.tensor(W1), lib.tensor(B1), lib.tensor(W2))
        return w2 @ lib.tanh(w1 @ x + b1)

    return f


def two_inputs(lib):
    def f(x, y):
        return lib.sin(x) * y.sum() + x * y[:3]

    return f


def rosenbrock(x):
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


# ----------------------------------------------------------------- jacrev / jacfwd


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_the_jacobian_of_a_tanh_mlp_matches_torch(jac):
    torch = pytest.importorskip("torch")
    ours = getattr(ndgrad.func, jac)(mlp(ndgrad))(nd(X))
    theirs = getattr(torch.func, jac)(mlp(torch))(th(X))
    assert tuple(ours.shape) == (2, 3)
    close(ours, theirs)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_argnums_tuples_give_one_jacobian_per_input(jac):
    torch = pytest.importorskip("torch")
    y = RNG.standard_normal(5)
    ours = getattr(ndgrad.func, jac)(two_inputs(ndgrad), argnums=(0, 1))(nd(X), nd(y))
    theirs = getattr(torch.func, jac)(two_inputs(torch), argnums=(0, 1))(th(X), th(y))
    assert isinstance(ours, tuple)
    assert len(ours) == 2
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        close(a, b)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_several_outputs_as_tuples_and_dicts_give_jacobians_of_the_same_structure(jac):
    torch = pytest.importorskip("torch")

    def f(lib):
        return lambda x: (lib.sin(x), {"sq": x**2, "sum": x.sum()})

    ours = getattr(ndgrad.func, jac)(f(ndgrad))(nd(X))
    theirs = getattr(torch.func, jac)(f(torch))(th(X))
    close(ours[0], theirs[0])
    assert set(ours[1]) == {"sq", "sum"}
    close(ours[1]["sq"], theirs[1]["sq"])
    assert tuple(ours[1]["sum"].shape) == (3,)
    close(ours[1]["sum"], theirs[1]["sum"])


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_has_aux_returns_the_aux_untouched_next_to_the_jacobian(jac):
    torch = pytest.importorskip("torch")

    def f(lib):
        return lambda x: (lib.tanh(x) * 2, x.sum())

    j, aux = getattr(ndgrad.func, jac)(f(ndgrad), has_aux=True)(nd(X))
    tj, taux = getattr(torch.func, jac)(f(torch), has_aux=True)(th(X))
    close(j, tj)
    close(aux, taux)
    assert aux.grad_fn is None


# ----------------------------------------------------------------- hessian and higher order


def test_the_hessian_of_rosenbrock_matches_torch_and_is_symmetric():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, -1.2, 0.3, 2.0])
    h = hessian(rosenbrock)(nd(x))
    close(h, torch.func.hessian(rosenbrock)(th(x)))
    np.testing.assert_allclose(h.numpy(), h.numpy().T)


def test_the_hessian_equals_jacfwd_of_jacrev_and_jacrev_of_jacrev():
    x = nd([0.5, -1.2, 0.3, 2.0])
    h = hessian(rosenbrock)(x).numpy()
    np.testing.assert_allclose(jacfwd(jacrev(rosenbrock))(x).numpy(), h, rtol=1e-12)
    np.testing.assert_allclose(jacrev(jacrev(rosenbrock))(x).numpy(), h, rtol=1e-12)


def test_grad_of_grad_of_grad_is_the_third_derivative():
    x = nd(0.7)
    d3 = grad(grad(grad(lambda t: ndgrad.sin(t) * t**3)))(x)
    t = 0.7  # (x^3 sin x)''' = 6 sin x + 18 x cos x - 9 x^2 sin x - x^3 cos x
    want = 6 * np.sin(t) + 18 * t * np.cos(t) - 9 * t**2 * np.sin(t) - t**3 * np.cos(t)
    np.testing.assert_allclose(d3.numpy(), want, rtol=1e-12)


def test_grad_argnums_and_has_aux_match_torch():
    torch = pytest.importorskip("torch")

    def f(lib):
        return lambda x, y: ((lib.sin(x) * y).sum(), x.mean())

    (gx, gy), aux = grad(f(ndgrad), argnums=(0, 1), has_aux=True)(nd(X), nd(X[::-1]))
    (tx, ty), taux = torch.func.grad(f(torch), argnums=(0, 1), has_aux=True)(th(X), th(X[::-1]))
    close(gx, tx)
    close(gy, ty)
    close(aux, taux)
    g, v = grad_and_value(lambda x: (x**2).sum())(nd(X))
    close(g, 2 * X)
    close(v, (X**2).sum())


# ----------------------------------------------------------------- vjp / jvp / linearize


def test_vjp_jvp_and_linearize_give_torchs_values():
    torch = pytest.importorskip("torch")
    u = RNG.standard_normal(2)
    v = RNG.standard_normal(3)
    out, fn = vjp(mlp(ndgrad), nd(X))
    tout, tfn = torch.func.vjp(mlp(torch), th(X))
    close(out, tout)
    close(fn(nd(u))[0], tfn(th(u))[0])
    p, t = jvp(mlp(ndgrad), (nd(X),), (nd(v),))
    tp, tt = torch.func.jvp(mlp(torch), (th(X),), (th(v),))
    close(p, tp)
    close(t, tt)
    lp, lfn = linearize(mlp(ndgrad), nd(X))
    close(lp, tp)
    close(lfn(nd(v)), tt)


def test_jvp_of_grad_is_a_hessian_vector_product_forward_over_reverse():
    torch = pytest.importorskip("torch")
    x, v = np.array([0.5, -1.2, 0.3, 2.0]), np.array([1.0, 2.0, -1.0, 0.5])
    _, hvp = jvp(grad(rosenbrock), (nd(x),), (nd(v),))
    _, thvp = torch.func.jvp(torch.func.grad(rosenbrock), (th(x),), (th(v),))
    close(hvp, thvp)
    np.testing.assert_allclose(hvp.numpy(), hessian(rosenbrock)(nd(x)).numpy() @ v, rtol=1e-12)


# ----------------------------------------------------------------- vmap


def test_vmap_with_in_dims_and_out_dims_tuples_and_none_matches_torch():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 5))
    b = RNG.standard_normal(3)

    def f(x, y):
        return x * y, x.sum()

    ours = vmap(f, in_dims=(1, None), out_dims=(1, 0))(nd(a), nd(b))
    theirs = torch.func.vmap(f, in_dims=(1, None), out_dims=(1, 0))(th(a), th(b))
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        close(o, t)


def test_nested_vmap_maps_over_two_dims():
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3))
    f = lambda x, y: (x * y).sum()  # noqa: E731
    ours = vmap(vmap(f, in_dims=(None, 0)), in_dims=(0, None))(nd(a), nd(b))
    theirs = torch.func.vmap(torch.func.vmap(f, in_dims=(None, 0)), in_dims=(0, None))(th(a), th(b))
    assert tuple(ours.shape) == (2, 4)
    close(ours, theirs)
    close(ours, a @ b.T)


def test_chunk_size_gives_the_same_result_as_no_chunks():
    a = nd(RNG.standard_normal((7, 3)))
    f = lambda x: ndgrad.tanh(x) * x.sum()  # noqa: E731
    whole = vmap(f)(a).numpy()
    for c in (1, 2, 3, 7, 10):
        np.testing.assert_allclose(vmap(f, chunk_size=c)(a).numpy(), whole)


def test_per_example_gradients_of_vmap_grad_equal_the_python_loop():
    torch = pytest.importorskip("torch")
    w = RNG.standard_normal(3)
    xs, ys = RNG.standard_normal((6, 3)), RNG.standard_normal(6)

    def loss(w, x, y):
        return (
            (ndgrad.tanh((w * x).sum()) - y) ** 2
            if isinstance(w, ndgrad.Tensor)
            else ((torch.tanh((w * x).sum()) - y) ** 2)
        )

    per = vmap(grad(loss), in_dims=(None, 0, 0))(nd(w), nd(xs), nd(ys))
    loop = np.stack([grad(loss)(nd(w), nd(xs[i]), nd(ys[i])).numpy() for i in range(6)])
    np.testing.assert_allclose(per.numpy(), loop, rtol=1e-12)
    theirs = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))(th(w), th(xs), th(ys))
    close(per, theirs)


def test_vmap_of_jacrev_gives_per_example_jacobians():
    torch = pytest.importorskip("torch")
    xs = RNG.standard_normal((5, 3))
    ours = vmap(jacrev(mlp(ndgrad)))(nd(xs))
    theirs = torch.func.vmap(torch.func.jacrev(mlp(torch)))(th(xs))
    assert tuple(ours.shape) == (5, 2, 3)
    close(ours, theirs)


def test_randomness_error_raises_for_a_random_op_inside_vmap():
    x = ndgrad.ones(4, 3, dtype=ndgrad.float64)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda t: ndgrad.nn.functional.dropout(t, 0.5))(x)


def test_randomness_different_gives_different_rows_and_same_gives_equal_rows():
    ndgrad.manual_seed(0)
    x = ndgrad.ones(4, 50, dtype=ndgrad.float64)
    f = lambda t: ndgrad.nn.functional.dropout(t, 0.5)  # noqa: E731
    diff = vmap(f, randomness="different")(x).numpy()
    same = vmap(f, randomness="same")(x).numpy()
    assert not all(np.array_equal(diff[0], diff[i]) for i in range(1, 4))
    for i in range(1, 4):
        np.testing.assert_array_equal(same[0], same[i])


# ----------------------------------------------------------------- composition and modes


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2

    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return x_t * 3 * x**2


def test_the_hessian_of_a_function_using_a_custom_autograd_function_is_right():
    x = nd([0.5, -1.0, 2.0])
    h = hessian(lambda t: Cube.apply(t).sum())(x)
    np.testing.assert_allclose(h.numpy(), np.diag(6 * x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(
        jacrev(lambda t: Cube.apply(t))(x).numpy(), np.diag(3 * x.numpy() ** 2)
    )


def test_a_jacobian_computed_under_no_grad_still_works():
    torch = pytest.importorskip("torch")
    with ndgrad.no_grad():
        ours = jacrev(mlp(ndgrad))(nd(X))
        g = grad(rosenbrock)(nd([0.5, 1.0, 2.0]))
    with torch.no_grad():
        theirs = torch.func.jacrev(mlp(torch))(th(X))
    close(ours, theirs)
    close(g, torch.func.grad(rosenbrock)(th([0.5, 1.0, 2.0])))


def test_results_at_top_level_are_plain_tensors_without_grad_fn():
    x = nd([0.5, -1.2, 0.3])
    results = [
        grad(rosenbrock)(x),
        jacrev(ndgrad.sin)(x),
        jacfwd(ndgrad.sin)(x),
        hessian(rosenbrock)(x),
        jvp(ndgrad.sin, (x,), (x,))[1],
        vjp(ndgrad.sin, x)[1](x)[0],
        vmap(ndgrad.sin)(x),
    ]
    for r in results:
        assert type(r) is ndgrad.Tensor
        assert r.grad_fn is None
        assert not r.requires_grad


# ----------------------------------------------------------------- errors, as PyTorch's


def test_grad_of_a_non_scalar_output_raises_like_torch():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        grad(ndgrad.sin)(nd(X))


def test_in_dims_with_mismatched_sizes_raise_value_error():
    with pytest.raises(ValueError, match="Expected all tensors to have the same size"):
        vmap(lambda a, b: a + b)(nd(np.ones(3)), nd(np.ones(4)))


def test_an_int_in_dim_for_a_non_tensor_raises_value_error():
    with pytest.raises(ValueError, match="Got in_dim=0 for an input but the input is of type"):
        vmap(lambda a, k: a * k, in_dims=(0, 0))(nd(np.ones(3)), 2.0)


def test_backward_inside_vmap_raises():
    def f(t):
        t = t.detach().requires_grad_()
        (t**2).sum().backward()
        return t

    with pytest.raises(RuntimeError, match="backward"):
        vmap(f)(nd(np.ones((2, 3))))


def test_item_inside_vmap_raises_like_torch():
    with pytest.raises(RuntimeError, match="item"):
        vmap(lambda t: t.sum().item())(nd(np.ones((2, 3))))


# ----------------------------------------------------------------- functional_call, directional


class Affine:
    def __init__(self):
        self.w = nd([1.0, 2.0])
        self.b = nd(0.5)

    def __call__(self, x):
        return (self.w * x).sum() + self.b


def test_functional_call_uses_the_given_tensors_and_restores_the_objects_own():
    m = Affine()
    w0, b0 = m.w, m.b
    out = functional_call(m, {"w": nd([3.0, 4.0])}, (nd([1.0, 1.0]),))
    np.testing.assert_allclose(out.numpy(), 7.5)
    assert m.w is w0
    assert m.b is b0
    g = grad(lambda p, x: functional_call(m, p, (x,)))(
        {"w": nd([3.0, 4.0]), "b": nd(0.0)}, nd([2.0, 5.0])
    )
    np.testing.assert_allclose(g["w"].numpy(), [2.0, 5.0])
    np.testing.assert_allclose(g["b"].numpy(), 1.0)
    with pytest.raises(RuntimeError, match="broadcast"):  # forward fails: its tensors are back
        functional_call(m, {"w": nd([9.0, 9.0])}, (nd([1.0, 1.0, 1.0]),))
    assert m.w is w0
    out = functional_call(m, ({"w": nd([1.0, 2.0])}, {"b": nd(1.0)}), nd([1.0, 1.0]))
    np.testing.assert_allclose(out.numpy(), 4.0)  # a tuple of dicts; a lone tensor as args


def test_directional_derivative_normalized_is_the_gradient_dotted_with_the_unit_vector():
    x, v = nd([0.5, -1.2, 0.3]), nd([3.0, 0.0, 4.0])
    g = grad(rosenbrock)(x).numpy()
    want = g @ (v.numpy() / 5.0)
    np.testing.assert_allclose(
        directional_derivative(rosenbrock, x, v, normalize=True).numpy(), want
    )
    np.testing.assert_allclose(
        directional_derivative(mlp(ndgrad), nd(X), nd(X)).numpy(),
        jvp(mlp(ndgrad), (nd(X),), (nd(X),))[1].numpy(),
    )


def test_vmap_randomness_also_governs_factories_and_random_functions():
    x = ndgrad.ones(3, 4, dtype=ndgrad.float64)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda t: t + ndgrad.rand(4, dtype=ndgrad.float64))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda t: ndgrad.bernoulli(t * 0.5))(x)
    diff = vmap(lambda t: t + ndgrad.randn(4, dtype=ndgrad.float64), randomness="different")(x)
    same = vmap(lambda t: t + ndgrad.randn(4, dtype=ndgrad.float64), randomness="same")(x)
    assert not np.array_equal(diff.numpy()[0], diff.numpy()[1])
    np.testing.assert_array_equal(same.numpy()[0], same.numpy()[2])
    like = vmap(ndgrad.rand_like, randomness="different")(x).numpy()
    assert not np.array_equal(like[0], like[1])
    with pytest.raises(RuntimeError, match="unbatched tensor"):
        vmap(lambda t: t + ndgrad.zeros(4).normal_(), randomness="different")(x)


def test_a_custom_function_under_vmap_runs_once_per_entry_with_a_warning():
    from ndgrad.ops import batching

    batching._WARNED.discard("the custom Function 'Cube'")  # it warns once per process
    x = nd([[0.5, 1.0], [2.0, -1.0]])
    with pytest.warns(UserWarning, match="custom Function 'Cube'"):
        ys = vmap(Cube.apply)(x)
    np.testing.assert_allclose(ys.numpy(), x.numpy() ** 3)


def test_forward_mode_nested_in_forward_mode_gives_higher_derivatives():
    x = nd(0.7)
    third = 6.0  # d^3/dx^3 x^3 + sin: 6 - cos x
    f = lambda t: t**3 + ndgrad.sin(t)  # noqa: E731
    want = third - np.cos(0.7)
    for g in (jacfwd(jacfwd(jacrev(f))), jacfwd(jacfwd(jacfwd(f))), jacfwd(hessian(f))):
        np.testing.assert_allclose(g(x).item(), want, rtol=1e-12)
    one = nd(1.0)
    _, t2 = jvp(lambda t: jvp(f, (t,), (one,))[1], (x,), (one,))
    np.testing.assert_allclose(t2.item(), -np.sin(0.7) + 6 * 0.7, rtol=1e-12)


def test_a_derivative_that_no_longer_depends_on_the_input_is_zero_as_in_torch():
    x = nd(1.5)
    assert grad(grad(grad(lambda t: t * t)))(x).item() == 0.0
    assert jacrev(jacrev(jacrev(lambda t: t * t)))(x).item() == 0.0
    assert grad(lambda t: nd(2.0))(x).item() == 0.0
    np.testing.assert_array_equal(hessian(lambda t: (3 * t).sum())(nd([1.0, 2.0])).numpy(), 0)
