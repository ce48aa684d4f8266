"""``ndgrad grad``: the value and derivatives of an expression at a point.

``ndgrad grad "x**2*y + sin(y)" --at x=1,y=2`` prints the value and the gradient (the partial
derivatives ``f_x``, ``f_y``); ``--hessian`` adds the second partials (and checks
``f_xy == f_yx``); ``--direction 1,1`` the directional derivative ``D_u f = grad f . u`` along
the unit vector ``u = v/|v|``; ``--order N`` all N-th order partials (for array variables the
N-th derivative tensor). An expression that is not a scalar gets its Jacobian instead of a
gradient. Variables may be numbers, vectors or matrices (``--at "A=[[1,2],[3,4]]"``).

Every derivative comes from ``ndgrad.func`` (``grad``, ``jacrev``, ``hessian``,
``directional_derivative``, ``jvp``), so the command agrees with the functional API. The
expression is checked by ``ndgrad.cli.expr`` before anything runs (exit code 2 when rejected);
an evaluation error (a shape mismatch) exits with 1.

Example:
    >>> from ndgrad.cli import main
    >>> main(["grad", "x**2*y + sin(y)", "--at", "x=1,y=2"])
    f(x, y) = x**2*y + sin(y)
    at x = 1.0, y = 2.0  (float64)
    <BLANKLINE>
    value     f = 2.909297426825682
    gradient  f_x = 4.0
              f_y = 0.5838531634528576
    0
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import Any

NAME = "grad"
HELP = "the value, gradient, Hessian and higher derivatives of an expression at a point"
DESCRIPTION = (
    "Evaluate EXPRESSION at the point given with --at and print its value and gradient (the "
    "partial derivatives), computed with ndgrad.func. --hessian adds the second partials, "
    "--direction the directional derivative along a unit vector, --order N the N-th order "
    "partials. Variables may be numbers, vectors or matrices: --at x=1,y=2 --at 'A=[[1,2],"
    "[3,4]]'. An expression that is not a scalar gets its Jacobian. Expressions use + - * / ** @, "
    "pi, e and the functions of 'ndgrad ops' (sin, exp, sum, matmul, ...); nothing else runs."
)
EPILOG = (
    "examples:\n"
    '  ndgrad grad "x**2*y + sin(y)" --at x=1,y=2 --hessian\n'
    '  ndgrad grad "x**2*y + sin(y)" --at x=1,y=2 --direction 1,1\n'
    "  ndgrad grad \"sum(x**3)\" --at 'x=[1,2,3]' --order 3 --json\n"
    "  ndgrad grad \"trace(A @ A)\" --at 'A=[[1,2],[3,4]]'"
)
MAX_DERIVATIVE = 2_000_000  # entries of any derivative tensor the command computes
MAX_WORK = 40_000_000  # entries of the basis the nested reverse passes of --order build
MAX_AT_LENGTH = 1_000_000  # characters of all the --at values together
MAX_COST = 1_000_000_000  # units of work of the derivatives (about a second; see _costs)
MAX_BATCH_ELEMENTS = 50_000_000  # elements the batched passes of a derivative may compute
GROWTH = 2.7  # how much larger the graph of each further derivative is (measured: 2 to 2.6)
_QUIET = "vmap: there is a performance drop"  # fallback batching: correct, only slower


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG  # kept as written (the examples), so the description is wrapped here
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = textwrap.fill(DESCRIPTION, 79)
    parser.add_argument("expression", metavar="EXPRESSION", help="e.g. 'x**2*y + sin(y)'")
    add_point_arguments(parser)
    parser.add_argument(
        "--hessian", action="store_true", help="also the Hessian (the second partials)"
    )
    parser.add_argument(
        "--direction",
        metavar="V",
        help="also the directional derivative along the unit vector of V (one entry per "
        "element of the variables, in --at order): --direction 1,1",
    )
    parser.add_argument(
        "--order",
        type=int,
        metavar="N",
        help="also the N-th order partial derivatives (the derivative tensor for arrays)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (nested lists)")
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: one on stderr for --order >= 3 when it is a terminal)",
    )


def add_point_arguments(parser: argparse.ArgumentParser) -> None:
    """``--at`` and ``--dtype``, shared with ``ndgrad graph``."""
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE,...",
        help="the variables: numbers or nested lists (--at x=1,y=2 --at 'A=[[1,2],[3,4]]'); "
        "may be repeated",
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="the dtype of the variables (default: float64)",
    )


# ---------------------------------------------------------------- shared with `ndgrad graph`


def fail(prog: str, message: str, hint: str) -> int:
    """Print one error line and a hint on stderr; return exit code 1 (a failed evaluation)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    print(f"hint: {hint}", file=sys.stderr)
    return 1


def _usage(prog: str, e: Any) -> Exception:
    from . import CLIError
    from .expr import ExpressionError

    hint = e.hint or "'ndgrad grad --help' lists what expressions may hold"
    if isinstance(e, ExpressionError) and e.column is not None:
        hint = f"{hint}\n{e.caret()}"
    return CLIError(str(e), hint, prog)


def read_point(args: argparse.Namespace, prog: str) -> tuple[dict[str, Any], Any]:
    """The ``--at`` variables as ``{name: Tensor}`` (in order) and the dtype; a bad value is a
    usage error (``CLIError``)."""
    import ndgrad

    from . import CLIError
    from .expr import ExpressionError, parse_value, split_assignments

    dtype = getattr(ndgrad, args.dtype)
    values: dict[str, Any] = {}
    total = sum(len(text) for text in args.at)
    if total > MAX_AT_LENGTH:
        raise CLIError(
            f"the --at values are too long together ({total:,} characters; the limit is "
            f"{MAX_AT_LENGTH:,})",
            "use fewer or smaller variables",
            prog,
        )
    for text in args.at:
        try:
            pairs = split_assignments(text)
        except ExpressionError as e:
            raise _usage(prog, e) from None
        for name, value in pairs:
            if name in values:
                raise CLIError(f"variable '{name}' is given twice", "give each variable once", prog)
            try:
                values[name] = parse_value(value, dtype)
            except ExpressionError as e:
                raise _usage(prog, e) from None
    return values, dtype


def read_expression(text: str, variables: Sequence[str], prog: str) -> Any:
    """The checked expression, or a usage error (``CLIError``) naming the column."""
    from .expr import ExpressionError, parse

    try:
        return parse(text, variables)
    except ExpressionError as e:
        raise _usage(prog, e) from None


# ---------------------------------------------------------------- formatting


def _label(names: Sequence[str]) -> str:
    """``f_xy`` for one-letter names, ``f_(x1,x2)`` otherwise."""
    if all(len(n) == 1 for n in names):
        return "f_" + "".join(names)
    return "f_(" + ",".join(names) + ")"


def _number(v: float, dtype: Any) -> str:
    import numpy as np

    import ndgrad

    return repr(float(v)) if dtype == ndgrad.float64 else str(np.float32(v))


def _show(t: Any, dtype: Any, indent: int) -> str:
    """A tensor as text: a number, or a NumPy-style array indented under its label."""
    import numpy as np

    import ndgrad

    a = t.detach().numpy()
    if a.ndim == 0:
        return _number(a, dtype)
    precision = 10 if dtype == ndgrad.float64 else 6
    body = np.array2string(a, precision=precision, separator=", ", max_line_width=100 - indent)
    return "\n".join((" " * indent + line).rstrip() for line in body.splitlines()).lstrip()


def _compact(t: Any, dtype: Any) -> str:
    """A variable's value on one line (its shape alone when it is large)."""
    if t.ndim == 0:
        return _number(t.item(), dtype)
    if t.numel() > 12:
        return f"<{t.numel()} values, shape {tuple(t.shape)}>"
    return str(t.detach().tolist())


def _tolist(t: Any) -> Any:
    return t.detach().tolist()


# ---------------------------------------------------------------- derivatives


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=not enabled, file=sys.stderr)


def _nth_derivative(
    f: Callable[..., Any], primals: tuple, order: int, scalar: bool, progress: bool
) -> dict[tuple[int, ...], Any]:
    """The blocks of the ``order``-th derivative: ``blocks[(j1, ..., jN)]`` has shape
    ``f.shape + x_j1.shape + ... + x_jN.shape`` (``x_j1`` the first variable differentiated).

    ``jacrev`` nested ``order - 1`` times (reverse over reverse), then one ``jvp`` per element
    of the variables for the last order: one progress step each, and far less memory than one
    more nested ``jacrev`` (whose basis would be the square of the whole tensor).
    """
    import ndgrad
    from ndgrad.func import grad, jacrev, jvp

    nums = tuple(range(len(primals)))
    g = grad(f, argnums=nums) if scalar else jacrev(f, argnums=nums)
    for _ in range(order - 2):
        g = jacrev(g, argnums=nums)
    if order == 1:
        blocks = g(*primals)
        return {(j,): b for j, b in enumerate(blocks)}
    inner = list(itertools.product(nums, repeat=order - 1))
    cols: dict[tuple[int, ...], list] = {}
    total = sum(int(p.numel()) for p in primals)
    with _progress(total, f"order {order}", progress) as bar:
        for j, x in enumerate(primals):
            k = int(x.numel())
            for i in range(k):
                tangents = [ndgrad.zeros_like(p) for p in primals]
                e = ndgrad.zeros(k, dtype=x.dtype)
                e[i] = 1.0
                tangents[j] = e.reshape(x.shape)
                d = jvp(g, primals, tuple(tangents))[1]  # nested tuples of depth order - 1
                for idx in inner:
                    block = d
                    for a in idx:
                        block = block[a]
                    cols.setdefault((*idx, j), []).append(block)
                bar.update(1)
    out = {}
    for idx, pieces in sorted(cols.items()):
        stacked = ndgrad.stack(pieces, dim=-1)
        out[idx] = stacked.reshape(*stacked.shape[:-1], *primals[idx[-1]].shape)
    return out


def _nested(blocks: dict[tuple[int, ...], Any], names: Sequence[str], fn: Callable) -> dict:
    """``{"x": {"y": fn(block)}}`` from blocks keyed by index tuples."""
    out: dict = {}
    for idx, b in blocks.items():
        node = out
        for a in idx[:-1]:
            node = node.setdefault(names[a], {})
        node[names[idx[-1]]] = fn(b)
    return out


# ---------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    from . import CLIError

    prog = "ndgrad grad"
    values, dtype = read_point(args, prog)
    checked = read_expression(args.expression, list(values), prog)
    if args.order is not None and not 1 <= args.order <= 8:
        raise CLIError(f"--order must be between 1 and 8, not {args.order}", "e.g. --order 3", prog)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_QUIET)
        # overflow and invalid values show as inf and nan in the output; SciPy's special
        # functions warn about them on stderr where NumPy's are already silenced
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        return _compute(args, prog, checked, values, dtype)


def _compute(args: argparse.Namespace, prog: str, checked: Any, values: dict, dtype: Any) -> int:
    import ndgrad
    from ndgrad import func

    from . import CLIError
    from .expr import Cost, EvaluationError, evaluate, parse_value

    names = list(values)
    primals = tuple(values.values())
    nums = tuple(range(len(primals)))
    n = sum(int(p.numel()) for p in primals)

    def f(*vals: Any) -> Any:
        return evaluate(checked, dict(zip(names, vals, strict=True)), dtype)

    cost = Cost()
    try:
        value = evaluate(checked, values, dtype, cost)
    except EvaluationError as e:
        return fail(prog, str(e), e.hint)
    scalar = value.ndim == 0
    m = int(value.numel())
    result: dict[str, Any] = {
        "expression": args.expression,
        "at": {k: _tolist(v) for k, v in values.items()},
        "dtype": args.dtype,
        "value": _tolist(value),
    }
    lines: list[str] = [
        f"f({', '.join(names)}) = {args.expression}",
        "at "
        + ", ".join(f"{k} = {_compact(v, dtype)}" for k, v in values.items())
        + f"  ({args.dtype})",
        "",
        f"value     f = {_show(value, dtype, 14)}",
    ]
    if not primals:
        lines.append("(no variables: nothing to differentiate; give them with --at)")
        return _emit(args, result, lines)

    def limit(entries: int, what: str) -> None:
        if entries > MAX_DERIVATIVE:
            raise CLIError(
                f"the {what} would have {entries:,} entries (the limit is {MAX_DERIVATIVE:,})",
                "use smaller variables or a lower order",
                prog,
            )

    limit(m * n, "Jacobian")
    if args.hessian:
        limit(m * n * n, "Hessian")
    if args.order is not None:
        limit(m * n**args.order, f"order-{args.order} derivative")
        if (m * n ** max(args.order - 2, 0)) ** 2 > MAX_WORK:
            raise CLIError(
                f"--order {args.order} at this size needs too much memory",
                "use smaller variables or a lower order",
                prog,
            )
    for what, (work, elements) in _costs(args, cost, scalar, m, n).items():
        if work > MAX_COST or elements > MAX_BATCH_ELEMENTS:
            raise CLIError(
                f"computing {what} would take too long or too much memory (about {work:.2g} "
                f"operations and {elements:.2g} elements; the limits are {MAX_COST:.0e} and "
                f"{MAX_BATCH_ELEMENTS:.0e})",
                "use smaller variables, a shorter expression or a lower order",
                prog,
            )
    direction = None
    if args.direction is not None:
        text = args.direction.strip()
        try:
            direction = parse_value(text if text.startswith("[") else f"[{text}]", dtype)
        except Exception as e:
            raise _usage(prog, e) from None
        if direction.ndim != 1 or int(direction.numel()) != n:
            raise CLIError(
                f"--direction has {int(direction.numel())} entries; the variables have {n} "
                "elements",
                "give one entry per element of the variables, in --at order: --direction 1,1",
                prog,
            )
        if float(direction.norm()) == 0.0:
            raise CLIError(
                "--direction is the zero vector, which has no unit vector",
                "give a nonzero direction",
                prog,
            )

    try:
        step = "the gradient" if scalar else "the Jacobian"
        if scalar:
            first = func.grad(f, argnums=nums)(*primals)
        else:
            first = func.jacrev(f, argnums=nums)(*primals)
        part = "gradient" if scalar else "Jacobian"
        key = "gradient" if scalar else "jacobian"
        if not scalar:
            lines.append(
                f"f is not a scalar (shape {tuple(value.shape)}): its Jacobian instead of a "
                "gradient, J[i, j] = d f[i] / d x[j]"
            )
        result[key] = {k: _tolist(g) for k, g in zip(names, first, strict=True)}
        for i, (k, g) in enumerate(zip(names, first, strict=True)):
            head = f"{part:<9} " if i == 0 else " " * 10
            label = _label([k]) if scalar else f"J_{k}"
            lines.append(f"{head}{label} = {_show(g, dtype, 13 + len(label))}")

        if args.hessian:
            step = "the Hessian"
            hess = func.hessian(f, argnums=nums)(*primals)
            blocks = {(i, j): hess[i][j] for i in nums for j in nums}
            result["hessian"] = _nested(blocks, names, _tolist)
            lines += ["", *_hessian_lines(blocks, names, primals, value, dtype, result)]

        if direction is not None:
            step = "the directional derivative"
            flat = ndgrad.cat([p.reshape(-1) for p in primals])
            shapes = [tuple(p.shape) for p in primals]

            def on_flat(v: Any) -> Any:
                parts, start = [], 0
                for s in shapes:
                    k = math.prod(s)
                    parts.append(v.narrow(0, start, k).reshape(s))
                    start += k
                return f(*parts)

            unit = direction / direction.norm()
            dd = func.directional_derivative(on_flat, flat, direction, normalize=True)
            result["directional_derivative"] = {
                "direction": _tolist(direction),
                "unit_vector": _tolist(unit),
                "value": _tolist(dd),
            }
            lines += [
                "",
                f"direction v = {_show(direction, dtype, 14)}",
                f"unit vector u = v/|v| = {_show(unit, dtype, 24)}",
                ("D_u f = grad f . u = " if scalar else "D_u f = J u = ") + _show(dd, dtype, 21),
            ]

        if args.order is not None:
            step = f"the order-{args.order} derivatives"
            progress = not args.no_progress and sys.stderr.isatty() and args.order >= 3
            blocks = _nth_derivative(f, primals, args.order, scalar, progress)
            lines += ["", *_order_lines(blocks, names, primals, value, args.order, dtype, result)]
    except EvaluationError as e:
        return fail(prog, str(e), e.hint)
    except CLIError:
        raise
    except Exception as e:  # a rule that fails (or is missing) at this order: exit 1, one line
        first_line = (str(e).splitlines() or [""])[0]
        return fail(
            prog,
            f"computing {step} failed: {type(e).__name__}: {first_line}",
            "an op in the expression may lack a derivative rule of this order; 'ndgrad ops' "
            "shows what each op supports",
        )
    return _emit(args, result, lines)


def _costs(
    args: argparse.Namespace, cost: Any, scalar: bool, m: int, n: int
) -> dict[str, tuple[float, float]]:
    """The estimated work and elements of each derivative asked for, from the ``cost`` of one
    evaluation: a reverse pass repeats the evaluation about 3 times, batched over the ``m``
    outputs (``jacrev``); the Hessian batches that over the ``n`` inputs too (``jacfwd``);
    order N nests N - 1 reverse passes (each graph ``GROWTH`` times the last, each batched over
    the outputs of the one inside it, the batches multiplying) and loops over the ``n`` inputs.
    The overhead of each op is not batched, its array work is. Calibrated on this machine's
    timings (2 cores): ``x*y*z*sin(x+y+z) --order 7`` took 13 s and ``--order 8`` ran out of
    23 GB before; both are refused now, ``--order 6`` (0.2 s) is not."""
    from .expr import OVERHEAD

    ops, array, elements = cost.ops * OVERHEAD, cost.array_work, cost.elements
    batch = 1 if scalar else m
    out = {
        ("the gradient" if scalar else "the Jacobian"): (
            3 * (ops + array * batch),
            3 * elements * batch,
        )
    }
    if args.hessian:
        out["the Hessian"] = (9 * (ops + array * m * n), 9 * elements * m * n)
    if args.direction is not None:
        out["the directional derivative"] = (3 * (ops + array), 3 * elements)
    if args.order is not None:
        # nested jacrev: level k batches over the m * n**(k - 1) outputs of level k - 1, and
        # the batches of the levels multiply (each level differentiates the batched graph of
        # the one inside it); then one jvp per input element
        nodes = cost.ops * GROWTH**args.order * n
        batch = math.prod(m * n ** (k - 1) for k in range(1, args.order))
        per_op = cost.array_work / max(cost.ops, 1) / 8  # array work of one op, batched
        out[f"the order-{args.order} derivatives"] = (
            nodes * (OVERHEAD + batch * per_op),
            batch * cost.peak,
        )
    return out


def _hessian_lines(
    blocks: dict, names: list, primals: tuple, value: Any, dtype: Any, result: dict
) -> list[str]:
    import ndgrad

    lines = []
    all_scalar = value.ndim == 0 and all(p.ndim == 0 for p in primals)
    tol = 1e-9 if dtype == ndgrad.float64 else 1e-4
    if all_scalar:
        for i, (idx, b) in enumerate(blocks.items()):
            head = "Hessian   " if i == 0 else " " * 10
            lines.append(f"{head}{_label([names[a] for a in idx])} = {_show(b, dtype, 0)}")
        checks = {}
        for i, j in itertools.combinations(range(len(names)), 2):
            a, b = float(blocks[(i, j)]), float(blocks[(j, i)])
            same = math.isclose(a, b, rel_tol=tol, abs_tol=tol)
            lab_ij, lab_ji = _label([names[i], names[j]]), _label([names[j], names[i]])
            note = "" if a == b else " (to rounding)"
            lines.append(
                f"          {lab_ij} == {lab_ji}: {same}{note}  "
                f"({lab_ij} = {_number(a, dtype)}, {lab_ji} = {_number(b, dtype)})"
            )
            checks[f"{lab_ij} == {lab_ji}"] = same
        result["mixed_partials_equal"] = checks
        return lines
    for i, (idx, b) in enumerate(blocks.items()):
        head = "Hessian   " if i == 0 else " " * 10
        label = (
            f"H_{''.join(names[a] for a in idx)}"
            if all(len(n) == 1 for n in names)
            else (f"H_({','.join(names[a] for a in idx)})")
        )
        lines.append(f"{head}{label} = {_show(b, dtype, 13 + len(label))}")
    # symmetry: H[x][y] is the transpose of H[y][x] (over the variable axes)
    worst = 0.0
    off = value.ndim
    for (i, j), b in blocks.items():
        other = blocks[(j, i)]
        ni, nj = primals[i].ndim, primals[j].ndim
        perm = (*range(off), *range(off + nj, off + nj + ni), *range(off, off + nj))
        diff = (b - other.permute(*perm)).abs()
        worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
    same = worst <= tol * max(1.0, max(float(b.abs().max()) for b in blocks.values()))
    lines.append(f"          symmetric (f_ij == f_ji): {same}  (largest difference {worst:.3g})")
    result["hessian_symmetric"] = same
    return lines


def _order_lines(
    blocks: dict, names: list, primals: tuple, value: Any, order: int, dtype: Any, result: dict
) -> list[str]:
    all_scalar = value.ndim == 0 and all(p.ndim == 0 for p in primals)
    result["order"] = {"n": order, "derivative": _nested(blocks, names, _tolist)}
    head = f"order {order}"
    lines = []
    if all_scalar:
        partials = {}
        combos = itertools.combinations_with_replacement(range(len(names)), order)
        for i, idx in enumerate(combos):
            label = _label([names[a] for a in idx])
            v = blocks[idx]
            partials[label] = _tolist(v)
            lines.append(f"{head if i == 0 else '':<10}{label} = {_show(v, dtype, 0)}")
        result["order"]["partials"] = partials
        return lines
    for i, (idx, b) in enumerate(blocks.items()):
        label = f"D{order}_({','.join(names[a] for a in idx)})"
        shape = f"  shape {tuple(b.shape)}" if b.ndim else ""
        lines.append(f"{head if i == 0 else '':<10}{label}{shape} =")
        lines.append(" " * 12 + _show(b, dtype, 12))
    return lines


def _emit(args: argparse.Namespace, result: dict, lines: list[str]) -> int:
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(lines))
    return 0
