"""Draw the graphs of the README's and the tutorial's examples into docs/img/ (docs/graphs.md).

    python tools/gen_graph_pictures.py          # docs/img/*.svg (needs Graphviz's `dot`)
    python tools/gen_graph_pictures.py --dot    # docs/img/*.dot only (no Graphviz needed)

Without the graphviz Python package or the `dot` program it writes the .dot files and says how
to install what is missing. The pictures are checked in; rerun this after changing ndgrad.viz.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import ndgrad
from ndgrad import viz

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def examples() -> Iterator[tuple[str, viz.Graph]]:
    """``(file stem, graph)`` of each picture, built as docs/graphs.md builds them."""
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = 3 * x**2
    yield "quickstart", viz.graph(y)

    f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])
    yield "mixed_partials", viz.graph(f)
    (gx,) = ndgrad.autograd.grad(f, x, create_graph=True)
    yield "double_backward", viz.graph(gx)

    params = {
        "w1": ndgrad.full((3, 5), 0.1, requires_grad=True),
        "b1": ndgrad.zeros(5, requires_grad=True),
        "w2": ndgrad.full((5, 1), 0.1, requires_grad=True),
    }
    inputs = ndgrad.ones(4, 3)
    out = ndgrad.tanh(inputs @ params["w1"] + params["b1"]) @ params["w2"]
    yield "mlp", viz.graph(out, params)
    yield "mlp_forward", viz.graph(out, params, show_backward=False)
    yield "mlp_highlight_b1", viz.graph(out, params, highlight=params["b1"])
    yield "mlp_saved", viz.graph(out, params, show_saved=True)


def main(argv: list[str]) -> int:
    IMG.mkdir(parents=True, exist_ok=True)
    only_dot = "--dot" in argv
    if not only_dot:
        try:
            viz._graphviz()
        except RuntimeError as e:
            print(f"{e}\nwriting .dot files instead", file=sys.stderr)
            only_dot = True
    for stem, g in examples():
        if only_dot:
            path = IMG / f"{stem}.dot"
            path.write_text(g.to_dot(), encoding="utf-8")
        else:
            path = g.save(IMG / f"{stem}.svg")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
