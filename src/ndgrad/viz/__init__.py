"""``ndgrad.viz``: pictures of the recorded graph, from an output's ``grad_fn`` down to the leaves.

Each node shows its op (the ``grad_fn`` name, e.g. ``MulBackward0``), its output's shape and
dtype; each leaf (``AccumulateGrad``) its name, from ``params`` or, with ``names="auto"``, from
the caller's variables. ``to_text`` needs nothing; ``to_dot`` and ``to_mermaid`` give the source
for Graphviz and Mermaid; ``draw`` and ``Graph.save`` render a picture with Graphviz (the
``viz`` extra and Graphviz's ``dot`` program). The walk is iterative: a 1,000,000-node chain
draws as text or DOT without recursion (See Note [Walking the graph for pictures]).

``names="auto"`` reads the calling frame's variables (``frame.f_locals``). Before Python 3.13,
CPython keeps that snapshot of a function's variables until the function returns or reads them
again, so a tensor the function deletes right after drawing stays alive until then; pass
``names=None`` (and ``params``) where that matters.

Example:
    >>> import ndgrad
    >>> x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = 3 * x**2
    >>> print(ndgrad.viz.to_text(y))
    [1] MulBackward0  [3] float32
    [2] PowBackward0  [3] float32
    [3] AccumulateGrad x  [3] float32
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from ._model import Model, build
from ._render import dot as _dot
from ._render import mermaid as _mermaid
from ._render import text as _text

__all__ = ["Graph", "draw", "graph", "to_dot", "to_mermaid", "to_text"]

_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

_INSTALL = (
    "install them with: pip install 'ndgrad[viz]' (the graphviz Python package), and "
    "apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS) for the `dot` "
    "program; to_text(), to_dot() and to_mermaid() need neither"
)


def _caller(names: Any) -> Any:
    """The frame that called the public function (two up from here), for ``names="auto"``."""
    return sys._getframe(2) if names == "auto" else None


class Graph:
    """The graph of a tensor, walked once: print it, or render it as DOT, Mermaid or a picture.

    Made by ``ndgrad.viz.graph(t, ...)``. It holds strings only, not the recorded graph, so it
    shows the graph as it was when made. ``str(g)`` is ``g.to_text()``; in Jupyter it displays
    as SVG (``_repr_svg_``, which needs Graphviz).

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([[1.0, 2.0]], requires_grad=True)
        >>> g = ndgrad.viz.graph(ndgrad.tanh(w).sum())
        >>> print(g)
        [1] SumBackward0  [] float32
        [2] TanhBackward0  [1, 2] float32
        [3] AccumulateGrad w  [1, 2] float32
        >>> print(g.to_mermaid().splitlines()[1])
          n0["SumBackward0<br/>[] float32"]
    """

    def __init__(self, model: Model, show_backward: bool = True) -> None:
        self.model = model
        self.show_backward = show_backward

    def to_text(self) -> str:
        """The indented tree (see ``to_text``)."""
        return _text(self.model)

    def to_dot(self) -> str:
        """Graphviz DOT source (see ``to_dot``)."""
        return _dot(self.model, self.show_backward)

    def to_mermaid(self) -> str:
        """Mermaid ``graph TD`` source (see ``to_mermaid``)."""
        return _mermaid(self.model, self.show_backward)

    def save(self, filename: str | Path) -> Path:
        """Render to ``filename`` (.svg, .png or .pdf) with Graphviz; returns the path."""
        path = Path(filename)
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"cannot tell the picture format from {path.name!r}; hint: end the file name "
                "with .svg, .png or .pdf (or write to_dot() to a .dot file yourself)"
            )
        data = _pipe(self.to_dot(), fmt)
        path.write_bytes(data)
        return path

    def _repr_svg_(self) -> str:
        return _pipe(self.to_dot(), "svg").decode("utf-8")

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<ndgrad.viz.Graph of {len(self.model.nodes)} nodes>"


def _graphviz() -> Any:
    """The graphviz package, once it and the ``dot`` program are both there."""
    try:
        import graphviz
    except ImportError:
        raise RuntimeError(
            "drawing a picture needs the graphviz Python package, which is not installed; "
            + _INSTALL
        ) from None
    if shutil.which("dot") is None:
        raise RuntimeError(
            "drawing a picture needs Graphviz's `dot` program, which is not on PATH; " + _INSTALL
        )
    return graphviz


def _pipe(source: str, fmt: str) -> bytes:
    graphviz = _graphviz()
    try:
        return graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            "drawing a picture needs Graphviz's `dot` program, which is not on PATH; " + _INSTALL
        ) from None


def graph(
    t: Any,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
    show_backward: bool = True,
) -> Graph:
    """Walk the graph of ``t`` once into a ``Graph`` (arguments as in ``to_dot``).

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor(2.0, requires_grad=True)
        >>> g = ndgrad.viz.graph(a * a)
        >>> print(g)
        [1] MulBackward0  [] float32
        ├── [2] AccumulateGrad a  [] float32
        └── (see [2]) AccumulateGrad a
    """
    model = build(
        t, params, show_saved=show_saved, highlight=highlight, names=names, frame=_caller(names)
    )
    return Graph(model, show_backward)


def to_text(
    t: Any,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
) -> str:
    """An indented tree of the graph of ``t``, for the terminal.

    One line per node: ``[k] op  shape dtype``, from the output's ``grad_fn`` down to the leaves
    (``AccumulateGrad name``). A node's only input follows it at the same depth; several inputs
    branch (``├──``/``└──``); a node reached again is written ``(see [k])``. ``params`` (a dict
    name -> tensor, e.g. ``dict(model.named_parameters())``) names leaves; ``names="auto"``
    also names them after the caller's variables (``names=None``: no such lookup).
    ``show_saved`` lists what each node saved for backward, with its bytes (and the total);
    ``highlight`` (a tensor or a list) marks with ``*`` the path(s) from it to the output.

    Example:
        >>> import ndgrad
        >>> p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> f = p[0] ** 2 * p[1]
        >>> print(ndgrad.viz.to_text(f, show_saved=True))
        [1] MulBackward0  [] float32
        │   saved self: [] float32, 4 bytes
        │   saved other: [] float32, 4 bytes
        ├── [2] PowBackward0  [] float32
        │       saved self: [] float32, 4 bytes
        │       saved exponent: 2
        │   [3] SelectBackward0  [] float32
        │       saved dim: 0
        │       saved index: 0
        │   [4] AccumulateGrad p  [2] float32
        └── [5] SelectBackward0  [] float32
                saved dim: 0
                saved index: 1
            (see [4]) AccumulateGrad p
        saved for backward: 12 bytes in 3 arrays
    """
    model = build(
        t, params, show_saved=show_saved, highlight=highlight, names=names, frame=_caller(names)
    )
    return _text(model)


def to_dot(
    t: Any,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
    show_backward: bool = True,
) -> str:
    """Graphviz DOT source of the graph of ``t`` (the labels of ``to_text``, one box per node).

    ``show_backward=True`` draws the graph that backward walks: ``grad_fn`` names, an arrow from
    each node to its inputs, the output on top. ``show_backward=False`` draws the forward
    computation instead: op names (``mul``), arrows from the inputs to the op that used them.
    Leaves are blue, the output's node has a double border, the highlighted path is red.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> src = ndgrad.viz.to_dot(ndgrad.sin(x))
        >>> print(src.count("->"), "n0 -> n1" in src)
        1 True
    """
    model = build(
        t, params, show_saved=show_saved, highlight=highlight, names=names, frame=_caller(names)
    )
    return _dot(model, show_backward)


def to_mermaid(
    t: Any,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
    show_backward: bool = True,
) -> str:
    """Mermaid ``graph TD`` source of the graph of ``t`` (arguments as in ``to_dot``): paste it
    into a Markdown page that renders Mermaid (GitHub does).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> print(ndgrad.viz.to_mermaid(ndgrad.sin(x)))
        graph TD
          n0["SinBackward0<br/>[2] float32"]
          n1(["x<br/>AccumulateGrad<br/>[2] float32"])
          n0 --> n1
          classDef leaf fill:#cfe2f3,stroke:#3d85c6
          classDef highlight stroke:#d62728,stroke-width:3px,color:#d62728
          class n1 leaf
        <BLANKLINE>
    """
    model = build(
        t, params, show_saved=show_saved, highlight=highlight, names=names, frame=_caller(names)
    )
    return _mermaid(model, show_backward)


def draw(
    t: Any,
    filename: str | Path,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
    show_backward: bool = True,
) -> Path:
    """Render the graph of ``t`` to ``filename`` with Graphviz; the format is the suffix
    (.svg, .png or .pdf). Returns the path. Needs the graphviz Python package
    (``pip install 'ndgrad[viz]'``) and Graphviz's ``dot`` (``apt-get install graphviz`` or
    ``brew install graphviz``); a RuntimeError says so when either is missing.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> ndgrad.viz.draw(x.exp().sum(), "graph.svg")  # doctest: +SKIP
        PosixPath('graph.svg')
    """
    model = build(
        t, params, show_saved=show_saved, highlight=highlight, names=names, frame=_caller(names)
    )
    return Graph(model, show_backward).save(filename)
