"""Training steps with nn modules and optim.Adam (issue 8): the demo's MLP and the small CNN.

Each contender builds the same model from the same NumPy weights (``load_state_dict``) and times
one whole step: ``zero_grad``, forward, loss, ``backward``, ``Adam.step``. The gradient check
runs one forward and backward of fresh copies of the initial weights, so it compares the
gradients of identical models. PyTorch is the only peer (no hand-written NumPy Adam).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads import Contender, Workload, peer

SPIRAL_BATCH = 100
CNN_BATCH = 64


def _contenders(eager: Any) -> dict:
    return {"ndgrad": lambda: eager(__import__("ndgrad")), "torch": lambda: eager(peer("torch"))}


def _state(lib: Any, arrays: dict) -> dict:
    return {k: lib.from_numpy(v.copy()) for k, v in arrays.items()}


def _train(lib: Any, build: Any, arrays: dict, x0: np.ndarray, t0: np.ndarray) -> Contender:
    nn = lib.nn
    x, t = lib.from_numpy(x0), lib.from_numpy(t0)
    loss_fn = nn.CrossEntropyLoss()
    model = build(nn)
    model.load_state_dict(_state(lib, arrays))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()

    def grads() -> list:
        fresh = build(nn)
        fresh.load_state_dict(_state(lib, arrays))
        loss_fn(fresh(x), t).backward()
        return [p.grad.numpy() for p in fresh.parameters()]

    return Contender(step, grads)


def _weights(build: Any, seed: int) -> dict:
    """Initial weights from PyTorch's default initialisation shapes, drawn with NumPy."""
    import ndgrad

    rng = np.random.default_rng(seed)
    shapes = {k: tuple(v.shape) for k, v in build(ndgrad.nn).state_dict().items()}
    return {
        k: (
            rng.uniform(-1, 1, s) / np.sqrt(max(1, int(np.prod(s[1:]) if len(s) > 1 else s[0])))
        ).astype(np.float32)
        for k, s in shapes.items()
    }


def _spiral_mlp(nn: Any) -> Any:
    return nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)
    )


def spirals_step(rounds: int) -> Workload:
    build = _spiral_mlp
    arrays = _weights(build, 3)
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((SPIRAL_BATCH, 2)).astype(np.float32)
    t0 = rng.integers(0, 2, SPIRAL_BATCH)
    return Workload(
        key="spirals_step",
        group="train",
        label=f"demo MLP step (nn + Adam), batch {SPIRAL_BATCH}",
        what=f"float32 nn.Sequential 2-64-64-2 (tanh), batch {SPIRAL_BATCH}, CrossEntropyLoss, "
        "backward, optim.Adam step (ndgrad demo train's step)",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-4,
        factories=_contenders(lambda lib: _train(lib, build, arrays, x0, t0)),
    )


def _lenet(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def cnn_adam(rounds: int) -> Workload:
    build = _lenet
    arrays = _weights(build, 7)
    rng = np.random.default_rng(9)
    x0 = rng.standard_normal((CNN_BATCH, 1, 28, 28)).astype(np.float32)
    t0 = rng.integers(0, 10, CNN_BATCH)
    return Workload(
        key="cnn_adam",
        group="train",
        label=f"LeNet-like CNN step (nn + Adam), batch {CNN_BATCH}",
        what=f"float32 batch {CNN_BATCH} of 1x28x28, nn.Sequential conv 5x5 6ch, relu, max-pool 2, "
        "conv 5x5 16ch, relu, max-pool 2, linear 256-120-84-10, CrossEntropyLoss, backward, "
        "optim.Adam step",
        unit="ms",
        per_call=1e3,
        rounds=rounds,
        rtol=1e-3,
        factories=_contenders(lambda lib: _train(lib, build, arrays, x0, t0)),
    )
