"""``ndgrad demo``: reverse-mode automatic differentiation, one step at a time.

The demo runs a short workflow (a leaf, an op, a weighted backward, first and second derivatives
with ``autograd.grad``, the same derivatives as functions with ``ndgrad.func``, gradient descent
and its classic pitfall), prints the five autograd
attributes of each tensor it touches and says in a line what happened. The code shown after
``>>>`` is the code that runs: keep the two in step when editing. Every sentence comes from the
message catalogue (``ndgrad.i18n``), in English or Chinese (``--lang zh``); code stays code.

Example:
    >>> import io
    >>> from ndgrad.cli import demo
    >>> out = io.StringIO()
    >>> demo.walkthrough(out, color=False)
    >>> "tensor([ 6., 12., 18.])" in out.getvalue()
    True
    >>> out = io.StringIO()
    >>> demo.walkthrough(out, lang="zh")
    >>> "叶子节点" in out.getvalue()
    True
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
import unicodedata
import warnings
from typing import Any, TextIO

from .. import i18n

NAME = "demo"
HELP = "walk through autograd step by step (start here)"
DESCRIPTION = (
    "Walk through reverse-mode autograd step by step: leaves and grad_fn, a weighted backward, "
    "second derivatives with autograd.grad, the gradient, a directional derivative and the "
    "Hessian with ndgrad.func, and the gradient-descent pitfall and its fixes. 'ndgrad demo "
    "optimize' minimises classic functions with ndgrad.optim; 'ndgrad demo train' trains a "
    "network on the two-spirals problem."
)

_WIDTH = 100
_STYLES = {"head": "1", "code": "36", "error": "31", "dim": "2"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "which",
        nargs="?",
        choices=("optimize", "train"),
        metavar="{optimize,train}",
        help="optimize: Rosenbrock and Himmelblau by gradient descent, momentum, Adam and "
        "L-BFGS; train: an MLP learns the two-spirals problem (default: the autograd "
        "walkthrough)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        help="optimize/train: also draw the optimisers' paths or the decision boundary "
        "(needs matplotlib: pip install 'ndgrad[viz]')",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="optimize/train: no progress bar (default: one on stderr when it is a terminal)",
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=None,
        help="the language of the explanations: en or zh (Chinese); default: NDGRAD_LANG, else "
        "Chinese when the locale (LC_ALL, LC_MESSAGES, LANG) starts with zh, else English",
    )
    parser.add_argument(
        "--no-color",
        action="store_true",
        help="plain text even on a terminal (default: color only when stdout is a terminal; "
        "the NO_COLOR environment variable also turns it off)",
    )


def run(args: argparse.Namespace) -> int:
    with i18n.use_language(getattr(args, "lang", None)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    out = sys.stdout
    encoding = getattr(out, "encoding", None) or "utf-8"
    if i18n.detect_language() == "zh" and not _can_encode("反向传播", encoding):
        from . import CLIError

        raise CLIError(
            f"the output's encoding ({encoding}) cannot show Chinese",
            "use a UTF-8 locale or PYTHONIOENCODING=utf-8, or --lang en",
            "ndgrad demo",
        )
    if args.which is not None:
        from . import demo_optimize, demo_train

        progress = not args.no_progress and sys.stderr.isatty()
        job = demo_optimize if args.which == "optimize" else demo_train
        return job.run(out, args.plot, progress)
    if args.plot:
        from . import CLIError

        raise CLIError(
            "--plot draws the result of 'ndgrad demo optimize' or 'ndgrad demo train'",
            "run 'ndgrad demo optimize --plot paths.png' or 'ndgrad demo train --plot spirals.png'",
            "ndgrad demo",
        )
    color = (
        not args.no_color
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
        and out.isatty()
    )
    walkthrough(out, color=color)
    return 0


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (left-aligned by default)."""
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


_NO_BREAK_BEFORE = set("，。、：；！？）」』”’》")
_TOKEN = re.compile(r"\s+|[\x00-\x7f]+?(?=\s|[^\x00-\x7f]|$)|.", re.DOTALL)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: words break at spaces, CJK text between characters.

    ASCII runs (code, numbers) are never split; a line never starts with CJK closing punctuation
    (the character before it moves down with it).
    """
    if text.isascii():
        return textwrap.wrap(text, width, break_on_hyphens=False)
    lines: list[str] = []
    cur: list[str] = []  # the tokens of the line being filled
    used = 0
    for tok in _TOKEN.findall(text):
        if tok.isspace():
            tok = " "
            if not cur:
                continue
        w = _width(tok)
        if cur and used + w > width and not tok.isspace():
            carry: list[str] = []
            while tok in _NO_BREAK_BEFORE and len(cur) > 1 and cur[-1] in _NO_BREAK_BEFORE:
                carry.insert(0, cur.pop())
            if tok in _NO_BREAK_BEFORE and len(cur) > 1:
                carry.insert(0, cur.pop())
            lines.append("".join(cur).rstrip())
            cur = [c for c in carry if not c.isspace()]
            used = sum(_width(c) for c in cur)
        if tok.isspace() and used + 1 > width:
            continue
        cur.append(tok)
        used += w
    if "".join(cur).strip():
        lines.append("".join(cur).rstrip())
    return lines


def _can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class _Printer:
    """Writes the demo: headings, code, the five attributes, explanations; ANSI color optional."""

    def __init__(self, stream: TextIO, color: bool, lang: str) -> None:
        self.stream = stream
        self.color = color
        self.lang = lang

    def msg(self, key: str, **fields: Any) -> str:
        """The catalogue's text of ``key`` in the demo's language."""
        return i18n.message(key, self.lang, **fields)

    def _paint(self, text: str, style: str) -> str:
        return f"\033[{_STYLES[style]}m{text}\033[0m" if self.color else text

    def line(self, text: str = "", style: str | None = None) -> None:
        text = text.rstrip()
        self.stream.write((self._paint(text, style) if style else text) + "\n")

    def para(self, text: str, indent: str = "") -> None:
        for part in wrap(text, _WIDTH - 12 - len(indent)):
            self.line(indent + part)

    def step(self, number: int) -> None:
        self.line()
        title = self.msg(f"demo.s{number}.title")
        self.line(self.msg("demo.step", number=number, total=_STEPS, title=title), "head")

    def code(self, *lines: str) -> None:
        for i, src in enumerate(lines):
            prompt = ">>> " if i == 0 or not src.startswith(" ") else "... "
            self.line("  " + self._paint(prompt + src, "code"))

    def value(self, label: str, value: str) -> None:
        self.line(f"      {pad(label, 21)}{value}")

    def attrs(self, name: str, t: Any) -> None:
        """The five autograd attributes of ``t``; a non-leaf's ``.grad`` is read without warning."""
        grad = _peek_grad(t)
        note = ""
        if grad is None and not t.is_leaf:
            note = self.msg("demo.not_a_leaf")
        self.value(f"{name}.data", repr(t.data))
        self.value(f"{name}.grad", ("None" if grad is None else repr(grad)) + note)
        self.value(f"{name}.requires_grad", str(t.requires_grad))
        self.value(f"{name}.grad_fn", _node_name(t.grad_fn))
        self.value(f"{name}.is_leaf", str(t.is_leaf))

    def error(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        for i, part in enumerate(textwrap.wrap(text, _WIDTH - 8, break_on_hyphens=False)):
            self.line(("      " if i == 0 else "        ") + self._paint(part, "error"))

    def why(self, key: str, **fields: Any) -> None:
        self.say(self.msg(key, **fields))

    def say(self, text: str) -> None:
        for i, part in enumerate(wrap(text, _WIDTH - 5)):
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


def walkthrough(stream: TextIO, color: bool = False, lang: str | None = None) -> None:
    """Run the demo workflow and write its story to ``stream``.

    ``lang``: ``"en"`` or ``"zh"`` (default: ``ndgrad.i18n.detect_language()``).
    """
    import ndgrad

    p = _Printer(stream, color, i18n.detect_language(lang))
    p.line(p.msg("demo.title", version=ndgrad.__version__), "head")
    p.para(p.msg("demo.intro"))

    # Step 1 ------------------------------------------------------------------------------------
    p.step(1)
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p.code("x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)")
    p.attrs("x", x)
    p.why("demo.s1.why")

    # Step 2 ------------------------------------------------------------------------------------
    p.step(2)
    y = 3 * x**2
    p.code("y = 3 * x ** 2")
    p.attrs("y", y)
    p.value(p.msg("demo.label.graph"), f"{_chain(y.grad_fn)} (x)")
    p.why("demo.s2.why1")
    p.why("demo.s2.why2")

    # Step 3 ------------------------------------------------------------------------------------
    p.step(3)
    y.backward(ndgrad.ones_like(y))
    p.code("y.backward(ndgrad.ones_like(y))")
    p.attrs("x", x)
    p.why("demo.s3.why1")
    p.why("demo.s3.why2")

    # Step 4 ------------------------------------------------------------------------------------
    p.step(4)
    f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])
    p.code("f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])")
    p.attrs("f", f)
    p.why("demo.s4.why1")
    (gx,) = ndgrad.autograd.grad(f, x, create_graph=True)
    p.code("(gx,) = ndgrad.autograd.grad(f, x, create_graph=True)")
    p.attrs("gx", gx)
    p.why("demo.s4.why2", grad=list(_peek_grad(x).tolist()))

    # Step 5 ------------------------------------------------------------------------------------
    p.step(5)
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
    p.line(
        "      "
        + pad(p.msg("demo.s5.col.partial"), 9)
        + pad(p.msg("demo.s5.col.autograd"), 10, right=True)
        + "   "
        + p.msg("demo.s5.col.analytic")
    )
    for name, got, formula, want in table:
        p.line(f"      {name:<9}{got:>10.6f}   {formula:<7}= {want:.6f}")
    p.line()
    p.why("demo.s5.why1")
    p.why(
        "demo.s5.why2",
        same=f_xy == f_yx,
        hessian=f"[[{f_xx:.0f}, {f_xy:.0f}], [{f_yx:.0f}, {f_yy:.3f}]]",
    )

    # Step 6 ------------------------------------------------------------------------------------
    p.step(6)
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
    p.why("demo.s6.why1")
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
    p.why("demo.s6.why2", same=same)
    hess = hessian(F)(xy)
    p.code("hess = hessian(F)(xy)                                       # jacfwd(jacrev(F))")
    step5 = ((f_xx, f_xy), (f_yx, f_yy))
    names = (("f_xx", "f_xy"), ("f_yx", "f_yy"))
    p.line()
    p.line(
        "      "
        + pad(p.msg("demo.s6.col.entry"), 12)
        + pad(p.msg("demo.s6.col.hessian"), 10, right=True)
        + pad(p.msg("demo.s6.col.step5"), 11, right=True)
    )
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
    p.why("demo.s6.why3", same=same)

    # Step 7 ------------------------------------------------------------------------------------
    p.step(7)
    p.para(p.msg("demo.s7.intro"), "  ")
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
    p.why("demo.s7.why1")
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
    p.why("demo.s7.why2")
    p.code("print(ndgrad.explain(x, name='x'))")
    for part in ndgrad.explain(x, lang=p.lang, name="x").splitlines():
        p.para(part, "      ")

    # Step 8 ------------------------------------------------------------------------------------
    p.step(8)
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
    p.why("demo.s8.why1")
    p.why("demo.s8.why2")

    # Step 9 ------------------------------------------------------------------------------------
    p.step(9)
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
    p.why("demo.s9.why1")
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
    p.why("demo.s9.why2")

    p.line()
    p.line(p.msg("demo.summary.title"), "head")
    p.why("demo.summary.why1")
    p.why("demo.summary.why2")
