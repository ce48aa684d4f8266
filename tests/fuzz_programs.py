"""Random autograd programs, run under PyTorch and under ndgrad and compared.

A *program* is a list of lines of Python written against a module called ``lib``: the same text
runs with ``lib = torch`` and with ``lib = ndgrad`` (see :func:`run`). The lines come from a small
vocabulary (:func:`generate`): float64 leaves, elementwise ops, reductions, views (slicing,
transpose, expand, view/reshape, unsqueeze, ...), in-place ops through views (``mul_``, ``add_``,
``x[idx] = v``), tensor hooks that record what they saw and scale by 10, ``retain_grad``,
``backward(retain_graph=True)`` and ``autograd.grad(create_graph=True)`` second derivatives.

What is compared (:func:`compare`): the step at which an exception was raised and its class (the
nearest builtin class, as ndgrad's error classes derive from PyTorch's builtin ones), and, for every
tensor the program named, its values, shape, dtype, ``requires_grad``, ``is_leaf`` and gradient
(leaves and tensors that retain their grad), and what each hook was called with.

A failing program shrinks (:func:`shrink`) by dropping lines while it still fails the same way, and
prints (:func:`render`) as a script that runs on its own.

Deliberate differences (see docs/differences.md) are recognised by name in :data:`DELIBERATE`:
where PyTorch refuses a program and ndgrad computes the right gradient, the program is not a
failure.

Run it by hand: ``python tests/fuzz_programs.py 2000 --seed 7`` prints each distinct failure,
shrunk.
"""

from __future__ import annotations

import builtins
import math
import random
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

PRELUDE = '''\
log = {}


def hook(name, scale=10.0):
    """A tensor hook that records the gradient it sees and scales it (or leaves it, scale=None)."""

    def fn(g):
        log.setdefault(name, []).append(g.tolist())
        return None if scale is None else g * scale

    return fn
'''

VALUES = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
LEAF_SHAPES = ((3,), (4,), (2, 3), (3, 2), (2, 2), (1, 3))
UNARY = (
    "lib.sin({a})",
    "{a}.cos()",
    "{a}.exp()",
    "{a}.tanh()",
    "{a}.sigmoid()",
    "{a}.relu()",
    "{a}.abs()",
    "{a}.sqrt()",
    "-{a}",
    "{a} ** 2",
    "{a}.pow(3)",
    "{a} * 2.0",
    "{a} + 1.0",
    "1.5 - {a}",
    "{a} / 2.0",
    "{a}.clone()",
    "{a} * 1",
    "lib.clamp({a}, -1.0, 1.0)",
)
BINARY = ("{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / ({b} * {b} + 1.0)", "lib.maximum({a}, {b})")
INPLACE_SCALAR = ("{a}.mul_(2.0)", "{a}.add_(1.0)", "{a}.sub_(0.5)", "{a}.div_(2.0)", "{a} *= 3.0")
INPLACE_TENSOR = ("{a}.add_({b})", "{a}.mul_({b})", "{a} += {b}", "{a}.sub_({b})")


@dataclass
class Var:
    """What the generator knows about a named tensor: enough to pick valid next steps."""

    name: str
    shape: tuple[int, ...]
    grad: bool  # requires grad, as far as the generator can tell
    leaf: bool = False
    family: str = ""  # the tensor whose memory this one shares (its own name if none)
    stale: bool = False  # a view whose memory was written after it was made


@dataclass
class Gen:
    """The generator's state while it writes one program."""

    rng: random.Random
    lines: list[str] = field(default_factory=list)
    vars: list[Var] = field(default_factory=list)
    count: int = 0
    hooks: int = 0

    def new(self, shape: tuple[int, ...], grad: bool, prefix: str = "t", leaf: bool = False) -> Var:
        v = Var(f"{prefix}{self.count}", tuple(shape), grad, leaf)
        v.family = v.name
        self.count += 1
        self.vars.append(v)
        return v

    def pick(self, pred: Callable[[Var], bool] = lambda v: True) -> Var | None:
        options = [v for v in self.vars if pred(v)]
        if not options:
            return None
        # Recent tensors are likelier: programs grow chains, not only fans from the leaves.
        weights = [(1.0 + i) ** 2 for i in range(len(options))]
        return self.rng.choices(options, weights)[0]

    def values(self, shape: tuple[int, ...]) -> str:
        n = math.prod(shape)
        flat = [self.rng.choice(VALUES) for _ in range(n)]
        return repr(np.array(flat).reshape(shape).tolist())


def _broadcastable(b: tuple[int, ...], a: tuple[int, ...], into: bool) -> bool:
    """Whether ``b`` broadcasts with ``a`` (``into``: without changing ``a``'s shape)."""
    try:
        out = np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return out == a if into else True


def _index_options(shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """Indexing expressions valid for ``shape`` and the shape each selects (basic, views)."""
    if not shape:
        return []
    n, rest = shape[0], shape[1:]
    opts = [
        ("[0]", rest),
        (f"[{n - 1}]", rest),
        ("[1:]", (n - 1, *rest)),
        ("[::2]", ((n + 1) // 2, *rest)),
    ]
    if n >= 3:
        opts.append(("[0:2]", (2, *rest)))
    if len(shape) == 2:
        m = shape[1]
        opts += [("[:, 0]", (n,)), (f"[:, {m - 1}:]", (n, 1)), ("[..., :1]", (n, 1))]
    return opts


def _view_options(g: Gen, a: Var) -> list[tuple[str, tuple[int, ...]]]:
    """View expressions of ``a`` and their shapes."""
    s, nd = a.shape, len(a.shape)
    n = math.prod(s)
    opts = [(f"{a.name}{ix}", shp) for ix, shp in _index_options(s)]
    opts += [
        (f"{a.name}.view(-1)", (n,)),
        (f"{a.name}.reshape(-1)", (n,)),
        (f"{a.name}.unsqueeze(0)", (1, *s)),
        (f"{a.name}.unsqueeze(-1)", (*s, 1)),
        (f"{a.name}.expand(2, {', '.join(str(d) for d in s)})", (2, *s)),
        (f"{a.name}.detach()", s),
    ]
    if 1 in s:
        big = tuple(3 if d == 1 else d for d in s)
        opts.append((f"{a.name}.expand({', '.join(map(str, big))})", big))
        opts.append((f"{a.name}.squeeze()", tuple(d for d in s if d != 1)))
        opts.append((f"{a.name}.expand({', '.join(map(str, s))})", s))  # expand to its own shape
    if nd == 2:
        t = (s[1], s[0])
        opts += [
            (f"{a.name}.t()", t),
            (f"{a.name}.transpose(0, 1)", t),
            (f"{a.name}.permute(1, 0)", t),
            (f"{a.name}.view({s[0] * s[1]})", (n,)),
            (f"{a.name}.unbind(0)[0]", (s[1],)),
        ]
    if nd == 1 and n % 2 == 0:
        opts += [(f"{a.name}.view(2, {n // 2})", (2, n // 2)), (f"{a.name}.chunk(2)[1]", (n // 2,))]
    if nd >= 1 and s[0] >= 2:
        opts.append((f"{a.name}.narrow(0, 1, {s[0] - 1})", (s[0] - 1, *s[1:])))
    return opts


def _step_op(g: Gen) -> None:
    a = g.pick()
    kind = g.rng.random()
    if kind < 0.35:
        expr = g.rng.choice(UNARY).format(a=a.name)
        g.lines.append(f"{g.new(a.shape, a.grad).name} = {expr}")
    elif kind < 0.6:
        b = g.pick(lambda v: _broadcastable(v.shape, a.shape, into=False))
        out = np.broadcast_shapes(a.shape, b.shape)
        expr = g.rng.choice(BINARY).format(a=a.name, b=b.name)
        g.lines.append(f"{g.new(out, a.grad or b.grad).name} = {expr}")
    elif kind < 0.8 and a.shape:
        d = g.rng.randrange(len(a.shape))
        rest = a.shape[:d] + a.shape[d + 1 :]
        choice = g.rng.choice(
            [
                (f"{a.name}.sum()", ()),
                (f"{a.name}.sum({d})", rest),
                (f"{a.name}.sum({d}, keepdim=True)", a.shape[:d] + (1,) + a.shape[d + 1 :]),
                (f"{a.name}.mean({d})", rest),
                (f"{a.name}.max()", ()),
                (f"{a.name}.max({d})[0]", rest),
                (f"{a.name}.amax({d})", rest),
                (f"{a.name}.prod()", ()),
                (f"{a.name}.norm()", ()),
            ]
        )
        g.lines.append(f"{g.new(choice[1], a.grad).name} = {choice[0]}")
    elif kind < 0.9 and len(a.shape) == 2:
        out = (a.shape[0], a.shape[0])
        g.lines.append(f"{g.new(out, a.grad).name} = {a.name} @ {a.name}.t()")
    else:
        b = g.pick(lambda v: v.shape == a.shape and v is not a)
        if b is None:
            g.lines.append(
                f"{g.new(a.shape, a.grad).name} = lib.where({a.name} > 0, {a.name}, 0.5)"
            )
        else:
            fn = g.rng.choice(["cat", "stack"])
            out = (2 * a.shape[0], *a.shape[1:]) if fn == "cat" and a.shape else (2, *a.shape)
            if fn == "cat" and not a.shape:
                fn, out = "stack", (2,)
            g.lines.append(f"{g.new(out, a.grad or b.grad).name} = lib.{fn}([{a.name}, {b.name}])")


def _step_view(g: Gen) -> None:
    a = g.pick()
    expr, shape = g.rng.choice(_view_options(g, a))
    grad = a.grad and not expr.endswith(".detach()")
    v = g.new(shape, grad, prefix="v")
    v.family = a.family
    g.lines.append(f"{v.name} = {expr}")


def _written(g: Gen, a: Var) -> None:
    """Note that ``a``'s memory was written: the views that share it are stale."""
    for v in g.vars:
        if v.family == a.family and v.name != v.family:
            v.stale = True


def _step_inplace(g: Gen) -> None:
    # Mostly into non-leaves (and their views); now and then into a leaf, which must raise.
    leaves = {v.name for v in g.vars if v.leaf}
    a = g.pick(lambda v: v.family not in leaves) if g.rng.random() < 0.93 else g.pick()
    if a is None:
        return
    _written(g, a)
    kind = g.rng.random()
    if kind < 0.3:
        g.lines.append(g.rng.choice(INPLACE_SCALAR).format(a=a.name))
    elif kind < 0.6:
        b = g.pick(lambda v: _broadcastable(v.shape, a.shape, into=True))
        if b is None:
            return
        g.lines.append(g.rng.choice(INPLACE_TENSOR).format(a=a.name, b=b.name))
        a.grad = a.grad or b.grad
    elif kind < 0.9 and a.shape:
        ix, shape = g.rng.choice(_index_options(a.shape))
        b = g.pick(lambda v: _broadcastable(v.shape, shape, into=True))
        value = g.rng.choice([b.name, "0.5"]) if b is not None else "0.5"
        g.lines.append(f"{a.name}{ix} = {value}")
        a.grad = a.grad or (b is not None and value == b.name and b.grad)
    elif a.shape:
        g.lines.append(f"{a.name}[{a.name}.detach() > 0] = 0.25")
    else:
        g.lines.append(f"{a.name}.mul_(-1.0)")


def _step_hook(g: Gen) -> None:
    # PyTorch 2.13 crashes (a segmentation fault) in register_hook on a view whose memory was
    # written after the view was made, other than through the view itself (`v = y.view(1);
    # y.mul_(2); v.register_hook(f)`, or `v[0] = 1.0`): no hooks on those views.
    a = g.pick(lambda v: v.grad) if g.rng.random() < 0.9 else g.pick()
    roll = g.rng.random()
    if roll < 0.55 and a.stale:
        g.lines.append(f"{a.name}.retain_grad()")
    elif roll < 0.55:
        scale = "" if g.rng.random() < 0.7 else ", None"
        g.lines.append(f'{a.name}.register_hook(hook("h{g.hooks}"{scale}))')
        g.hooks += 1
    elif roll < 0.9:
        g.lines.append(f"{a.name}.retain_grad()")
    else:
        leaf = g.pick(lambda v: v.leaf)
        g.lines.append(f"with lib.no_grad(): {leaf.name}.mul_(0.5)")
        _written(g, leaf)


def _loss(g: Gen) -> str:
    """A scalar from one to three named tensors, that usually requires grad."""
    chosen = {}
    for _ in range(g.rng.randint(1, 3)):
        v = g.pick(lambda v: v.grad) or g.pick()
        chosen[v.name] = v
    terms = []
    for v in chosen.values():
        terms.append(
            g.rng.choice(
                [f"{v.name}.sum()", f"({v.name} * {v.name}).sum()", f"{v.name}.exp().sum()"]
            )
        )
    return " + ".join(terms)


def _step_backward(g: Gen, last: bool) -> None:
    expr = _loss(g)
    loss = g.new((), True, prefix="loss")
    g.lines.append(f"{loss.name} = {expr}")
    roll = g.rng.random()
    if roll < 0.45:
        keep = (not last) or g.rng.random() < 0.5
        g.lines.append(
            f"{loss.name}.backward(retain_graph=True)" if keep else f"{loss.name}.backward()"
        )
        if g.rng.random() < 0.3:  # a second backward through the same graph
            g.lines.append(f"{loss.name}.backward()")
    elif roll < 0.7:
        x = g.pick(lambda v: v.leaf)
        gv = g.new(x.shape, True, prefix="g")
        g.lines.append(
            f"{gv.name}, = lib.autograd.grad({loss.name}, [{x.name}], create_graph=True)"
        )
        second = g.rng.choice(
            [f"({gv.name} * {gv.name}).sum()", f"{gv.name}.sum()", f"({gv.name} * {x.name}).sum()"]
        )
        if g.rng.random() < 0.5:
            g.lines.append(f"({second}).backward()")
        else:
            hv = g.new(x.shape, True, prefix="g")
            g.lines.append(
                f"{hv.name}, = lib.autograd.grad({second}, [{x.name}], allow_unused=True)"
            )
    elif roll < 0.85:
        inputs = sorted({g.pick().name for _ in range(2)})
        outs = [g.new((), False, prefix="g").name for _ in inputs]
        g.lines.append(
            f"{', '.join(outs)}, = lib.autograd.grad({loss.name}, [{', '.join(inputs)}], "
            "retain_graph=True, allow_unused=True)"
        )
    else:
        v = g.pick(lambda v: v.grad and v.shape != ())
        if v is None:
            g.lines.append(f"{loss.name}.backward()")
        else:
            g.lines.append(f"{v.name}.backward(lib.ones_like({v.name}), retain_graph=True)")


def generate(seed: int) -> list[str]:
    """The program of number ``seed``: its lines, without the prelude."""
    g = Gen(random.Random(seed))
    for _ in range(g.rng.randint(1, 3)):
        shape = g.rng.choice(LEAF_SHAPES)
        x = g.new(shape, True, prefix="x", leaf=True)
        g.lines.append(
            f"{x.name} = lib.tensor({g.values(shape)}, dtype=lib.float64, requires_grad=True)"
        )
    if g.rng.random() < 0.3:
        shape = g.rng.choice(LEAF_SHAPES)
        c = g.new(shape, False, prefix="c")
        g.lines.append(f"{c.name} = lib.tensor({g.values(shape)}, dtype=lib.float64)")
    steps = (_step_op, _step_view, _step_inplace, _step_hook)
    weights = (4, 3, 3, 1.5)
    n = g.rng.randint(2, 10)
    for i in range(n):
        g.rng.choices(steps, weights)[0](g)
        if i < n - 1 and g.rng.random() < 0.08:
            _step_backward(g, last=False)
    _step_backward(g, last=True)
    return g.lines


# --- running ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one program did under one library."""

    error: tuple[int, str, str] | None  # (line index, builtin class name, message)
    tensors: dict[str, dict[str, Any]]
    hooks: dict[str, list[Any]]
    messages: list[str]  # every error message seen, also while describing the tensors


def error_class(exc: BaseException) -> str:
    """The nearest builtin exception class of ``exc``: what PyTorch's and ndgrad's errors share."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return type(exc).__name__


def _describe(t: Any, messages: list[str]) -> dict[str, Any]:
    """What is compared of one tensor; an attribute that raises is described by its error class."""

    def array(x: Any) -> np.ndarray | None:
        # clone(): PyTorch may leave a ZeroTensor in .grad, whose tolist() raises.
        return None if x is None else np.asarray(x.detach().clone().tolist(), dtype=float)

    def grad(t: Any) -> np.ndarray | None:
        keeps = t.is_leaf or bool(getattr(t, "retains_grad", False))
        return array(t.grad) if keeps and t.requires_grad else None

    getters = {
        "value": array,
        "shape": lambda t: tuple(t.shape),
        "dtype": lambda t: str(t.dtype).rsplit(".", 1)[-1],
        "requires_grad": lambda t: bool(t.requires_grad),
        "is_leaf": lambda t: bool(t.is_leaf),
        "grad": grad,
    }
    out: dict[str, Any] = {}
    for key, get in getters.items():
        try:
            out[key] = get(t)
        except Exception as exc:
            out[key] = f"raises {error_class(exc)}"
            messages.append(str(exc))
    return out


_CODE_CACHE: dict[str, Any] = {}


def _compiled(line: str) -> Any:
    code = _CODE_CACHE.get(line)
    if code is None:
        code = _CODE_CACHE[line] = compile(line, "<fuzz>", "exec")
    return code


def run(lines: list[str], lib: ModuleType) -> Outcome:
    """Run ``lines`` with ``lib`` bound to ``torch`` or ``ndgrad``; stop at the first exception."""
    ns: dict[str, Any] = {"lib": lib, "__builtins__": builtins}
    exec(_compiled(PRELUDE), ns)
    error, messages = None, []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i, line in enumerate(lines):
            try:
                exec(_compiled(line), ns)
            except Exception as exc:
                error = (i, error_class(exc), f"{type(exc).__name__}: {exc}")
                messages.append(str(exc))
                break
        tensors = {k: _describe(v, messages) for k, v in ns.items() if isinstance(v, lib.Tensor)}
    return Outcome(error, tensors, ns["log"], messages)


def _close(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


@dataclass(frozen=True)
class Deliberate:
    """A documented difference (docs/differences.md): PyTorch refuses what ndgrad computes.

    ``torch_message`` recognises PyTorch's refusal; ``rewrite`` turns a line into one PyTorch
    accepts and that means what ndgrad computed, so ndgrad's result is still checked against
    PyTorch's, on the rewritten program: the line PyTorch refused (``every_line=False``) or
    every line.
    """

    name: str
    torch_message: str
    rewrite: Callable[[str], str]
    every_line: bool


def _clone_inputs(line: str) -> str:
    """``a.mul_(b)``, ``a += b``, ``a[i] = b`` with ``b`` cloned first."""
    line = re.sub(r"\.(\w+_)\((.+)\)$", r".\1((\2).clone())", line)
    return re.sub(r"^([^=]+?) ([-+*/]?=) (.+)$", r"\1 \2 (\3).clone()", line)


_NUMBER = re.compile(r"^-?[\d.]+(e-?\d+)?$")


def _clone_inplace_operands(line: str) -> str:
    """``_clone_inputs`` on the in-place lines whose operand is a tensor expression only
    (``a.mul_(b)``, ``a += b``, ``a[i] = b``; numbers are left as they are)."""
    m = re.search(r"\.\w+_\((.+)\)$", line)
    if m and not _NUMBER.match(m.group(1).strip()):
        return _clone_inputs(line)
    m = re.match(r"^[^=]+? [-+*/]?= (.+)$", line)
    if (
        m
        and not _NUMBER.match(m.group(1).strip())
        and (re.match(r"^[^=]+? [-+*/]=", line) or re.match(r"^\w+\[.+\] = ", line))
    ):
        return _clone_inputs(line)
    return line


def _single_output_views(line: str) -> str:
    """``a.unbind(0)[0]`` and ``a.chunk(2)[1]`` written as indexing, a single-output view."""
    line = re.sub(r"(\w+)\.unbind\(0\)\[0\]", r"\1[0]", line)
    return re.sub(r"(\w+)\.chunk\(2\)\[1\]", r"\1[\1.shape[0] // 2 :]", line)


def _materialize_first(line: str) -> str:
    """``g.mul_(2.0)`` preceded by ``g = g.clone()``: a PyTorch ZeroTensor made an ordinary one."""
    name = re.match(r"\w+", line).group(0)
    return f"{name} = {name}.clone(); {line}"


DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate(
        "inplace-input-overlaps-output",
        r"some elements of the input tensor and the written-to tensor refer to a single memory",
        _clone_inputs,
        every_line=False,
    ),
    Deliberate(
        "inplace-operand-shares-the-written-memory",
        r"modified by an inplace operation",
        _clone_inplace_operands,
        every_line=True,
    ),
    Deliberate(
        "inplace-on-multi-output-view",
        r"This view is the output of a function that returns multiple views",
        _single_output_views,
        every_line=True,
    ),
    Deliberate(
        "zero-gradient-is-writable",
        r"ZeroTensors are immutable",
        _materialize_first,
        every_line=False,
    ),
)


def deliberate_difference(want: Outcome, got: Outcome) -> Deliberate | None:
    """The documented difference that explains PyTorch refusing what ndgrad ran, if any.

    A refusal at a line counts only where ndgrad ran that line; one raised while reading a
    tensor's attributes (a stale view's ``is_leaf``) always counts.
    """
    for d in DELIBERATE:
        if want.error is not None and re.search(d.torch_message, want.error[2]):
            if got.error is None or got.error[0] > want.error[0]:
                return d
        elif any(re.search(d.torch_message, m) for m in want.messages):
            return d
    return None


def clone_inplace_operands(lines: list[str]) -> list[str]:
    """The program with every in-place operand cloned first (what ndgrad computes)."""
    return [_clone_inplace_operands(line) for line in lines]


def compare(want: Outcome, got: Outcome) -> list[str]:
    """The differences between PyTorch's outcome ``want`` and ndgrad's ``got`` (empty: the same).

    After an exception, the gradients and hook calls are partial (PyTorch's engine may have
    accumulated into some leaves before it raised), so only values and metadata are compared.
    """
    problems = []
    if (want.error and want.error[:2]) != (got.error and got.error[:2]):
        w = f"line {want.error[0] + 1} raises {want.error[2]}" if want.error else "runs"
        gg = f"line {got.error[0] + 1} raises {got.error[2]}" if got.error else "runs"
        problems.append(f"exception: torch {w}; ndgrad {gg}")
    raised = want.error is not None or got.error is not None
    for name, w in want.tensors.items():
        gt = got.tensors.get(name)
        if gt is None:
            problems.append(f"{name}: missing in ndgrad")
            continue
        for key in ("shape", "dtype", "requires_grad", "is_leaf"):
            if w[key] != gt[key]:
                problems.append(f"{name}.{key}: torch {w[key]}, ndgrad {gt[key]}")
        for key in ("value",) if raised else ("value", "grad"):
            a, b = w[key], gt[key]
            if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
                same = _close(a, b)
            else:
                same = type(a) is type(b) and (a is None or a == b)
            if not same:
                show = [x.tolist() if isinstance(x, np.ndarray) else x for x in (a, b)]
                label = name if key == "value" else f"{name}.grad"
                problems.append(f"{label}: torch {show[0]}, ndgrad {show[1]}")
    for name in sorted(set(want.hooks) | set(got.hooks)) if not raised else ():
        w, gh = want.hooks.get(name, []), got.hooks.get(name, [])
        if len(w) != len(gh) or not all(_close(a, b) for a, b in zip(w, gh)):
            problems.append(f"hook {name} called with: torch {w}, ndgrad {gh}")
    return problems


def torch_twin(lines: list[str], torch: ModuleType, got: Outcome) -> tuple[Outcome, list[str]]:
    """PyTorch's outcome, on the program rewritten past the deliberate differences it meets.

    ``got`` is ndgrad's outcome: a difference applies only where ndgrad ran what PyTorch refused.
    """
    want, used = run(lines, torch), []
    while (d := deliberate_difference(want, got)) is not None and d.name not in used:
        if d.every_line or want.error is None:
            lines = [d.rewrite(line) for line in lines]
        else:
            i = want.error[0]
            lines = [*lines[:i], d.rewrite(lines[i]), *lines[i + 1 :]]
        want = run(lines, torch)
        used.append(d.name)
    return want, used


@dataclass
class Result:
    """The differences one program shows, and what kind of failure they make (None: no failure).

    The kind is an exception mismatch (with both classes) or a difference in what was computed;
    shrinking keeps it.
    """

    problems: list[str]
    kind: tuple[str, ...] | None


LEAF_VIEW = r"a leaf Variable that requires grad is being used in an in-place operation"


def check(lines: list[str], torch: ModuleType, ndgrad: ModuleType) -> Result:
    """Run ``lines`` under both libraries and compare."""
    got = run(lines, ndgrad)
    want, _ = torch_twin(lines, torch, got)
    problems = compare(want, got)
    if problems and not compare(run(clone_inplace_operands(lines), torch), got):
        # See docs/differences.md, `inplace-operand-shares-the-written-memory`: PyTorch's values
        # depend on the order its write visits the elements; ndgrad's are the cloned program's.
        problems = []
    if problems and want.error is not None and re.search(LEAF_VIEW, want.error[2]):
        # See docs/differences.md, `inplace-on-a-view-made-before-its-base-required-grad`:
        # everything up to the line PyTorch refuses must agree.
        i = want.error[0]
        if got.error is None or got.error[0] > i:
            problems = compare(run(lines[:i], torch), run(lines[:i], ndgrad))
    if not problems or (want.error is not None and want.error[1] == "NameError"):
        return Result(problems, None)  # a NameError: a shrinking step dropped a needed line
    if problems[0].startswith("exception:"):
        return Result(
            problems, ("exception", *(o.error[1] if o.error else "" for o in (want, got)))
        )
    return Result(problems, ("differs",))


def shrink(lines: list[str], torch: ModuleType, ndgrad: ModuleType) -> list[str]:
    """The smallest program found, by dropping lines, that still fails as ``lines`` does."""
    kind = check(lines, torch, ndgrad).kind
    changed = True
    while changed:
        changed = False
        for i in range(len(lines) - 1, -1, -1):
            candidate = lines[:i] + lines[i + 1 :]
            if check(candidate, torch, ndgrad).kind == kind:
                lines, changed = candidate, True
    return lines


def render(lines: list[str], lib: str = "ndgrad") -> str:
    """A program as a script that runs on its own (``lib`` is ``"torch"`` or ``"ndgrad"``)."""
    return f"import {lib} as lib\n\n{PRELUDE}\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """``python tests/fuzz_programs.py [N] [--seed S]``: the distinct failures, shrunk."""
    import torch

    import ndgrad

    n = int(argv[0]) if argv and argv[0].isdigit() else 1000
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
    seen: dict[str, list[str]] = {}
    for i in range(seed, seed + n):
        lines = generate(i)
        if check(lines, torch, ndgrad).kind is None:
            continue
        small = shrink(lines, torch, ndgrad)
        key = "\n".join(small)
        if key not in seen:
            seen[key] = check(small, torch, ndgrad).problems
            print(f"# program {i}: {seen[key][0]}\n" + "\n".join(small) + "\n", flush=True)
    print(f"{len(seen)} distinct minimal failures in {n} programs")


if __name__ == "__main__":
    main(sys.argv[1:])
