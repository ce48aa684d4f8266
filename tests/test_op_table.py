"""ONE parametrised template over every op of the table.

For each op and each of its samples:
* forward values equal the NumPy reference (float64 and float32);
* reverse mode: <v, J u> by central differences equals <J^T v, u> from backward (float64);
* forward mode: the jvp from dual tensors equals the central difference J u;
* second order: the derivative of <J^T v, w> in direction u equals its finite difference;
* float32 runs give float32 gradients close to the float64 ones;
* PyTorch (when installed) gives the same values and gradients;
* array-api-strict arrays give the same values and gradients (nothing assumes NumPy).
"""

from __future__ import annotations

import importlib.util
import zlib

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias
from ndgrad.ops import TABLE

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_STRICT = importlib.util.find_spec("array_api_strict") is not None

OPS = sorted((op for op in TABLE.values() if op.samples is not None), key=lambda o: o.name)
DIFF_OPS = [op for op in OPS if op.differentiable]
EPS = 1e-6


def samples(op, dtype=np.float64):
    return op.samples(np.random.default_rng(zlib.crc32(op.name.encode())), dtype)


def grad_positions(op, s):
    if s.grad is not None:
        return tuple(s.grad)
    return tuple(
        i for i, a in enumerate(s.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
    )


def to_args(s, pos, requires_grad=True, wrap=None):
    out = []
    for i, a in enumerate(s.args):
        if isinstance(a, np.ndarray):
            arr = a.copy()
            if wrap is not None:
                arr = wrap(arr)
            t = ndgrad.as_tensor(arr) if wrap is not None else ndgrad.tensor(arr)
            if requires_grad and i in pos:
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def call(op, args, kwargs):
    """The op's result as one tensor: an op with several outputs gives its differentiable
    outputs flattened and joined, so every check below sees each output's gradient."""
    return joined(op, op.fn(*args, **kwargs), ndgrad)


def joined(op, out, lib):
    if not op.outputs:
        return out
    parts = [out[k].reshape(-1) for k in op.diff_outputs]
    return parts[0] if len(parts) == 1 else lib.cat(parts)


def value(op, s, pos, arrays):
    """f at the given float64 arrays for the positions ``pos``, as a NumPy array."""
    args = list(s.args)
    for i, a in zip(pos, arrays):
        args[i] = a
    with ndgrad.no_grad():
        out = call(
            op, [ndgrad.tensor(a) if isinstance(a, np.ndarray) else a for a in args], s.kwargs
        )
    return np.asarray(out.numpy(), dtype=np.float64)


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_forward_matches_numpy_reference(op):
    if op.ref is None:
        pytest.skip(f"{op.name} declares no NumPy reference (compared with PyTorch instead)")
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        for s in samples(op, dtype):
            if op.outputs:  # every output, the non-differentiable ones (indices) too
                outs = op.fn(*to_args(s, (), False), **s.kwargs)
                refs = op.ref(*s.args, **s.kwargs)
                assert len(outs) == len(refs) == len(op.outputs), op.name
                for o, r in zip(outs, refs):
                    r = np.asarray(r)
                    assert tuple(o.shape) == r.shape, (op.name, s.name)
                    np.testing.assert_allclose(o.numpy(), r, rtol=rtol, atol=rtol, err_msg=op.name)
                continue
            out = call(op, to_args(s, (), False), s.kwargs)
            ref = np.asarray(op.ref(*s.args, **s.kwargs))
            assert tuple(out.shape) == ref.shape, (op.name, s.name)
            np.testing.assert_allclose(out.numpy(), ref, rtol=rtol, atol=rtol, err_msg=op.name)
            if dtype is np.float32 and ref.dtype.kind == "f":
                assert out.dtype is ndgrad.float32, (op.name, out.dtype)


@pytest.mark.parametrize("op", DIFF_OPS, ids=lambda o: o.name)
def test_reverse_mode_matches_finite_differences(op):
    rng = np.random.default_rng(7)
    for s in samples(op):
        pos = grad_positions(op, s)
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        assert out.requires_grad
        assert out.grad_fn is not None
        v = rng.standard_normal(out.shape)
        grads = ndgrad.autograd.grad(
            out, [args[i] for i in pos], ndgrad.tensor(v), allow_unused=True, materialize_grads=True
        )
        for k, i in enumerate(pos):
            x = s.args[i]
            g = grads[k]
            assert tuple(g.shape) == x.shape, (op.name, s.name)
            assert g.dtype is ndgrad.float64, (op.name, s.name)
            u = rng.standard_normal(x.shape)
            base = [s.args[j] for j in pos]
            plus = list(base)
            minus = list(base)
            plus[k] = np.asarray(x + EPS * u)
            minus[k] = np.asarray(x - EPS * u)
            num = np.sum(v * value(op, s, pos, plus)) - np.sum(v * value(op, s, pos, minus))
            num /= 2 * EPS
            ana = float(np.sum(g.numpy() * u))
            assert ana == pytest.approx(num, rel=1e-5, abs=1e-6), (
                op.name,
                s.name,
                i,
            )


@pytest.mark.parametrize("op", [o for o in DIFF_OPS if o.fwd_check], ids=lambda o: o.name)
def test_forward_mode_matches_finite_differences(op):
    rng = np.random.default_rng(8)
    for s in samples(op):
        pos = grad_positions(op, s)
        us = [rng.standard_normal(s.args[i].shape) for i in pos]
        args = to_args(s, pos, requires_grad=False)
        with fwAD.dual_level():
            for k, i in enumerate(pos):
                args[i] = fwAD.make_dual(args[i], ndgrad.tensor(us[k]))
            out = call(op, args, s.kwargs)
            tangent = fwAD.unpack_dual(out).tangent
        base = [s.args[j] for j in pos]
        plus = [np.asarray(b + EPS * u) for b, u in zip(base, us)]
        minus = [np.asarray(b - EPS * u) for b, u in zip(base, us)]
        num = (value(op, s, pos, plus) - value(op, s, pos, minus)) / (2 * EPS)
        assert tangent is not None, (op.name, s.name)
        assert tuple(tangent.shape) == tuple(out.shape)
        np.testing.assert_allclose(
            tangent.numpy(),
            num,
            rtol=1e-5,
            atol=1e-6,
            err_msg=f"{op.name} {s.name}",
        )


@pytest.mark.parametrize("op", DIFF_OPS, ids=lambda o: o.name)
def test_second_order_matches_finite_differences(op):
    rng = np.random.default_rng(9)
    for s in samples(op):
        pos = grad_positions(op, s)
        if not pos:
            continue
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        v = ndgrad.tensor(rng.standard_normal(out.shape))
        ws = [rng.standard_normal(s.args[i].shape) for i in pos]
        us = [rng.standard_normal(s.args[i].shape) for i in pos]
        inputs = [args[i] for i in pos]
        g1 = ndgrad.autograd.grad(
            out, inputs, v, create_graph=True, allow_unused=True, materialize_grads=True
        )
        h = sum((g * ndgrad.tensor(w)).sum() for g, w in zip(g1, ws))
        if not h.requires_grad:  # a linear op: every second derivative is zero
            continue
        g2 = ndgrad.autograd.grad(h, inputs, allow_unused=True, materialize_grads=True)
        ana = sum(float(np.sum(g.numpy() * u)) for g, u in zip(g2, us))

        def first(arrays, s=s, pos=pos, v=v, ws=ws):
            a2 = list(s.args)
            for i, arr in zip(pos, arrays):
                a2[i] = arr
            targs = to_args(type(s)(tuple(a2), s.kwargs, s.grad), pos)
            o = call(op, targs, s.kwargs)
            gs = ndgrad.autograd.grad(
                o, [targs[i] for i in pos], v, allow_unused=True, materialize_grads=True
            )
            return sum(float(np.sum(g.numpy() * w)) for g, w in zip(gs, ws))

        base = [s.args[i] for i in pos]
        num = (
            first([np.asarray(b + EPS * u) for b, u in zip(base, us)])
            - first([np.asarray(b - EPS * u) for b, u in zip(base, us)])
        ) / (2 * EPS)
        assert ana == pytest.approx(num, rel=1e-4, abs=1e-5), (op.name, s.name)


@pytest.mark.parametrize("op", DIFF_OPS, ids=lambda o: o.name)
def test_float32_gradients_are_float32_and_close_to_float64(op):
    rng = np.random.default_rng(10)
    for s64, s32 in zip(samples(op, np.float64), samples(op, np.float32)):
        pos = grad_positions(op, s64)
        results = []
        for s in (s64, s32):
            args = to_args(s, pos)
            out = call(op, args, s.kwargs)
            v = rng.standard_normal(out.shape) if not results else results[0][1]
            gs = ndgrad.autograd.grad(
                out,
                [args[i] for i in pos],
                ndgrad.tensor(v.astype(out.detach().numpy().dtype)),
                allow_unused=True,
                materialize_grads=True,
            )
            results.append((out, v, gs))
        for g64, g32 in zip(results[0][2], results[1][2]):
            assert g32.dtype is ndgrad.float32, (op.name, g32.dtype)
            np.testing.assert_allclose(
                g32.numpy(),
                g64.numpy(),
                rtol=2e-3,
                atol=2e-3,
                err_msg=op.name,
            )


def _torch_fn(op):
    import torch

    if callable(op.torch):
        return op.torch
    name = op.torch or op.name  # "linalg.det" -> torch.linalg.det
    fn = torch
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (pip install '.[torch]')")
@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_values_and_gradients_equal_pytorch(op):
    import torch

    if op.torch is False:
        pytest.skip(f"{op.name} has no PyTorch counterpart")
    fn = _torch_fn(op)
    rng = np.random.default_rng(11)
    for s in samples(op):
        pos = grad_positions(op, s) if op.differentiable else ()
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        targs = []
        for i, a in enumerate(s.args):
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a.copy())
                if i in pos:
                    t.requires_grad_(True)
                targs.append(t)
            else:
                targs.append(a)
        tout = fn(*targs, **s.kwargs)
        if op.outputs:  # the indices (and every output) equal PyTorch's too
            for o, t in zip(op.fn(*args, **s.kwargs), tout):
                np.testing.assert_allclose(
                    o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=op.name
                )
            tout = joined(op, tout, torch)
        np.testing.assert_allclose(
            out.detach().numpy(),
            tout.detach().numpy(),
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"{op.name} {s.name} forward",
        )
        assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1], op.name
        if not pos or not tout.requires_grad:
            continue
        v = rng.standard_normal(tuple(out.shape))
        ours = ndgrad.autograd.grad(
            out, [args[i] for i in pos], ndgrad.tensor(v), allow_unused=True, materialize_grads=True
        )
        theirs = torch.autograd.grad(
            tout,
            [targs[i] for i in pos],
            torch.from_numpy(v),
            allow_unused=True,
            materialize_grads=True,
        )
        for a, b, i in zip(ours, theirs, pos):
            np.testing.assert_allclose(
                a.numpy(),
                b.numpy(),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{op.name} {s.name} grad of input {i}",
            )


@pytest.mark.skipif(not HAVE_STRICT, reason="array-api-strict is not installed")
@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_runs_on_array_api_strict(op):
    import array_api_strict as xps

    rng = np.random.default_rng(12)
    for s in samples(op):
        pos = grad_positions(op, s) if op.differentiable else ()
        ref_args = to_args(s, pos)
        ref = call(op, ref_args, s.kwargs)
        args = to_args(s, pos, wrap=xps.asarray)
        out = call(op, args, s.kwargs)
        assert type(out._data).__module__.startswith("array_api_strict"), op.name
        np.testing.assert_allclose(
            np.asarray(out.detach()), ref.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=op.name
        )
        if not pos:
            continue
        v = rng.standard_normal(tuple(out.shape))
        g_ref = ndgrad.autograd.grad(
            ref,
            [ref_args[i] for i in pos],
            ndgrad.tensor(v),
            allow_unused=True,
            materialize_grads=True,
        )
        g = ndgrad.autograd.grad(
            out,
            [args[i] for i in pos],
            ndgrad.as_tensor(xps.asarray(v)),
            allow_unused=True,
            materialize_grads=True,
        )
        for a, b in zip(g, g_ref):
            assert type(a._data).__module__.startswith("array_api_strict"), op.name
            np.testing.assert_allclose(
                np.asarray(a), b.numpy(), rtol=1e-12, atol=1e-12, err_msg=op.name
            )


# --------------------------------------------------------------------------------------------
# complex128: PyTorch's convention (See Note [Complex gradients] in ndgrad/ops/elementwise.py).
# For a real loss L of z = x + iy the gradient is dL/dx + i dL/dy. A complex output weighted by
# grad_output v stands for the loss L = sum(Re(conj(v) * out)); a real output for sum(v * out).
# Each gradient is checked along a real and along an imaginary direction, as PyTorch's gradcheck
# checks both the real and the imaginary perturbations.

COMPLEX_OPS = [op for op in DIFF_OPS if op.complex]
# A composite has no node of its own: the op it calls that lacks complex rules raises.
REAL_ONLY_OPS = [op for op in DIFF_OPS if not op.complex and not op.composite]


def complex_samples(op, mixed=False):
    """The record's float64 samples as complex128: x + iy, y from a second draw of the samples.

    Positions to differentiate are fixed in ``Sample.grad``. ``mixed``: only the first of them
    complex, the others stay real (a real input of a complex op), for ops that promote.
    """
    seed = zlib.crc32(op.name.encode())
    re = op.samples(np.random.default_rng(seed), np.float64)
    im = op.samples(np.random.default_rng(seed + 1), np.float64)
    out = []
    for s, t in zip(re, im):
        pos = grad_positions(op, s)
        if not pos or (mixed and len(pos) < 2):
            continue
        args = list(s.args)
        for k, i in enumerate(pos):
            if mixed and k > 0:
                continue
            assert t.args[i].shape == s.args[i].shape, (op.name, s.name)
            z = s.args[i].astype(np.complex128)
            z.imag = t.args[i]
            args[i] = z
        kwargs = {k: _complex_dtype(v) for k, v in s.kwargs.items()}
        out.append(type(s)(tuple(args), kwargs, pos, s.name + (" mixed" if mixed else "")))
    return out


def _complex_dtype(v):
    return v.to_complex() if isinstance(v, ndgrad.dtype) and v.is_floating_point else v


def _draw(rng, shape, like_complex):
    v = rng.standard_normal(shape)
    return np.asarray(v + 1j * rng.standard_normal(shape) if like_complex else v)


def complex_value(op, s, pos, arrays):
    """The op's output at ``arrays`` (for the positions ``pos``), as a NumPy array, no graph."""
    args = list(s.args)
    for i, a in zip(pos, arrays):
        args[i] = a
    with ndgrad.no_grad():
        out = call(
            op, [ndgrad.tensor(a) if isinstance(a, np.ndarray) else a for a in args], s.kwargs
        )
    return out.numpy()


def real_loss(v, out):
    """sum(Re(conj(v) * out)): the real loss that grad_output ``v`` stands for."""
    return float(np.sum(np.real(np.conj(v) * out)))


def directions(rng, x):
    """A real direction, and an imaginary one when ``x`` is complex."""
    w = rng.standard_normal(x.shape)
    if x.dtype.kind != "c":
        return [w]
    return [w, 1j * rng.standard_normal(x.shape)]


def directional(g, u):
    """The derivative of L along ``u`` from its gradient g = dL/dx + i dL/dy: Re(sum(conj(g) u))."""
    return float(np.sum(np.real(np.conj(g) * u)))


# Ops whose PyTorch twin refuses a real tensor next to a complex one (lerp in its forward,
# logaddexp in the backward of the real input): no mixed cases; tests/test_complex_gaps.py
# checks that ndgrad refuses them as PyTorch does.
NO_MIXED_COMPLEX = ("lerp", "logaddexp")


def complex_cases(op):
    cases = complex_samples(op)
    if op.promote in ("binary", "float") and op.name not in NO_MIXED_COMPLEX:
        cases += complex_samples(op, mixed=True)
    return cases


@pytest.mark.parametrize("op", COMPLEX_OPS, ids=lambda o: o.name)
def test_complex_gradients_match_finite_differences(op):
    rng = np.random.default_rng(13)
    cases = complex_cases(op)
    assert cases, f"{op.name} declares complex=True but has no sample to differentiate"
    for s in cases:
        pos = s.grad
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        assert out.requires_grad, (op.name, s.name)
        v = _draw(rng, tuple(out.shape), out.is_complex())
        grads = ndgrad.autograd.grad(
            out, [args[i] for i in pos], ndgrad.tensor(v), allow_unused=True, materialize_grads=True
        )
        base = [s.args[j] for j in pos]
        for k, i in enumerate(pos):
            x = s.args[i]
            g = grads[k]
            assert tuple(g.shape) == x.shape, (op.name, s.name, i)
            assert g.dtype is args[i].dtype, (op.name, s.name, i, g.dtype)
            for u in directions(rng, x):
                plus = list(base)
                minus = list(base)
                plus[k] = np.asarray(x + EPS * u)
                minus[k] = np.asarray(x - EPS * u)
                num = real_loss(v, complex_value(op, s, pos, plus))
                num = (num - real_loss(v, complex_value(op, s, pos, minus))) / (2 * EPS)
                ana = directional(g.numpy(), u)
                assert ana == pytest.approx(num, rel=1e-5, abs=1e-6), (
                    op.name,
                    s.name,
                    i,
                    "imaginary" if np.iscomplexobj(u) else "real",
                )


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (pip install '.[torch]')")
@pytest.mark.parametrize(
    "op", [o for o in COMPLEX_OPS if o.torch is not False], ids=lambda o: o.name
)
def test_complex_values_and_gradients_equal_pytorch(op):
    import torch

    fn = _torch_fn(op)
    rng = np.random.default_rng(14)
    for s in complex_cases(op):
        pos = s.grad
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        targs = []
        for i, a in enumerate(s.args):
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a.copy())
                if i in pos:
                    t.requires_grad_(True)
                targs.append(t)
            else:
                targs.append(a)
        tout = fn(*targs, **s.kwargs)
        if op.outputs and isinstance(tout, tuple):  # several outputs: joined as ndgrad's are
            tout = joined(op, tout, torch)
        np.testing.assert_allclose(
            out.detach().numpy(),
            tout.detach().resolve_conj().numpy(),
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"{op.name} {s.name} forward",
        )
        assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1], op.name
        v = _draw(rng, tuple(out.shape), out.is_complex())
        ours = ndgrad.autograd.grad(
            out, [args[i] for i in pos], ndgrad.tensor(v), allow_unused=True, materialize_grads=True
        )
        theirs = torch.autograd.grad(
            tout,
            [targs[i] for i in pos],
            torch.from_numpy(v),
            allow_unused=True,
            materialize_grads=True,
        )
        for a, b, i in zip(ours, theirs, pos):
            np.testing.assert_allclose(
                a.numpy(),
                b.resolve_conj().numpy(),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{op.name} {s.name} grad of input {i}",
            )


@pytest.mark.parametrize("op", COMPLEX_OPS, ids=lambda o: o.name)
def test_complex_second_order_matches_finite_differences(op):
    """h(z) = Re(sum(conj(w) * grad(out, z, v))) is real: its gradient is checked as above."""
    rng = np.random.default_rng(15)
    for s in complex_cases(op):
        pos = s.grad
        args = to_args(s, pos)
        out = call(op, args, s.kwargs)
        v = ndgrad.tensor(_draw(rng, tuple(out.shape), out.is_complex()))
        ws = [_draw(rng, s.args[i].shape, s.args[i].dtype.kind == "c") for i in pos]
        inputs = [args[i] for i in pos]
        g1 = ndgrad.autograd.grad(
            out, inputs, v, create_graph=True, allow_unused=True, materialize_grads=True
        )
        h = sum((ndgrad.tensor(np.conj(w)) * g).real.sum() for g, w in zip(g1, ws))
        if not h.requires_grad:  # a linear op: every second derivative is zero
            continue
        g2 = ndgrad.autograd.grad(h, inputs, allow_unused=True, materialize_grads=True)

        def first(arrays, s=s, pos=pos, v=v, ws=ws):
            a2 = list(s.args)
            for i, arr in zip(pos, arrays):
                a2[i] = arr
            targs = to_args(type(s)(tuple(a2), s.kwargs, pos), pos)
            o = call(op, targs, s.kwargs)
            gs = ndgrad.autograd.grad(
                o, [targs[i] for i in pos], v, allow_unused=True, materialize_grads=True
            )
            return sum(real_loss(w, g.numpy()) for g, w in zip(gs, ws))

        base = [s.args[i] for i in pos]
        for k, i in enumerate(pos):
            for u in directions(rng, s.args[i]):
                plus = list(base)
                minus = list(base)
                plus[k] = np.asarray(base[k] + EPS * u)
                minus[k] = np.asarray(base[k] - EPS * u)
                num = (first(plus) - first(minus)) / (2 * EPS)
                ana = directional(g2[k].numpy(), u)
                assert ana == pytest.approx(num, rel=1e-4, abs=1e-5), (
                    op.name,
                    s.name,
                    i,
                    "imaginary" if np.iscomplexobj(u) else "real",
                )


@pytest.mark.parametrize("op", REAL_ONLY_OPS, ids=lambda o: o.name)
def test_complex_inputs_of_ops_without_complex_rules_raise_naming_the_op(op):
    """Until a record declares complex=True, recording its node for complex data raises."""
    checked = 0
    for s in complex_samples(op):
        try:
            with ndgrad.no_grad():
                call(op, to_args(s, s.grad, requires_grad=False), s.kwargs)
        except (RuntimeError, TypeError, ValueError):
            continue  # the forward itself refuses complex data
        args = to_args(s, s.grad)
        with pytest.raises(RuntimeError, match=f"{op.name}: complex inputs are not supported"):
            call(op, args, s.kwargs)
        checked += 1
    if not checked:
        pytest.skip(f"{op.name}'s forward refuses complex inputs")


@pytest.mark.parametrize("op", [o for o in COMPLEX_OPS if o.fwd_check], ids=lambda o: o.name)
def test_complex_forward_mode_matches_finite_differences(op):
    """Dual tensors with complex tangents: the jvp is the directional derivative J u."""
    rng = np.random.default_rng(14)
    for s in complex_cases(op):
        pos = s.grad
        us = [_draw(rng, s.args[i].shape, s.args[i].dtype.kind == "c") for i in pos]
        args = to_args(s, pos, requires_grad=False)
        with fwAD.dual_level():
            for k, i in enumerate(pos):
                args[i] = fwAD.make_dual(args[i], ndgrad.tensor(us[k]))
            out = call(op, args, s.kwargs)
            tangent = fwAD.unpack_dual(out).tangent
        base = [s.args[j] for j in pos]
        plus = [np.asarray(b + EPS * u) for b, u in zip(base, us)]
        minus = [np.asarray(b - EPS * u) for b, u in zip(base, us)]
        num = (complex_value(op, s, pos, plus) - complex_value(op, s, pos, minus)) / (2 * EPS)
        assert tangent is not None, (op.name, s.name)
        np.testing.assert_allclose(
            tangent.numpy(), num, rtol=1e-5, atol=1e-6, err_msg=f"{op.name} {s.name}"
        )
