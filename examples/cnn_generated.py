"""A small CNN learns to tell generated 16x16 images apart: horizontal bars, vertical bars, crosses.

Run: python examples/cnn_generated.py [--epochs 8]
Written as a PyTorch script would be; `import ndgrad as torch` is the only change.
"""

import argparse

import numpy as np

import ndgrad as torch
from ndgrad import nn
from ndgrad.utils.data import DataLoader, TensorDataset

CLASSES = ("horizontal", "vertical", "cross")


def images(n, seed):
    """n noisy 1x16x16 images per class: a bar at a random row, column, or both."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label in range(3):
        img = rng.normal(0, 0.3, (n, 16, 16))
        rows, cols = rng.integers(2, 14, n), rng.integers(2, 14, n)
        for i in range(n):
            if label in (0, 2):
                img[i, rows[i], :] += 1.0
            if label in (1, 2):
                img[i, :, cols[i]] += 1.0
        xs.append(img)
        ys.append(np.full(n, label))
    x = torch.tensor(np.concatenate(xs)[:, None], dtype=torch.float32)
    return x, torch.tensor(np.concatenate(ys).astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 3)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    torch.manual_seed(0)
    x, y = images(200, 0)
    x_test, y_test = images(100, 1)
    model = Net()
    print(model)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch}  loss {loss.item():.4f}  test accuracy {acc:.1%}")


if __name__ == "__main__":
    main()
