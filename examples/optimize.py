"""Minimise Rosenbrock and Himmelblau with four optimisers (what `ndgrad demo optimize` runs).

Run: python examples/optimize.py [--plot paths.png]
Written as a PyTorch script would be; `import ndgrad as torch` is the only change.
"""

import argparse

import ndgrad as torch


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def himmelblau(p):
    x, y = p[0], p[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


OPTIMISERS = {
    "gradient descent": (lambda p: torch.optim.SGD([p], lr=1e-3), 20000),
    "momentum": (lambda p: torch.optim.SGD([p], lr=1e-3, momentum=0.9), 20000),
    "Adam": (lambda p: torch.optim.Adam([p], lr=0.02), 20000),
    "L-BFGS": (
        lambda p: torch.optim.LBFGS(
            [p], tolerance_grad=1e-10, tolerance_change=1e-15, line_search_fn="strong_wolfe"
        ),
        100,
    ),
}


def minimise(f, start, make, budget, tol=1e-5):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make(p)

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    for it in range(1, budget + 1):
        opt.step(closure)
        closure()
        if p.grad.norm() < tol:
            return it, p.tolist()
    return None, p.tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plot", help="also draw the paths (needs matplotlib)")
    args = ap.parse_args()
    for name, f, start in (
        ("Rosenbrock", rosenbrock, (-1.5, 2.0)),
        ("Himmelblau", himmelblau, (0.0, 0.0)),
    ):
        print(f"{name} from {start}")
        for opt_name, (make, budget) in OPTIMISERS.items():
            it, point = minimise(f, start, make, budget)
            its = f"{it} iterations" if it else f"not converged in {budget}"
            print(f"  {opt_name:<17} {its:<26} ({point[0]:.6f}, {point[1]:.6f})")
    if args.plot:
        import io

        from ndgrad.cli import demo_optimize

        demo_optimize.run(io.StringIO(), args.plot, progress=False)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
