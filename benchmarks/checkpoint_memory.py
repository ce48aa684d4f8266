"""Peak memory and time of one training step of a deep tanh MLP, with and without
``ndgrad.utils.checkpoint`` (issue 7: "equal gradients and lower peak memory").

The network (activations dominate: a batch far larger than the width): ``DEPTH`` layers
``h = tanh(h @ W_k)``, width ``WIDTH``, batch ``BATCH``, float64;
the loss is ``h.pow(2).mean()``. Contenders: the plain step; ``checkpoint`` around each segment
of ``DEPTH // SEGMENTS`` layers (``use_reentrant=False``); ``checkpoint_sequential`` with
``SEGMENTS`` segments (its last segment is not checkpointed, as PyTorch's). Peak bytes come from
tracemalloc (NumPy reports its buffers to it), measured after a warm-up step; gradients are
compared with the plain step's. PyTorch's CPU allocations are invisible to tracemalloc, so for
it only the time is shown.

Run: ``python benchmarks/checkpoint_memory.py`` (``--quick`` for smaller sizes).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import ndgrad
from ndgrad.utils.checkpoint import checkpoint, checkpoint_sequential


def build(lib, depth: int, width: int, batch: int):
    rng = np.random.default_rng(0)
    ws = [lib.tensor(rng.standard_normal((width, width)) / np.sqrt(width)) for _ in range(depth)]
    for w in ws:
        w.requires_grad_(True)
    x = lib.tensor(rng.standard_normal((batch, width)))
    return ws, x


def layer(lib, w):
    return lambda h: lib.tanh(h @ w)


def step(lib, ws, x, mode: str, segments: int, ck=None, cks=None):
    fs = [layer(lib, w) for w in ws]
    if mode == "plain":
        h = x
        for f in fs:
            h = f(h)
    elif mode == "checkpoint":
        n = len(fs) // segments
        h = x
        for s in range(segments):
            part = fs[s * n : (s + 1) * n]

            def seg(t, part=part):
                for f in part:
                    t = f(t)
                return t

            h = ck(seg, h, use_reentrant=False)
    else:
        h = cks(fs, segments, x, use_reentrant=False)
    loss = h.pow(2).mean()
    loss.backward()
    return [w.grad.numpy().copy() for w in ws]


def measure(mode: str, depth: int, width: int, batch: int, segments: int):
    ws, x = build(ndgrad, depth, width, batch)
    step(ndgrad, ws, x, mode, segments, checkpoint, checkpoint_sequential)  # warm-up
    for w in ws:
        w.grad = None
    tracemalloc.start()
    t0 = time.perf_counter()
    grads = step(ndgrad, ws, x, mode, segments, checkpoint, checkpoint_sequential)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    for _ in range(3):
        for w in ws:
            w.grad = None
        t0 = time.perf_counter()
        step(ndgrad, ws, x, mode, segments, checkpoint, checkpoint_sequential)
        times.append(time.perf_counter() - t0)
    return peak, min(times + [dt]), grads


def torch_time(mode: str, depth: int, width: int, batch: int, segments: int):
    try:
        import torch
        from torch.utils.checkpoint import checkpoint as tck
        from torch.utils.checkpoint import checkpoint_sequential as tcks
    except ImportError:
        return None
    ws, x = build(torch, depth, width, batch)
    times = []
    for _ in range(4):
        for w in ws:
            w.grad = None
        t0 = time.perf_counter()
        step(torch, ws, x, mode, segments, tck, tcks)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    depth, width, batch, segments = (8, 128, 1024, 4) if a.quick else (16, 256, 4096, 4)
    print(f"deep tanh MLP: depth {depth}, width {width}, batch {batch}, float64, {segments} segs")
    print(f"{'mode':<22}{'ndgrad peak MiB':>16}{'vs plain':>10}{'ndgrad ms':>11}{'torch ms':>10}")
    base = None
    for mode in ("plain", "checkpoint", "checkpoint_sequential"):
        peak, dt, grads = measure(mode, depth, width, batch, segments)
        if base is None:
            base, ref = peak, grads
        else:
            for g, r in zip(grads, ref):
                np.testing.assert_allclose(g, r, rtol=1e-12)
        tt = torch_time(mode, depth, width, batch, segments)
        ts = f"{tt * 1e3:10.1f}" if tt is not None else f"{'-':>10}"
        print(f"{mode:<22}{peak / 2**20:16.1f}{peak / base:10.2f}{dt * 1e3:11.1f}{ts}")
    print("gradients of the checkpointed steps equal the plain step's (rtol 1e-12)")


if __name__ == "__main__":
    main()
