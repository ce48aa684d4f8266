"""The workloads of ``benchmarks/run.py``, each written once per contender.

Contenders:

* ``ndgrad``;
* ``numpy``: hand-written NumPy, forward and analytic backward by hand: what an engine on NumPy
  cannot beat (it does the same array work with no graph);
* ``torch``: PyTorch, CPU, eager, from the very same source as ndgrad (``lib`` is ``ndgrad`` or
  ``torch``);
* ``autograd``: HIPS autograd, the natural ``autograd.grad`` / ``autograd.hessian`` way.

Each contender is a ``Contender(step, grads)``: ``step()`` is the timed unit of work, ``grads()``
returns the gradients from the initial state as NumPy arrays, compared once, before timing, with
the hand-written ones.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

import ndgrad

F32 = np.float32
PEER_NAMES = ("torch", "autograd")
_PEERS: dict[str, Any] = {}


def peer(name: str) -> Any:
    """The module of peer ``name`` ("torch" or "autograd"), imported on first use; None when it
    is not importable (the peer is then skipped with a note)."""
    if name not in _PEERS:
        try:
            mod = importlib.import_module(name)
            if name == "autograd":  # autograd.scipy would need SciPy, which ndgrad does not
                importlib.import_module("autograd.numpy")
        except ImportError:
            mod = None
        _PEERS[name] = mod
    return _PEERS[name]


def _hips() -> tuple[Any, Any]:
    """(autograd, autograd.numpy)."""
    ag = peer("autograd")
    return ag, ag.numpy


@dataclasses.dataclass
class Contender:
    step: Callable[[], Any]
    grads: Callable[[], list]
    # forward() builds the graph and returns the closure that runs the backward pass (memory
    # probes measure the graph in between); None where the two cannot be separated.
    forward: Callable[[], Callable[[], Any]] | None = None


@dataclasses.dataclass
class Workload:
    key: str  # --only name
    label: str  # row label
    what: str  # exactly what one timed call does
    unit: str
    per_call: float  # value in `unit` = seconds * per_call
    rounds: int
    factories: dict[str, Callable[[], Contender]]
    rtol: float = 1e-4  # the gradient check: allclose(rtol, atol = rtol * max|reference|)
    group: str = ""  # --only also matches this
    warmup: int = 1  # untimed calls per contender before the rounds (the check runs one more)


def _leaves(lib: Any, arrays: list) -> list:
    return [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy().copy()


def _take_grads(params: list) -> list:
    out = [_np(p.grad) for p in params]
    for p in params:
        p.grad = None
    return out


def _training(lib: Any, params: list, lr: float, fwd_bwd: Callable[[], None]) -> Contender:
    """An eager training step (forward, backward, SGD) and its gradient check, for ``lib``."""

    def step() -> None:
        fwd_bwd()
        _sgd(lib, params, lr)

    def grads() -> list:
        fwd_bwd()
        return _take_grads(params)

    return Contender(step, grads)


def _sgd(lib: Any, params: list, lr: float) -> None:
    with lib.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


# ------------------------------------------------------------------------ 1. per-op overhead
CYCLES = 200  # 200 x (mul, tanh, add, neg, exp) = 1,000 ops
OPS_PER_CYCLE = 5


def perop(shape: tuple, rounds: int) -> Workload:
    x0 = np.full(shape, 0.5)  # float64

    def numpy_() -> Contender:
        def run() -> list:
            y = x0
            saved = []  # what the backward pass needs: tanh's and exp's outputs
            for _ in range(CYCLES):
                t = np.tanh(y * 1.0001)
                y = np.exp(-(t + 0.1))
                saved.append((t, y))
            y.sum()
            g = np.ones_like(x0)
            for t, e in reversed(saved):  # exp: g * ans; neg; add: pass; tanh; mul: g * 1.0001
                g = -(g * e)
                g = g * (1.0 - t * t)
                g = g * 1.0001
            return [g]

        return Contender(run, run)

    def eager(lib: Any) -> Contender:
        (x,) = _leaves(lib, [x0])

        def step() -> None:
            x.grad = None
            y = x
            for _ in range(CYCLES):
                y = lib.exp(-(lib.tanh(y * 1.0001) + 0.1))
            y.sum().backward()

        def grads() -> list:
            step()
            return _take_grads([x])

        return Contender(step, grads)

    def hips() -> Contender:
        autograd, anp = _hips()

        def f(x: Any) -> Any:
            y = x
            for _ in range(CYCLES):
                y = anp.exp(-(anp.tanh(y * 1.0001) + 0.1))
            return anp.sum(y)

        df = autograd.grad(f)
        return Contender(lambda: df(x0), lambda: [df(x0)])

    n = int(np.prod(shape))
    ops = CYCLES * OPS_PER_CYCLE
    return Workload(
        key=f"perop{n}",
        group="perop",
        label=f"per-op overhead, shape ({n},)",
        what=f"float64 x of shape ({n},); {CYCLES} x `y = exp(-(tanh(y * 1.0001) + 0.1))` "
        f"({ops:,} ops: mul by a scalar, tanh, add a scalar, neg, exp), then y.sum().backward(); "
        f"time / {ops:,}",
        unit="us/op",
        per_call=1e6 / ops,
        rounds=rounds,
        rtol=1e-9,
        factories={
            "ndgrad": lambda: eager(ndgrad),
            "numpy": numpy_,
            "torch": lambda: eager(peer("torch")),
            "autograd": hips,
        },
    )


# ------------------------------------------------------------------------------ 2. small MLP
def small_mlp(rounds: int) -> Workload:
    rng = np.random.default_rng(1)
    n, d, h = 32, 64, 64
    x_np = rng.standard_normal((n, d)).astype(F32)
    y_np = rng.standard_normal((n, 1)).astype(F32)
    init = [
        (rng.standard_normal((d, h)) / np.sqrt(d)).astype(F32),
        np.zeros(h, F32),
        (rng.standard_normal((h, 1)) / np.sqrt(h)).astype(F32),
        np.zeros(1, F32),
    ]
    lr = 0.01

    def numpy_() -> Contender:
        params = [p.copy() for p in init]

        def fwd_bwd() -> list:
            w1, b1, w2, b2 = params
            h1 = np.tanh(x_np @ w1 + b1)
            diff = h1 @ w2 + b2 - y_np
            (diff * diff).mean()  # the loss
            g = diff * F32(2.0 / diff.size)
            gh = (g @ w2.T) * (1 - h1 * h1)
            return [x_np.T @ gh, gh.sum(0), h1.T @ g, g.sum(0)]

        def step() -> None:
            for p, g in zip(params, fwd_bwd(), strict=True):
                p -= lr * g

        return Contender(step, fwd_bwd)

    def eager(lib: Any) -> Contender:
        params = _leaves(lib, init)
        inputs, target = lib.from_numpy(x_np), lib.from_numpy(y_np)

        def fwd_bwd() -> None:
            w1, b1, w2, b2 = params
            h1 = lib.tanh(inputs @ w1 + b1)
            loss = ((h1 @ w2 + b2 - target) ** 2).mean()
            loss.backward()

        return _training(lib, params, lr, fwd_bwd)

    def hips() -> Contender:
        autograd, anp = _hips()
        params = [p.copy() for p in init]

        def loss(params: list) -> Any:
            w1, b1, w2, b2 = params
            h1 = anp.tanh(x_np @ w1 + b1)
            return anp.mean((anp.dot(h1, w2) + b2 - y_np) ** 2)

        df = autograd.grad(loss)

        def step() -> None:
            for p, g in zip(params, df(params), strict=True):
                p -= lr * g

        return Contender(step, lambda: list(df(params)))

    return Workload(
        key="small_mlp",
        label="small MLP step (64-64-1)",
        what="float32; x (32, 64), y (32, 1); h = tanh(x @ w1 + b1); "
        "loss = ((h @ w2 + b2 - y) ** 2).mean(); backward; "
        "SGD p -= 0.01 * p.grad (under no_grad), p.grad = None",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-4,
        factories={
            "ndgrad": lambda: eager(ndgrad),
            "numpy": numpy_,
            "torch": lambda: eager(peer("torch")),
            "autograd": hips,
        },
    )


# ------------------------------------------------------------------------------ 3. large MLP
def large_mlp(rounds: int, quick: bool) -> Workload:
    rng = np.random.default_rng(2)
    n, d, h, c = (128, 256, 256, 10) if quick else (512, 1024, 1024, 10)
    x_np = rng.standard_normal((n, d)).astype(F32)
    onehot = np.eye(c, dtype=F32)[rng.integers(0, c, n)]  # one-hot targets
    init = []
    for fan_in, fan_out in ((d, h), (h, h), (h, c)):
        init += [
            (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(F32),
            np.zeros(fan_out, F32),
        ]
    lr = 0.01

    def numpy_() -> Contender:
        params = [p.copy() for p in init]

        def fwd_bwd() -> list:
            w1, b1, w2, b2, w3, b3 = params
            z1 = x_np @ w1 + b1
            h1 = np.maximum(z1, 0)
            z2 = h1 @ w2 + b2
            h2 = np.maximum(z2, 0)
            z3 = h2 @ w3 + b3
            m = z3.max(1, keepdims=True)
            logp = z3 - (m + np.log(np.exp(z3 - m).sum(1, keepdims=True)))
            -(logp * onehot).sum() / n  # the loss
            g3 = (np.exp(logp) - onehot) / n
            g2 = (g3 @ w3.T) * (z2 > 0)
            g1 = (g2 @ w2.T) * (z1 > 0)
            return [x_np.T @ g1, g1.sum(0), h1.T @ g2, g2.sum(0), h2.T @ g3, g3.sum(0)]

        def step() -> None:
            for p, g in zip(params, fwd_bwd(), strict=True):
                p -= lr * g

        return Contender(step, fwd_bwd)

    def eager(lib: Any) -> Contender:
        params = _leaves(lib, init)
        inputs, target = lib.from_numpy(x_np), lib.from_numpy(onehot)

        def fwd_bwd() -> None:
            w1, b1, w2, b2, w3, b3 = params
            h1 = lib.relu(inputs @ w1 + b1)
            h2 = lib.relu(h1 @ w2 + b2)
            logp = lib.log_softmax(h2 @ w3 + b3, dim=1)
            loss = -(logp * target).sum() / n
            loss.backward()

        return _training(lib, params, lr, fwd_bwd)

    def hips() -> Contender:
        autograd, anp = _hips()
        params = [p.copy() for p in init]

        def loss(params: list) -> Any:
            w1, b1, w2, b2, w3, b3 = params
            h1 = anp.maximum(anp.dot(x_np, w1) + b1, 0)
            h2 = anp.maximum(anp.dot(h1, w2) + b2, 0)
            z = anp.dot(h2, w3) + b3
            m = anp.max(z, axis=1, keepdims=True)
            logp = z - (m + anp.log(anp.sum(anp.exp(z - m), axis=1, keepdims=True)))
            return -anp.sum(logp * onehot) / n

        df = autograd.grad(loss)

        def step() -> None:
            for p, g in zip(params, df(params), strict=True):
                p -= lr * g

        return Contender(step, lambda: list(df(params)))

    sizes = f"{d}-{h}-{h}-{c}, batch {n}"
    return Workload(
        key="large_mlp",
        label=f"large MLP step ({sizes})",
        what=f"float32; {sizes}; relu, relu, log_softmax(dim=1); loss = -(logp * onehot).sum() / "
        "batch; backward; SGD p -= 0.01 * p.grad (under no_grad), p.grad = None",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-3,
        factories={
            "ndgrad": lambda: eager(ndgrad),
            "numpy": numpy_,
            "torch": lambda: eager(peer("torch")),
            "autograd": hips,
        },
    )


# --------------------------------------------------------------------------- 4. 4M expression
def expression(rounds: int, quick: bool) -> Workload:
    size = 250_000 if quick else 4_000_000
    rng = np.random.default_rng(3)
    a0, b0, c0 = (rng.standard_normal(size) for _ in range(3))  # float64

    def numpy_() -> Contender:
        def run() -> list:
            a, b, c = a0, b0, c0
            t = np.tanh(a * b + c)
            e = np.exp(-a)
            (t * e).sum()  # the output
            gu = e * (1 - t * t)
            return [gu * b - t * e, gu * a, gu]

        return Contender(run, run)

    def eager(lib: Any) -> Contender:
        params = _leaves(lib, [a0, b0, c0])

        def step() -> None:
            a, b, c = params
            for p in params:
                p.grad = None
            (lib.tanh(a * b + c) * lib.exp(-a)).sum().backward()

        def grads() -> list:
            step()
            return _take_grads(params)

        return Contender(step, grads)

    def hips() -> Contender:
        autograd, anp = _hips()

        def f(a: Any, b: Any, c: Any) -> Any:
            return anp.sum(anp.tanh(a * b + c) * anp.exp(-a))

        df = autograd.grad(f, argnum=(0, 1, 2))
        return Contender(lambda: df(a0, b0, c0), lambda: list(df(a0, b0, c0)))

    label = f"{size / 1e6:g}M" if size >= 10**6 else f"{size // 1000}k"
    return Workload(
        key="expr",
        label=f"sum(tanh(a*b+c)*exp(-a)), {label} elements",
        what=f"float64 a, b, c of {size:,} elements; (tanh(a * b + c) * exp(-a)).sum().backward() "
        "for the gradients of a, b and c",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-9,
        factories={
            "ndgrad": lambda: eager(ndgrad),
            "numpy": numpy_,
            "torch": lambda: eager(peer("torch")),
            "autograd": hips,
        },
    )


# --------------------------------------------------------------------------- 5. scalar chain
def chain_factories(n: int) -> dict[str, Callable[[], Contender]]:
    def numpy_() -> Contender:
        def forward() -> Callable[[], list]:
            y = np.float64(0.5)
            ys = []  # what the backward pass needs: every input of sin
            for _ in range(n):
                ys.append(y)
                y = y * 0.999 + 0.001 * np.sin(y)

            def backward() -> list:
                g = np.float64(1.0)
                for y in reversed(ys):
                    g = g * (0.999 + 0.001 * np.cos(y))
                return [np.asarray(g)]

            return backward

        return Contender(lambda: forward()(), lambda: forward()(), forward)

    def eager(lib: Any) -> Contender:
        x = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)

        def forward() -> Callable[[], None]:
            x.grad = None
            y = x
            for _ in range(n):
                y = y * 0.999 + 0.001 * lib.sin(y)
            return y.backward

        def grads() -> list:
            forward()()
            return _take_grads([x])

        return Contender(lambda: forward()(), grads, forward)

    def hips() -> Contender:
        autograd, anp = _hips()

        def f(x: Any) -> Any:
            y = x
            for _ in range(n):
                y = y * 0.999 + 0.001 * anp.sin(y)
            return y

        df = autograd.grad(f)
        return Contender(lambda: df(np.float64(0.5)), lambda: [np.asarray(df(np.float64(0.5)))])

    return {
        "ndgrad": lambda: eager(ndgrad),
        "numpy": numpy_,
        "torch": lambda: eager(peer("torch")),
        "autograd": hips,
    }


def chain(rounds: int, n: int) -> Workload:
    return Workload(
        key="chain",
        label=f"scalar chain, {n:,} nodes",
        what=f"float64 0-d x; {n:,} x `y = y * 0.999 + 0.001 * sin(y)` (4 ops each), then "
        "y.backward(); time / node (one node = one iteration)",
        unit="us/node",
        per_call=1e6 / n,
        rounds=rounds,
        rtol=1e-9,
        warmup=0,
        factories=chain_factories(n),
    )


# ------------------------------------------------------------------------------- 6. Hessian
def _rosen(x: Any) -> Any:
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _rosen_hess(x: np.ndarray) -> np.ndarray:
    """The analytic Hessian of the Rosenbrock function (tridiagonal)."""
    off = -400.0 * x[:-1]
    d = np.empty_like(x)
    d[0] = 1200.0 * x[0] ** 2 - 400.0 * x[1] + 2.0
    d[1:-1] = 202.0 + 1200.0 * x[1:-1] ** 2 - 400.0 * x[2:]
    d[-1] = 200.0
    return np.diag(d) + np.diag(off, 1) + np.diag(off, -1)


def hessian(rounds: int, n: int = 50) -> Workload:
    x0 = np.random.default_rng(4).uniform(-2.0, 2.0, n)

    def numpy_() -> Contender:
        return Contender(lambda: _rosen_hess(x0), lambda: [_rosen_hess(x0)])

    def eager(lib: Any) -> Contender:
        (x,) = _leaves(lib, [x0])
        basis = [lib.from_numpy(row) for row in np.eye(n)]

        def run() -> list:
            (g,) = lib.autograd.grad(_rosen(x), x, create_graph=True)
            rows = [lib.autograd.grad(g, x, e, retain_graph=True)[0] for e in basis]
            return [np.stack([r.numpy() for r in rows])]

        return Contender(run, run)

    def hips() -> Contender:
        autograd, anp = _hips()

        def f(x: Any) -> Any:
            return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

        hf = autograd.hessian(f)
        return Contender(lambda: hf(x0), lambda: [hf(x0)])

    return Workload(
        key="hessian",
        label=f"Rosenbrock Hessian, {n}x{n}",
        what=f"float64 x of {n}; (g,) = autograd.grad(rosen(x), x, create_graph=True), then one "
        f"autograd.grad(g, x, e_i, retain_graph=True) per row ({n} rows); NumPy: the analytic "
        "Hessian; HIPS: autograd.hessian(rosen)(x)",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-9,
        factories={
            "ndgrad": lambda: eager(ndgrad),
            "numpy": numpy_,
            "torch": lambda: eager(peer("torch")),
            "autograd": hips,
        },
    )


# --------------------------------------------------------------------------------- the list
# (key, group, builder(quick, rounds or None)): the data are made only for what runs.
def _r(rounds: int | None, quick: bool, full: int, small: int) -> int:
    return rounds if rounds is not None else (small if quick else full)


WORKLOADS: list[tuple[str, str, Callable[[bool, int | None], Workload]]] = [
    ("perop1", "perop", lambda q, r: perop((1,), _r(r, q, 30, 5))),
    ("perop16", "perop", lambda q, r: perop((16,), _r(r, q, 30, 5))),
    ("small_mlp", "", lambda q, r: small_mlp(_r(r, q, 30, 5))),
    ("large_mlp", "", lambda q, r: large_mlp(_r(r, q, 10, 3), q)),
    ("expr", "", lambda q, r: expression(_r(r, q, 10, 3), q)),
    ("chain", "", lambda q, r: chain(_r(r, q, 5, 3), chain_nodes(q))),
    ("hessian", "", lambda q, r: hessian(_r(r, q, 20, 3))),
]


def selected(only: set[str] | None) -> list[str]:
    """The keys of the workloads that ``--only`` selects (all when None)."""
    return [k for k, g, _ in WORKLOADS if only is None or k in only or (g and g in only)]


def build(key: str, quick: bool, rounds: int | None) -> Workload:
    return next(b for k, _, b in WORKLOADS if k == key)(quick, rounds)


def chain_nodes(quick: bool) -> int:
    return 5_000 if quick else 100_000


# The op-coverage workloads (a CNN step, batched solve + slogdet, cross_entropy) live in
# workloads_ops.py, which imports this module's helpers: registered here, at the end.
def _add_op_workloads() -> None:
    import workloads_ops as wo

    WORKLOADS.extend(
        [
            ("cnn", "ops", lambda q, r: wo.cnn(_r(r, q, 10, 3))),
            ("solve_slogdet", "ops", lambda q, r: wo.solve_slogdet(_r(r, q, 10, 3))),
            ("cross_entropy", "ops", lambda q, r: wo.cross_entropy(_r(r, q, 10, 3))),
        ]
    )


_add_op_workloads()


# The function-transform workloads (func.hessian, jacrev/jacfwd, vmap(grad)): workloads_func.py.
def _add_func_workloads() -> None:
    import workloads_func as wf

    WORKLOADS.extend(
        [
            ("func_hessian", "func", lambda q, r: wf.func_hessian(_r(r, q, 20, 3))),
            ("jacrev_mlp", "func", lambda q, r: wf.jac_mlp(_r(r, q, 20, 3), "jacrev")),
            ("jacfwd_mlp", "func", lambda q, r: wf.jac_mlp(_r(r, q, 20, 3), "jacfwd")),
            ("vmap_grad", "func", lambda q, r: wf.vmap_grad(_r(r, q, 20, 3))),
            ("batched_backward", "func", lambda q, r: wf.batched_backward(_r(r, q, 20, 3))),
        ]
    )


_add_func_workloads()


# Training steps with nn modules and optim.Adam: workloads_train.py.
def _add_train_workloads() -> None:
    import workloads_train as wt

    WORKLOADS.extend(
        [
            ("spirals_step", "train", lambda q, r: wt.spirals_step(_r(r, q, 30, 3))),
            ("cnn_adam", "train", lambda q, r: wt.cnn_adam(_r(r, q, 10, 2))),
        ]
    )


_add_train_workloads()
