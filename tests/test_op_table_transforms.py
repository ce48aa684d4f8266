"""The op table under the function transforms, for every op and each of its samples:

* forward and reverse mode agree: u . (J v) from a jvp equals (J^T u) . v from a vjp;
* forward over reverse: the jvp of the vjp (J^T u) in direction v equals its finite difference;
* vmap: the batched result equals the loop over the batch, and an op with a batching rule
  runs by its rule (the fallback loop's warning would say it did not).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias
from ndgrad.func import vmap
from ndgrad.ops.batching import rule_of
from test_op_table import DIFF_OPS, EPS, OPS, call, grad_positions, samples, to_args

FWD_OPS = [o for o in DIFF_OPS if o.fwd_check]


def _vjp(op, s, pos, arrays, u, create_graph=False, tangents=None):
    """(J^T u) at ``arrays`` (the inputs at ``pos``), optionally with dual tangents on them."""
    args = to_args(s, pos)
    for k, i in enumerate(pos):
        args[i] = ndgrad.tensor(arrays[k], requires_grad=True)
    leaves = [args[i] for i in pos]
    if tangents is not None:
        for k, i in enumerate(pos):
            args[i] = fwAD.make_dual(leaves[k], ndgrad.tensor(tangents[k]))
    out = call(op, args, s.kwargs)
    return ndgrad.autograd.grad(
        out,
        leaves,
        ndgrad.tensor(u),
        create_graph=create_graph,
        allow_unused=True,
        materialize_grads=True,
    )


@pytest.mark.parametrize("op", FWD_OPS, ids=lambda o: o.name)
def test_forward_and_reverse_mode_give_the_same_directional_derivatives(op):
    rng = np.random.default_rng(21)
    for s in samples(op):
        pos = grad_positions(op, s)
        if not pos:
            continue
        vs = [rng.standard_normal(s.args[i].shape) for i in pos]
        args = to_args(s, pos, requires_grad=False)
        with fwAD.dual_level():
            for k, i in enumerate(pos):
                args[i] = fwAD.make_dual(args[i], ndgrad.tensor(vs[k]))
            out = call(op, args, s.kwargs)
            jv = fwAD.unpack_dual(out).tangent
        u = rng.standard_normal(tuple(out.shape))
        jtu = _vjp(op, s, pos, [s.args[i] for i in pos], u)
        forward = float(np.sum(u * jv.numpy()))
        reverse = sum(float(np.sum(g.numpy() * v)) for g, v in zip(jtu, vs))
        assert forward == pytest.approx(reverse, rel=1e-9, abs=1e-10), (op.name, s.name)


@pytest.mark.parametrize("op", FWD_OPS, ids=lambda o: o.name)
def test_the_jvp_of_a_vjp_matches_finite_differences(op):
    rng = np.random.default_rng(22)
    for s in samples(op):
        pos = grad_positions(op, s)
        if not pos:
            continue
        base = [s.args[i] for i in pos]
        with ndgrad.no_grad():
            out = call(op, to_args(s, pos, requires_grad=False), s.kwargs)
        u = rng.standard_normal(tuple(out.shape))
        vs = [rng.standard_normal(b.shape) for b in base]
        with fwAD.dual_level():
            gs = _vjp(op, s, pos, base, u, create_graph=True, tangents=vs)
            tans = [fwAD.unpack_dual(g).tangent for g in gs]
        plus = _vjp(op, s, pos, [b + EPS * v for b, v in zip(base, vs)], u)
        minus = _vjp(op, s, pos, [b - EPS * v for b, v in zip(base, vs)], u)
        for k, (t, p, m) in enumerate(zip(tans, plus, minus)):
            num = (p.numpy() - m.numpy()) / (2 * EPS)
            got = np.zeros_like(num) if t is None else t.detach().numpy()
            np.testing.assert_allclose(
                got, num, rtol=1e-4, atol=1e-5, err_msg=f"{op.name} {s.name} input {pos[k]}"
            )


def _batch_of(a, rng, n):
    """``n`` variants of sample argument ``a`` stacked (floats perturbed, the rest repeated)."""
    if a.dtype.kind in "fc":
        noise = 1e-3 * rng.standard_normal((n, *a.shape))
        return np.stack([a + (noise[k] if k else 0) for k in range(n)])
    return np.stack([a] * n)


def _writes_running_statistics(op, s):
    """batch_norm/instance_norm updating the running statistics they were given, in place."""
    has = len(s.args) > 2 and isinstance(s.args[1], np.ndarray)
    if op.name == "nn.functional.batch_norm":
        return has and s.kwargs.get("training", False)
    if op.name == "nn.functional.instance_norm":
        return has and s.kwargs.get("use_input_stats", True)
    return False


def _fallback_warnings(caught):
    return [w for w in caught if "no batching rule" in str(w.message)]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_vmap_equals_the_loop_over_the_batch(op):
    if op.name.startswith("_random."):
        pytest.skip(f"{op.name}: random draws differ between a batch and a loop")
    rng = np.random.default_rng(23)
    n = 3
    ruled = rule_of(op) is not None and not op.composite
    for s in samples(op):
        tens = [i for i, a in enumerate(s.args) if isinstance(a, np.ndarray) and a.ndim >= 0]
        if not tens:
            continue
        for batched in (tens, tens[:1]):  # every tensor batched; only the first
            stacked = {i: _batch_of(s.args[i], rng, n) for i in batched}

            def f(*xs, s=s, batched=batched):
                args = list(to_args(s, (), requires_grad=False))
                for i, x in zip(batched, xs):
                    args[i] = x
                return op.fn(*args, **s.kwargs)

            if _writes_running_statistics(op, s) and 1 not in batched:  # as PyTorch: refused
                with pytest.raises(RuntimeError, match="is not possible because"):
                    vmap(f)(*[ndgrad.tensor(stacked[i]) for i in batched])
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                got = vmap(f)(*[ndgrad.tensor(stacked[i]) for i in batched])
            loop = [f(*[ndgrad.tensor(stacked[i][k]) for i in batched]) for k in range(n)]
            outs = got if isinstance(got, tuple) else (got,)
            for j, o in enumerate(outs):
                want = np.stack([(r[j] if isinstance(got, tuple) else r).numpy() for r in loop])
                assert tuple(o.shape) == want.shape, (op.name, s.name, batched)
                np.testing.assert_allclose(
                    o.numpy(), want, rtol=1e-10, atol=1e-12, err_msg=f"{op.name} {s.name}"
                )
            # A rule covers batched data; a batched index (integers) may take the loop.
            data_only = all(stacked[i].dtype.kind in "fc" for i in batched[1:])
            if ruled and data_only:
                assert not _fallback_warnings(caught), (
                    f"{op.name} {s.name}: its batching rule fell back to the loop"
                )
