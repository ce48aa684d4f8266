"""``ndgrad demo optimize``: classic test functions minimised by four optimisers.

Rosenbrock's valley ``f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`` (minimum at (1, 1)) and
Himmelblau's ``f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`` (four minima, one at (3, 2)), each
from a fixed start, by gradient descent, momentum, Adam and L-BFGS (strong-Wolfe line search):
``ndgrad.optim`` driving gradients from ``backward()``, exactly as a PyTorch script does. An
optimiser has converged when the gradient's norm falls below ``TOL``; the table shows the
iterations it took (or the budget, if it did not) and the final point. ``--plot FILE.png`` draws
each function's contours with every optimiser's path (matplotlib, the ``viz`` extra).

Example:
    >>> from ndgrad.cli.demo_optimize import minimise, PROBLEMS
    >>> r = minimise(PROBLEMS[0], "L-BFGS", progress=False)
    >>> r.converged, [round(v, 4) for v in r.point]
    (True, [1.0, 1.0])
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any, TextIO

TOL = 1e-5  # gradient norm at which an optimiser has converged


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    formula: str
    f: Callable[[Any], Any]  # of a tensor of two elements
    start: tuple[float, float]
    window: tuple[float, float, float, float]  # x0, x1, y0, y1 of the plot


def _rosenbrock(p: Any) -> Any:
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _himmelblau(p: Any) -> Any:
    x, y = p[0], p[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


PROBLEMS = (
    Problem("Rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", _rosenbrock, (-1.5, 2.0), (-2, 2, -1, 3)),
    Problem(
        "Himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", _himmelblau, (0.0, 0.0), (-5, 5, -5, 5)
    ),
)

# name -> (factory of the optimiser for parameter p, iteration budget)
_OPTIMISERS: dict[str, tuple[Callable[[Any], Any], int]] = {}


def _optimisers() -> dict[str, tuple[Callable[[Any], Any], int]]:
    if not _OPTIMISERS:
        from .. import optim

        _OPTIMISERS.update(
            {
                "gradient descent": (lambda p: optim.SGD([p], lr=1e-3), 20000),
                "momentum": (lambda p: optim.SGD([p], lr=1e-3, momentum=0.9), 20000),
                "Adam": (lambda p: optim.Adam([p], lr=0.02), 20000),
                "L-BFGS": (
                    lambda p: optim.LBFGS(
                        [p],
                        lr=1,
                        max_iter=20,
                        history_size=10,
                        tolerance_grad=1e-10,  # the defaults stop short of TOL on Rosenbrock
                        tolerance_change=1e-15,
                        line_search_fn="strong_wolfe",
                    ),
                    100,
                ),
            }
        )
    return _OPTIMISERS


@dataclasses.dataclass
class Result:
    problem: str
    optimiser: str
    iterations: int
    converged: bool
    point: list[float]
    value: float
    path: list[tuple[float, float]]


def minimise(problem: Problem, name: str, progress: bool = True) -> Result:
    """Run optimiser ``name`` on ``problem`` from its start until the gradient norm is below TOL
    (an L-BFGS iteration is one ``step``, up to 20 inner iterations)."""
    import ndgrad

    make, budget = _optimisers()[name]
    p = ndgrad.tensor(problem.start, dtype=ndgrad.float64, requires_grad=True)
    opt = make(p)
    path = [tuple(p.tolist())]

    def closure() -> Any:
        opt.zero_grad()
        loss = problem.f(p)
        loss.backward()
        return loss

    from .. import i18n

    bar = _bar(budget, f"{problem.name}, {i18n.message('optimize.opt.' + name)}", progress)
    converged = False
    it = 0
    try:
        for it in range(1, budget + 1):
            opt.step(closure)
            path.append(tuple(p.tolist()))
            opt.zero_grad()
            loss = problem.f(p)
            loss.backward()
            gnorm = float(p.grad.norm())
            if it % 200 == 0 or name == "L-BFGS":
                bar.set_postfix(f=f"{loss.item():.2e}", grad=f"{gnorm:.1e}", refresh=False)
            bar.update(1)
            if gnorm < TOL:
                converged = True
                break
    finally:
        bar.close()
    with ndgrad.no_grad():
        value = problem.f(p).item()
    return Result(problem.name, name, it, converged, p.tolist(), value, path)


def _bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, leave=False, disable=not enabled, file=sys.stderr, mininterval=0.2
    )


def run(out: TextIO, plot: str | None, progress: bool, lang: str | None = None) -> int:
    """Print the table of every optimiser on every problem (``lang``: "en" or "zh")."""
    from .. import i18n
    from .demo import pad

    def msg(key: str, **fields: Any) -> str:
        return i18n.message(key, lang, **fields)

    lang = i18n.detect_language(lang)
    results = []
    for problem in PROBLEMS:
        heading = msg(
            "optimize.heading", problem=problem.name, formula=problem.formula, start=problem.start
        )
        out.write(f"\n{heading}\n")
        out.write(
            "  "
            + pad(msg("optimize.col.optimiser"), 18)
            + pad(msg("optimize.col.iterations"), 11, right=True)
            + "  "
            + pad(msg("optimize.col.point"), 26)
            + pad(msg("optimize.col.value"), 10, right=True)
            + "\n"
        )
        for name in _optimisers():
            r = minimise(problem, name, progress)
            results.append(r)
            its = f"{r.iterations}" if r.converged else f">{r.iterations}"
            point = f"({r.point[0]:.6f}, {r.point[1]:.6f})"
            shown = pad(msg(f"optimize.opt.{name}"), 18)
            out.write(f"  {shown}{its:>11}  {point:<26}{r.value:>10.2e}\n")
    out.write("\n" + msg("optimize.note", tol=f"{TOL:g}") + "\n")
    if plot:
        _plot(results, plot)
        out.write(msg("optimize.wrote", plot=plot) + "\n")
    return 0


def _plot(results: list[Result], filename: str) -> None:
    from .. import i18n
    from ._plot import pyplot

    np = __import__("numpy")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(PROBLEMS), figsize=(6 * len(PROBLEMS), 5))
    for ax, problem in zip(axes, PROBLEMS):
        x0, x1, y0, y1 = problem.window
        xs, ys = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        zs = problem.f(np.stack([xs, ys]))
        ax.contour(xs, ys, np.log1p(zs), levels=30, cmap="viridis", linewidths=0.6)
        for r in results:
            if r.problem == problem.name:
                px, py = zip(*r.path)
                ax.plot(px, py, marker=".", markersize=2, linewidth=1, label=r.optimiser)
        ax.plot(*problem.start, "k^", label=i18n.message("optimize.plot.start"))
        ax.set_title(f"{problem.name}: {problem.formula}")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(filename, dpi=120)
    plt.close(fig)
