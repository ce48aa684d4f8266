"""``ndgrad demo``: reverse-mode automatic differentiation, one step at a time.

The demo runs a short workflow (a leaf, an op, a weighted backward, first and second derivatives
with ``autograd.grad``, the same derivatives as functions with ``ndgrad.func``, gradient descent
and its classic pitfall), prints the five autograd
attributes of each tensor it touches and says in a line what happened. The code shown after
``>>>`` is the code that runs: keep the two in step when editing.

Example:
    >>> import io
    >>> from ndgrad.cli import demo
    >>> out = io.StringIO()
    >>> demo.walkthrough(out, color=False)
    >>> "tensor([ 6., 12., 18.])" in out.getvalue()
    True
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
import warnings
from typing import Any, TextIO

NAME = "demo"
HELP = "walk through autograd step by step (start here)"
DESCRIPTION = (
    "Walk through reverse-mode autograd step by step: leaves and grad_fn, a weighted backward, "
    "second derivatives with autograd.grad, the gradient, a directional derivative and the "
    "Hessian with ndgrad.func, and the gradient-descent pitfall and its fixes."
)

_WIDTH = 100
_STYLES = {"head": "1", "code": "36", "error": "31", "dim": "2"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-color",
        action="store_true",
        help="plain text even on a terminal (default: color only when stdout is a terminal; "
        "the NO_COLOR environment variable also turns it off)",
    )


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    color = (
        not args.no_color
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
        and out.isatty()
    )
    walkthrough(out, color=color)
    return 0


class _Printer:
    """Writes the demo: headings, code, the five attributes, explanations; ANSI color optional."""

    def __init__(self, stream: TextIO, color: bool) -> None:
        self.stream = stream
        self.color = color

    def _paint(self, text: str, style: str) -> str:
        return f"\033[{_STYLES[style]}m{text}\033[0m" if self.color else text

    def line(self, text: str = "", style: str | None = None) -> None:
        text = text.rstrip()
        self.stream.write((self._paint(text, style) if style else text) + "\n")

    def step(self, number: int, title: str) -> None:
        self.line()
        self.line(f"Step {number}/{_STEPS}. {title}", "head")

    def code(self, *lines: str) -> None:
        for i, src in enumerate(lines):
            prompt = ">>> " if i == 0 or not src.startswith(" ") else "... "
            self.line("  " + self._paint(prompt + src, "code"))

    def value(self, label: str, value: str) -> None:
        self.line(f"      {label:<21}{value}")

    def attrs(self, name: str, t: Any) -> None:
        """The five autograd attributes of ``t``; a non-leaf's ``.grad`` is read without warning."""
        grad = _peek_grad(t)
        note = ""
        if grad is None and not t.is_leaf:
            note = "   (not a leaf: backward leaves it None)"
        self.value(f"{name}.data", repr(t.data))
        self.value(f"{name}.grad", ("None" if grad is None else repr(grad)) + note)
        self.value(f"{name}.requires_grad", str(t.requires_grad))
        self.value(f"{name}.grad_fn", _node_name(t.grad_fn))
        self.value(f"{name}.is_leaf", str(t.is_leaf))

    def error(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        for i, part in enumerate(textwrap.wrap(text, _WIDTH - 8, break_on_hyphens=False)):
            self.line(("      " if i == 0 else "        ") + self._paint(part, "error"))

    def why(self, text: str) -> None:
        lines = textwrap.wrap(text, _WIDTH - 5, break_on_hyphens=False)
        for i, part in enumerate(lines):
            self.line(("  -> " if i == 0 else "     ") + part)


_STEPS = 9


def _peek_grad(t: Any) -> Any:
    """``t.grad`` without the warning a non-leaf gives (the demo explains it instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return t.grad


def _distance_to_5(x: Any) -> float:
    return max(abs(v - 5.0) for v in x.tolist())


def _node_name(node: Any) -> str:
    return "None" if node is None else f"<{node.name()}>"


def _chain(node: Any) -> str:
    """The path from ``node`` back to a leaf, following the first edge that leads somewhere."""
    names = []
    while node is not None:
        names.append(node.name())
        node = next((n for n, _ in node.next_functions if n is not None), None)
    return " -> ".join(names)


def walkthrough(stream: TextIO, color: bool = False) -> None:
    """Run the demo workflow and write its story to ``stream``."""
    import ndgrad

    p = _Printer(stream, color)
    p.line(
        f"ndgrad {ndgrad.__version__} demo: reverse-mode automatic differentiation, "
        "one step at a time.",
        "head",
    )
    p.line("Each step runs the code after >>>, shows the five autograd attributes of the tensors")
    p.line("it touches (data, grad, requires_grad, grad_fn, is_leaf) and says, after ->, what")
    p.line("happened.")

    # Step 1 ------------------------------------------------------------------------------------
    p.step(1, "A leaf tensor")
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p.code("x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)")
    p.attrs("x", x)
    p.why(
        "You created x yourself; no op computed it, so it is a leaf (grad_fn None, is_leaf "
        "True). requires_grad=True asks ndgrad to record every op that uses x; x.grad stays "
        "None until a backward pass fills it."
    )

    # Step 2 ------------------------------------------------------------------------------------
    p.step(2, "An op records a node")
    y = 3 * x**2
    p.code("y = 3 * x ** 2")
    p.attrs("y", y)
    p.value("graph", f"{_chain(y.grad_fn)} (x)")
    p.why(
        "y was computed from x, so it is not a leaf: it inherits requires_grad from x, and its "
        "grad_fn is the node of the last op (3 * ...), whose next_functions lead back through "
        "PowBackward0 to x (the graph line)."
    )
    p.why(
        "Backward fills .grad only on leaves, so y.grad stays None (reading it warns); call "
        "y.retain_grad() before backward if you want it kept."
    )

    # Step 3 ------------------------------------------------------------------------------------
    p.step(3, "Backward with a weight per component")
    y.backward(ndgrad.ones_like(y))
    p.code("y.backward(ndgrad.ones_like(y))")
    p.attrs("x", x)
    p.why(
        "y has 3 components, so backward needs a weight v for each: y.backward(v) computes the "
        "vector-Jacobian product v^T J, with J = dy/dx = diag(6x), and adds it into x.grad."
    )
    p.why(
        "With v = ones, v^T J sums the rows of J: it is the gradient of y.sum(), 6x = "
        "[6, 12, 18]. v = [1, 0, 0] would give the gradient of y[0] alone; a one-element "
        "output needs no v."
    )

    # Step 4 ------------------------------------------------------------------------------------
    p.step(4, "First derivatives you can differentiate again")
    f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])
    p.code("f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])")
    p.attrs("f", f)
    p.why(
        "In the formulas below, x and y stand for x[0] = 1 and x[1] = 2: f(x, y) = x^2 y + "
        "sin y = 2 + sin(2) here; x[2] plays no part."
    )
    (gx,) = ndgrad.autograd.grad(f, x, create_graph=True)
    p.code("(gx,) = ndgrad.autograd.grad(f, x, create_graph=True)")
    p.attrs("gx", gx)
    p.why(
        "autograd.grad returns [f_x, f_y, 0] = [2xy, x^2 + cos y, 0] instead of adding it into "
        f"x.grad (still {list(_peek_grad(x).tolist())}); create_graph=True recorded the "
        "backward pass too, so gx has a grad_fn and can be differentiated again."
    )

    # Step 5 ------------------------------------------------------------------------------------
    p.step(5, "Second derivatives: the four partials of f at (x, y) = (1, 2)")
    (row_x,) = ndgrad.autograd.grad(gx[0], x, retain_graph=True)
    (row_y,) = ndgrad.autograd.grad(gx[1], x)
    p.code(
        "(row_x,) = ndgrad.autograd.grad(gx[0], x, retain_graph=True)   # [f_xx, f_xy, 0]",
        "(row_y,) = ndgrad.autograd.grad(gx[1], x)                      # [f_yx, f_yy, 0]",
    )
    p.attrs("row_x", row_x)
    p.value("row_y.data", repr(row_y.data))
    a, b = 1.0, 2.0  # the point (x, y) = (x[0], x[1])
    f_xx, f_xy, _ = row_x.tolist()
    f_yx, f_yy, _ = row_y.tolist()
    table = (
        ("f_xx", f_xx, "2y", 2 * b),
        ("f_xy", f_xy, "2x", 2 * a),
        ("f_yx", f_yx, "2x", 2 * a),
        ("f_yy", f_yy, "-sin y", -math.sin(b)),
    )
    p.line()
    p.line(f"      {'partial':<9}{'autograd':>10}   {'analytic':<9}")
    for name, got, formula, want in table:
        p.line(f"      {name:<9}{got:>10.6f}   {formula:<7}= {want:.6f}")
    p.line()
    p.why(
        "Differentiating one first derivative gives one row of the Hessian. Without "
        "create_graph the rows are plain tensors (no grad_fn); retain_graph=True kept gx's "
        "graph for the second call, since a backward pass frees what it saved."
    )
    p.why(
        f"f_xy == f_yx: {f_xy == f_yx}. The mixed partials of a twice "
        "continuously differentiable function are equal (Schwarz's theorem): the Hessian "
        f"[[{f_xx:.0f}, {f_xy:.0f}], [{f_yx:.0f}, {f_yy:.3f}]] "
        "is symmetric."
    )

    # Step 6 ------------------------------------------------------------------------------------
    p.step(6, "Derivatives as functions: ndgrad.func")
    from ndgrad.func import directional_derivative, grad, hessian

    def F(xy: Any) -> Any:  # noqa: N802 - f as a function of the vector (x, y)
        return xy[0] ** 2 * xy[1] + ndgrad.sin(xy[1])

    xy = ndgrad.tensor([1.0, 2.0])
    g = grad(F)(xy)
    p.code(
        "from ndgrad.func import directional_derivative, grad, hessian",
        "def F(xy):",
        "    return xy[0] ** 2 * xy[1] + ndgrad.sin(xy[1])",
        "xy = ndgrad.tensor([1.0, 2.0])",
        "g = grad(F)(xy)",
    )
    p.value("g", repr(g))
    p.why(
        "grad(F) is a function too, the gradient of F. At (1, 2) it returns the vector of the "
        "partials, [f_x, f_y] = [2xy, x^2 + cos y]: the first two entries of step 4's gx."
    )
    v = ndgrad.tensor([3.0, 4.0])
    u = v / v.norm()
    by_grad = g @ u
    by_jvp = directional_derivative(F, xy, v, normalize=True)
    p.code(
        "v = ndgrad.tensor([3.0, 4.0])",
        "u = v / v.norm()                                            # [0.6, 0.8]",
        "by_grad = g @ u                                             # grad f . u",
        "by_jvp = directional_derivative(F, xy, v, normalize=True)   # one jvp",
    )
    p.value("by_grad", f"{by_grad.item():.6f}")
    p.value("by_jvp", f"{by_jvp.item():.6f}")
    same = math.isclose(by_grad.item(), by_jvp.item(), rel_tol=1e-6)
    p.why(
        "The directional derivative D_u f = grad f . u = 4 * 0.6 + 0.5839 * 0.8 is how fast f "
        "changes per unit step along the unit vector u. Forward mode computes it as one "
        f"Jacobian-vector product, without the gradient. Equal: {same}."
    )
    hess = hessian(F)(xy)
    p.code("hess = hessian(F)(xy)                                       # jacfwd(jacrev(F))")
    step5 = ((f_xx, f_xy), (f_yx, f_yy))
    names = (("f_xx", "f_xy"), ("f_yx", "f_yy"))
    p.line()
    p.line(f"      {'entry':<12}{'hessian':>10}{'step 5':>11}")
    for i in range(2):
        for j in range(2):
            got, want = hess[i, j].item(), step5[i][j]
            p.line(f"      {f'hess[{i}, {j}]':<12}{got:>10.6f}{want:>11.6f}   {names[i][j]}")
    p.line()
    same = all(
        math.isclose(hess[i, j].item(), step5[i][j], rel_tol=1e-6, abs_tol=1e-7)
        for i in range(2)
        for j in range(2)
    )
    p.why(
        "hessian(F) is the Jacobian of the gradient (forward mode over reverse). Equal to the "
        f"four partials that double backward gave in step 5: {same}. More: docs/derivatives.md."
    )

    # Step 7 ------------------------------------------------------------------------------------
    p.step(7, "Gradient descent, the pitfall: x = x - 0.1 * x.grad")
    p.line(
        "  Minimise loss = sum((x - 5)^2) from x = [1, 2, 3] with learning rate 0.1; the "
        "minimum is at x = 5."
    )
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = ((x - 5) ** 2).sum()
    x.grad = None
    loss.backward()
    x = x - 0.1 * x.grad
    p.code(
        "x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "loss = ((x - 5) ** 2).sum(); x.grad = None; loss.backward()   # iteration 1",
        "x = x - 0.1 * x.grad",
    )
    p.attrs("x", x)
    p.why(
        "The update is itself an op on a tensor that requires grad, so it was recorded: the "
        "name x now points to a new, computed tensor (grad_fn SubBackward0), not to the leaf."
    )
    loss = ((x - 5) ** 2).sum()
    x.grad = None
    loss.backward()
    p.code("loss = ((x - 5) ** 2).sum(); x.grad = None; loss.backward()   # iteration 2")
    p.attrs("x", x)
    p.code("x = x - 0.1 * x.grad")
    try:
        x = x - 0.1 * _peek_grad(x)
    except TypeError as e:
        p.error(e)
    else:  # pragma: no cover - would mean a non-leaf's .grad was filled
        raise AssertionError("the pitfall did not happen: a non-leaf's .grad was filled")
    p.why(
        "Backward ran through SubBackward0 to the original leaf and filled that leaf's .grad, "
        "but the name x no longer refers to it, and a non-leaf's .grad is never filled: "
        "x.grad is None (reading it warns), so the second update fails."
    )

    # Step 8 ------------------------------------------------------------------------------------
    p.step(8, "Fix 1: update the data, not the graph")
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for _ in range(100):
        loss = ((x - 5) ** 2).sum()
        x.grad = None
        loss.backward()
        x.data = x.data - 0.1 * x.grad
    p.code(
        "x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "for _ in range(100):",
        "    loss = ((x - 5) ** 2).sum()",
        "    x.grad = None",
        "    loss.backward()",
        "    x.data = x.data - 0.1 * x.grad",
    )
    p.attrs("x", x)
    p.value("loss", f"{loss.item():.3g}")
    p.value("max |x - 5|", f"{_distance_to_5(x):.3g}")
    p.why(
        "x.data is the values without their history, so assigning to it records nothing: x "
        "stays the same leaf, x.grad is filled again in every iteration, and x converges to "
        "5 (each step multiplies x - 5 by 0.8)."
    )
    p.why(
        "x.grad = None comes first because backward adds into .grad: without it the gradients "
        "of all earlier iterations would pile up."
    )

    # Step 9 ------------------------------------------------------------------------------------
    p.step(9, "Fix 2: update in place under no_grad")
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((x - 5) ** 2).sum().backward()
    p.code(
        "x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "((x - 5) ** 2).sum().backward()",
        "x -= 0.1 * x.grad",
    )
    try:
        x -= 0.1 * x.grad
    except RuntimeError as e:
        p.error(e)
    else:  # pragma: no cover - would mean in-place ops on leaves are not checked
        raise AssertionError("an in-place op on a leaf that requires grad was allowed")
    p.why(
        "Outside no_grad an in-place update of a leaf that requires grad is refused: it would "
        "be recorded, and the leaf would stop being a leaf."
    )
    for _ in range(100):
        loss = ((x - 5) ** 2).sum()
        x.grad = None
        loss.backward()
        with ndgrad.no_grad():
            x -= 0.1 * x.grad
    p.code(
        "for _ in range(100):",
        "    loss = ((x - 5) ** 2).sum()",
        "    x.grad = None",
        "    loss.backward()",
        "    with ndgrad.no_grad():",
        "        x -= 0.1 * x.grad",
    )
    p.attrs("x", x)
    p.value("loss", f"{loss.item():.3g}")
    p.value("max |x - 5|", f"{_distance_to_5(x):.3g}")
    p.why(
        "Inside no_grad nothing is recorded, so the update changes x's values in place and x "
        "stays a leaf: it converges to 5 as well. Optimizers (torch.optim.SGD, for one) "
        "update parameters this way."
    )

    p.line()
    p.line("In short", "head")
    p.why(
        "Leaves that require grad collect .grad; every op on them records a grad_fn node; "
        "backward(v) adds v^T J into the leaves' .grad; autograd.grad(..., create_graph=True) "
        "returns derivatives you can differentiate again; ndgrad.func gives f's gradient and "
        "Hessian as functions, and a directional derivative as one jvp; update parameters "
        "through .data or under no_grad."
    )
    p.why(
        "Next: docs/tutorial.md and docs/derivatives.md in the ndgrad source tree, and "
        "'ndgrad --help'."
    )
