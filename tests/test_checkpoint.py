"""``ndgrad.utils.checkpoint``: recompute in backward, same gradients as without it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

RNG = np.random.default_rng(1)
W = [RNG.standard_normal((6, 6)) * 0.5 for _ in range(4)]


def layers(ws):
    return [lambda h, w=w: ndgrad.tanh(h @ w) for w in ws]


def grads_of(run):
    ws = [ndgrad.tensor(w, requires_grad=True) for w in W]
    x = ndgrad.tensor(RNG.standard_normal((3, 6)), requires_grad=True)
    run(x, ws).pow(2).sum().backward()
    return [x.grad.numpy()] + [w.grad.numpy() for w in ws]


def plain(x, ws):
    for f in layers(ws):
        x = f(x)
    return x


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpointed_layers_give_the_gradients_of_the_plain_run(use_reentrant):
    def ck(x, ws):
        fs = layers(ws)
        h = checkpoint(lambda t: fs[1](fs[0](t)), x, use_reentrant=use_reentrant)
        return fs[3](fs[2](h))

    state = RNG.bit_generator.state
    want = grads_of(plain)
    RNG.bit_generator.state = state
    got = grads_of(ck)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_sequential_equals_the_plain_run(use_reentrant):
    state = RNG.bit_generator.state
    want = grads_of(plain)
    RNG.bit_generator.state = state
    got = grads_of(
        lambda x, ws: checkpoint_sequential(layers(ws), 2, x, use_reentrant=use_reentrant)
    )
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_recomputation_replays_the_forwards_random_draws():
    x = ndgrad.ones(200, dtype=ndgrad.float64, requires_grad=True)
    y = checkpoint(lambda t: ndgrad.nn.functional.dropout(t * 3, 0.5), x, use_reentrant=False)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)


def test_second_order_gradients_through_a_checkpoint():
    x = ndgrad.tensor([0.5, 1.5], dtype=ndgrad.float64, requires_grad=True)
    y = checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False)
    (g,) = ndgrad.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    a = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(a) - a * np.sin(a), rtol=1e-12)


def test_a_function_that_saves_differently_when_rerun_is_caught():
    calls = []

    def f(t):
        calls.append(1)
        return t.exp() if len(calls) == 1 else t.exp().sin()

    x = ndgrad.ones(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="different number of tensors"):
        y.sum().backward()


def test_missing_use_reentrant_warns_as_torch_and_bad_keywords_are_refused():
    x = ndgrad.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(ndgrad.exp, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(ndgrad.exp, x, use_reentrant=True, scale=2)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint_sequential([ndgrad.exp], 1, x, use_reentrant=False, scale=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda t, s: t * s, x, use_reentrant=False, s=2.0)  # kwargs reach fn


def test_checkpoint_keeps_no_intermediate_of_the_segment_alive():
    sizes = []

    def f(t):
        for _ in range(5):
            t = ndgrad.tanh(t)
        return t

    x = ndgrad.ones(1000, dtype=ndgrad.float64, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    node = y.grad_fn
    while node is not None:  # every tanh node keeps a small packed index, no array
        sizes.append(type(node.ans).__name__)
        nxt = [e for e in node.next_functions if e[0] is not None]
        node = nxt[0][0] if nxt and hasattr(nxt[0][0], "ans") else None
    assert sizes == ["Packed"] * 5


def test_checkpoint_matches_torch_on_the_same_network():
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as tck

    a = RNG.standard_normal((3, 6))
    res = []
    for lib, ck in ((ndgrad, checkpoint), (torch, tck)):
        ws = [lib.tensor(w, requires_grad=True) for w in W]
        x = lib.tensor(a, requires_grad=True)

        def seg(t, ws=ws, lib=lib):
            return lib.tanh(lib.tanh(t @ ws[0]) @ ws[1])

        out = ck(seg, x, use_reentrant=False) @ ws[2]
        out.pow(2).sum().backward()
        res.append([x.grad.numpy()] + [w.grad.numpy() for w in ws[:3]])
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
