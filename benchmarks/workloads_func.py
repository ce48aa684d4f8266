"""The function-transform workloads of ``benchmarks/run.py`` (issue: derivatives as functions).

* ``func_hessian``: the 50x50 Rosenbrock Hessian by ``func.hessian`` (``torch.func.hessian``;
  NumPy: the analytic Hessian);
* ``jacrev_mlp`` / ``jacfwd_mlp``: the 100x100 Jacobian of a 100 -> 100 tanh-MLP map by
  ``func.jacrev`` / ``func.jacfwd`` (NumPy: the chain rule by hand);
* ``vmap_grad``: per-example gradients of an MLP's squared error over a batch of 256 by
  ``vmap(grad(loss), in_dims=(None, 0, 0))``, and ``batched_backward``: one backward of the
  batch's summed loss on the same data (the target: vmap_grad <= 2x batched_backward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads import Contender, Workload, _rosen_hess, peer


def _func(lib: Any) -> Any:
    return lib.func


def _contenders(numpy_: Any, eager: Any) -> dict:
    return {
        "numpy": numpy_,
        "ndgrad": lambda: eager(__import__("ndgrad")),
        "torch": lambda: eager(peer("torch")),
    }


def _rosen(x: Any) -> Any:
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


# --------------------------------------------------------------- 10. Rosenbrock by func.hessian
def func_hessian(rounds: int, n: int = 50) -> Workload:
    x0 = np.random.default_rng(4).uniform(-2.0, 2.0, n)

    def numpy_() -> Contender:
        return Contender(lambda: _rosen_hess(x0), lambda: [_rosen_hess(x0)])

    def eager(lib: Any) -> Contender:
        x = lib.from_numpy(x0.copy())
        h = _func(lib).hessian(_rosen)

        def run() -> list:
            return [h(x).numpy()]

        return Contender(run, run)

    return Workload(
        key="func_hessian",
        group="func",
        label=f"Rosenbrock Hessian by func.hessian, {n}x{n}",
        what=f"float64 x of {n}; func.hessian(rosen)(x) (jacfwd(jacrev)); PyTorch: "
        "torch.func.hessian; NumPy: the analytic Hessian",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-9,
        factories=_contenders(numpy_, eager),
    )


# ------------------------------------------------------------- 11. Jacobian of a tanh-MLP map
def _mlp_data(n: int = 100) -> tuple:
    rng = np.random.default_rng(11)
    w1 = rng.standard_normal((n, n)) / np.sqrt(n)
    b1 = rng.standard_normal(n) * 0.1
    w2 = rng.standard_normal((n, n)) / np.sqrt(n)
    b2 = rng.standard_normal(n) * 0.1
    x0 = rng.standard_normal(n)
    return w1, b1, w2, b2, x0


def _mlp_jac_numpy(w1: Any, b1: Any, w2: Any, b2: Any, x: Any) -> np.ndarray:
    h1 = np.tanh(w1 @ x + b1)
    h2 = np.tanh(w2 @ h1 + b2)
    return (1 - h2**2)[:, None] * (w2 * (1 - h1**2)[None, :]) @ w1


def jac_mlp(rounds: int, mode: str, n: int = 100) -> Workload:
    w1_0, b1_0, w2_0, b2_0, x0 = _mlp_data(n)

    def numpy_() -> Contender:
        def run() -> list:
            return [_mlp_jac_numpy(w1_0, b1_0, w2_0, b2_0, x0)]

        return Contender(run, run)

    def eager(lib: Any) -> Contender:
        w1, b1, w2, b2, x = (lib.from_numpy(a.copy()) for a in (w1_0, b1_0, w2_0, b2_0, x0))

        def f(x: Any) -> Any:
            return lib.tanh(w2 @ lib.tanh(w1 @ x + b1) + b2)

        jac = getattr(_func(lib), mode)(f)

        def run() -> list:
            return [jac(x).numpy()]

        return Contender(run, run)

    return Workload(
        key=f"{mode}_mlp",
        group="func",
        label=f"Jacobian of a {n}->{n} tanh-MLP by func.{mode}",
        what=f"float64; f(x) = tanh(W2 tanh(W1 x + b1) + b2), W of ({n}, {n}); "
        f"func.{mode}(f)(x); PyTorch: torch.func.{mode}; NumPy: the chain rule by hand",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-9,
        factories=_contenders(numpy_, eager),
    )


# ---------------------------------------------------------- 12. per-example gradients by vmap
BATCH, D, H = 256, 32, 64


def _pe_data() -> tuple:
    rng = np.random.default_rng(12)
    w1 = (rng.standard_normal((H, D)) / np.sqrt(D)).astype(np.float32)
    b1 = np.zeros(H, np.float32)
    w2 = (rng.standard_normal((1, H)) / np.sqrt(H)).astype(np.float32)
    xs = rng.standard_normal((BATCH, D)).astype(np.float32)
    ys = rng.standard_normal((BATCH, 1)).astype(np.float32)
    return w1, b1, w2, xs, ys


def _pe_numpy(w1: Any, b1: Any, w2: Any, xs: Any, ys: Any) -> list:
    """Per-example gradients of ((w2 tanh(w1 x + b1) - y)^2).sum(), by hand, batched."""
    h = np.tanh(xs @ w1.T + b1)  # (B, H)
    r = h @ w2.T - ys  # (B, 1)
    gout = 2 * r  # (B, 1)
    gw2 = gout[:, :, None] * h[:, None, :]  # (B, 1, H)
    gh = (gout @ w2) * (1 - h**2)  # (B, H)
    gw1 = gh[:, :, None] * xs[:, None, :]  # (B, H, D)
    return [gw1, gh, gw2]


def vmap_grad(rounds: int) -> Workload:
    w1_0, b1_0, w2_0, xs0, ys0 = _pe_data()

    def numpy_() -> Contender:
        def run() -> list:
            return _pe_numpy(w1_0, b1_0, w2_0, xs0, ys0)

        return Contender(run, run)

    def eager(lib: Any) -> Contender:
        params = tuple(lib.from_numpy(a.copy()) for a in (w1_0, b1_0, w2_0))
        xs, ys = lib.from_numpy(xs0.copy()), lib.from_numpy(ys0.copy())

        def loss(p: Any, x: Any, y: Any) -> Any:
            w1, b1, w2 = p
            return ((w2 @ lib.tanh(w1 @ x + b1) - y) ** 2).sum()

        per_example = _func(lib).vmap(_func(lib).grad(loss), in_dims=(None, 0, 0))

        def run() -> list:
            return [g.numpy() for g in per_example(params, xs, ys)]

        return Contender(run, run)

    return Workload(
        key="vmap_grad",
        group="func",
        label=f"per-example gradients by vmap(grad), batch {BATCH}",
        what=f"float32 MLP {D}->{H}->1 (tanh), squared error; vmap(grad(loss), in_dims=(None, 0, "
        f"0))(params, X, Y) over {BATCH} examples; PyTorch: torch.func the same; NumPy: by hand",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-4,
        factories=_contenders(numpy_, eager),
    )


def batched_backward(rounds: int) -> Workload:
    """The baseline of ``vmap_grad``: one backward of the summed loss over the same batch."""
    w1_0, b1_0, w2_0, xs0, ys0 = _pe_data()

    def numpy_() -> Contender:
        def run() -> list:
            return [g.sum(0) for g in _pe_numpy(w1_0, b1_0, w2_0, xs0, ys0)]

        return Contender(run, run)

    def eager(lib: Any) -> Contender:
        params = [lib.from_numpy(a.copy()).requires_grad_() for a in (w1_0, b1_0, w2_0)]
        xs, ys = lib.from_numpy(xs0.copy()), lib.from_numpy(ys0.copy())

        def run() -> list:
            w1, b1, w2 = params
            h = lib.tanh(xs @ w1.T + b1)
            gs = lib.autograd.grad(((h @ w2.T - ys) ** 2).sum(), params)
            return [g.numpy() for g in gs]

        return Contender(run, run)

    return Workload(
        key="batched_backward",
        group="func",
        label=f"one batched backward of the same loss, batch {BATCH}",
        what=f"the data of vmap_grad; autograd.grad(sum of the {BATCH} losses, params): the "
        "baseline vmap_grad is measured against",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-4,
        factories=_contenders(numpy_, eager),
    )
