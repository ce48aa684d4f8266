"""The op table: ``def_op`` declares an op once; ``apply`` runs it and records the graph.

An op record (``OpDef``) holds everything the rest of ndgrad needs to know about one operation:

* ``forward(xp, *arrays, **params)``: the only code that touches backend arrays;
* ``vjp``: one rule per tensor input, ``rule(g, ans, *inputs, **params) -> Tensor``, written in
  ndgrad ops so that differentiating the backward pass (``create_graph=True``) needs nothing more;
* ``jvp``: a callable ``jvp(tangents, ans, *inputs, **params) -> Tensor | None`` (``tangents``:
  one per input, None where that input has no tangent; ``inputs``: the primals) or a shortcut:
  ``"elementwise"`` (the Jacobian is diagonal, so the vjp rules applied to the tangents give the
  jvp), ``"linear"`` (the op applied to the tangents), ``"bilinear"`` (the op with one input
  replaced by its tangent, summed over inputs). ``def_op`` turns either into one such callable
  (``ops._jvp.jvp_rule``, which also broadcasts and casts the tangent to the output), stored as
  ``OpDef.jvp``; forward mode only calls it, once per open dual level;
* ``samples(rng, dtype)``: inputs that drive the generic tests, with ``ref`` (a NumPy reference
  forward) and ``torch`` (the PyTorch function to compare with).

The engine sums every gradient back to its input's shape and dtype, so rules never unbroadcast.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from .._core.batched import VMAP as _VMAP
from .._core.tensor import Tensor
from ._jvp import jvp_rule
from .dispatch import (  # noqa: F401 - the table's front door: ops modules import these from here
    _EMPTY,
    _binary_fn,
    _complex_error,
    _multi_fn,
    _parser,
    _unary_fn,
    apply,
    apply_multi,
    finish,
    note_cut,
    record,
    to_tensor,
)
from .out import copy_into_out, write_out  # noqa: F401
from .writes import (  # noqa: F401
    _VIEW_REBASE,
    _check_inplace,
    _check_view_write,
    _internal_overlap,
    _rebase_view,
    _set_history,
    apply_inplace,
    overlap_error,
    write_into,
)

__all__ = [
    "OpDef",
    "def_op",
    "apply",
    "TABLE",
    "Sample",
    "attach_method",
    "apply_inplace",
    "to_tensor",
    "def_composite",
    "def_twin",
    "namespace",
    "NAMESPACE_ALIASES",
]

TABLE: dict[str, OpDef] = {}


@dataclasses.dataclass
class Sample:
    """One test input of an op: positional ``args`` (NumPy arrays become tensors) and ``kwargs``.

    ``grad`` names the positions to differentiate (default: every floating array).
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: tuple | None = None
    name: str = ""


@dataclasses.dataclass(eq=False)
class OpDef:
    """One op, declared once (``def_op``). Its fields, grouped by concern:

    * autodiff: ``forward`` (the only code on raw arrays), ``vjp`` (one rule per input, or a
      factory for variadic records), ``vjp_all``, ``jvp`` (a callable, See ops/_jvp.py), what the
      rules read (``save``, ``save_ans``, ``save_for``, ``save_outputs``, ``stubs``, and the fast
      paths' ``save_mask``), ``differentiable``, ``complex``, and for several outputs
      ``outputs``, ``diff_outputs``, ``materialize_grads``;
    * API: ``name``, ``inputs``, ``params``, ``variadic``, ``prepare``, ``promote``, ``view``,
      ``backward_name``, ``ufunc`` (the NumPy fast path), ``result`` and the public ``fn``;
      the method, in-place variant and aliases are attached by ``def_op`` and ``bind_aliases``;
    * tests: ``samples``, ``ref`` (NumPy reference), ``torch`` (the PyTorch twin, False for
      none) and ``fwd_check``; ties and error inputs live in the samples and the hand tests.
    """

    # ---- API
    name: str
    inputs: tuple
    params: tuple
    promote: str | None
    view: bool
    backward_name: str
    # ---- autodiff
    forward: Callable[..., Any]
    vjp: Any
    jvp: Any
    save: tuple  # positions of inputs the rules read; the output too when save_ans
    save_ans: bool
    differentiable: bool
    # ---- tests
    samples: Callable[..., list] | None
    ref: Callable[..., Any] | None
    torch: Any
    fwd_check: bool = True
    # ---- API, optional
    fn: Callable[..., Any] | None = None
    doc: str = ""
    ufunc: Callable[..., Any] | None = None  # NumPy fast path: ufunc(*arrays) == forward(np, ...)
    variadic: bool = False  # any number of tensor inputs (cat, stack, einsum)
    prepare: Callable[..., dict] | None = None  # params derived from the inputs, once per call
    result: Any = None  # the namedtuple class the public function of several outputs returns
    # ---- autodiff, optional
    stubs: bool = True  # rules read the shape/dtype of inputs they did not save
    save_mask: tuple = ()
    save_for: Any = None  # per input: the positions its rule reads (saves less); or a callable
    vjp_all: Callable[..., Any] | None = None  # every input's gradient in one call
    complex: bool = False  # its rules follow PyTorch's complex convention (conjugate Wirtinger)
    outputs: tuple = ()  # names of the outputs of an op with several (``("values", "indices")``)
    diff_outputs: tuple = ()  # positions of the differentiable ones
    save_outputs: tuple = ()  # positions of the outputs its rules read
    materialize_grads: bool = False  # its rules want zeros, not None, for outputs without a grad
    composite: bool = False  # written in other ops (``def_composite``): no node of its own
    module: str = ""  # the module that declared it (its family in docs/ops.md)
    api: str = ""  # the public call it serves, for a private record (``_max_dim``: ``max(dim)``)
    batch: Any = None  # its vmap batching rule, when its family's (ops/batching.py) does not fit


def _declaring_module() -> str:
    """The ops module whose code called ``def_op`` (past the registry and family constructors)."""
    import sys

    f = sys._getframe(2)
    while f is not None and f.f_globals.get("__name__") in (__name__, "ndgrad.ops.families"):
        f = f.f_back
    return "" if f is None else str(f.f_globals.get("__name__", ""))


def _camel(name: str) -> str:
    """``linalg.slogdet`` -> ``LinalgSlogdet`` (PyTorch's backward names)."""
    return "".join(p[:1].upper() + p[1:] for p in name.replace(".", "_").split("_"))


# --------------------------------------------------------------------------------------------
# Declaring ops.


def def_op(
    name: str,
    forward: Callable[..., Any],
    vjp: Any = None,
    jvp: Any = None,
    *,
    inputs: Sequence[str] = ("input",),
    params: Sequence[tuple[str, Any]] = (),
    save: Any = "inputs",
    promote: str | None = None,
    differentiable: bool = True,
    view: bool = False,
    samples: Callable[..., list] | None = None,
    ref: Callable[..., Any] | None = None,
    torch: Any = None,
    method: bool | str = True,
    inplace: bool | str = False,
    export: bool = True,
    backward_name: str | None = None,
    fwd_check: bool = True,
    doc: str = "",
    stubs: bool | None = None,
    save_for: Sequence[Sequence[int]] | None = None,
    ufunc: Callable[..., Any] | None = None,
    complex: bool = False,
    outputs: Sequence[str] = (),
    diff_outputs: Sequence[int] | None = None,
    save_outputs: Sequence[int] = (),
    materialize_grads: bool = False,
    result_name: str | None = None,
    variadic: bool = False,
    vjp_all: Callable[..., Any] | None = None,
    prepare: Callable[..., dict] | None = None,
    api: str = "",
) -> Callable[..., Tensor]:
    """Declare an op; return its public function (also attached as a Tensor method).

    An op with several outputs names them (``outputs=("values", "indices")``) and says which
    are differentiable (``diff_outputs``, default all) and which its rules read
    (``save_outputs``); its forward returns a tuple of arrays, its public function a namedtuple,
    and each rule takes one gradient per output: ``rule(grads, ans, *inputs, **params)`` with
    None for an output no gradient reached (zeros with ``materialize_grads=True``).
    A ``variadic`` op takes any number of tensors (``fn(*tensors, **params)``); its ``vjp`` is a
    factory ``vjp(i) -> rule`` of input i's rule, or ``vjp_all(g, ans, *inputs, **params)``
    gives every input's gradient in one call (linear in the number of inputs); ``save="inputs"``
    saves them all and a callable ``save_for(i, n)`` says which ones input i's rule reads.
    ``prepare(tensors, params) -> params`` derives params from the inputs once per call (cat's
    layout), on every recording path.
    ``stubs``: the rules read the shape and dtype of inputs they did not save (a ``ShapeOnly``
    stub each); default: yes, except for records that save only their output (exp, tanh...),
    whose rules read that output alone, so backward builds no stubs for them.
    ``api``: for a private record, the public call it serves (``"max(dim)"``; docs/ops.md).
    ``result_name`` names the namedtuple (``ndgrad.return_types.<result_name>``; "" for a plain
    tuple, as ``var_mean``).

    ``save``: ``"inputs"`` (every input), ``"ans"`` (only the output), ``"both"``, ``None``,
    or a tuple of input positions, optionally with ``"ans"`` in it. ``save_for``: per input, the
    positions its rule reads; then only what the inputs that require grad need is kept alive
    (``x * w`` with a constant ``x`` does not keep ``w``), as PyTorch does. ``complex``: the
    rules follow PyTorch's complex convention (``vjp`` returns ``g * conj(f'(z))`` for a
    holomorphic ``f``); without it, recording a node for complex data raises.
    """
    n = len(inputs)
    if variadic:
        if vjp is None and vjp_all is not None:
            vjp = _from_all(vjp_all)
        vjps: Any = () if vjp is None else PerInput(vjp)
    elif vjp is None:
        vjps = ()
    elif callable(vjp):
        vjps = (vjp,)
    else:
        vjps = tuple(vjp)
    if save == "inputs":
        pos, save_ans = tuple(range(n)), False
    elif save == "ans":
        pos, save_ans = (), True
    elif save == "both":
        pos, save_ans = tuple(range(n)), True
    elif save is None:
        pos, save_ans = (), False
    else:
        save_ans = "ans" in save
        pos = tuple(p for p in save if p != "ans")
    op = OpDef(
        name=name,
        forward=forward,
        vjp=vjps,
        jvp=jvp,
        inputs=tuple(inputs),
        params=tuple(params),
        save=pos,
        save_ans=save_ans,
        promote=promote,
        differentiable=differentiable and vjp is not None,
        view=view,
        samples=samples,
        ref=ref,
        torch=torch,
        backward_name=backward_name or f"{_camel(name)}Backward0",
        fwd_check=fwd_check,
        doc=doc,
        stubs=(save != "ans") if stubs is None else stubs,
        save_mask=tuple(i in pos for i in range(n)) if pos else (),
        save_for=None
        if save_for is None
        else save_for
        if callable(save_for)
        else tuple(tuple(p) for p in save_for),
        variadic=variadic,
        vjp_all=vjp_all,
        prepare=prepare,
        ufunc=ufunc,
        complex=complex,
        outputs=tuple(outputs),
        diff_outputs=tuple(range(len(outputs)) if diff_outputs is None else diff_outputs),
        save_outputs=tuple(save_outputs),
        materialize_grads=materialize_grads,
        result=(
            _result_type(result_name or name, outputs) if outputs and result_name != "" else tuple
        ),
    )
    if differentiable and vjp is None:
        op.differentiable = True
        op.vjp = ()
    op.jvp = jvp_rule(op, jvp)  # the shortcut names become callables here, once
    op.module = _declaring_module()
    op.api = api
    TABLE[name] = op
    fn = _make_fn(op)
    fn.__name__ = fn.__qualname__ = name.rsplit(".", 1)[-1]
    fn.__doc__ = doc or f"ndgrad.{name}: see torch.{name}."
    op.fn = fn
    if method:
        attach_method(name if method is True else method, fn)
    if inplace:
        iname = inplace if isinstance(inplace, str) else name + "_"
        attach_method(iname, _make_inplace(op))
    if export and "." not in name:  # ``linalg.det``: its module picks ``TABLE[name].fn``
        EXPORTS[name] = fn
    return fn


EXPORTS: dict[str, Callable[..., Any]] = {}


# vmap's handler of a composite (ops/batching.py): its ops batch, or it loops when it reads values.
COMPOSITE_HOOK: list = [None]


def def_composite(
    name: str,
    fn: Callable[..., Any],
    *,
    samples: Callable[..., list] | None = None,
    ref: Callable[..., Any] | None = None,
    torch: Any = None,
    method: bool | str = False,
    export: bool = True,
    complex: bool = False,
    differentiable: bool = True,
    fwd_check: bool = True,
    outputs: Sequence[str] = (),
    diff_outputs: Sequence[int] | None = None,
    doc: str = "",
) -> Callable[..., Any]:
    """Declare an op written in other ndgrad ops (softmin, cross_entropy, linalg.pinv...).

    It records no node of its own: its gradients are those of the ops it calls, so it needs no
    rule, and higher order comes with them. It joins the table so that the generic template
    (its ``samples``, ``ref``, ``torch``) and ``docs/ops.md`` cover it like any record.
    ``fn`` takes and returns Tensors (a tuple for ``outputs``); ``out=`` is handled here.
    A name with a dot (``"linalg.pinv"``) is not exported at top level: its module
    (``ndgrad.linalg``) picks ``TABLE[name].fn``.
    """

    def public(*args: Any, **kwargs: Any) -> Any:
        if kwargs and "out" in kwargs:
            return write_out(op, fn, args, kwargs)
        if _VMAP[0]:  # under vmap: See Note [Batched tensors]
            return COMPOSITE_HOOK[0](op, fn, args, kwargs)
        return fn(*args, **kwargs)

    short = name.rsplit(".", 1)[-1]
    public.__name__ = public.__qualname__ = short
    public.__doc__ = doc or fn.__doc__ or f"ndgrad.{name}: see torch.{name}."
    public.__wrapped__ = fn  # type: ignore[attr-defined]  # inspect.signature shows fn's
    op = OpDef(
        name=name,
        inputs=(),
        params=(),
        promote=None,
        view=False,
        backward_name="",
        forward=None,  # type: ignore[arg-type]
        vjp=(),
        jvp=None,
        save=(),
        save_ans=False,
        differentiable=differentiable,
        samples=samples,
        ref=ref,
        torch=torch,
        fwd_check=fwd_check,
        fn=public,
        doc=public.__doc__ or "",
        complex=complex,
        outputs=tuple(outputs),
        diff_outputs=tuple(range(len(outputs)) if diff_outputs is None else diff_outputs),
        composite=True,
        module=_declaring_module(),
    )
    TABLE[name] = op
    if method:
        attach_method(short if method is True else method, public)
    if export and "." not in name:
        EXPORTS[name] = public
    return public


def def_twin(
    base: str,
    name: str,
    backward_name: str,
    samples: Any = "same",
    torch: Any = None,
) -> OpDef:
    """A second record of op ``base`` that differs only in its backward name: PyTorch names
    the node of each overload (``squeeze(dim)`` records ``SqueezeBackward1``, ``x ** t``
    ``PowBackward1``), so the public function picks the twin for that overload. The twin keeps
    the base's samples (``samples="same"``) unless given its own, so the template covers it.
    """
    op = TABLE[base]
    twin = dataclasses.replace(
        op,
        name=name,
        backward_name=backward_name,
        samples=op.samples if samples == "same" else samples,
        torch=torch if torch is not None else (op.name if op.torch is None else op.torch),
        api=f"{op.api or op.name} ({backward_name})",
    )
    TABLE[name] = twin
    f = twin.fn = _make_fn(twin)
    f.__name__ = f.__qualname__ = name
    return twin


def namespace(prefix: str) -> dict[str, Callable[..., Any]]:
    """The public functions of the table's ops named ``prefix.<name>`` (``ndgrad.linalg``...),
    with the aliases registered in ``NAMESPACE_ALIASES[prefix]``."""
    dot = prefix + "."
    out = {
        name[len(dot) :]: op.fn
        for name, op in TABLE.items()
        if name.startswith(dot) and "." not in name[len(dot) :] and op.fn is not None
    }
    out.update(NAMESPACE_ALIASES.get(prefix, {}))
    return {k: v for k, v in out.items() if not k.startswith("_")}


# ``NAMESPACE_ALIASES["special"]["expit"] = sigmoid``: a function of a namespace that is another
# op's (PyTorch's ``torch.special.expit`` is ``torch.sigmoid``).
NAMESPACE_ALIASES: dict[str, dict[str, Callable[..., Any]]] = {}


def _make_fn(op: OpDef) -> Callable[..., Tensor]:
    n = len(op.inputs)
    if op.outputs:
        return _multi_fn(op)
    if op.variadic:
        n = -1  # the general path: ``fn(*tensors, **params)``
    if n == 1:
        return _unary_fn(op)
    if n == 2 and not op.params:
        return _binary_fn(op)

    parse = _parser(op)

    def fn(*args: Any, **kwargs: Any) -> Tensor:
        if kwargs and "out" in kwargs:
            return write_out(op, fn, args, kwargs)
        tens, params = parse(args, kwargs)
        return apply(op, tens, params)

    return fn


def _make_inplace(op: OpDef) -> Callable[..., Tensor]:
    parse = _parser(op)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        tens, params = parse((self, *args), kwargs)
        return apply_inplace(op, self, tens[1:], params)

    method.__name__ = op.name + "_"
    return method


def attach_method(name: str, fn: Callable[..., Any]) -> None:
    setattr(Tensor, name, fn)


# --------------------------------------------------------------------------------------------
# Ops with several outputs. See Note [Outputs of multi-output nodes] in _core/node.py.

RETURN_TYPES = SimpleNamespace()  # ndgrad.return_types: one namedtuple class per op name


def _result_type(name: str, fields: Sequence[str]) -> Any:
    """PyTorch's ``torch.return_types.<name>``: a namedtuple that prints as PyTorch's does."""
    cls = getattr(RETURN_TYPES, name, None)
    if cls is None:
        base = namedtuple(name, list(fields), module="ndgrad.return_types")

        def __repr__(self: Any) -> str:  # noqa: N807
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"ndgrad.return_types.{name}(\n{body})"

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
        cls.__module__ = "ndgrad.return_types"
        setattr(RETURN_TYPES, name, cls)
    return cls


class PerInput:
    """The vjp rules of a variadic record: rule i made by ``factory(i)`` on first use, kept.

    Indexing and ``len`` are all the engine needs; it cannot be iterated (it has no end).
    """

    __slots__ = ("factory", "made")

    def __init__(self, factory: Callable[[int], Callable[..., Any]]) -> None:
        self.factory = factory
        self.made: dict[int, Callable[..., Any]] = {}

    def __getitem__(self, i: int) -> Callable[..., Any]:
        r = self.made.get(i)
        if r is None:
            r = self.made[i] = self.factory(i)
        return r

    def __len__(self) -> int:
        return 1 << 62

    def __iter__(self) -> Any:
        raise TypeError("the rules of a variadic record are made per input; index them")


def _from_all(vjp_all: Callable[..., Any]) -> Callable[[int], Callable[..., Any]]:
    """Per-input rules from ``vjp_all`` (for nodes where a single input takes a gradient)."""

    def factory(i: int) -> Callable[..., Any]:
        def rule(g: Tensor, ans: Any, *xs: Any, **params: Any) -> Any:
            return vjp_all(g, ans, *xs, **params)[i]

        return rule

    return factory
