"""``ndgrad demo train``: a small network learns the two-spirals problem.

Two interleaved spirals of points in the plane, one per class, generated with a fixed seed (no
download); a multi-layer perceptron (``nn.Sequential`` of ``nn.Linear`` and ``nn.Tanh``)
trained with ``nn.CrossEntropyLoss`` and ``optim.Adam`` on mini-batches from a
``utils.data.DataLoader``, exactly as the PyTorch script would be written; it stops once the
accuracy on the whole set passes 99% (checked each epoch, with a budget of ``EPOCHS``) and then
reports the accuracy on a held-out set of fresh points. ``--plot FILE.png`` draws the decision
boundary over the points (matplotlib, the ``viz`` extra).

Example:
    >>> from ndgrad.cli.demo_train import spirals
    >>> x, y = spirals(100, seed=0)
    >>> tuple(x.shape), sorted(set(y.tolist()))
    ((200, 2), [0, 1])
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any, TextIO

EPOCHS = 400
TARGET = 0.95  # the accuracy the demo must pass
STOP = 0.99  # training stops once it passes this (or EPOCHS run out)


def spirals(n: int, seed: int, noise: float = 0.15) -> tuple[Any, Any]:
    """``2 n`` points: class 0 on the spiral r = t, class 1 on the same spiral turned by pi."""
    import numpy as np

    import ndgrad

    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 4 * math.pi  # up to two turns
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (4 * math.pi) * 2
    pts = np.concatenate([arm, -arm]) + rng.normal(0.0, noise / 3, (2 * n, 2))
    labels = np.concatenate([np.zeros(n, np.int64), np.ones(n, np.int64)])
    return ndgrad.tensor(pts, dtype=ndgrad.float32), ndgrad.tensor(labels)


def model() -> Any:
    from .. import nn

    return nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)
    )


@dataclasses.dataclass
class Trained:
    net: Any
    epochs: int
    loss: float
    train_accuracy: float
    test_accuracy: float


def accuracy(net: Any, x: Any, y: Any) -> float:
    import ndgrad

    with ndgrad.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def train(progress: bool = True, seed: int = 0, lang: str | None = None) -> Trained:
    """Train until the training accuracy passes STOP (or EPOCHS run out)."""
    from tqdm import tqdm

    import ndgrad
    from ndgrad import i18n, nn, optim
    from ndgrad.utils.data import DataLoader, TensorDataset

    ndgrad.manual_seed(seed)
    x, y = spirals(500, seed)
    x_test, y_test = spirals(500, seed + 1)
    net = model()
    opt = optim.Adam(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=100,
        shuffle=True,
        generator=ndgrad.Generator().manual_seed(seed),
    )
    desc = i18n.message("train.progress", lang)
    bar = tqdm(total=EPOCHS, desc=desc, leave=False, disable=not progress, file=sys.stderr)
    epoch, loss, acc = 0, math.inf, 0.0
    try:
        for epoch in range(1, EPOCHS + 1):  # noqa: B007 - the count is reported
            net.train()
            total = 0.0
            for xb, yb in loader:
                opt.zero_grad()
                batch_loss = loss_fn(net(xb), yb)
                batch_loss.backward()
                opt.step()
                total += batch_loss.item() * len(xb)
            loss = total / len(x)
            net.eval()
            acc = accuracy(net, x, y)
            bar.set_postfix(loss=f"{loss:.4f}", accuracy=f"{acc:.1%}", refresh=False)
            bar.update(1)
            if acc > STOP:
                break
    finally:
        bar.close()
    return Trained(net, epoch, loss, acc, accuracy(net, x_test, y_test))


def run(out: TextIO, plot: str | None, progress: bool, lang: str | None = None) -> int:
    """Train, then print what happened (``lang``: "en" or "zh"); 0 when TARGET was passed."""
    from .. import i18n

    lang = i18n.detect_language(lang)

    def msg(key: str, **fields: Any) -> str:
        return i18n.message(key, lang, **fields)

    out.write(msg("train.intro") + "\n")
    t = train(progress, lang=lang)
    reached = msg("train.reached" if t.train_accuracy > TARGET else "train.not_reached")
    out.write(
        "  " + msg("train.epochs", epochs=t.epochs, reached=reached, target=f"{TARGET:.0%}") + "\n"
        "  " + msg("train.loss", loss=f"{t.loss:.4f}") + "\n"
        "  " + msg("train.train_accuracy", accuracy=f"{t.train_accuracy:.1%}") + "\n"
        "  " + msg("train.test_accuracy", accuracy=f"{t.test_accuracy:.1%}") + "\n"
    )
    if plot:
        _plot(t.net, plot)
        out.write(msg("train.wrote", plot=plot) + "\n")
    return 0 if t.train_accuracy > TARGET else 1


def _plot(net: Any, filename: str) -> None:
    import numpy as np

    import ndgrad
    from ndgrad import i18n

    from ._plot import pyplot

    plt = pyplot()
    x, y = spirals(500, 0)
    xs, ys = np.meshgrid(np.linspace(-2.3, 2.3, 300), np.linspace(-2.3, 2.3, 300))
    grid = ndgrad.tensor(np.stack([xs.ravel(), ys.ravel()], 1), dtype=ndgrad.float32)
    with ndgrad.no_grad():
        p = ndgrad.softmax(net(grid), 1)[:, 1].numpy().reshape(xs.shape)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.contourf(xs, ys, p, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(xs, ys, p, levels=[0.5], colors="k", linewidths=1)
    pts, lab = x.numpy(), y.numpy()
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        pick = lab == label
        name = i18n.message("train.plot.class", label=label)
        ax.scatter(pts[pick, 0], pts[pick, 1], s=6, c=color, label=name)
    ax.set_title(i18n.message("train.plot.title"))
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(filename, dpi=120)
    plt.close(fig)
