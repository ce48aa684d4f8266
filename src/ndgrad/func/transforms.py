"""``ndgrad.func``: derivatives as functions (PyTorch's ``torch.func``), composable with ``vmap``.

Each transform takes a function and returns one: ``grad(f)(x)`` is the gradient of scalar ``f``
at ``x``; ``jacrev``/``jacfwd`` give the whole Jacobian, in reverse or forward mode, with one
batched pass (``vmap`` over the basis vectors, not a loop); ``hessian`` is
``jacfwd(jacrev(f))``. They nest (``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``vmap(grad(f))``)
and take functions of tensors or of nested tuples, lists and dicts of tensors.

How they compose: the values given to ``f`` are fresh leaves of the reverse-mode graph (or
aliases of the caller's tensors when an outer transform differentiates through them), carried
at every open ``vmap`` level (See Note [Batched tensors]); the derivative is taken on the plain
tensors under the batch wrappers, so the rules of the table do the work, and forward-mode
tangents flow through a backward pass (``jacfwd(jacrev(f))``) because nested transforms keep the
graph (``create_graph``) whenever an outer one needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import _core
from .._core import batched as _b
from .._core import forward_ad as _fwcore
from .._core.batched import BatchedTensor, physical, rewrap
from .._core.engine import grad as _engine_grad
from .._core.grad_mode import enable_grad
from .._core.tensor import Tensor
from ..autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias
from ._pytree import tree_flatten, tree_unflatten
from .vmap import to_all_levels, vmap

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "linearize",
    "jacrev",
    "jacfwd",
    "hessian",
    "functional_call",
    "directional_derivative",
]

_DEPTH = [0]  # open reverse-mode transforms: nested ones keep their graphs for the outer ones
del _core


def _argnums(argnums: Any, n: int, who: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError(f"{who}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(
                f"{who}: argnums must be int or Tuple[int, ...], got: {type(argnums)}"
            )
        if not -n <= a < n:
            raise RuntimeError(
                f"Got argnums={a}, but only {n} positional inputs; hint: argnums counts "
                "positional arguments from 0"
            )
    return tuple(a % n for a in nums)


def _differentiable(x: Any, who: str) -> tuple[Tensor, Tensor, list]:
    """A differentiable stand-in for tensor ``x``: (what ``f`` sees, the plain tensor, levels)."""
    if not isinstance(x, Tensor):
        raise RuntimeError(
            f"{who}: Expected all inputs to be Tensors (or nested tuples/lists/dicts of them), "
            f"got {type(x).__name__}; hint: wrap numbers with ndgrad.tensor(...)"
        )
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(
            f"{who}: only Tensors of floating point or complex dtype can require gradients, got "
            f"{x.dtype}; hint: pass x.double() or create x with dtype=ndgrad.float64"
        )
    p, levels = physical(to_all_levels(x))
    if p.requires_grad:  # an outer transform differentiates through x: keep the path
        q = p.view_as(p)
    else:
        q = p.detach().requires_grad_()
        if _fwcore.ACTIVE[0]:
            _fwcore.copy_tangents(q, p)
    return rewrap(q, levels), q, levels


def _autograd_grad(outputs: Any, inputs: list, cts: Any, **kw: Any) -> tuple:
    """``autograd.grad`` as the transforms need it: an output with no history (its derivative
    does not depend on the inputs, e.g. the third derivative of ``x * x``) contributes zero, as
    in ``torch.func``, instead of the engine's "does not require grad" error."""
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    gs = cts if isinstance(cts, (list, tuple)) else [cts]
    pairs = [(o, g) for o, g in zip(outs, gs) if o.requires_grad]
    if not pairs:
        from .. import zeros_like

        return tuple(zeros_like(x) for x in inputs)
    return _engine_grad([o for o, _ in pairs], inputs, [g for _, g in pairs], **kw)


def _keep_graph() -> bool:
    return _DEPTH[0] > 1 or bool(_fwcore.ACTIVE[0])


def _plain(t: Any, keep: bool) -> Any:
    if isinstance(t, Tensor) and not keep:
        return t.detach()
    return t


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``(grad(func)(*args), func(*args))`` in one pass (PyTorch's ``torch.func.grad_and_value``).

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import grad_and_value
        >>> g, v = grad_and_value(lambda x: (x ** 2).sum())(ndgrad.tensor([1.0, 2.0]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "grad_and_value")
        _DEPTH[0] += 1
        try:
            with enable_grad():
                new = list(args)
                plains: list = []
                specs = []
                for a in nums:
                    leaves, spec = tree_flatten(args[a])
                    made = [_differentiable(x, "grad_and_value") for x in leaves]
                    new[a] = tree_unflatten([m[0] for m in made], spec)
                    plains.append(made)
                    specs.append(spec)
                out = func(*new, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError(
                            "grad_and_value(f)(*args): output of function f should be a tuple: "
                            "(output, aux) if has_aux is True"
                        )
                    out, aux = out
                if not isinstance(out, Tensor):
                    raise RuntimeError(
                        "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                        f"{type(out)}"
                    )
                if out.ndim != 0:
                    raise RuntimeError(
                        "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                        f"got tensor with {out.ndim} dims. Maybe you wanted to use the vjp or "
                        "jacrev APIs instead?"
                    )
                keep = _keep_graph()
                po, _ = physical(out)
                qs = [m[1] for made in plains for m in made]
                from .. import ones_like

                gs = _autograd_grad(
                    po,
                    qs,
                    ones_like(po),
                    create_graph=keep,
                    allow_unused=True,
                    materialize_grads=True,
                )
                res = []
                k = 0
                for made, spec in zip(plains, specs, strict=True):
                    part = []
                    for m in made:
                        part.append(_plain(rewrap(gs[k], m[2]), keep))
                        k += 1
                    res.append(tree_unflatten(part, spec))
        finally:
            _DEPTH[0] -= 1
        g = res[0] if isinstance(argnums, int) else tuple(res)
        value = _plain(out, keep)
        if has_aux:
            from ._pytree import tree_map

            return g, (value, tree_map(lambda t: _plain(t, keep), aux))
        return g, value

    return wrapper


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of scalar ``func`` with respect to argument(s) ``argnums``, as a function.

    ``grad(f)(x)`` is ``df/dx`` at ``x`` (the shape of ``x``); ``argnums=(0, 1)`` gives a tuple;
    ``has_aux=True``: ``f`` returns ``(value, aux)`` and ``grad`` returns ``(gradient, aux)``.
    Nest it for higher derivatives: ``grad(grad(f))``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import grad
        >>> x = ndgrad.tensor(0.5, dtype=ndgrad.float64)
        >>> round(grad(grad(ndgrad.sin))(x).item(), 6)  # -sin(0.5)
        -0.479426
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(v)`` is ``v^T J`` for each primal.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import vjp
        >>> y, vjp_fn = vjp(ndgrad.sin, ndgrad.tensor([0.0, 1.0], dtype=ndgrad.float64))
        >>> vjp_fn(ndgrad.ones(2, dtype=ndgrad.float64))[0].numpy().round(4)
        array([1.    , 0.5403])
    """
    _DEPTH[0] += 1
    try:
        with enable_grad():
            leaves, spec = tree_flatten(list(primals))
            made = [_differentiable(x, "vjp") for x in leaves]
            out = func(*tree_unflatten([m[0] for m in made], spec))
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(
                        "vjp(f, *primals): output of function f should be a tuple: "
                        "(output, aux) if has_aux is True"
                    )
                out, aux = out
        keep = _keep_graph()
    finally:
        _DEPTH[0] -= 1
    outs, ospec = tree_flatten(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                "vjp(f, *primals): Expected f to be a function that has only Tensors or "
                f"(nested) tuples/lists/dicts of Tensors as outputs, got {type(o)}"
            )
    phys = [physical(o) for o in outs]

    def vjp_fn(*cotangents: Any) -> tuple:
        cts, cspec = tree_flatten(cotangents[0] if len(cotangents) == 1 else list(cotangents))
        if len(cts) != len(outs):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function: {len(cts)} cotangents for {len(outs)} outputs"
            )
        for c, o in zip(cts, outs, strict=True):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {tuple(c.shape)} and "
                    f"output[0] has a shape of {tuple(o.shape)}; hint: the cotangent has the "
                    "output's shape"
                )
        top = max((c._level for c in cts if type(c) is BatchedTensor), default=0)
        have = max((lv[0][0] for _, lv in phys if lv), default=0)
        if top > have and have:  # batched at a level the batched outputs are not: per entry
            return _vjp_per_entry(vjp_fn, cts, top)
        pcs = []
        for c, (_, lv) in zip(cts, phys, strict=True):
            # an unbatched output takes a batched cotangent as it is: the rules batch by vmap
            pcs.append(physical(_at_levels(c, lv))[0] if lv else c)
        _DEPTH[0] += 1
        try:
            k = _keep_graph() or keep
        finally:
            _DEPTH[0] -= 1
        gs = _autograd_grad(
            [po for po, _ in phys],
            [m[1] for m in made],
            pcs,
            retain_graph=True,
            create_graph=k,
            allow_unused=True,
            materialize_grads=True,
        )
        res = [_plain(rewrap(g, m[2]), k) for g, m in zip(gs, made, strict=True)]
        return tuple(tree_unflatten(res, spec))

    value = tree_unflatten([_plain(o, keep) for o in outs], ospec)
    if has_aux:
        from ._pytree import tree_map

        return value, vjp_fn, tree_map(lambda t: _plain(t, keep), aux)
    return value, vjp_fn


def _at_levels(c: Tensor, levels: list) -> Tensor:
    """Cotangent ``c`` batched at exactly ``levels`` (the output's)."""
    if not levels:
        return c
    return to_all_levels(c) if len(levels) == len(_b.LEVELS) else c + _zero_at(levels, c)


def _zero_at(levels: list, like: Tensor) -> Tensor:
    from .. import zeros
    from .._core.batched import wrap

    z = zeros((), dtype=like.dtype)
    for level, size in reversed(levels):
        z = wrap(z.unsqueeze(0).expand(size), level, size)
    return z


def _vjp_per_entry(vjp_fn: Callable[..., Any], cts: list, level: int) -> tuple:
    from .. import stack
    from .._core.batched import wrap

    size = next(c._bsize for c in cts if type(c) is BatchedTensor and c._level == level)
    rows = []
    for b in range(size):
        row = [
            c._value.select(0, b) if type(c) is BatchedTensor and c._level == level else c
            for c in cts
        ]
        rows.append(vjp_fn(*row) if len(row) > 1 else vjp_fn(row[0]))
    out = []
    for k in range(len(rows[0])):
        out.append(wrap(stack([r[k] for r in rows]), level, size))
    return tuple(out)


def jvp(
    func: Callable[..., Any],
    primals: Any,
    tangents: Any,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> tuple:
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, by forward mode.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import jvp
        >>> x = ndgrad.tensor([1.0, 2.0])
        >>> jvp(lambda x: x ** 2, (x,), (ndgrad.ones(2),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals); hint: jvp(f, (x,), (v,))"
        )
    pl, pspec = tree_flatten(list(primals))
    tl, tspec = tree_flatten(list(tangents))
    if len(pl) != len(tl):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            f"structure: {len(pl)} primals, {len(tl)} tangents"
        )
    with fwAD.dual_level():
        duals = []
        for p, t in zip(pl, tl, strict=True):
            if not isinstance(p, Tensor) or not isinstance(t, Tensor):
                raise RuntimeError(
                    "jvp(f, primals, tangents): Expected primals and tangents to be Tensors"
                )
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"jvp(f, primals, tangents): Expected primals and tangents to have the same "
                    f"shape, got {tuple(p.shape)} and {tuple(t.shape)}"
                )
            pp, lv = physical(to_all_levels(p))
            pt, _ = physical(to_all_levels(t.to(p.dtype) if t.dtype != p.dtype else t))
            duals.append(rewrap(fwAD.make_dual(pp, pt), lv))
        out = func(*tree_unflatten(duals, pspec))
        aux = None
        if has_aux:
            out, aux = out
        outs, ospec = tree_flatten(out)
        vals, tans = [], []
        for o in outs:
            po, lv = physical(o)
            u = fwAD.unpack_dual(po)
            vals.append(rewrap(u.primal, lv))
            if u.tangent is None:
                if strict:
                    raise RuntimeError(
                        "jvp(f, primals, tangents, strict=True): an output of f does not depend "
                        "on the primals"
                    )
                from .. import zeros_like

                tans.append(rewrap(zeros_like(u.primal), lv))
            else:
                tans.append(rewrap(u.tangent, lv))
    outer = _DEPTH[0] or _fwcore.ACTIVE[0]  # an enclosing transform reads their history
    if not outer and not any(isinstance(p, Tensor) and p.requires_grad for p in pl):
        vals = [v.detach() for v in vals]  # nothing outside differentiates through them
        tans = [t.detach() for t in tans]
    res = (tree_unflatten(vals, ospec), tree_unflatten(tans, ospec))
    return (*res, aux) if has_aux else res


def linearize(func: Callable[..., Any], *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J @ tangents`` at ``primals``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import linearize
        >>> y, jvp_fn = linearize(ndgrad.exp, ndgrad.zeros(2))
        >>> jvp_fn(ndgrad.ones(2))
        tensor([1., 1.])
    """
    out = func(*primals)
    fixed = tuple(p.detach() if isinstance(p, Tensor) else p for p in primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, fixed, tangents)[1]

    return _plain(out, False) if isinstance(out, Tensor) else out, jvp_fn


def _basis(leaves: list) -> tuple[list, int]:
    """One block of the identity per leaf: block k has shape (n, *leaves[k].shape)."""
    from .. import eye

    n = sum(x.numel() for x in leaves)
    ident = eye(n, dtype=leaves[0].dtype)
    blocks, start = [], 0
    for x in leaves:
        k = x.numel()
        blocks.append(ident[:, start : start + k].reshape(n, *x.shape))
        start += k
    return blocks, n


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """The Jacobian of ``func`` by reverse mode: one batched backward over the output basis.

    ``jacrev(f)(x)[i, j] = d f_i / d x_j`` (shape ``f(x).shape + x.shape``); a tuple of
    ``argnums`` gives one Jacobian per argument, a tree of outputs one per output.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import jacrev
        >>> jacrev(lambda x: x ** 2)(ndgrad.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacrev")

        def part(*diff: Any) -> Any:
            new = list(args)
            for a, d in zip(nums, diff, strict=True):
                new[a] = d
            return func(*new)

        diff = tuple(args[a] for a in nums)
        res = vjp(part, *diff, has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        outs, ospec = tree_flatten(out)
        if not outs:
            raise RuntimeError("jacrev(f): f returned no Tensor outputs")
        blocks, n = _basis(outs)
        if n == 1:
            rows = [
                vjp_fn(tree_unflatten([b.reshape(o.shape) for b, o in zip(blocks, outs)], ospec))
            ]
            cols = [[r.unsqueeze(0) for r in rows[0]]]
        elif not any(type(o) is BatchedTensor for o in outs):  # one backward, batched over rows
            cols = [list(vmap(lambda *ct: vjp_fn(tree_unflatten(list(ct), ospec)))(*blocks))]
        else:

            def row(*ct: Any) -> Any:  # one cotangent: a fresh forward, batched over the basis
                _, fn = vjp(part, *diff, has_aux=has_aux)[:2]
                return fn(tree_unflatten(list(ct), ospec))

            cols = [list(vmap(row, chunk_size=chunk_size)(*blocks))]
        grads = cols[0]  # one per differentiated leaf: (n, *leaf.shape)
        result = _assemble(grads, outs, ospec, diff, nums, argnums, rows_first=True)
        if has_aux:
            return result, res[2]
        return result

    return wrapper


def _assemble(
    grads: list, outs: list, ospec: Any, diff: tuple, nums: tuple, argnums: Any, rows_first: bool
) -> Any:
    """Jacobian blocks ``[out][in]`` of shape ``out.shape + in.shape`` from the batched pass."""
    in_leaves = []
    in_specs = []
    for d in diff:
        leaves, spec = tree_flatten(d)
        in_leaves.append(leaves)
        in_specs.append(spec)
    flat_in = [x for leaves in in_leaves for x in leaves]
    per_out = []
    start = 0
    for o in outs:
        k = o.numel()
        blocks = []
        for j, x in enumerate(flat_in):
            g = grads[j]
            # rows first: g is (n_out_total, *x.shape); else (n_in_total, *o.shape), as it is
            blocks.append(g.narrow(0, start, k).reshape(*o.shape, *x.shape) if rows_first else g)
        start += k
        # regroup by argument
        grouped = []
        pos = 0
        for leaves, spec in zip(in_leaves, in_specs, strict=True):
            grouped.append(tree_unflatten(blocks[pos : pos + len(leaves)], spec))
            pos += len(leaves)
        per_out.append(grouped[0] if isinstance(argnums, int) else tuple(grouped))
    return tree_unflatten(per_out, ospec)


def jacfwd(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable[..., Any]:
    """The Jacobian of ``func`` by forward mode: one batched jvp over the input basis.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import jacfwd
        >>> jacfwd(lambda x: x ** 2)(ndgrad.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacfwd")
        diff = tuple(args[a] for a in nums)
        leaves, dspec = tree_flatten(list(diff))
        blocks, n = _basis(leaves)

        def part(*d: Any) -> Any:
            new = list(args)
            for a, x in zip(nums, tree_unflatten(list(d), dspec), strict=True):
                new[a] = x
            return func(*new)

        def column(*tan: Any) -> Any:
            r = jvp(part, tuple(leaves), tuple(tan), has_aux=has_aux)
            return (r[1], r[2]) if has_aux else r[1]

        res = vmap(column, randomness=randomness)(*blocks)  # tangents: (n, *out.shape)
        tans, aux = res if has_aux else (res, None)
        touts, ospec = tree_flatten(tans)
        per_out = []
        for t in touts:
            oshape = tuple(t.shape[1:])
            flat = t.reshape(n, -1).transpose(0, 1)  # (out numel, n)
            blocks_o, start = [], 0
            for x in leaves:
                k = x.numel()
                blocks_o.append(flat.narrow(1, start, k).reshape(*oshape, *x.shape))
                start += k
            grouped = tree_unflatten(blocks_o, dspec)
            per_out.append(grouped[0] if isinstance(argnums, int) else tuple(grouped))
        result = tree_unflatten(per_out, ospec)
        if has_aux:
            from ._pytree import tree_map

            return result, tree_map(lambda a: a.select(0, 0) if isinstance(a, Tensor) else a, aux)
        return result

    return wrapper


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian of scalar ``func``: ``jacfwd(jacrev(func))`` (forward over reverse).

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import hessian
        >>> hessian(lambda x: (x ** 3).sum())(ndgrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def directional_derivative(
    f: Callable[..., Any], x: Tensor, v: Tensor, normalize: bool = False
) -> Tensor:
    """The derivative of ``f`` at ``x`` along ``v``: ``J_f(x) v`` (one jvp; ndgrad's own name).

    ``normalize=True`` uses the unit vector ``v / |v|``, the directional derivative of calculus;
    for a scalar ``f`` it equals ``grad(f)(x) . v / |v|``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import directional_derivative
        >>> f = lambda p: p[0] ** 2 + 3 * p[1]
        >>> directional_derivative(f, ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([3.0, 4.0]), True)
        tensor(3.6000)
    """
    if normalize:
        norm = v.norm()
        if float(norm) == 0.0:
            raise ValueError(
                "directional_derivative(..., normalize=True): the direction v is zero and has no "
                "unit vector; hint: pass a nonzero v"
            )
        v = v / norm
    return jvp(f, (x,), (v,))[1]


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the dict's.

    Keys are dotted attribute paths (``"layer.weight"``); the module's own tensors are put back
    afterwards, even when the call raises. ``strict=True``: every parameter and buffer of the
    module must be given. Works with any object whose tensors are attributes (nn modules).

    Example:
        >>> import ndgrad
        >>> from ndgrad.func import functional_call
        >>> class Scale:
        ...     def __init__(self):
        ...         self.w = ndgrad.tensor(2.0)
        ...     def __call__(self, x):
        ...         return self.w * x
        >>> functional_call(Scale(), {"w": ndgrad.tensor(5.0)}, (ndgrad.tensor(3.0),))
        tensor(15.)
    """
    dicts = (
        parameter_and_buffer_dicts
        if isinstance(parameter_and_buffer_dicts, (tuple, list))
        else (parameter_and_buffer_dicts,)
    )
    merged: dict = {}
    for d in dicts:
        for k, v in d.items():
            if k in merged:
                raise ValueError(
                    f"{k} appeared in multiple dictionaries; behavior of functional call is "
                    "ambiguous"
                )
            merged[k] = v
    if strict and hasattr(module, "state_dict"):
        missing = [k for k in module.state_dict() if k not in merged]
        if missing:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}: Missing key(s): "
                + ", ".join(repr(m) for m in missing)
            )
    saved = []
    try:
        for path, value in merged.items():
            *owner_path, leaf = path.split(".")
            owner = module
            for part in owner_path:
                owner = getattr(owner, part)
            saved.append((owner, leaf, owner.__dict__.get(leaf, _MISSING)))
            _set(owner, leaf, value)
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, leaf, old in reversed(saved):
            if old is _MISSING:
                owner.__dict__.pop(leaf, None)
            else:
                _set(owner, leaf, old)


_MISSING = object()


def _set(owner: Any, name: str, value: Any) -> None:
    setter = getattr(type(owner), "_functional_set", None)
    if setter is not None:  # nn.Module keeps parameters in its own registry
        setter(owner, name, value)
    else:
        object.__setattr__(owner, name, value)
