"""Complex inputs of the ops that issue 6 enabled, where the op table's template cannot look:
PyTorch refusing a real tensor next to a complex one (and ndgrad refusing it the same way),
PyTorch refusing complex data altogether for some arguments, and the ops whose table twin is
not PyTorch's own call (cholesky on its Hermitian part, cholesky_inverse on complex samples).
See Note [Complex gradients] in ndgrad/ops/elementwise.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's alias
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias
from ndgrad.ops import TABLE
from test_op_table import NO_MIXED_COMPLEX, call, complex_samples, to_args

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(6)


def _z(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _r(*shape):
    return RNG.standard_normal(shape)


def _pair(a, requires_grad=True):
    """The same data as an ndgrad and a PyTorch tensor."""
    return (
        ndgrad.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _close(ours, theirs, rtol=1e-10):
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=rtol, atol=1e-12
    )


def _raises_like_torch(ours_fn, theirs_fn, match=None):
    """Both calls raise, the same exception class (ndgrad's message starting as PyTorch's)."""
    with pytest.raises(Exception) as theirs:  # the class is what is compared
        theirs_fn()
    with pytest.raises(type(theirs.value), match=match) as ours:
        ours_fn()
    first = str(theirs.value).splitlines()[0]
    assert str(ours.value).startswith(first[: min(len(first), 60)]), (ours.value, first)


# --------------------------------------------------------------------------------------------
# Real next to complex: lerp (forward) and logaddexp (backward of the real input).


@pytest.mark.parametrize("name", NO_MIXED_COMPLEX)
def test_the_template_makes_no_mixed_cases_where_pytorch_and_ndgrad_both_refuse_them(name):
    op = TABLE[name]
    cases = complex_samples(op, mixed=True)
    assert cases, name
    for s in cases:

        def ours(s=s):
            args = to_args(s, s.grad)
            out = call(op, args, s.kwargs)
            ndgrad.autograd.grad(out.abs().sum(), [args[i] for i in s.grad])

        def theirs(s=s):
            targs = [
                torch.tensor(a.copy(), requires_grad=i in s.grad) if isinstance(a, np.ndarray)
                else a
                for i, a in enumerate(s.args)
            ]  # fmt: skip
            out = getattr(torch, name)(*targs, **s.kwargs)
            torch.autograd.grad(out.abs().sum(), [targs[i] for i in s.grad])

        _raises_like_torch(ours, theirs)


def test_lerp_refuses_a_real_end_or_weight_next_to_a_complex_input_as_pytorch():
    z, r = _z(3), _r(3)
    _raises_like_torch(
        lambda: ndgrad.lerp(ndgrad.tensor(z), ndgrad.tensor(r), 0.5),
        lambda: torch.lerp(torch.tensor(z), torch.tensor(r), 0.5),
        "for `end`",
    )
    _raises_like_torch(
        lambda: ndgrad.lerp(ndgrad.tensor(z), ndgrad.tensor(z), ndgrad.tensor(r)),
        lambda: torch.lerp(torch.tensor(z), torch.tensor(z), torch.tensor(r)),
        "for `weight`",
    )
    _raises_like_torch(
        lambda: ndgrad.tensor(r).lerp_(ndgrad.tensor(z), 0.5),
        lambda: torch.tensor(r).lerp_(torch.tensor(z), 0.5),
        "for `end`",
    )


def test_lerp_refuses_mixed_float_dtypes_but_takes_numbers_and_0d_weights_as_pytorch():
    a64, a32 = _r(3), _r(3).astype(np.float32)
    _raises_like_torch(
        lambda: ndgrad.lerp(ndgrad.tensor(a64), ndgrad.tensor(a32), 0.5),
        lambda: torch.lerp(torch.tensor(a64), torch.tensor(a32), 0.5),
        "expected dtype double for `end` but got dtype float",
    )
    for w in (np.float32(0.25), np.float64(0.25)):
        ours = ndgrad.lerp(ndgrad.tensor(a32), ndgrad.tensor(a32), ndgrad.tensor(w))
        theirs = torch.lerp(torch.tensor(a32), torch.tensor(a32), torch.tensor(w))
        assert str(ours.dtype) == "ndgrad.float32"
        assert theirs.dtype == torch.float32
    z = _z(2, 3)
    x, tx = _pair(z)
    e, te = _pair(_z(3))
    out = ndgrad.lerp(x, e, 0.5 - 0.25j)
    tout = torch.lerp(tx, te, 0.5 - 0.25j)
    _close(out, tout)
    v = _z(2, 3)
    for a, b in zip(
        ndgrad.autograd.grad(out, [x, e], ndgrad.tensor(v)),
        torch.autograd.grad(tout, [tx, te], torch.tensor(v)),
    ):
        _close(a, b)


def test_lerp_backward_to_a_real_0d_weight_of_complex_data_raises_as_pytorch():
    z, e = _z(3), _z(3)
    w, tw = _pair(np.array(0.3))
    x, tx = _pair(z)
    out, tout = ndgrad.lerp(x, ndgrad.tensor(e), w), torch.lerp(tx, torch.tensor(e), tw)
    _close(out, tout)
    _raises_like_torch(
        lambda: ndgrad.autograd.grad(out.abs().sum(), [w], retain_graph=True),
        lambda: torch.autograd.grad(tout.abs().sum(), [tw], retain_graph=True),
        "input_is_complex == grad_is_complex",
    )
    # the complex input's gradient is still there, as PyTorch's
    _close(
        ndgrad.autograd.grad(out.abs().sum(), [x])[0],
        torch.autograd.grad(tout.abs().sum(), [tx])[0],
    )


def test_logaddexp_of_a_real_and_a_complex_tensor_differentiates_only_the_complex_one():
    z, r = _z(4), _r(4)
    x, tx = _pair(z)
    y, ty = _pair(r)
    out, tout = ndgrad.logaddexp(x, y), torch.logaddexp(tx, ty)
    _close(out, tout)
    v = _z(4)
    _close(
        ndgrad.autograd.grad(out, [x], ndgrad.tensor(v), retain_graph=True)[0],
        torch.autograd.grad(tout, [tx], torch.tensor(v), retain_graph=True)[0],
    )
    _raises_like_torch(
        lambda: ndgrad.autograd.grad(out, [y], ndgrad.tensor(v)),
        lambda: torch.autograd.grad(tout, [ty], torch.tensor(v)),
        "other",
    )
    # the real input as the first argument
    _raises_like_torch(
        lambda: ndgrad.logaddexp(y, x).abs().sum().backward(),
        lambda: torch.logaddexp(ty, tx).abs().sum().backward(),
        "input",
    )


def test_logaddexp_forward_mode_takes_a_real_tangent_next_to_a_complex_input_as_pytorch():
    import torch.autograd.forward_ad as tfw

    z, r, t = _z(3), _r(3), _r(3)
    with fwAD.dual_level():
        out = ndgrad.logaddexp(ndgrad.tensor(z), fwAD.make_dual(ndgrad.tensor(r), ndgrad.tensor(t)))
        ours = fwAD.unpack_dual(out).tangent
    with tfw.dual_level():
        out = torch.logaddexp(torch.tensor(z), tfw.make_dual(torch.tensor(r), torch.tensor(t)))
        theirs = tfw.unpack_dual(out).tangent
    _close(ours, theirs)


# --------------------------------------------------------------------------------------------
# Arguments for which PyTorch refuses complex data.


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("dropout", (2, 3)),
        ("alpha_dropout", (2, 3)),
        ("feature_alpha_dropout", (2, 2, 2)),
        ("dropout1d", (2, 2, 3)),
        ("dropout2d", (1, 2, 2, 2)),
        ("dropout3d", (1, 2, 1, 2, 2)),
    ],
)
def test_dropout_in_training_refuses_complex_data_as_pytorch_and_passes_it_in_eval(name, shape):
    z = _z(*shape)
    _raises_like_torch(
        lambda: getattr(F, name)(ndgrad.tensor(z), 0.5, True),
        lambda: getattr(torch.nn.functional, name)(torch.tensor(z), 0.5, True),
        "bernoulli",
    )
    x, tx = _pair(z)
    _close(getattr(F, name)(x, 0.5, False), getattr(torch.nn.functional, name)(tx, 0.5, False))


@pytest.mark.parametrize(
    ("name", "kernel"), [("mse_loss", "mse_cpu"), ("smooth_l1_loss", "smooth_l1")]
)
def test_mse_and_smooth_l1_losses_refuse_complex_data_as_pytorch(name, kernel):
    for a, b in ((_z(3), _z(3)), (_z(3), _r(3)), (_r(3), _z(3))):
        _raises_like_torch(
            lambda a=a, b=b: getattr(F, name)(ndgrad.tensor(a), ndgrad.tensor(b)),
            lambda a=a, b=b: getattr(torch.nn.functional, name)(torch.tensor(a), torch.tensor(b)),
            kernel,
        )


def test_smooth_l1_loss_with_beta_0_is_the_l1_loss_of_complex_data_as_pytorch():
    x, tx = _pair(_z(4))
    y, ty = _pair(_z(4), requires_grad=False)
    out = F.smooth_l1_loss(x, y, beta=0.0)
    tout = torch.nn.functional.smooth_l1_loss(tx, ty, beta=0.0)
    _close(out, tout)
    _close(ndgrad.autograd.grad(out, [x])[0], torch.autograd.grad(tout, [tx])[0])


def test_poisson_nll_loss_full_refuses_a_complex_target_as_pytorch():
    x, t = _z(2, 3), np.abs(_z(2, 3))
    _raises_like_torch(
        lambda: F.poisson_nll_loss(ndgrad.tensor(x), ndgrad.tensor(t + 0j), full=True),
        lambda: torch.nn.functional.poisson_nll_loss(
            torch.tensor(x), torch.tensor(t + 0j), full=True
        ),
        "le_cpu",
    )


@pytest.mark.parametrize(
    "kwargs", [{}, {"log_input": False, "reduction": "sum"}, {"full": True, "reduction": "none"}]
)
def test_poisson_nll_loss_of_complex_inputs_matches_pytorch(kwargs):
    """Complex input and target (a real target with full=True: it is compared with 1)."""
    x, tx = _pair(_z(2, 3))
    t = np.abs(_z(2, 3)) * 1.5 if kwargs.get("full") else _z(2, 3)
    y, ty = _pair(t)
    out = F.poisson_nll_loss(x, y, **kwargs)
    tout = torch.nn.functional.poisson_nll_loss(tx, ty, **kwargs)
    _close(out, tout)
    v = _z(*out.shape)
    for a, b in zip(
        ndgrad.autograd.grad(out, [x, y], ndgrad.tensor(v)),
        torch.autograd.grad(tout, [tx, ty], torch.tensor(v)),
    ):
        _close(a, b)


def test_pad_takes_a_complex_value_only_through_constant_pad_nd_as_pytorch():
    z = _z(1, 2, 3)
    _raises_like_torch(
        lambda: F.pad(ndgrad.tensor(z), (1, 1), value=1 + 1j),
        lambda: torch.nn.functional.pad(torch.tensor(z), (1, 1), value=1 + 1j),
        "must be float, not complex",
    )
    x, tx = _pair(z)
    out, tout = ndgrad.constant_pad_nd(x, (1, 1), 1 + 1j), torch.constant_pad_nd(tx, (1, 1), 1 + 1j)
    _close(out, tout)
    v = _z(1, 2, 5)
    _close(
        ndgrad.autograd.grad(out, [x], ndgrad.tensor(v))[0],
        torch.autograd.grad(tout, [tx], torch.tensor(v))[0],
    )


def test_a_convolution_refuses_a_real_weight_for_complex_input_as_pytorch():
    x, w = _z(1, 2, 5), _r(3, 2, 2)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w))
    with pytest.raises(RuntimeError, match="expected scalar type"):
        F.conv1d(ndgrad.tensor(x), ndgrad.tensor(w))


def test_index_add_with_a_complex_alpha_gives_the_source_conj_alpha_times_g():
    """d/dsource of input + alpha * source is conj(alpha) g[index] (PyTorch 2.13 returns
    alpha g[index], which its own gradcheck rejects); input's gradient and a real alpha are
    PyTorch's."""
    x, tx = _pair(_z(4, 3))
    s, ts = _pair(_z(2, 3))
    idx = np.array([0, 2])
    v = _z(4, 3)
    for alpha in (2.5, 2 - 1j):
        out = ndgrad.index_add(x, 0, ndgrad.tensor(idx), s, alpha=alpha)
        tout = torch.index_add(tx, 0, torch.tensor(idx), ts, alpha=alpha)
        _close(out, tout)
        gx, gs = ndgrad.autograd.grad(out, [x, s], ndgrad.tensor(v))
        tgx, tgs = torch.autograd.grad(tout, [tx, ts], torch.tensor(v))
        _close(gx, tgx)
        np.testing.assert_allclose(gs.numpy(), np.conj(alpha) * v[idx], rtol=1e-12)
        if isinstance(alpha, float):
            _close(gs, tgs)


# --------------------------------------------------------------------------------------------
# cholesky: See Note [Cholesky reads the Hermitian part] in ndgrad/ops/linalg_cholesky.py.


def _hpd(*shape):
    b = _z(*shape)
    n = shape[-1]
    return b @ np.conj(np.swapaxes(b, -1, -2)) + n * np.eye(n)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_of_a_hermitian_matrix_matches_pytorch_for_a_phase_invariant_loss(upper):
    """A loss of L L^H and |L| does not see the phases of L's columns: the gradients agree."""
    a, ta = _pair(_hpd(2, 3, 3))
    w = _z(2, 3, 3)
    lo, tlo = ndgrad.linalg.cholesky(a, upper=upper), torch.linalg.cholesky(ta, upper=upper)
    _close(lo, tlo)
    gram = lo.mT.conj() @ lo if upper else lo @ lo.mT.conj()  # A itself: U^H U or L L^H
    tgram = tlo.mH @ tlo if upper else tlo @ tlo.mH
    loss = (gram * ndgrad.tensor(w)).real.sum() + lo.abs().sum()
    tloss = (tgram * torch.tensor(w)).real.sum() + tlo.abs().sum()
    _close(ndgrad.autograd.grad(loss, [a])[0], torch.autograd.grad(tloss, [ta])[0], rtol=1e-9)


def test_cholesky_gradient_is_the_hermitian_part_of_pytorchs_for_any_loss():
    a, ta = _pair(_hpd(3, 3))
    v = _z(3, 3)
    ours = ndgrad.autograd.grad(ndgrad.linalg.cholesky(a), [a], ndgrad.tensor(v))[0].numpy()
    theirs = torch.autograd.grad(torch.linalg.cholesky(ta), [ta], torch.tensor(v))[0].numpy()
    np.testing.assert_allclose(ours, np.conj(ours.T), atol=1e-12)
    np.testing.assert_allclose(ours, (theirs + np.conj(theirs.T)) / 2, rtol=1e-9, atol=1e-12)
    # what PyTorch has more is anti-Hermitian: no Hermitian perturbation of A sees it
    assert np.abs(theirs - ours).max() > 1e-3


def test_cholesky_of_a_hermitian_matrix_built_from_a_parameter_matches_pytorch():
    """A = B B^H + 3 I: the anti-Hermitian part of PyTorch's gradient cancels on the way to B."""
    b, tb = _pair(_z(3, 3))
    v = _z(3, 3)
    eye = np.eye(3)
    lo = ndgrad.linalg.cholesky(b @ b.mT.conj() + ndgrad.tensor(3 * eye))
    tlo = torch.linalg.cholesky(tb @ tb.mH + torch.tensor(3 * eye))
    _close(
        ndgrad.autograd.grad(lo, [b], ndgrad.tensor(v))[0],
        torch.autograd.grad(tlo, [tb], torch.tensor(v))[0],
        rtol=1e-9,
    )


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_of_a_complex_factor_matches_pytorch(upper):
    lo = np.linalg.cholesky(_hpd(3, 3))
    factor = np.conj(lo.T) if upper else lo
    f, tf = _pair(factor)
    out, tout = ndgrad.cholesky_inverse(f, upper), torch.cholesky_inverse(tf, upper)
    _close(out, tout, rtol=1e-9)
    v = _z(3, 3)
    _close(
        ndgrad.autograd.grad(out, [f], ndgrad.tensor(v))[0],
        torch.autograd.grad(tout, [tf], torch.tensor(v))[0],
        rtol=1e-9,
    )
