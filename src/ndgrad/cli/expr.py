"""Safe expressions for the ``ndgrad`` command: parsed with ``ast``, checked against an allowlist,
evaluated by walking the checked tree. Nothing is ever passed to ``eval``, ``exec`` or ``compile``.

An expression such as ``x**2*y + sin(y)`` is checked in three steps, each of which can reject it
with an ``ExpressionError`` (a ``ValueError`` that names the column):

1. the raw text, before Python's parser sees it: its length (``MAX_LENGTH``), its characters
   (ASCII only, so a Cyrillic ``х`` cannot pass for ``x``; the error names the character) and its
   bracket nesting (``MAX_DEPTH``: Python's own parser recurses on nested brackets);
2. the tree from ``ast.parse(text, mode="eval")``, walked with an explicit stack: only the node
   types below, only the allowlisted names, and limits on literals and exponents;
3. the sizes during evaluation: every op that can grow its input (broadcasting, ``@``, ``outer``,
   ``kron``, ...) has its result's size checked *before* it runs (``MAX_ELEMENTS``), and the
   work of one evaluation is bounded (``MAX_WORK``: matrix products cost their size times the
   inner dimension), so a chain of products of large matrices is refused, not run for minutes.

What is allowed:

* numbers: ``int`` (at most ``MAX_INT`` in magnitude) and finite ``float``; ``True``/``False``
  only as arguments (``keepdim=True``); no strings, bytes, complex literals, ``None`` or ``...``;
* operators ``+ - * / ** @`` and unary ``+ -``; a constant exponent of ``**`` is at most
  ``MAX_EXPONENT`` in magnitude and an exponent never holds another ``**`` (``9**9**9``);
* names: the variables, the constants ``pi`` and ``e``, and calls of the functions in
  ``functions()``: the plain tensor functions of the op table (``ndgrad ops``) at top level,
  without in-place ops, random draws, factories, ops that take sizes, indices or strings, or ops
  with several outputs;
* call arguments: positional expressions, tuples of them (``sum(x, (0, 1))``) and the keywords in
  ``KEYWORDS`` (``dim=``, ``keepdim=``, ...);
* indexing a variable with integer constants and slices: ``x[0]``, ``A[:, 1]``, ``x[1:-1]``.

Everything else is refused with what it is: attribute access, lambdas, comprehensions,
f-strings, ``:=``, starred arguments, ``**kwargs``, comparisons, dunder names, list literals
(arrays are given as variables: ``--at "v=[1,2,3]"``).

Example:
    >>> import ndgrad
    >>> from ndgrad.cli.expr import evaluate, parse
    >>> checked = parse("x**2*y + sin(y)", variables=["x", "y"])
    >>> sorted(checked.names)
    ['x', 'y']
    >>> x = ndgrad.tensor(1.0, dtype=ndgrad.float64)
    >>> y = ndgrad.tensor(2.0, dtype=ndgrad.float64)
    >>> round(evaluate(checked, {"x": x, "y": y}).item(), 6)
    2.909297
    >>> parse("__import__('os').system('id')", variables=[])
    Traceback (most recent call last):
        ...
    ndgrad.cli.expr.ExpressionError: attribute access is not allowed at column 17: \
__import__('os').system('id')
"""

from __future__ import annotations

import ast
import difflib
import functools
import keyword
import math
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ExpressionError",
    "EvaluationError",
    "Checked",
    "parse",
    "evaluate",
    "functions",
    "parse_value",
    "split_assignments",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INT",
    "MAX_VALUE_ELEMENTS",
    "MAX_ELEMENTS",
    "MAX_WORK",
    "MAX_TOTAL_ELEMENTS",
    "Cost",
]

MAX_LENGTH = 2_000  # characters of an expression
MAX_DEPTH = 50  # bracket nesting of an expression
MAX_EXPONENT = 100  # magnitude of a constant exponent of **
MAX_INT = 10**15  # magnitude of an integer literal
MAX_ARGS = 16  # arguments of one call
MAX_VALUE_LENGTH = 400_000  # characters of one --at value
MAX_VALUE_DEPTH = 32  # bracket nesting of one --at value
MAX_VALUE_ELEMENTS = 10_000  # elements of one --at value
MAX_ELEMENTS = 1_000_000  # elements of any value computed while evaluating
MAX_ARG_INT = 1_000_000  # magnitude of an integer argument of a call (dims, offsets, shifts)
MAX_WORK = 300_000_000  # units of work of one evaluation (See Note [The cost of an expression])
MAX_TOTAL_ELEMENTS = 20_000_000  # elements of all the values one evaluation computes (memory)
OVERHEAD = 20_000  # units of work of any one op, however small (Python, dispatch, its node)

CONSTANTS = {"pi": math.pi, "e": math.e}
KEYWORDS = frozenset(
    {"dim", "keepdim", "p", "dims", "diagonal", "offset", "dim0", "dim1", "dim2"}
    | {"correction", "unbiased", "alpha", "beta", "value", "min", "max", "start", "length"}
    | {"eps", "weight", "other", "exponent", "q", "n", "k", "shifts", "start_dim", "end_dim"}
)

# Families of the op table that are never callable from an expression: writes, random draws,
# comparisons and bit ops (no derivative), index tensors the command cannot make, strings
# (einsum), complex results, several outputs.
_DENIED_FAMILIES = frozenset(
    {"inplace", "masked", "scatter", "indexing", "compare", "complex_ops", "einsum", "casting"}
    | {"resample", "conv", "linalg_lu", "linalg_lstsq", "linalg_spectral", "sorting"}
)
# Entries of allowed families that take sizes (their result can be any size), return several
# values, or need index tensors.
_DENIED = frozenset(
    {"expand", "repeat", "tile", "repeat_interleave", "broadcast_to", "broadcast_tensors"}
    | {"cartesian_prod", "combinations", "meshgrid", "masked_select", "take", "svd"}
    | {"cummax", "cummin", "mode", "dsplit", "hsplit", "vsplit", "tensor_split", "ldexp"}
    | {"nextafter", "heaviside", "signbit", "argmax", "argmin", "isfinite", "isinf", "isnan"}
    | {"isneginf", "isposinf", "isreal", "sgn", "polar", "angle", "real", "imag", "conj"}
    | {"mvlgamma"}  # its work grows with its int argument p
)
_NUMBER_FIRST = frozenset({"polygamma"})  # an int first argument, not a tensor
# Ops whose work is their result's size times an inner dimension (matrix products, linalg).
_CUBIC = frozenset(
    {"matmul", "mm", "bmm", "mv", "dot", "vdot", "baddbmm", "addbmm", "addmm", "addmv"}
    | {"tensordot", "cdist", "pinverse", "logdet", "cholesky_inverse", "cholesky_solve"}
    | {"triangular_solve"}
)

# Note [The cost of an expression]
# A unit of work is about a nanosecond of one core. An element of an op and of its gradient
# costs 8 (``+``, ``sin``: measured forward and backward on 200,000 elements), a multiply-add
# of a matrix product 1/8 (BLAS does several per nanosecond), of a factorisation more
# (``pinverse``: 20); functions far slower per element than ``sin`` weigh more (_WEIGHT, also
# measured); every op costs at least its inputs (8 an element) and OVERHEAD (a small op is all
# Python). One evaluation may spend MAX_WORK (~0.3 s) and compute MAX_TOTAL_ELEMENTS (what a
# graph keeps); ``ndgrad grad`` multiplies the cost of one evaluation by what each derivative
# repeats (its batch, its order) and refuses one that would cost too much before it runs.
_WEIGHT: dict[str, float] = {
    "matmul": 1 / 8, "mm": 1 / 8, "bmm": 1 / 8, "mv": 1 / 8, "dot": 1 / 8, "vdot": 1 / 8,
    "baddbmm": 1 / 8, "addbmm": 1 / 8, "addmm": 1 / 8, "addmv": 1 / 8, "tensordot": 1 / 8,
    "pinverse": 20, "logdet": 1, "cholesky_inverse": 4, "cholesky_solve": 4,
    "triangular_solve": 2, "cdist": 1,
    "igammac": 8000, "igamma": 400, "polygamma": 400, "digamma": 200, "i0": 64, "sinc": 48,
    "float_power": 48, "where": 48, "minimum": 32, "logaddexp2": 32, "atan2": 24,
    "remainder": 24, "lgamma": 24, "cos": 24, "cumulative_trapezoid": 24, "erfinv": 24,
    "maximum": 16, "pow": 16, "logaddexp": 16, "acosh": 16, "acos": 16, "hypot": 16, "diff": 16,
    "sin": 16, "div": 16, "asinh": 16, "fmod": 16, "asin": 16, "abs": 16, "floor_divide": 16,
    "xlogy": 16,
}  # fmt: skip
_DEFAULT_WEIGHT = 8.0

_OPERATORS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_REFUSED_OPERATORS: dict[type, str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}
_WHAT: dict[type, str] = {
    ast.Attribute: "attribute access is",
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.Starred: "starred expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' / 'or' are",
    ast.IfExp: "conditional expressions are",
    ast.Dict: "dict literals are",
    ast.Set: "set literals are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
    ast.Slice: "slices outside an index are",
}
# Look-alikes of ASCII letters, for the hint of a rejected character.
_LOOKALIKES = {
    "а": "a", "в": "B", "е": "e", "к": "k", "м": "M", "н": "H", "о": "o", "р": "p", "с": "c",
    "т": "T", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ο": "o",
    "α": "a", "ν": "v", "ρ": "p", "τ": "t", "χ": "x", "ϲ": "c", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T",
    "Χ": "X", "Υ": "Y", "А": "A", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "×": "*", "−": "-", "·": "*", "²": "**2", "³": "**3",
}  # fmt: skip


class ExpressionError(ValueError):
    """A rejected expression or value: ``message``, the 1-based ``column`` (None if it has no
    place), the ``text`` and a ``hint``. ``str()`` is the one-line error; ``caret()`` is the text
    with a caret under the column.

    Example:
        >>> from ndgrad.cli.expr import ExpressionError
        >>> e = ExpressionError("lambda is not allowed", "lambda: 0", 1)
        >>> str(e)
        'lambda is not allowed at column 1: lambda: 0'
        >>> print(e.caret())
          lambda: 0
          ^
    """

    def __init__(self, message: str, text: str, column: int | None, hint: str = "") -> None:
        self.message = message
        self.text = text
        self.column = column
        self.hint = hint
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{message}{where}: {_shown(text, column)}")

    def caret(self) -> str:
        """The text (shortened around the column when long) and a caret line under it."""
        shown = _shown(self.text, self.column)
        if self.column is None:
            return f"  {shown}"
        start = _window_start(self.text, self.column)
        pad = self.column - 1 - start + (3 if start else 0)
        return f"  {shown}\n  {' ' * pad}^"


class EvaluationError(Exception):
    """An expression that passed the checks but failed while it ran (a shape mismatch, an index
    out of range, a result too large): ``message``, the 1-based ``column`` of the failing part
    and a ``hint``."""

    def __init__(self, message: str, text: str, column: int | None, hint: str = "") -> None:
        self.message = message
        self.text = text
        self.column = column
        self.hint = hint
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"{message}{where}: {_shown(text, column)}")


def _window_start(text: str, column: int | None) -> int:
    if len(text) <= 100 or column is None:
        return 0
    return max(0, min(column - 40, len(text) - 100))


def _shown(text: str, column: int | None) -> str:
    """The text, or 100 characters of it around the column (``...`` marks the cuts); control
    characters shown as ``?``, so the error stays one line and the caret stays aligned."""

    def printable(part: str) -> str:
        return "".join(ch if ch.isprintable() else "?" for ch in part)

    if len(text) <= 100:
        return printable(text)
    start = _window_start(text, column) if column is not None else 0
    head = "..." if start else ""
    tail = "..." if start + 100 < len(text) else ""
    return head + printable(text[start : start + 100]) + tail


@functools.cache
def functions() -> dict[str, Callable[..., Any]]:
    """The functions an expression may call: name -> the ``ndgrad`` function.

    The public entries of the op table (``ndgrad ops``) that are plain functions of tensors at
    the top level of ``ndgrad``; see the module docstring for what is left out and why.

    Example:
        >>> from ndgrad.cli.expr import functions
        >>> "sin" in functions(), "matmul" in functions(), "fill" in functions()
        (True, True, False)
    """
    import ndgrad

    from ..ops import coverage

    out: dict[str, Callable[..., Any]] = {}
    for row in coverage.rows():
        name = row["op"]
        if not name.isidentifier() or name.startswith("_") or name.endswith("_"):
            continue
        if row["family"] in _DENIED_FAMILIES or name in _DENIED or row["outputs"] != "-":
            continue
        if row["reverse"] == "none":  # no derivative: nothing for `ndgrad grad` to show
            continue
        fn = getattr(ndgrad, name, None)
        if callable(fn) and not isinstance(fn, type):
            out[name] = fn
    return out


@dataclass
class Cost:
    """What evaluations spent, summed over every ``evaluate`` given this object: ``work`` (units,
    See Note [The cost of an expression]), ``elements`` (of all the values computed), ``ops``
    (op calls), ``peak`` (elements of the largest value) and ``array_work`` (the part of
    ``work`` that grows with the arrays, without the overhead of each op)."""

    work: float = 0.0
    array_work: float = 0.0
    elements: int = 0
    ops: int = 0
    peak: int = 0


@dataclass
class Checked:
    """An expression that passed every check: its ``text``, its ``tree`` and the variable
    ``names`` it reads."""

    text: str
    tree: ast.Expression
    names: set[str] = field(default_factory=set)


def _column(node: ast.AST) -> int:
    if isinstance(node, ast.Attribute) and getattr(node, "end_col_offset", None) is not None:
        return node.end_col_offset - len(node.attr)  # the dot (1-based: the dot's offset + 1)
    return getattr(node, "col_offset", 0) + 1


def _check_text(text: str, limit: int, depth_limit: int, what: str) -> None:
    """The checks on the raw text, before ``ast.parse``: length, characters, bracket nesting."""
    if len(text) > limit:
        raise ExpressionError(
            f"{what} is too long ({len(text)} characters; the limit is {limit})",
            text,
            limit + 1,
            "write a shorter expression, or give large arrays as variables with --at",
        )
    for i, ch in enumerate(text):
        if ord(ch) > 127:
            name = unicodedata.name(ch, "unnamed")
            like = (
                _LOOKALIKES.get(ch)
                or unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            )
            guess = f"; did you mean '{like}'?" if like else ""
            raise ExpressionError(
                f"non-ASCII character '{ch}' (U+{ord(ch):04X} {name}) is not allowed",
                text,
                i + 1,
                "names and operators must be plain ASCII (letters, digits, _)" + guess,
            )
        if not ch.isprintable() and ch not in " \t":
            raise ExpressionError(
                f"control character {ch!r} is not allowed",
                text,
                i + 1,
                "remove it; only printable ASCII is allowed",
            )
        if ch == "#":  # Python would drop the rest as a comment: what is shown is not what runs
            raise ExpressionError(
                "comments (#) are not allowed", text, i + 1, "remove the # and what follows"
            )
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > depth_limit:
                raise ExpressionError(
                    f"brackets are nested too deeply (more than {depth_limit} levels)",
                    text,
                    i + 1,
                    "write the expression with fewer nested brackets",
                )
        elif ch in ")]}":
            depth = max(depth - 1, 0)


def _parse_tree(text: str, what: str) -> ast.Expression:
    if not text.strip():
        example = "write an expression: 'x**2'" if what == "expression" else "e.g. --at x=1.5"
        raise ExpressionError(f"the {what} is empty", text, None, example)
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as e:
        col = max(e.offset or 1, 1) if e.lineno in (None, 1) else None
        msg = (e.msg or "invalid syntax").split(" (")[0]
        raise ExpressionError(
            "invalid syntax" if msg == "invalid syntax" else f"invalid syntax ({msg})",
            text,
            col,
            "write one Python-style expression, e.g. 'x**2*y + sin(y)'",
        ) from None
    except (ValueError, MemoryError, RecursionError) as e:
        raise ExpressionError(
            f"cannot parse the {what} ({type(e).__name__})", text, None, "simplify it"
        ) from None


def _number_constant(node: ast.AST) -> float | int | None:
    """The value of ``c``, ``-c`` or ``+c`` for a numeric constant ``c``, else None."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _holds_pow(node: ast.AST) -> ast.AST | None:
    """The first ``**`` inside ``node`` (an explicit stack), if any."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            return n
        stack.extend(ast.iter_child_nodes(n))
    return None


def _name_error(name: str, node: ast.AST, text: str, variables: Collection[str]) -> None:
    if name.startswith("__") or name.endswith("__"):
        raise ExpressionError(
            f"name '{name}' is not allowed (dunder names never are)",
            text,
            _column(node),
            "use the variables given with --at, pi, e and the functions of 'ndgrad ops'",
        )


def _check_constant(node: ast.Constant, text: str, role: str) -> None:
    v = node.value
    col = _column(node)
    if isinstance(v, bool):
        if role not in ("arg", "kw"):
            raise ExpressionError(
                "True/False are allowed only as arguments (keepdim=True)", text, col
            )
        return
    if isinstance(v, int):
        if role in ("arg", "kw") and abs(v) > MAX_ARG_INT:
            raise ExpressionError(
                f"integer argument is too large (the limit is {MAX_ARG_INT:,} in magnitude)",
                text,
                col,
                "dims, offsets and shifts are small numbers",
            )
        if abs(v) > MAX_INT:
            raise ExpressionError(
                f"integer literal is too large (the limit is {MAX_INT:.0e} in magnitude)",
                text,
                col,
                "write it as a float (1e20) if you need it",
            )
        return
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ExpressionError(
                "float literal is not finite (too large)", text, col, "use a smaller number"
            )
        return
    kind = {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(type(v))
    if kind is None:
        kind = f"the constant {v!r}"
    raise ExpressionError(
        f"{kind} are not allowed" if kind != f"the constant {v!r}" else f"{kind} is not allowed",
        text,
        col,
        "expressions hold numbers, variables and function calls only",
    )


def _check_index(node: ast.AST, text: str) -> None:
    """An index: int constants (maybe negative), slices of them, a tuple of those."""
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    for part in parts:
        pieces = [part.lower, part.upper, part.step] if isinstance(part, ast.Slice) else [part]
        for p in pieces:
            if p is None:
                continue
            v = _number_constant(p)
            if type(v) is not int or isinstance(getattr(p, "value", None), bool):
                raise ExpressionError(
                    "an index must be an integer constant or a slice of them",
                    text,
                    _column(p),
                    "index variables with numbers: x[0], A[:, 1], x[1:-1]",
                )
            if abs(v) > MAX_INT:
                raise ExpressionError("index is too large", text, _column(p))


def parse(text: str, variables: Collection[str] = ()) -> Checked:
    """Check ``text`` and return it parsed, or raise ``ExpressionError`` (nothing runs).

    ``variables`` are the names the expression may read besides ``pi`` and ``e``.

    Example:
        >>> from ndgrad.cli.expr import parse
        >>> parse("sum(x ** 2, dim=0)", ["x"]).names
        {'x'}
        >>> parse("9**9**9")
        Traceback (most recent call last):
            ...
        ndgrad.cli.expr.ExpressionError: chained powers are not allowed at column 4: 9**9**9
    """
    _check_text(text, MAX_LENGTH, MAX_DEPTH, "expression")
    tree = _parse_tree(text, "expression")
    fns = functions()
    variables = set(variables)
    names: set[str] = set()
    stack: list[tuple[ast.AST, str]] = [(tree.body, "value")]
    while stack:
        node, role = stack.pop()
        col = _column(node)
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _OPERATORS:
                raise ExpressionError(
                    f"operator '{_REFUSED_OPERATORS.get(op, op.__name__)}' is not allowed",
                    text,
                    col,
                    "the operators are + - * / ** @",
                )
            if op is ast.Pow:
                inner = _holds_pow(node.right)
                if inner is not None:
                    raise ExpressionError(
                        "chained powers are not allowed",
                        text,
                        _column(node.right),
                        "write one power at a time, e.g. (x**2)**3",
                    )
                v = _number_constant(node.right)
                if v is not None and abs(v) > MAX_EXPONENT:
                    raise ExpressionError(
                        f"exponent {v} is too large (the limit is {MAX_EXPONENT})",
                        text,
                        _column(node.right),
                        "use a smaller exponent, or exp(n * log(x))",
                    )
            stack += [(node.right, "value"), (node.left, "value")]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.UAdd, ast.USub)):
                name = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise ExpressionError(
                    f"operator '{name}' is not allowed", text, col, "unary + and - are"
                )
            stack.append((node.operand, role if role in ("index", "arg", "kw") else "value"))
        elif isinstance(node, ast.Constant):
            _check_constant(node, text, role)
        elif isinstance(node, ast.Name):
            _name_error(node.id, node, text, variables)
            if node.id in variables:
                names.add(node.id)
            elif node.id in CONSTANTS:
                pass
            elif node.id in fns:
                raise ExpressionError(
                    f"'{node.id}' is a function: call it, e.g. {node.id}(x)", text, col
                )
            else:
                close = difflib.get_close_matches(node.id, [*variables, *fns, *CONSTANTS], n=1)
                guess = f"did you mean '{close[0]}'? " if close else ""
                raise ExpressionError(
                    f"name '{node.id}' is not defined",
                    text,
                    col,
                    f"{guess}give variables values with --at {node.id}=...",
                )
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                raise ExpressionError("attribute access is not allowed", text, _column(node.func))
            if not isinstance(node.func, ast.Name):
                raise ExpressionError(
                    "only named functions can be called", text, col, "e.g. sin(x)"
                )
            fname = node.func.id
            _name_error(fname, node.func, text, variables)
            if fname not in fns:
                if fname in variables or fname in CONSTANTS:
                    raise ExpressionError(f"'{fname}' is not a function", text, col)
                close = difflib.get_close_matches(fname, list(fns), n=1)
                guess = f"did you mean '{close[0]}'? " if close else ""
                raise ExpressionError(
                    f"function '{fname}' is not allowed",
                    text,
                    col,
                    f"{guess}'ndgrad ops' lists the ops; in-place, random and size-taking ones "
                    "are not callable here",
                )
            if len(node.args) + len(node.keywords) > MAX_ARGS:
                raise ExpressionError(f"too many arguments (the limit is {MAX_ARGS})", text, col)
            for kw in reversed(node.keywords):
                if kw.arg is None:
                    raise ExpressionError(
                        "keyword unpacking (**) is not allowed", text, _column(kw.value)
                    )
                if kw.arg not in KEYWORDS:
                    raise ExpressionError(
                        f"keyword '{kw.arg}' is not allowed",
                        text,
                        _column(kw),
                        f"the keywords are {', '.join(sorted(KEYWORDS))}",
                    )
                stack.append((kw.value, "kw"))
            for a in reversed(node.args):
                if isinstance(a, ast.Starred):
                    raise ExpressionError("starred arguments are not allowed", text, _column(a))
                stack.append((a, "arg"))
        elif isinstance(node, ast.Subscript):
            base = node.value
            while isinstance(base, ast.Subscript):
                _check_index(base.slice, text)
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in variables):
                if isinstance(base, ast.Name):
                    _name_error(base.id, base, text, variables)
                raise ExpressionError(
                    "only variables can be indexed", text, col, "e.g. x[0] with --at x=[1,2]"
                )
            _check_index(node.slice, text)
            names.add(base.id)
        elif isinstance(node, ast.Tuple):
            if role not in ("arg", "kw"):
                raise ExpressionError(
                    "tuples are allowed only as arguments (sum(x, (0, 1)))", text, col
                )
            stack += [(e, "arg") for e in reversed(node.elts)]
        elif isinstance(node, ast.List):
            raise ExpressionError(
                "list literals are not allowed in the expression",
                text,
                col,
                "give arrays as variables: --at 'v=[1,2,3]'",
            )
        else:
            what = _WHAT.get(type(node), f"{type(node).__name__} is")
            raise ExpressionError(f"{what} not allowed", text, col)
    return Checked(text, tree, names)


# ---------------------------------------------------------------- evaluation


def _numel(shape: tuple[int, ...]) -> int:
    """The size of a shape with every 0 counted as 1: an empty tensor of shape
    ``(10**6, 10**6, 0)`` costs nothing, but summing away its last dim would make 10**12
    elements, so its size is counted as 10**12 (See ``MAX_ELEMENTS``)."""
    return math.prod(max(d, 1) for d in shape)


def _broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    """The broadcast shape, or None where the shapes do not broadcast (the op will say so)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0} - {1}
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    if not a or not b:
        return None
    batch = _broadcast(a[:-2], b[:-2])
    if batch is None:
        return None
    return batch + (a[-2:-1] if len(a) >= 2 else ()) + (b[-1:] if len(b) >= 2 else ())


def _planned_size(name: str, args: list, kwargs: dict) -> int | None:
    """The number of elements the call will produce, where its inputs can grow (None: unknown,
    or no bigger than its inputs)."""
    from .._core.tensor import Tensor

    shapes = [tuple(a.shape) for a in args if isinstance(a, Tensor)]
    for a in [*args, *kwargs.values()]:
        if isinstance(a, tuple):
            shapes += [tuple(t.shape) for t in a if isinstance(t, Tensor)]
    # tensors given by keyword broadcast too: add(x, other=y), clamp(x, min=y), lerp(..., weight=)
    shapes += [tuple(a.shape) for a in kwargs.values() if isinstance(a, Tensor)]
    if not shapes:
        return None
    sizes = [_numel(s) for s in shapes]
    if name in ("outer", "kron", "cdist", "addr", "block_diag", "quantile", "nanquantile"):
        return math.prod(sizes)
    if name in ("diag", "diagflat", "diag_embed"):
        extra = [a for a in [*args[1:2], *kwargs.values()] if type(a) is int]
        side = (sizes[0] if name == "diagflat" else max(shapes[0], default=1)) + abs(
            extra[0] if extra else 0
        )
        return side * side * (1 if name == "diagflat" else max(sizes[0] // max(side, 1), 1))
    if name in ("cat", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack"):
        return sum(sizes)
    if name == "tensordot":
        return math.prod(sizes)
    if name in ("matmul", "mm", "bmm", "mv", "dot", "vdot", "baddbmm", "addbmm", "addmm"):
        s = _matmul_shape(shapes[-2], shapes[-1]) if len(shapes) >= 2 else None
        return _numel(s) if s is not None else None
    s = _broadcast(*shapes)
    return _numel(s) if s is not None else None


def _diff_repeats(args: list, kwargs: dict) -> int:
    """How many differences ``diff(input, n, dim)`` takes: ``n``, at most the size of ``dim``
    (it stops when the dim is empty); 1 where the arguments are not plain ints (diff refuses)."""
    from .._core.tensor import Tensor

    x = args[0] if args else None
    n = kwargs.get("n", args[1] if len(args) > 1 else 1)
    dim = kwargs.get("dim", args[2] if len(args) > 2 else -1)
    if not isinstance(x, Tensor) or type(n) is not int or type(dim) is not int:
        return 1
    if not -x.ndim <= dim < max(x.ndim, 1) or x.ndim == 0:
        return 1
    return max(min(n, x.shape[dim]), 1)


def _too_big(size: int | None, where: str, text: str, column: int) -> None:
    if size is not None and size > MAX_ELEMENTS:
        raise EvaluationError(
            f"{where} would make a result of {size:,} elements (the limit is {MAX_ELEMENTS:,})",
            text,
            column,
            "use smaller arrays: the command computes at most a million elements at a time",
        )


def _index_value(node: ast.AST) -> Any:
    """The Python index of a checked index node (constants and slices only, one level)."""
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    out = []
    for p in parts:
        if isinstance(p, ast.Slice):
            ends = (p.lower, p.upper, p.step)
            out.append(slice(*(None if q is None else _number_constant(q) for q in ends)))
        else:
            out.append(_number_constant(p))
    return tuple(out) if isinstance(node, ast.Tuple) else out[0]


def _has_dtype(t: Any) -> bool:
    """Whether ``t`` holds numbers of an ndgrad dtype (not Python objects)."""
    try:
        return t.dtype is not None
    except TypeError:  # ndgrad has no dtype for this array's dtype (object)
        return False


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [""])[0].split("; hint:")[0]


def evaluate(
    checked: Checked, values: Mapping[str, Any], dtype: Any = None, cost: Cost | None = None
) -> Any:
    """Evaluate a checked expression with ``values`` (name -> Tensor) and return a Tensor.

    The tree is walked in post-order with an explicit stack; numbers become tensors of ``dtype``
    (default: that of the first value, else float64) where an op needs a tensor. Raises
    ``EvaluationError`` when an op fails, a result would be larger than ``MAX_ELEMENTS``, or the
    evaluation would spend more than ``MAX_WORK`` or compute more than ``MAX_TOTAL_ELEMENTS``;
    what it spent is added to ``cost`` when one is given.

    Example:
        >>> import ndgrad
        >>> from ndgrad.cli.expr import evaluate, parse
        >>> A = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ndgrad.float64)
        >>> evaluate(parse("trace(A @ A)", ["A"]), {"A": A})
        tensor(29., dtype=ndgrad.float64)
    """
    import ndgrad

    from .._core.tensor import Tensor

    if dtype is None:
        firsts = [v.dtype for v in values.values() if isinstance(v, Tensor)]
        dtype = firsts[0] if firsts else ndgrad.float64
    fns = functions()
    text = checked.text

    def as_tensor(v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return ndgrad.tensor(float(v), dtype=dtype)
        return v

    spent = Cost()

    def spend(
        size: int | None, inner: int, where: str, col: int, weight: float, inputs: list
    ) -> None:
        """Add the work of one op (See Note [The cost of an expression]); refuse it when the
        evaluation would go over MAX_WORK or MAX_TOTAL_ELEMENTS."""
        read = sum(_numel(tuple(t.shape)) for t in inputs if isinstance(t, Tensor))
        for t in inputs:
            if isinstance(t, tuple):
                read += sum(_numel(tuple(u.shape)) for u in t if isinstance(u, Tensor))
        size = size or 0
        spent.ops += 1
        array = max(size * max(inner, 1) * weight, read * _DEFAULT_WEIGHT)
        spent.work += max(array, OVERHEAD)
        spent.array_work += array
        spent.elements += size
        spent.peak = max(spent.peak, size)
        if spent.work > MAX_WORK:
            raise EvaluationError(
                f"{where} would bring the work to {spent.work:.2g} operations (the limit is "
                f"{MAX_WORK:.0e})",
                text,
                col,
                "use smaller arrays, fewer matrix products or fewer slow functions",
            )
        if spent.elements > MAX_TOTAL_ELEMENTS:
            raise EvaluationError(
                f"{where} would bring the values computed to {spent.elements:,} elements (the "
                f"limit is {MAX_TOTAL_ELEMENTS:,})",
                text,
                col,
                "use smaller arrays or fewer large intermediate values",
            )

    out: list[Any] = []
    stack: list[tuple[ast.AST, bool]] = [(checked.tree.body, False)]
    while stack:
        node, ready = stack.pop()
        col = _column(node)
        if isinstance(node, ast.Constant):
            out.append(node.value)
            continue
        if isinstance(node, ast.Name):
            out.append(values[node.id] if node.id in values else CONSTANTS[node.id])
            continue
        if isinstance(node, ast.Subscript):
            keys = []
            base = node
            while isinstance(base, ast.Subscript):
                keys.append(_index_value(base.slice))
                base = base.value
            v = values[base.id]
            try:
                for key in reversed(keys):
                    v = v[key]
            except Exception as e:
                raise EvaluationError(
                    f"indexing '{base.id}' failed: {_first_line(e)}",
                    text,
                    col,
                    f"'{base.id}' has shape {tuple(values[base.id].shape)}",
                ) from None
            out.append(v)
            continue
        if isinstance(node, ast.BinOp):
            kids: list[ast.AST] = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            kids = [node.operand]
        elif isinstance(node, ast.Tuple):
            kids = list(node.elts)
        elif isinstance(node, ast.Call):
            kids = [*node.args, *(k.value for k in node.keywords)]
        else:  # parse() admits nothing else
            raise EvaluationError(f"cannot evaluate {type(node).__name__}", text, col)
        if not ready:
            stack.append((node, True))
            stack += [(k, False) for k in reversed(kids)]
            continue
        got = out[len(out) - len(kids) :]
        del out[len(out) - len(kids) :]
        try:
            if isinstance(node, ast.Tuple):
                out.append(tuple(got))
            elif isinstance(node, ast.UnaryOp):
                v = got[0]
                if isinstance(node.op, ast.USub):
                    if isinstance(v, Tensor):
                        spend(_numel(tuple(v.shape)), 1, "'-'", col, _DEFAULT_WEIGHT, [v])
                    v = -v
                out.append(v)
            elif isinstance(node, ast.BinOp):
                a, b = got
                sym = _OPERATORS[type(node.op)]
                if isinstance(a, tuple) or isinstance(b, tuple):
                    raise EvaluationError(f"'{sym}' of a tuple", text, col)
                if not isinstance(a, Tensor) and not isinstance(b, Tensor):
                    a = as_tensor(a)
                if sym == "@":
                    a, b = as_tensor(a), as_tensor(b)
                    s = _matmul_shape(tuple(a.shape), tuple(b.shape))
                else:
                    s = _broadcast(*(tuple(t.shape) for t in (a, b) if isinstance(t, Tensor)))
                _too_big(None if s is None else _numel(s), f"'{sym}'", text, col)
                inner = a.shape[-1] if sym == "@" and a.ndim else 1
                weight = {"@": _WEIGHT["matmul"], "/": _WEIGHT["div"], "**": _WEIGHT["pow"]}
                w = weight.get(sym, _DEFAULT_WEIGHT)
                spend(None if s is None else _numel(s), inner, f"'{sym}'", col, w, [a, b])
                if sym == "+":
                    r = a + b
                elif sym == "-":
                    r = a - b
                elif sym == "*":
                    r = a * b
                elif sym == "/":
                    r = a / b
                elif sym == "**":
                    r = a**b
                else:
                    r = a @ b
                out.append(r)
            else:
                assert isinstance(node, ast.Call)
                name = node.func.id  # type: ignore[attr-defined]
                n = len(node.args)
                args, kw = got[:n], dict(zip((k.arg for k in node.keywords), got[n:]))
                if args and name not in _NUMBER_FIRST:
                    args[0] = as_tensor(args[0])
                size = _planned_size(name, args, kw)
                _too_big(size, f"{name}()", text, col)
                dims = [t.shape[-1] for t in args if isinstance(t, Tensor) and t.ndim]
                inner = max(dims, default=1) if name in _CUBIC else 1
                if name == "diff":  # n differences in a row, until the dim is used up
                    inner = _diff_repeats(args, kw)
                w = _WEIGHT.get(name, _DEFAULT_WEIGHT)
                spend(size, inner, f"{name}()", col, w, [*args, *kw.values()])
                r = fns[name](*args, **kw)
                if not isinstance(r, Tensor):
                    raise EvaluationError(
                        f"{name}() gives several values, not one tensor",
                        text,
                        col,
                        "use functions that return one tensor",
                    )
                if not _has_dtype(r):  # where(c) with one argument: an array of None
                    raise EvaluationError(
                        f"{name}() gives a tensor that holds no numbers",
                        text,
                        col,
                        "give the function all its tensor arguments, e.g. where(c, x, y)",
                    )
                out.append(r)
        except EvaluationError:
            raise
        except Exception as e:
            what = _OPERATORS.get(type(getattr(node, "op", None)), "")
            what = f"'{what}'" if what else f"{getattr(getattr(node, 'func', None), 'id', '')}()"
            raise EvaluationError(
                f"{what} failed: {type(e).__name__}: {_first_line(e)}",
                text,
                col,
                "check the shapes and dtypes of the values given with --at",
            ) from None
        r = out[-1]
        if isinstance(r, Tensor) and _numel(tuple(r.shape)) > MAX_ELEMENTS:
            _too_big(_numel(tuple(r.shape)), "this part", text, col)
    result = out[-1]
    if cost is not None:
        cost.work += spent.work
        cost.array_work += spent.array_work
        cost.elements += spent.elements
        cost.ops += spent.ops
        cost.peak = max(cost.peak, spent.peak)
    if isinstance(result, tuple):
        raise EvaluationError("the expression gives a tuple, not a tensor", text, 1)
    return as_tensor(result)


# ---------------------------------------------------------------- --at values


def split_assignments(text: str) -> list[tuple[str, str]]:
    """``"x=1,y=[1,2]"`` -> ``[("x", "1"), ("y", "[1,2]")]``: split at the commas outside
    brackets, each piece ``NAME=VALUE``; the names must be ASCII identifiers (not keywords,
    dunders, functions or ``pi``/``e``).

    Example:
        >>> from ndgrad.cli.expr import split_assignments
        >>> split_assignments("x=1,A=[[1,2],[3,4]]")
        [('x', '1'), ('A', '[[1,2],[3,4]]')]
    """
    _check_text(text, MAX_VALUE_LENGTH, MAX_VALUE_DEPTH, "--at value")
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append((start, text[start:i]))
            start = i + 1
    pieces.append((start, text[start:]))
    out = []
    for start, piece in pieces:
        name, eq, value = piece.partition("=")
        name = name.strip()
        if not eq:
            raise ExpressionError(
                "expected NAME=VALUE", text, start + 1, "e.g. --at x=1,y=2 or --at 'v=[1,2,3]'"
            )
        if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
            raise ExpressionError(
                f"'{name}' is not a valid variable name",
                text,
                start + 1,
                "names are ASCII letters, digits and _, not starting with a digit",
            )
        if name.startswith("__") or name in CONSTANTS or name in functions():
            raise ExpressionError(
                f"'{name}' cannot be a variable name (it is a dunder, a constant or a function)",
                text,
                start + 1,
                "pick another name",
            )
        out.append((name, value.strip()))
    return out


def parse_value(text: str, dtype: Any = None) -> Any:
    """A number or a nested list of numbers (``pi`` and ``e`` allowed, unary minus) as a Tensor
    of ``dtype`` (default float64); at most ``MAX_VALUE_ELEMENTS`` elements, rectangular.

    Example:
        >>> from ndgrad.cli.expr import parse_value
        >>> parse_value("[[1, 2], [3, -4]]")
        tensor([[ 1.,  2.],
                [ 3., -4.]], dtype=ndgrad.float64)
    """
    import ndgrad

    dtype = ndgrad.float64 if dtype is None else dtype
    _check_text(text, MAX_VALUE_LENGTH, MAX_VALUE_DEPTH, "value")
    if text.count(",") >= MAX_VALUE_ELEMENTS:
        raise ExpressionError(
            f"the value has more than {MAX_VALUE_ELEMENTS:,} elements", text, None, "use fewer"
        )
    tree = _parse_tree(text, "value")
    level: list[ast.AST] = [tree.body]
    shape: list[int] = []
    while True:
        if all(isinstance(n, (ast.List, ast.Tuple)) for n in level):
            lengths = {len(n.elts) for n in level}  # type: ignore[attr-defined]
            if len(lengths) != 1:
                raise ExpressionError(
                    "the nested lists have different lengths (the array must be rectangular)",
                    text,
                    _column(level[0]),
                )
            shape.append(lengths.pop())
            level = [e for n in level for e in n.elts]  # type: ignore[attr-defined]
            if not level:
                raise ExpressionError("empty arrays are not allowed", text, 1)
            if len(level) > MAX_VALUE_ELEMENTS:
                raise ExpressionError(
                    f"the value has more than {MAX_VALUE_ELEMENTS:,} elements",
                    text,
                    None,
                    "use fewer",
                )
            continue
        break
    flat = []
    for n in level:
        v = _number_constant(n)
        sign = 1.0
        m = n
        while isinstance(m, ast.UnaryOp) and isinstance(m.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(m.op, ast.USub) else sign
            m = m.operand
        if isinstance(m, ast.Name) and m.id in CONSTANTS:
            v = sign * CONSTANTS[m.id]
        if v is None or isinstance(getattr(m, "value", None), bool):
            raise ExpressionError(
                "a value must be a number or a (nested) list of numbers",
                text,
                _column(n),
                "e.g. --at x=1.5 or --at 'A=[[1,2],[3,4]]'",
            )
        if abs(v) > (MAX_INT if isinstance(v, int) else 1e300) or not math.isfinite(v):
            raise ExpressionError("the number is too large", text, _column(n))
        flat.append(float(v))
    t = ndgrad.tensor(flat, dtype=dtype)
    return t.reshape(*shape) if shape else t.reshape(())
