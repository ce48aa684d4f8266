"""ndgrad.fft against PyTorch: values, dtypes, gradients (odd/even n, padding, trimming, every
norm), round trips, shifts and frequencies, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")

NORMS = (None, "backward", "ortho", "forward")
ONE_D = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
TWO_D = tuple(n + "2" for n in ONE_D)
N_D = tuple(n + "n" for n in ONE_D)
REAL_ONLY = ("rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn")


def _input(rng, shape, is_complex):
    x = rng.standard_normal(shape)
    if is_complex:
        x = x + 1j * rng.standard_normal(shape)
    return x


def _grad_output(rng, out):
    return _input(rng, tuple(out.shape), out.dtype.is_complex)


def _compare(name, x, **kw):
    """Values, dtype and the gradient for a random grad_output equal PyTorch's."""
    rng = np.random.default_rng(abs(hash((name, x.shape, str(kw)))) % 2**32)
    ours_in = ndgrad.tensor(x, requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    ours = getattr(ndgrad.fft, name)(ours_in, **kw)
    theirs = getattr(torch.fft, name)(theirs_in, **kw)
    assert tuple(ours.shape) == tuple(theirs.shape), (name, kw)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (name, kw)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-12
    )
    v = _grad_output(rng, theirs)
    (g_ours,) = ndgrad.autograd.grad(ours, [ours_in], ndgrad.tensor(v))
    (g_theirs,) = torch.autograd.grad(theirs, [theirs_in], torch.tensor(v))
    assert g_ours.dtype is ours_in.dtype
    np.testing.assert_allclose(
        g_ours.numpy(), g_theirs.resolve_conj().numpy(), rtol=1e-9, atol=1e-12, err_msg=name
    )


def _cases(names):
    """(name, complex input?): the real-input transforms (rfft, ihfft) take real inputs only."""
    return [(n, c) for n in names for c in (False, True) if not (c and n in REAL_ONLY)]


@pytest.mark.parametrize(("name", "is_complex"), _cases(ONE_D))
def test_one_dimensional_transforms_and_gradients_equal_pytorch(name, is_complex):
    rng = np.random.default_rng(0)
    for length in (4, 5):  # even and odd signals
        x = _input(rng, (2, length), is_complex)
        for norm in NORMS:
            _compare(name, x, norm=norm)
        for n in (1, 2, 3, 6, 7, 8, 9):  # trimming and padding, odd and even n
            _compare(name, x, n=n)
        _compare(name, x, n=7, dim=0, norm="ortho")
        _compare(name, x, dim=-2, norm="forward")


@pytest.mark.parametrize(("name", "is_complex"), _cases(TWO_D + N_D))
def test_multi_dimensional_transforms_and_gradients_equal_pytorch(name, is_complex):
    rng = np.random.default_rng(1)
    x = _input(rng, (3, 4, 5), is_complex)
    for norm in NORMS:
        _compare(name, x, norm=norm)
    for s in ((2, 3), (4, 7), (5, 6), (3, -1)):
        _compare(name, x, s=s)
    _compare(name, x, s=(2, 5), dim=(2, 0), norm="ortho")  # the last dim in dim is halved
    _compare(name, x, dim=(0, 1), norm="forward")
    if name.endswith("n"):
        _compare(name, x, s=(3, 4, 6))
        _compare(name, x, dim=1)
        _compare(name, x, s=(6,))


def test_round_trips_recover_the_signal_for_every_norm():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5))
    z = x + 1j * rng.standard_normal((3, 5))
    F = ndgrad.fft  # noqa: N806 - short, as the module reads in formulas
    for norm in NORMS:
        t = ndgrad.tensor(z)
        np.testing.assert_allclose(F.ifft(F.fft(t, norm=norm), norm=norm).numpy(), z, atol=1e-12)
        np.testing.assert_allclose(F.ifftn(F.fftn(t, norm=norm), norm=norm).numpy(), z, atol=1e-12)
        r = ndgrad.tensor(x)
        for n in (5, 6):  # odd and even: n says which signal length the onesided bins had
            back = F.irfft(F.rfft(r, n=n, norm=norm), n=n, norm=norm).numpy()
            np.testing.assert_allclose(back, np.fft.irfft(np.fft.rfft(x, n), n), atol=1e-12)
            back = F.hfft(F.ihfft(r, n=n, norm=norm), n=n, norm=norm).numpy()
            np.testing.assert_allclose(back, np.fft.irfft(np.fft.rfft(x, n), n), atol=1e-12)
        back = F.irfftn(F.rfftn(r, norm=norm), s=(3, 5), norm=norm).numpy()
        np.testing.assert_allclose(back, x, atol=1e-12)
        back = F.hfft2(F.ihfft2(r, norm=norm), s=(3, 5), norm=norm).numpy()
        np.testing.assert_allclose(back, x, atol=1e-12)


def test_norm_modes_scale_as_pytorch_documents():
    a = np.arange(8.0)
    x = ndgrad.tensor(a)
    base = ndgrad.fft.fft(x).numpy()
    np.testing.assert_allclose(ndgrad.fft.fft(x, norm="ortho").numpy(), base / np.sqrt(8))
    np.testing.assert_allclose(ndgrad.fft.fft(x, norm="forward").numpy(), base / 8)
    np.testing.assert_allclose(ndgrad.fft.ifft(x, norm="forward").numpy(), np.fft.ifft(a) * 8)


def test_real_and_integer_inputs_promote_as_pytorch():
    F = ndgrad.fft  # noqa: N806 - short, as the module reads in formulas
    assert F.fft(ndgrad.ones(4)).dtype is ndgrad.complex64
    assert F.fft(ndgrad.ones(4, dtype=ndgrad.float64)).dtype is ndgrad.complex128
    assert F.fft(ndgrad.arange(4)).dtype is ndgrad.complex64
    assert F.rfft(ndgrad.arange(4)).dtype is ndgrad.complex64
    assert F.irfft(ndgrad.arange(4)).dtype is ndgrad.float32
    assert F.irfft(ndgrad.ones(4, dtype=ndgrad.complex128)).dtype is ndgrad.float64
    assert F.hfft(ndgrad.ones(3, dtype=ndgrad.complex64)).dtype is ndgrad.float32
    assert F.ihfft(ndgrad.ones(4)).dtype is ndgrad.complex64


def test_grad_fn_names_follow_pytorch():
    x = ndgrad.ones(4, dtype=ndgrad.float64, requires_grad=True)
    z = ndgrad.ones(4, dtype=ndgrad.complex128, requires_grad=True)
    assert ndgrad.fft.fft(z).grad_fn.name() == "FftC2CBackward0"
    assert ndgrad.fft.rfft(x).grad_fn.name() == "FftR2CBackward0"
    assert ndgrad.fft.irfft(z).grad_fn.name() == "FftC2RBackward0"
    assert ndgrad.fft.hfft(z).grad_fn.name() == "FftC2RBackward0"
    assert ndgrad.fft.fftshift(x).grad_fn.name() == "RollBackward0"


def test_float32_gradients_are_float32_and_close_to_pytorch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6)).astype(np.float32)
    a = ndgrad.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ndgrad.fft.irfft(ndgrad.fft.rfft(a, n=5) * 1j, n=7).sum().backward()
    torch.fft.irfft(torch.fft.rfft(b, n=5) * 1j, n=7).sum().backward()
    assert a.grad.dtype is ndgrad.float32
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_second_order_through_a_power_spectrum_equals_pytorch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal((3, 5))
    res = []
    for lib in (ndgrad, torch):
        t = lib.tensor(x, requires_grad=True)
        spec = lib.fft.rfft(t, n=6, norm="ortho")
        loss = (spec.abs() ** 2 * lib.fft.rfftfreq(6, dtype=lib.float64)).sum()
        loss = loss + lib.fft.hfft(spec, n=7).pow(2).sum()
        (g,) = lib.autograd.grad(loss, [t], create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(w)).sum(), [t])
        res.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-9, atol=1e-12)


def test_forward_mode_of_rfft_equals_pytorch():
    import torch.autograd.forward_ad as tfw

    from ndgrad.autograd import forward_ad as fw

    rng = np.random.default_rng(5)
    x, u = rng.standard_normal(6), rng.standard_normal(6)
    with fw.dual_level():
        out = ndgrad.fft.irfft(
            ndgrad.fft.rfft(fw.make_dual(ndgrad.tensor(x), ndgrad.tensor(u))) * 2
        )
        ours = fw.unpack_dual(out).tangent.numpy()
    with tfw.dual_level():
        out = torch.fft.irfft(torch.fft.rfft(tfw.make_dual(torch.tensor(x), torch.tensor(u))) * 2)
        theirs = tfw.unpack_dual(out).tangent.numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts_and_their_gradients_equal_pytorch(name):
    rng = np.random.default_rng(6)
    for shape, kw in (((5,), {}), ((4, 5), {}), ((4, 5), {"dim": 1}), ((3, 4, 5), {"dim": (0, 2)})):
        x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        a = ndgrad.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        oa = getattr(ndgrad.fft, name)(a, **kw)
        ob = getattr(torch.fft, name)(b, **kw)
        np.testing.assert_array_equal(oa.detach().numpy(), ob.detach().numpy())
        v = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        oa.backward(ndgrad.tensor(v))
        ob.backward(torch.tensor(v))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    x = ndgrad.arange(5)
    assert ndgrad.fft.fftshift(x).tolist() == torch.fft.fftshift(torch.arange(5)).tolist()
    assert ndgrad.fft.ifftshift(ndgrad.fft.fftshift(x)).tolist() == list(range(5))


def test_fftfreq_and_rfftfreq_equal_pytorch():
    for n in (1, 4, 5):
        for d in (1.0, 0.1):
            for dtype in (None, "float64"):
                kw = {} if dtype is None else {"dtype": getattr(ndgrad, dtype)}
                tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
                for name in ("fftfreq", "rfftfreq"):
                    ours = getattr(ndgrad.fft, name)(n, d, **kw)
                    theirs = getattr(torch.fft, name)(n, d, **tkw)
                    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
                    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert ndgrad.fft.fftfreq(0).shape == (0,)
    assert not ndgrad.fft.fftfreq(4).requires_grad
    assert ndgrad.fft.fftfreq(4, requires_grad=True).requires_grad


def _same_error(ours, theirs):
    with pytest.raises(Exception) as t:
        theirs()
    with pytest.raises(type(t.value)) as o:
        ours()
    expected = str(t.value).split("\n")[0]
    assert str(o.value).startswith(expected), (str(o.value), expected)


@pytest.mark.parametrize(
    "call",
    [
        lambda fft, lib: fft.fft(lib.ones(3, 4), dim=2),
        lambda fft, lib: fft.rfft(lib.ones(3, 4), dim=-3),
        lambda fft, lib: fft.fft(lib.tensor(1.0)),
        lambda fft, lib: fft.fft(lib.ones(4), n=0),
        lambda fft, lib: fft.irfft(lib.ones(1, dtype=lib.complex64)),
        lambda fft, lib: fft.fft(lib.ones(4), norm="bad"),
        lambda fft, lib: fft.rfft(lib.ones(4, dtype=lib.complex64)),
        lambda fft, lib: fft.ihfft(lib.ones(4, dtype=lib.complex128)),
        lambda fft, lib: fft.fft2(lib.ones(3, 4), dim=(0, 0)),
        lambda fft, lib: fft.fftn(lib.ones(3, 4), s=(2, 3, 4)),
        lambda fft, lib: fft.fftn(lib.ones(3, 4), s=(2,), dim=(0, 1)),
        lambda fft, lib: fft.fft2(lib.ones(4)),
        lambda fft, lib: fft.fftfreq(4, dtype=lib.int64),
        lambda fft, lib: fft.fft(lib.ones(4, dtype=lib.float16)),
        lambda fft, lib: fft.fftshift(lib.tensor(1.0)),
        lambda fft, lib: fft.fft(lib.ones(3, 4), dim=(0,)),
    ],
)
def test_errors_match_pytorch(call):
    _same_error(lambda: call(ndgrad.fft, ndgrad), lambda: call(torch.fft, torch))


def test_errors_carry_a_hint():
    with pytest.raises(IndexError, match="hint"):
        ndgrad.fft.fft(ndgrad.tensor(1.0))
    with pytest.raises(RuntimeError, match="hint"):
        ndgrad.fft.rfft(ndgrad.ones(4, dtype=ndgrad.complex64))
