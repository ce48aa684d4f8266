"""``ndgrad.autograd.functional``: PyTorch's higher-level derivative API.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp`` of a function of a Tensor or a
tuple of Tensors, with PyTorch's ``create_graph`` (the results stay differentiable), ``strict``
(an output independent of an input is an error instead of zeros) and ``vectorize`` (one batched
pass through ``ndgrad.func`` instead of one backward per output element). The results have the
structure PyTorch gives: a Tensor for a Tensor, tuples for tuples, ``jac[i][j]`` for output i and
input j with shape ``output_i.shape + input_j.shape``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.engine import grad as _grad
from .._core.grad_mode import enable_grad
from .._core.tensor import Tensor
from . import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                    f"the value at index {i} has type {type(t)}."
                )
            raise TypeError(
                f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                f"given {what} has type {type(t)}."
            )
    return is_tuple, xs


def _restore(is_tuple: bool, xs: tuple) -> Any:
    return xs if is_tuple else xs[0]


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs ``func`` sees: fresh leaves, or aliases keeping the caller's graph (create_graph)."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _finish(xs: tuple, create_graph: bool) -> tuple:
    return tuple(x if create_graph or x is None else x.detach() for x in xs)


def _check_v(v: Any, outs: tuple, fn: str, what: str = "outputs") -> tuple:
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(outs):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(outs)} but got {len(vs)}."
        )
    for i, (a, o) in enumerate(zip(vs, outs, strict=True)):
        if tuple(a.shape) != tuple(o.shape):
            raise RuntimeError(
                f"Entry {i} in v has invalid size: should be {tuple(o.shape)} but got "
                f"{tuple(a.shape)}."
            )
    return vs


def _fill(grads: tuple, inputs: tuple, strict: bool, fn: str, kind: str = "input") -> tuple:
    from .. import zeros_like

    out = []
    for i, (g, x) in enumerate(zip(grads, inputs, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of {kind} {i}. "
                    "This is not allowed in strict mode."
                )
            g = zeros_like(x)
        out.append(g)
    return tuple(out)


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import vjp
        >>> vjp(lambda x: x ** 2, ndgrad.tensor([1.0, 2.0]), ndgrad.ones(2))[1]
        tensor([2., 4.])
    """
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _prepare(ins, create_graph)
        out = func(*ins)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "vjp")
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError(
                    "The vector v can only be None if the user-provided function returns a "
                    "single Tensor with a single element."
                )
            from .. import ones_like

            vs = tuple(ones_like(o) for o in outs)
        else:
            vs = _check_v(v, outs, "vjp")
        grads = _grad(
            outs, ins, vs, create_graph=create_graph, retain_graph=True, allow_unused=True
        )
        grads = _fill(grads, ins, strict, "vjp")
    return _restore(out_tuple, _finish(outs, create_graph)), _restore(
        in_tuple, _finish(grads, create_graph)
    )


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple:
    """``(func(*inputs), J v)``: the Jacobian-vector product at ``inputs`` (by forward mode).

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import jvp
        >>> jvp(lambda x: x ** 2, ndgrad.tensor([1.0, 2.0]), ndgrad.ones(2))[1]
        tensor([2., 4.])
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if any(x.numel() != 1 for x in ins):
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        from .. import ones_like

        vs = tuple(ones_like(x) for x in ins)
    else:
        vs = _check_v(v, ins, "jvp")
    with enable_grad():
        prepped = _prepare(ins, create_graph) if create_graph else tuple(x.detach() for x in ins)
        with fwAD.dual_level():
            duals = tuple(fwAD.make_dual(x, t) for x, t in zip(prepped, vs, strict=True))
            out = func(*duals)
            out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "jvp")
            prim, tans = [], []
            for i, o in enumerate(outs):
                u = fwAD.unpack_dual(o)
                prim.append(u.primal)
                if u.tangent is None:
                    if strict:
                        raise RuntimeError(
                            f"The output of the user-provided function is independent of input "
                            f"{i}. This is not allowed in strict mode."
                        )
                    from .. import zeros_like

                    tans.append(zeros_like(u.primal))
                else:
                    tans.append(u.tangent)
    return _restore(out_tuple, _finish(tuple(prim), create_graph)), _restore(
        out_tuple, _finish(tuple(tans), create_graph)
    )


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``jac[i][j][a, b] = d out_i[a] / d in_j[b]``.

    ``vectorize=True`` computes it in one batched pass (``ndgrad.func.jacrev``, or ``jacfwd``
    with ``strategy="forward-mode"``) instead of one backward per output element.

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, ndgrad.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            'torch.autograd.functional.jacobian: `strategy="forward-mode"` is only supported '
            "when `vectorize=True`; hint: pass vectorize=True"
        )
    if strict and vectorize:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    if vectorize and not create_graph:
        return _vectorized(func, ins, in_tuple, strategy)
    with enable_grad():
        ins = _prepare(ins, create_graph)
        out = func(*ins)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "jacobian")
        from .. import stack, zeros

        blocks: list = []
        for i, o in enumerate(outs):
            flat = o.reshape(-1)
            rows: list = [[] for _ in ins]
            for k in range(flat.numel()):
                gs = _grad(
                    flat[k], ins, retain_graph=True, create_graph=create_graph, allow_unused=True
                )
                for j, (g, x) in enumerate(zip(gs, ins, strict=True)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = zeros(tuple(x.shape), dtype=x.dtype)
                    rows[j].append(g)
            per_in = []
            for j, x in enumerate(ins):
                if rows[j]:
                    jac = stack(rows[j]).reshape(*o.shape, *x.shape)
                else:
                    jac = zeros((*o.shape, *x.shape), dtype=x.dtype)
                per_in.append(jac if create_graph else jac.detach())
            blocks.append(_restore(in_tuple, tuple(per_in)))
    return _restore(out_tuple, tuple(blocks))


def _vectorized(func: Callable[..., Any], ins: tuple, in_tuple: bool, strategy: str) -> Any:
    from .. import func as F  # noqa: N812

    transform = F.jacfwd if strategy == "forward-mode" else F.jacrev
    out = transform(lambda *xs: func(*xs), argnums=tuple(range(len(ins))))(*ins)
    # func.jac*: per output, a tuple over the inputs (argnums is a tuple)
    if isinstance(out, tuple) and out and isinstance(out[0], tuple):
        return tuple(_restore(in_tuple, o) for o in out)
    return _restore(in_tuple, out)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of scalar ``func`` at ``inputs``: the Jacobian of its gradient.

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), ndgrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single(*xs: Any) -> Tensor:
        out = func(*xs)
        if not isinstance(out, Tensor) and not (isinstance(out, tuple) and len(out) == 1):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if isinstance(out, tuple):
            out = out[0]
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    if vectorize and not create_graph:  # one batched pass: ndgrad.func's transforms nest
        from .. import func as F  # noqa: N812

        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                "supported together. Please either set `strict=False` or `vectorize=False`."
            )
        nums = tuple(range(len(ins)))
        outer = F.jacfwd if outer_jacobian_strategy == "forward-mode" else F.jacrev
        res = outer(F.jacrev(single, argnums=nums), argnums=nums)(*ins)
        return res if in_tuple else res[0][0]

    def gradient(*xs: Any) -> Any:
        return jacobian(single, xs, create_graph=True)

    res = jacobian(
        gradient,
        ins,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return res if in_tuple else res[0][0]


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple:
    """``(func(*inputs), v^T H)``: the vector-Hessian product of scalar ``func``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import vhp
        >>> vhp(lambda x: (x ** 3).sum(), ndgrad.tensor([1.0, 2.0]), ndgrad.ones(2))[1]
        tensor([ 6., 12.])
    """
    return _second(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple:
    """``(func(*inputs), H v)``: the Hessian-vector product of scalar ``func`` (by the
    double-backward trick: the vjp of a vjp, so no Hessian is formed).

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd.functional import hvp
        >>> hvp(lambda x: (x ** 3).sum(), ndgrad.tensor([1.0, 2.0]), ndgrad.ones(2))[1]
        tensor([ 6., 12.])
    """
    return _second(func, inputs, v, create_graph, strict, "hvp")


def _second(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, fn: str
) -> tuple:
    from .. import ones_like, zeros_like

    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", fn)
        ins = _prepare(ins, create_graph)
        if v is None:
            if any(x.numel() != 1 for x in ins):
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function "
                    "is a single Tensor with a single element."
                )
            vs = tuple(ones_like(x) for x in ins)
        else:
            vs = _check_v(v, ins, fn)
        out = func(*ins)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(
                f"The function given to {fn} should return a single Tensor with a single element"
            )
        g1 = _grad(outs[0], ins, create_graph=True, allow_unused=True)
        g1 = _fill(g1, ins, strict, fn)
        if fn == "vhp":
            res = _grad(
                g1, ins, vs, create_graph=create_graph, allow_unused=True, retain_graph=True
            )
        else:  # hvp: d/du <g1, u> = H^T u; then its vjp with v gives H v
            us = tuple(zeros_like(g).requires_grad_(True) for g in g1)
            gu = _grad(g1, ins, us, create_graph=True, allow_unused=True, retain_graph=True)
            gu = _fill(gu, ins, strict, fn, "input")
            res = _grad(gu, us, vs, create_graph=create_graph, allow_unused=True)
        res = _fill(res, ins, strict, fn, "input")
    return _restore(out_tuple, _finish(outs, create_graph)), _restore(
        in_tuple, _finish(res, create_graph)
    )
