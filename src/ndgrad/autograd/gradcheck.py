"""``gradcheck`` and ``gradgradcheck``: analytical derivatives against finite differences.

For every input ``x_i`` that requires grad and every differentiable output ``y_j`` the numerical
Jacobian ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)`` is compared with the analytical one, built
from one vector-Jacobian product per output element (backward) or one Jacobian-vector product
per input element (forward mode, ``check_forward_ad``). ``fast_mode`` compares the scalars
``v^T J u`` instead, for random ``u`` and ``v``. A complex output is checked as its real and its
imaginary part; for a complex input the entry is ``ds/dx + 1j ds/dy`` (PyTorch's convention).

Example:
    >>> import ndgrad
    >>> x = ndgrad.tensor([0.5, 1.0], dtype=ndgrad.float64, requires_grad=True)
    >>> ndgrad.autograd.gradcheck(ndgrad.sin, (x,))
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import _backend
from .._core.engine import grad as _grad
from .._core.random import Generator, rand_like
from .._core.tensor import Tensor, make
from . import forward_ad as fw_ad
from .function import Function

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when a check fails (PyTorch's class)."""


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _diff_pos(inputs: tuple) -> list:
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _sel(outs: tuple) -> list:
    return [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]


def _unravel(k: int, shape: tuple) -> tuple:
    idx = []
    for s in reversed(shape):
        k, r = divmod(k, s) if s else (k, 0)
        idx.append(r)
    return tuple(reversed(idx))


def _eval(func: Callable, inputs: tuple, i: int, data: Any, sel: list) -> list:
    args = list(inputs)
    args[i] = make(data, inputs[i].requires_grad)
    outs = _as_tuple(func(*args))
    return [outs[k].detach()._data for k in sel]


def _column(func: Callable, inputs: tuple, i: int, d: Any, sel: list, norm: float) -> list:
    """The directional derivative of the selected outputs along ``d`` (central differences)."""
    x = inputs[i]._data
    plus = _eval(func, inputs, i, x + d, sel)
    minus = _eval(func, inputs, i, x - d, sel)
    res = []
    for k, (p, m) in enumerate(zip(plus, minus)):
        if p.shape != m.shape or p.dtype != m.dtype:
            raise GradcheckError(
                "Expected `func` to return outputs with the same dtype and shape when inputs are "
                f"perturbed by {norm}, but got: dtypes {p.dtype} and {m.dtype} and shapes "
                f"{tuple(p.shape)} and {tuple(m.shape)} for output {k}."
            )
        xp = _backend.namespace(p)
        res.append(xp.reshape((p - m) / (2 * norm), (-1,)))
    return res


def _directional(func, inputs, i, u_re, u_im, sel, eps) -> list:
    """ds_dx along ``u_re`` (+ 1j ds_dy along ``1j u_im`` for a complex input)."""
    x = inputs[i]
    xp = _backend.namespace(x._data)
    dx = _column(func, inputs, i, xp.astype(u_re * eps, x._data.dtype), sel, eps)
    if not x.dtype.is_complex:
        return dx
    dy = _column(func, inputs, i, xp.astype(u_im * eps, x._data.dtype) * 1j, sel, eps)
    return [a + 1j * b for a, b in zip(dx, dy)]


def _numerical(func, inputs, i, sel, eps) -> list:
    """Per selected output, the (numel(input), numel(output)) numerical Jacobian."""
    x = inputs[i]
    xp = _backend.namespace(x._data)
    n = int(x._data.size)
    rdt = xp.real(x._data).dtype
    rows = []
    flat_idx = xp.arange(n)
    for k in range(n):
        e = xp.reshape(xp.astype(flat_idx == k, rdt), x._data.shape)
        rows.append(_directional(func, inputs, i, e, e, sel, eps))
    outs = _eval(func, inputs, i, x._data, sel)
    mats = []
    for j, o in enumerate(outs):
        if n == 0:
            mats.append(xp.zeros((0, int(o.size)), dtype=o.dtype))
        else:
            mats.append(xp.stack([r[j] for r in rows], axis=0))
    return mats


def _vjp(o: Tensor, diff: list, go: Any) -> list:
    gs = _grad(o, diff, make(go), retain_graph=True, allow_unused=True)
    res = []
    for g, x in zip(gs, diff):
        xp = _backend.namespace(x._data)
        if g is None:
            res.append((xp.zeros(int(x._data.size), dtype=x._data.dtype), True, True))
        else:
            ok_shape = tuple(g.shape) == tuple(x.shape)
            data = xp.reshape(g._data, (-1,)) if ok_shape else xp.zeros(int(x._data.size))
            res.append((data, g.dtype == x.dtype, ok_shape))
    return res


def _analytical(o: Tensor, diff: list, nondet_tol: float, check_grad_dtypes: bool, v=None):
    """Per input, the (numel(input), numel(output)) analytical Jacobian of ``o`` (rows of vjps);
    with ``v``: one column, the vjp with ``v``."""
    xp = _backend.namespace(o._data)
    n = int(o._data.size)
    flat_idx = xp.arange(n)
    gos = (
        [v]
        if v is not None
        else [xp.reshape(xp.astype(flat_idx == k, o._data.dtype), o._data.shape) for k in range(n)]
    )
    runs = []
    for _ in range(2):  # twice: a backward that is not deterministic is reported
        cols = [_vjp(o, diff, go) for go in gos]
        mats = []
        for i, x in enumerate(diff):
            if not cols:
                mats.append(xp.zeros((int(x._data.size), 0), dtype=x._data.dtype))
                continue
            if check_grad_dtypes and not all(c[i][1] for c in cols):
                raise GradcheckError("Gradient has dtype mismatch")
            if not all(c[i][2] for c in cols):
                raise GradcheckError("Analytical gradient has incorrect size")
            mats.append(xp.stack([c[i][0] for c in cols], axis=1))
        runs.append(mats)
    for a, b in zip(*runs):
        if a.size and float(xp.max(xp.abs(a - b))) > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}."
            )
    return runs[0]


def _forward(func, inputs, sel, check_grad_dtypes, all_u=None) -> list:
    """J[i][j]: (numel(input i), numel(output j)) from forward mode (or one row J u_i)."""
    pos = _diff_pos(inputs)
    jac = []
    with fw_ad.dual_level():
        for ii, i in enumerate(pos):
            x = inputs[i]
            xp = _backend.namespace(x._data)
            n = int(x._data.size)
            if all_u is not None:
                tangents = [xp.reshape(all_u[ii], x._data.shape)]
            else:
                flat_idx = xp.arange(n)
                tangents = [
                    xp.reshape(xp.astype(flat_idx == k, x._data.dtype), x._data.shape)
                    for k in range(n)
                ]
            rows = []
            for t in tangents:
                args = list(inputs)
                for p in pos:
                    a = inputs[p]
                    tan = make(t) if p == i else make(xp.zeros_like(a._data))
                    args[p] = fw_ad.make_dual(a.detach(), tan)
                outs = _as_tuple(func(*args))
                row = []
                for k in sel:
                    val, res = fw_ad.unpack_dual(outs[k])
                    ox = _backend.namespace(val._data)
                    if res is None:
                        row.append(ox.zeros(int(val._data.size), dtype=val._data.dtype))
                        continue
                    if check_grad_dtypes and val.dtype.is_complex != res.dtype.is_complex:
                        raise GradcheckError("Forward AD gradient has dtype mismatch.")
                    row.append(ox.reshape(res._data, (-1,)))
                rows.append(row)
            mats = []
            for j, k in enumerate(sel):
                o = _as_tuple(func(*inputs))[k] if not rows else None
                if rows:
                    mats.append(xp.stack([r[j] for r in rows], axis=0))
                else:
                    mats.append(xp.zeros((0, int(o._data.size)), dtype=o._data.dtype))
            jac.append(mats)
    return jac


def _promote(a: Any, n: Any) -> tuple:
    xp = _backend.namespace(a, n)
    dt = xp.result_type(a.dtype, n.dtype)
    return xp, xp.astype(a, dt), xp.astype(n, dt)


def _allclose(a: Any, n: Any, rtol: float, atol: float) -> bool:
    xp, a, n = _promote(a, n)
    return bool(xp.all((a == n) | (xp.abs(a - n) <= atol + rtol * xp.abs(n))))


def _show(a: Any) -> str:
    return str(make(a))


def _scalar(v: Any) -> Any:
    c = complex(v)
    return c.real if c.imag == 0 else c


def _worst(a: Any, n: Any, rtol: float, atol: float, in_shape: tuple, out_shape: tuple) -> str:
    xp, a, n = _promote(a, n)
    if not a.size:
        return ""
    tol = atol + rtol * xp.abs(n)
    excess = xp.where(a == n, xp.zeros_like(tol) - 1, xp.abs(a - n) - tol)
    excess = xp.where(xp.isnan(excess), xp.full_like(excess, float("inf")), excess)
    flat = xp.reshape(excess, (-1,))
    k = int(xp.argmax(flat))
    r, c = divmod(k, int(a.shape[1]))
    bad = int(xp.sum(xp.astype(flat > 0, xp.int64)))
    av, nv = _scalar(xp.reshape(a, (-1,))[k]), _scalar(xp.reshape(n, (-1,))[k])
    tv = float(xp.reshape(tol, (-1,))[k])
    return (
        f"The worst element: d output[{', '.join(map(str, _unravel(c, out_shape)))}] / "
        f"d input[{', '.join(map(str, _unravel(r, in_shape)))}] (row {r}, column {c} of the "
        f"Jacobians above): analytical {av} vs numerical {nv}, |analytical - numerical| = "
        f"{abs(av - nv):.6g} > atol + rtol * |numerical| = {tv:.6g} (atol={atol}, rtol={rtol}); "
        f"{bad} of {int(flat.shape[0])} entries differ.\n"
    )


def _mismatch(a, n, j, i, complex_indices, test_imag, forward, extra="") -> str:
    out_c = (not forward) and complex_indices and j in complex_indices
    in_c = forward and complex_indices and i in complex_indices
    part = "imaginary" if test_imag else "real"
    elem = "inputs" if forward else "outputs"
    prefix = f"While considering the {part} part of complex {elem} only, " if out_c or in_c else ""
    mode = "computed with forward mode " if forward else ""
    return (
        prefix + f"Jacobian {mode}mismatch for output {j:d} with respect to input {i:d},\n"
        f"numerical:{_show(n)}\nanalytical:{_show(a)}\n" + extra
    )


def _slow(
    func,
    func_out,
    inputs,
    sel,
    eps,
    rtol,
    atol,
    check_grad_dtypes,
    nondet_tol,
    *,
    complex_indices=None,
    test_imag=False,
    forward=False,
) -> None:
    pos = _diff_pos(inputs)
    diff = [inputs[p] for p in pos]
    if not sel:
        for p in pos:
            for m in _numerical(func, inputs, p, _sel(func_out) or [], eps):
                xp = _backend.namespace(m)
                if m.size and bool(xp.any(m != 0)):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    numerical = [_numerical(func, inputs, p, sel, eps) for p in pos]  # [input][output]
    if forward:
        analytical = _forward(func, inputs, sel, check_grad_dtypes)  # [input][output]
    else:
        per_out = [
            _analytical(func_out[k], diff, nondet_tol, check_grad_dtypes) for k in sel
        ]  # [output][input]
        analytical = [[per_out[j][i] for j in range(len(sel))] for i in range(len(pos))]
    for i in range(len(pos)):
        for j, k in enumerate(sel):
            a, n = analytical[i][j], numerical[i][j]
            if not _allclose(a, n, rtol, atol):
                extra = _worst(a, n, rtol, atol, tuple(diff[i].shape), tuple(func_out[k].shape))
                raise GradcheckError(
                    _mismatch(a, n, j, i, complex_indices, test_imag, forward, extra)
                )


def _unit(x: Tensor, g: Generator, real: bool) -> Any:
    xp = _backend.namespace(x._data)
    data = x._data if not (real and x.dtype.is_complex) else xp.real(x._data)
    u = rand_like(make(data), generator=g)._data
    nrm = float(xp.sqrt(xp.sum(xp.abs(u) ** 2)))
    return u / nrm if nrm else u


def _fast(
    func,
    func_out,
    inputs,
    sel,
    eps,
    rtol,
    atol,
    check_grad_dtypes,
    nondet_tol,
    *,
    complex_indices=None,
    test_imag=False,
    forward=False,
) -> None:
    pos = _diff_pos(inputs)
    diff = [inputs[p] for p in pos]
    if not sel:
        return _slow(func, func_out, inputs, sel, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    g = Generator()
    all_u = []
    for x in diff:
        ur = _unit(x, g, True)
        all_u.append((ur, _unit(x, g, True) if x.dtype.is_complex else None))
    all_v = None if forward else [_unit(func_out[k], g, False) for k in sel]
    numerical = []  # [input][output]: v^T J u (backward) or J u (forward)
    for ii, p in enumerate(pos):
        ur, ui = all_u[ii]
        ju = _directional(func, inputs, p, ur, ui, sel, eps)
        if all_v is None:
            numerical.append(ju)
        else:
            row = []
            for v, col in zip(all_v, ju):
                xp = _backend.namespace(col)
                row.append(xp.sum(xp.reshape(v, (-1,)) * col))
            numerical.append(row)
    if forward:
        rows = _forward(func, inputs, sel, check_grad_dtypes, [u[0] for u in all_u])
        analytical = [[m[0] for m in r] for r in rows]
    else:
        analytical = [[None] * len(sel) for _ in pos]
        for j, k in enumerate(sel):
            vj = _analytical(func_out[k], diff, nondet_tol, check_grad_dtypes, all_v[j])
            for ii, m in enumerate(vj):
                xp = _backend.namespace(m)
                vjc = m[:, 0]
                ur, ui = all_u[ii]
                ur = xp.reshape(ur, (-1,))
                if diff[ii].dtype.is_complex:
                    ui = xp.reshape(ui, (-1,))
                    s = xp.sum(xp.real(vjc) * ur) + 1j * xp.sum(xp.imag(vjc) * ui)
                else:
                    s = xp.sum(vjc * ur)
                analytical[ii][j] = s
    for ii in range(len(pos)):
        xp = _backend.namespace(all_u[ii][0])
        sum_u = float(xp.sum(all_u[ii][0]))
        for j in range(len(sel)):
            sum_v = 1.0 if all_v is None else float(xp.sum(all_v[j]))
            a, n = analytical[ii][j], numerical[ii][j]
            if _allclose(a, n, rtol, atol * sum_u * sum_v):
                continue
            try:
                _slow(
                    func,
                    func_out,
                    inputs,
                    [sel[j]],
                    eps,
                    rtol,
                    atol,
                    False,
                    float("inf"),
                    complex_indices=complex_indices,
                    test_imag=test_imag,
                    forward=forward,
                )
                slow = (
                    "Fast gradcheck failed but element-wise differences are small. This means "
                    "that the test might've passed in slow_mode!\n"
                )
            except GradcheckError as e:
                slow = (
                    f"Below, we recompute numerical and analytical jacobians in slow mode:\n\n{e}"
                )
            raise GradcheckError(
                _mismatch(a, n, j, ii, complex_indices, test_imag, forward)
                + "\nThe above quantities relating the numerical and analytical jacobians are "
                "computed \nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 "
                "\nfor more background about fast mode. " + slow
            )
    return None


def _real_imag_output(func: Callable) -> tuple:
    def part(which: str) -> Callable:
        def fn(*args: Any) -> tuple:
            return tuple(
                getattr(o, which) if isinstance(o, Tensor) and o.dtype.is_complex else o
                for o in _as_tuple(func(*args))
            )

        return fn

    return part("real"), part("imag")


def _real_imag_input(func: Callable, idx: list, inputs: tuple) -> tuple:
    def part(imag: bool) -> Callable:
        def fn(*args: Any) -> tuple:
            new = list(args)
            for k in idx:
                orig = inputs[k]
                xp = _backend.namespace(orig._data)
                if imag:
                    new[k] = make(xp.real(orig._data)) + new[k] * 1j
                else:
                    new[k] = new[k] + make(xp.imag(orig._data)) * 1j
            return _as_tuple(func(*new))

        return fn

    return part(False), part(True)


def _parts(inputs: tuple, idx: list, imag: bool) -> tuple:
    out = list(inputs)
    for k in idx:
        xp = _backend.namespace(inputs[k]._data)
        d = xp.imag(inputs[k]._data) if imag else xp.real(inputs[k]._data)
        out[k] = make(d, True)
    return tuple(out)


def _real_imag_checks(
    check, func, func_out, inputs, tol, check_forward_ad, check_backward_ad, check_undefined_grad
) -> None:
    outs = _as_tuple(func_out)
    sel = _sel(outs)
    cplx_out = [j for j, k in enumerate(sel) if outs[k].dtype.is_complex]
    if check_backward_ad:
        if any(isinstance(o, Tensor) and o.dtype.is_complex for o in outs):
            real_fn, imag_fn = _real_imag_output(func)
            for fn, test_imag in ((imag_fn, True), (real_fn, False)):
                fo = fn(*inputs)
                check(fn, fo, inputs, _sel(fo), *tol, complex_indices=cplx_out, test_imag=test_imag)
        else:
            check(func, outs, inputs, sel, *tol)
    if check_forward_ad:
        cidx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.dtype.is_complex]
        if cidx:
            real_fn, imag_fn = _real_imag_input(func, cidx, inputs)
            for fn, imag in ((imag_fn, True), (real_fn, False)):
                ins = _parts(inputs, cidx, imag)
                fo = fn(*ins)
                ci = [j for j, p in enumerate(_diff_pos(inputs)) if p in cidx]
                check(fn, fo, ins, _sel(fo), *tol, complex_indices=ci, test_imag=imag, forward=True)
                if check_undefined_grad:
                    _undefined_forward(fn, ins)
        else:
            check(func, outs, inputs, sel, *tol, forward=True)
            if check_undefined_grad:
                _undefined_forward(func, inputs)


def _undefined_forward(func: Callable, inputs: tuple) -> None:
    """A zero tangent and no tangent must give the same output tangents."""
    pos = _diff_pos(inputs)
    g = Generator()
    with fw_ad.dual_level():
        duals = list(inputs)
        for p in pos:
            duals[p] = fw_ad.make_dual(inputs[p].detach(), make(_unit(inputs[p], g, False)))
        for p in pos:
            keep = duals[p]
            x = inputs[p]
            xp = _backend.namespace(x._data)
            duals[p] = fw_ad.make_dual(x.detach(), make(xp.zeros_like(x._data)))
            o1 = _as_tuple(func(*duals))
            duals[p] = x.detach()
            o2 = _as_tuple(func(*duals))
            duals[p] = keep
            for k, (a, b) in enumerate(zip(o1, o2)):
                if not isinstance(a, Tensor) or not isinstance(b, Tensor):
                    continue
                ta, tb = fw_ad.unpack_dual(a).tangent, fw_ad.unpack_dual(b).tangent
                if (
                    ta is not None
                    and tb is not None
                    and not _allclose(ta._data, tb._data, 1e-5, 1e-8)
                ):
                    raise GradcheckError(
                        f"Mismatch in tangent values for output with index: {k} when input: "
                        f"{p} has an undefined tangent value. Got: {ta} but expected: {tb}"
                    )


class _UndefinedGrad(Function):
    """Identity whose backward sends no gradient: an undefined grad_output downstream."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: Any, g: Any) -> None:
        return None


_UNDEF = (
    'Please look at "Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
)


def _undefined_backward(func: Callable, inputs: tuple) -> None:
    diff = [inputs[p] for p in _diff_pos(inputs)]

    def check(outs: list) -> None:
        xp = _backend.namespace(outs[0]._data)
        zeros = [make(xp.zeros_like(o._data)) for o in outs]
        try:
            gs = _grad(outs, diff, zeros, allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(
                f"Expected backward function to handle undefined output grads. {_UNDEF}"
            ) from e
        for g in gs:
            if g is not None and bool(_backend.namespace(g._data).any(g._data != 0)):
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads "
                    f"are undefined or zero. {_UNDEF}"
                )

    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        return
    check([_UndefinedGrad.apply(o) for o in outs])
    if len(outs) > 1:
        for u in range(len(outs)):
            outs = [
                o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad
            ]
            check([_UndefinedGrad.apply(o) if k == u else o for k, o in enumerate(outs)])


def _mul_by_grad_output(outputs: list, inputs: tuple) -> None:
    diff = [inputs[p] for p in _diff_pos(inputs)]
    zeros = [make(_backend.namespace(o._data).zeros_like(o._data)) for o in outputs]
    gs = _grad(outputs, diff, zeros, allow_unused=True)
    for g, x in zip(gs, diff):
        if g is None:
            continue
        if g.dtype != x.dtype:
            raise GradcheckError("grad is incorrect type")
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError("grad is incorrect size")
        if bool(_backend.namespace(g._data).any(g._data != 0)):
            raise GradcheckError("backward not multiplied by grad_output")


def _batched(inputs: tuple, o: Tensor, j: int) -> None:
    diff = [inputs[p] for p in _diff_pos(inputs)]
    xp = _backend.namespace(o._data)
    gos = [make(xp.astype(rand_like(o.detach())._data, o._data.dtype)) for _ in range(2)]

    def vjp(v: Tensor) -> list:
        gs = _grad(o, diff, v, retain_graph=True, allow_unused=True)
        return [g._data if g is not None else xp.zeros_like(x._data) for g, x in zip(gs, diff)]

    loop = [xp.stack(c, axis=0) for c in zip(*[vjp(v) for v in gos])]
    stacked = make(xp.stack([g._data for g in gos], axis=0))
    try:
        res = _grad(o, diff, stacked, retain_graph=True, allow_unused=True, is_grads_batched=True)
    except RuntimeError as e:
        raise GradcheckError(f"While computing batched gradients, got: {e}") from e
    for i, (r, e) in enumerate(zip(res, loop)):
        got = r._data if r is not None else xp.zeros_like(e)
        if not _allclose(got, e, 1e-5, 1e-8):
            raise GradcheckError(
                f"For output {j} and input {i}:\n\nbatched gradients (is_grads_batched=True) "
                f"differ from a loop of grad calls.\n\nGot:\n{_show(got)}\n\nExpected:\n"
                f"{_show(e)}"
            )


def _batched_forward(func: Callable[..., Any], inputs: tuple) -> None:
    """``vmap`` of the jvp over a batch of tangents equals a loop of jvps."""
    from .. import func as F  # noqa: N812 - func transforms sit beside autograd
    from .. import stack

    pos = _diff_pos(inputs)
    if not pos:
        return
    primals = tuple(inputs[p].detach() for p in pos)

    def f(*xs: Any) -> Any:
        args = list(inputs)
        for p, x in zip(pos, xs):
            args[p] = x
        return func(*args)

    batches = [stack([rand_like(x) for _ in range(2)]) for x in primals]
    try:
        got = F.vmap(lambda *ts: F.jvp(f, primals, ts)[1])(*batches)
    except RuntimeError as e:
        raise GradcheckError(f"While computing batched forward gradients (vmap), got: {e}") from e
    rows = [F.jvp(f, primals, tuple(b[k] for b in batches))[1] for k in range(2)]
    got_t = _as_tuple(got)
    for j, g in enumerate(got_t):
        want = stack([_as_tuple(r)[j] for r in rows])
        if not _allclose(g._data, want._data, 1e-5, 1e-8):
            raise GradcheckError(
                f"For output {j}:\n\nbatched forward gradients (vmap of the jvp) differ from a "
                f"loop of jvp calls.\n\nGot:\n{_show(g._data)}\n\nExpected:\n{_show(want._data)}"
            )


def _check_inputs(inputs: tuple) -> str:
    hint = []
    for idx, t in enumerate(inputs):
        if (
            isinstance(t, Tensor)
            and t.requires_grad
            and str(t.dtype)
            not in (
                "ndgrad.float64",
                "ndgrad.complex128",
            )
        ):
            warnings.warn(
                f"Input #{idx} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                stacklevel=4,
            )
            hint.append(f"input #{idx} is {t.dtype}")
    if not _diff_pos(inputs):
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of the "
            "them have requires_grad=True."
        )
    if not hint:
        return ""
    return (
        f"hint: {', '.join(hint)}; gradcheck needs double precision (finite differences lose "
        "most digits in single precision): pass the inputs as float64 (x.double()) or "
        "complex128.\n"
    )


def _helper(
    func,
    inputs,
    eps,
    atol,
    rtol,
    nondet_tol,
    check_undefined_grad,
    check_grad_dtypes,
    check_batched_grad,
    check_forward_ad,
    check_backward_ad,
    fast_mode,
    check_batched_forward_grad=False,
) -> bool:
    tupled = _as_tuple(inputs)
    hint = _check_inputs(tupled)
    try:
        func_out = _as_tuple(func(*tupled))
        outputs = [func_out[k] for k in _sel(func_out)]
        check = _fast if fast_mode else _slow
        tol = (eps, rtol, atol, check_grad_dtypes, nondet_tol)
        _real_imag_checks(
            check,
            func,
            func_out,
            tupled,
            tol,
            check_forward_ad,
            check_backward_ad,
            check_undefined_grad,
        )
        if check_batched_forward_grad:
            _batched_forward(func, tupled)
        if not check_backward_ad:
            return True
        if check_batched_grad:
            for j, o in enumerate(outputs):
                _batched(tupled, o, j)
        if outputs:
            _mul_by_grad_output(outputs, tupled)
        if check_undefined_grad:
            _undefined_backward(func, tupled)
    except GradcheckError as e:
        if hint:
            raise GradcheckError(f"{e}\n{hint}") from e
        raise
    return True


def gradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    r"""Check analytical gradients against central differences (PyTorch's ``gradcheck``).

    For each input :math:`x_i` that requires grad and each differentiable output :math:`y_j`:
    :math:`J^{num}_{kl} = (y_{j,l}(x + \epsilon e_k) - y_{j,l}(x - \epsilon e_k)) / 2\epsilon`
    must satisfy :math:`|J^{an} - J^{num}| \le atol + rtol |J^{num}|` elementwise. A complex
    input contributes :math:`\partial s/\partial x + i\,\partial s/\partial y`; a complex output is
    checked as its real and imaginary parts. ``fast_mode`` compares :math:`v^T J u`.
    ``masked`` concerns sparse inputs only (ndgrad has none), so it changes nothing here.

    Returns True; on failure raises :class:`GradcheckError` (or returns False when
    ``raise_exception=False``).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[1.0, 2.0]], dtype=ndgrad.float64, requires_grad=True)
        >>> w = ndgrad.tensor([[0.5], [-1.0]], dtype=ndgrad.float64, requires_grad=True)
        >>> ndgrad.autograd.gradcheck(ndgrad.matmul, (x, w), fast_mode=True)
        True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    del masked  # dense inputs only: See the docstring
    args = (
        func,
        inputs,
        eps,
        atol,
        rtol,
        nondet_tol,
        check_undefined_grad,
        check_grad_dtypes,
        check_batched_grad,
        check_forward_ad,
        check_backward_ad,
        fast_mode,
        check_batched_forward_grad,
    )
    if not raise_exception:
        try:
            return _helper(*args)
        except GradcheckError:
            return False
    return _helper(*args)


def gradgradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    r"""Check second derivatives: ``gradcheck`` of :math:`(x, v) \mapsto v^T \partial f/\partial x`
    computed with ``create_graph=True`` (random ``grad_outputs`` in [-1, 1) when None).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([0.3, -0.7], dtype=ndgrad.float64, requires_grad=True)
        >>> ndgrad.autograd.gradgradcheck(ndgrad.tanh, (x,))
        True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    del gen_non_contig_grad_outputs  # ndgrad's arrays carry no strides of their own to vary
    tupled = _as_tuple(inputs)
    if grad_outputs is None:
        outs = [o for o in _as_tuple(func(*tupled)) if isinstance(o, Tensor) and o.requires_grad]
        gos = []
        for o in outs:
            u = rand_like(o.detach())._data * 2 - 1
            if o.dtype.is_complex:
                u = u + 1j * (rand_like(o.detach().real)._data * 2 - 1)
            gos.append(make(u, True))
        tupled_gos = tuple(gos)
    else:
        tupled_gos = _as_tuple(grad_outputs)
    n_out = len(tupled_gos)
    diff_in = {i for i, x in enumerate(tupled) if isinstance(x, Tensor) and x.requires_grad}
    diff_go = {i for i, x in enumerate(tupled_gos) if x.requires_grad}

    def new_func(*args: Any) -> tuple:
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad]
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n_out:]))
        diff = tuple(x for i, x in enumerate(ins) if i in diff_in)
        gs = _grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        new_func,
        tupled + tupled_gos,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )
