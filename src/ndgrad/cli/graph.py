"""``ndgrad graph``: draw the autograd graph of an expression.

``ndgrad graph "x**2*y + sin(y)" --at x=1,y=2`` prints the graph as text; ``--format dot`` or
``--format mermaid`` prints Graphviz or Mermaid source instead; ``-o graph.svg`` draws it to a
file (with ``--format``, ``-o`` writes that text to the file). The variables are leaves that
require grad, named after the variables (``ndgrad.viz`` does the drawing). The expression is
checked by ``ndgrad.cli.expr`` first (exit code 2 when rejected); nothing else runs.

Example:
    >>> from ndgrad.cli import main
    >>> main(["graph", "x * sin(y)", "--at", "x=1,y=2"])
    [1] MulBackward0  [] float64
    ├── [2] AccumulateGrad x  [] float64
    └── [3] SinBackward0  [] float64
        [4] AccumulateGrad y  [] float64
    0
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

NAME = "graph"
HELP = "draw the autograd graph of an expression (text, Graphviz dot, Mermaid, or a file)"
DESCRIPTION = (
    "Evaluate EXPRESSION at the point given with --at, with the variables as leaves that "
    "require grad, and show the graph backward() would walk: as text (the default), as "
    "Graphviz dot or Mermaid source (--format), or drawn to a file (-o graph.svg). The "
    "expression language is the one of 'ndgrad grad'."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .grad import add_point_arguments

    parser.add_argument("expression", metavar="EXPRESSION", help="e.g. 'x**2*y + sin(y)'")
    add_point_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="draw the graph to FILE with Graphviz (.svg, .png or .pdf); with --format, write "
        "that text to FILE instead",
    )
    parser.add_argument(
        "--format",
        choices=("text", "dot", "mermaid"),
        help="print the graph in this format (default: text, when there is no -o)",
    )
    parser.add_argument(
        "--show-saved", action="store_true", help="also show the values each node saved"
    )


def run(args: argparse.Namespace) -> int:
    from .expr import EvaluationError, evaluate
    from .grad import fail, read_expression, read_point

    prog = "ndgrad graph"
    values, dtype = read_point(args, prog)
    checked = read_expression(args.expression, list(values), prog)
    params = {name: v.requires_grad_(True) for name, v in values.items()}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="vmap: there is a performance drop")
            warnings.filterwarnings("ignore", category=RuntimeWarning)  # inf and nan show
            out = evaluate(checked, params, dtype)
    except EvaluationError as e:
        return fail(prog, str(e), e.hint)
    try:
        from .. import viz
    except ImportError as e:
        return fail(
            prog,
            f"ndgrad.viz is not available ({e})",
            "reinstall ndgrad; 'ndgrad grad' works without it",
        )
    kw = {"show_saved": args.show_saved, "names": None}  # leaves named by params only
    try:
        if args.output and not args.format:
            path = viz.draw(out, args.output, params, **kw)
            print(f"wrote {path}")
            return 0
        render = {"text": viz.to_text, "dot": viz.to_dot, "mermaid": viz.to_mermaid}
        text = render[args.format or "text"](out, params, **kw)
    except (ImportError, RuntimeError, OSError, ValueError) as e:
        first = (str(e).splitlines() or [""])[0]
        return fail(
            prog,
            f"drawing the graph failed: {type(e).__name__}: {first}",
            "drawing images needs Graphviz (pip install 'ndgrad[viz]'); --format dot, "
            "mermaid and text need nothing",
        )
    if args.output:
        try:
            Path(args.output).write_text(text if text.endswith("\n") else text + "\n")
        except OSError as e:
            return fail(prog, f"cannot write {args.output}: {e.strerror}", "check the path")
        print(f"wrote {args.output}")
        return 0
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
