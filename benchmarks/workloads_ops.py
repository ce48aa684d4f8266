"""The op-coverage workloads of ``benchmarks/run.py``: a small CNN training step, a batched
``linalg.solve`` + ``slogdet`` backward and ``cross_entropy`` over a large batch.

Each is written once for ndgrad and PyTorch (``lib``), and by hand in NumPy (forward and the
analytic backward), as in ``workloads.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workloads import F32, Contender, Workload, _leaves, _take_grads, _training, peer


def _factories(numpy_: Any, eager: Any) -> dict:
    """The contenders of a workload written once for ndgrad and PyTorch (``eager(lib)``)."""
    return {
        "numpy": numpy_,
        "ndgrad": lambda: eager(__import__("ndgrad")),
        "torch": lambda: eager(peer("torch")),
    }


# ---------------------------------------------------------------------- 7. LeNet-like CNN step
CNN_BATCH = 64


def _cnn_params(rng: np.random.Generator) -> list:
    def u(shape: tuple, fan_in: int) -> np.ndarray:
        b = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(F32)

    return [
        u((6, 1, 5, 5), 25),
        u((6,), 25),
        u((16, 6, 5, 5), 150),
        u((16,), 150),
        u((120, 256), 256),
        u((120,), 256),
        u((84, 120), 120),
        u((84,), 120),
        u((10, 84), 84),
        u((10,), 84),
    ]


def _conv_fwd(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple:
    """Valid 2-D convolution (cross-correlation) by windows and one matmul; the windows too."""
    o, c, k, _ = w.shape
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, Ho, Wo, k, k), a view
    n, _, ho, wo = win.shape[:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)
    y = (cols @ w.reshape(o, -1).T).reshape(n, ho, wo, o).transpose(0, 3, 1, 2) + b[:, None, None]
    return y, cols


def _conv_bwd(g: np.ndarray, x: np.ndarray, w: np.ndarray, cols: np.ndarray) -> tuple:
    o, c, k, _ = w.shape
    n, _, ho, wo = g.shape
    g2 = g.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)
    dw = (g2.T @ cols).reshape(w.shape)
    db = g.sum(axis=(0, 2, 3))
    dcols = (g2 @ w.reshape(o, -1)).reshape(n, ho, wo, c, k, k)
    dx = np.zeros_like(x)
    for i in range(k):  # k*k strided adds (25), not a loop over pixels
        for j in range(k):
            dx[:, :, i : i + ho, j : j + wo] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx, dw, db


def _pool_fwd(x: np.ndarray) -> tuple:
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = r.max(axis=(3, 5))
    return y, r == y[:, :, :, None, :, None]


def _pool_bwd(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
    # Ties only occur among zeros after relu, whose gradient relu's backward zeroes anyway.
    n, c, h2, _, w2, _ = mask.shape
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)


def _ce_numpy(logits: np.ndarray, target: np.ndarray) -> tuple:
    """Mean cross-entropy and its gradient with respect to the logits."""
    n = logits.shape[0]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, target]))
    grad = e / s
    grad[rows, target] -= 1
    grad /= n
    return loss, grad


def cnn(rounds: int) -> Workload:
    rng = np.random.default_rng(7)
    p0 = _cnn_params(rng)
    x0 = rng.standard_normal((CNN_BATCH, 1, 28, 28)).astype(F32)
    t0 = rng.integers(0, 10, CNN_BATCH)
    lr = 0.01

    def numpy_() -> Contender:
        ps = [p.copy() for p in p0]

        def fwd_bwd() -> list:
            w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = ps
            c1, cols1 = _conv_fwd(x0, w1, b1)
            r1 = np.maximum(c1, 0)
            p1, m1 = _pool_fwd(r1)
            c2, cols2 = _conv_fwd(p1, w2, b2)
            r2 = np.maximum(c2, 0)
            p2, m2 = _pool_fwd(r2)
            f = p2.reshape(CNN_BATCH, -1)
            h3 = f @ w3.T + b3
            a3 = np.maximum(h3, 0)
            h4 = a3 @ w4.T + b4
            a4 = np.maximum(h4, 0)
            z = a4 @ w5.T + b5
            _, gz = _ce_numpy(z, t0)
            gw5, gb5 = gz.T @ a4, gz.sum(0)
            g4 = (gz @ w5) * (h4 > 0)
            gw4, gb4 = g4.T @ a3, g4.sum(0)
            g3 = (g4 @ w4) * (h3 > 0)
            gw3, gb3 = g3.T @ f, g3.sum(0)
            gp2 = (g3 @ w3).reshape(p2.shape)
            gc2 = _pool_bwd(gp2, m2) * (c2 > 0)
            gp1, gw2, gb2 = _conv_bwd(gc2, p1, w2, cols2)
            gc1 = _pool_bwd(gp1, m1) * (c1 > 0)
            _, gw1, gb1 = _conv_bwd(gc1, x0, w1, cols1)
            return [gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4, gw5, gb5]

        def step() -> None:
            for p, g in zip(ps, fwd_bwd()):
                p -= lr * g

        return Contender(step, fwd_bwd)

    def eager(lib: Any) -> Contender:
        F = lib.nn.functional  # noqa: N806 - PyTorch's alias
        ps = _leaves(lib, p0)
        x = lib.from_numpy(x0)
        t = lib.from_numpy(t0)

        def fwd_bwd() -> None:
            w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = ps
            h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1)), 2)
            h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
            h = h.flatten(1)
            h = F.relu(F.linear(h, w3, b3))
            h = F.relu(F.linear(h, w4, b4))
            F.cross_entropy(F.linear(h, w5, b5), t).backward()

        return _training(lib, ps, lr, fwd_bwd)

    return Workload(
        key="cnn",
        label="LeNet-like CNN step",
        what=f"float32 batch {CNN_BATCH} of 1x28x28: conv 5x5 6ch, relu, max-pool 2, conv 5x5 "
        "16ch, relu, max-pool 2, linear 256-120-84-10 with relu, cross_entropy, backward, SGD",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        factories=_factories(numpy_, eager),
        rtol=1e-3,
    )


# ------------------------------------------------------------- 8. batched solve + slogdet
def solve_slogdet(rounds: int, batch: int = 64, n: int = 100) -> Workload:
    rng = np.random.default_rng(8)
    a0 = rng.standard_normal((batch, n, n)) + n**0.5 * np.eye(n) * 2
    b0 = rng.standard_normal((batch, n, 1))

    def numpy_() -> Contender:
        def grads() -> list:
            x = np.linalg.solve(a0, b0)
            _, logabs = np.linalg.slogdet(a0)
            float(x.sum() + logabs.sum())  # the loss, as the others compute it
            gb = np.linalg.solve(a0.transpose(0, 2, 1), np.ones_like(b0))
            ga = -gb @ x.transpose(0, 2, 1) + np.linalg.inv(a0).transpose(0, 2, 1)
            return [ga, gb]

        return Contender(grads, grads)

    def eager(lib: Any) -> Contender:
        a, b = _leaves(lib, [a0, b0])

        def step() -> None:
            x = lib.linalg.solve(a, b)
            _, logabs = lib.linalg.slogdet(a)
            (x.sum() + logabs.sum()).backward()

        def grads() -> list:
            step()
            return _take_grads([a, b])

        def timed() -> None:
            step()
            a.grad = None
            b.grad = None

        return Contender(timed, grads)

    return Workload(
        key="solve_slogdet",
        label=f"linalg.solve + slogdet, {batch}x{n}x{n}",
        what=f"float64 A of ({batch}, {n}, {n}), B of ({batch}, {n}, 1): "
        "(solve(A, B).sum() + slogdet(A).logabsdet.sum()).backward()",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        factories=_factories(numpy_, eager),
    )


# ------------------------------------------------------------------- 9. cross_entropy
def cross_entropy(rounds: int, n: int = 4096, c: int = 1000) -> Workload:
    rng = np.random.default_rng(9)
    z0 = rng.standard_normal((n, c)).astype(F32)
    t0 = rng.integers(0, c, n)

    def numpy_() -> Contender:
        def grads() -> list:
            return [_ce_numpy(z0, t0)[1]]

        return Contender(grads, grads)

    def eager(lib: Any) -> Contender:
        (z,) = _leaves(lib, [z0])
        t = lib.from_numpy(t0)

        def step() -> None:
            lib.nn.functional.cross_entropy(z, t).backward()

        def grads() -> list:
            step()
            return _take_grads([z])

        def timed() -> None:
            step()
            z.grad = None

        return Contender(timed, grads)

    return Workload(
        key="cross_entropy",
        label=f"cross_entropy ({n}, {c})",
        what=f"float32 logits of ({n}, {c}), int64 targets: cross_entropy(z, t).backward()",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        factories=_factories(numpy_, eager),
        rtol=1e-3,
    )
