"""An MLP learns the two-spirals problem (what `ndgrad demo train` runs), as a plain script.

Run: python examples/train_spirals.py [--epochs 400]
Written as a PyTorch script would be; `import ndgrad as torch` is the only change.
"""

import argparse
import math

import numpy as np

import ndgrad as torch
from ndgrad import nn
from ndgrad.utils.data import DataLoader, TensorDataset


def spirals(n, seed, noise=0.05):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n)) * 4 * math.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (4 * math.pi) * 2
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise, (2 * n, 2))
    y = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.int64)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=400)
    args = ap.parse_args()
    torch.manual_seed(0)
    x, y = spirals(500, 0)
    model = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True)
    for epoch in range(1, args.epochs + 1):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        if epoch % 10 == 0 or acc > 0.99:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}  accuracy {acc:.1%}")
        if acc > 0.99:
            break
    x_new, y_new = spirals(500, 1)
    with torch.no_grad():
        print(
            f"accuracy on new points: {(model(x_new).argmax(1) == y_new).float().mean().item():.1%}"
        )


if __name__ == "__main__":
    main()
