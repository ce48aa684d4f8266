"""``ndgrad grad`` and ``ndgrad graph``: the numbers agree with ``ndgrad.func``; JSON, exit codes,
help, progress and the drawing hand-off to ``ndgrad.viz``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import types

import pytest

import ndgrad
from ndgrad import cli, func


def grad_json(capsys, *argv: str) -> dict:
    assert cli.main(["grad", *argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def t64(v) -> ndgrad.Tensor:
    return ndgrad.tensor(v, dtype=ndgrad.float64)


def close(a, b, tol: float = 1e-12) -> None:
    a = ndgrad.tensor(a, dtype=ndgrad.float64) if not isinstance(a, ndgrad.Tensor) else a
    b = ndgrad.tensor(b, dtype=ndgrad.float64) if not isinstance(b, ndgrad.Tensor) else b
    assert tuple(a.shape) == tuple(b.shape)
    assert float((a - b).abs().max()) <= tol * (1 + float(b.abs().max()))


def chain(n: int):
    """A function of n scalar variables, as an expression and as ndgrad code."""
    names = [f"x{i}" for i in range(n)]
    terms = [f"sin({names[i]}) * {names[(i + 1) % n]}**2" for i in range(n)]
    terms += [f"exp({names[i]} / 3)" for i in range(n)]
    text = " + ".join(terms)

    def f(*xs):
        out = 0.0
        for i in range(n):
            out = out + ndgrad.sin(xs[i]) * xs[(i + 1) % n] ** 2
        for i in range(n):
            out = out + ndgrad.exp(xs[i] / 3)
        return out

    point = [0.3 + 0.17 * i for i in range(n)]
    return names, text, f, point


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10])
def test_grad_hessian_and_direction_agree_with_ndgrad_func_for_n_variables(capsys, n):
    names, text, f, point = chain(n)
    at = ",".join(f"{k}={v!r}" for k, v in zip(names, point, strict=True))
    direction = ",".join(str(i + 1) for i in range(n))
    out = grad_json(capsys, text, "--at", at, "--hessian", "--direction", direction)
    xs = tuple(t64(v) for v in point)
    nums = tuple(range(n))
    close(out["value"], f(*xs))
    g = func.grad(f, argnums=nums)(*xs)
    h = func.hessian(f, argnums=nums)(*xs)
    for i, k in enumerate(names):
        close(out["gradient"][k], g[i])
        for j, k2 in enumerate(names):
            close(out["hessian"][k][k2], h[i][j])
    v = t64([float(i + 1) for i in range(n)])

    def on_flat(p):
        return f(*(p[i] for i in range(n)))

    dd = func.directional_derivative(on_flat, t64(point), v, normalize=True)
    close(out["directional_derivative"]["value"], dd)
    close(out["directional_derivative"]["unit_vector"], v / v.norm())
    assert out["directional_derivative"]["direction"] == v.tolist()


def test_the_example_prints_value_gradient_and_equal_mixed_partials(capsys):
    assert cli.main(["grad", "x**2*y + sin(y)", "--at", "x=1,y=2", "--hessian"]) == 0
    out = capsys.readouterr().out
    assert "value     f = 2.909297426825682" in out
    assert "gradient  f_x = 4.0" in out
    assert "f_y = 0.5838531634528576" in out
    assert "f_xy = 2.0" in out
    assert "f_yx = 2.0" in out
    assert "f_yy = -0.9092974268256817" in out
    assert "f_xy == f_yx: True  (f_xy = 2.0, f_yx = 2.0)" in out


def test_direction_shows_the_unit_vector_and_the_derivative_along_it(capsys):
    assert cli.main(["grad", "x**2*y + sin(y)", "--at", "x=1,y=2", "--direction", "1,1"]) == 0
    out = capsys.readouterr().out
    assert "unit vector u = v/|v| = [0.7071067812, 0.7071067812]" in out
    line = next(li for li in out.splitlines() if li.startswith("D_u f = grad f . u = "))
    expected = (4.0 + 1.0 + math.cos(2.0)) / math.sqrt(2.0)  # (f_x + f_y) / sqrt 2
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(expected, rel=1e-14)


def test_json_has_value_gradient_hessian_and_order_as_nested_lists(capsys):
    out = grad_json(
        capsys, "sum(x**3) * y", "--at", "x=[1,2]", "--at", "y=2", "--hessian", "--order", "3"
    )
    assert set(out) >= {"expression", "at", "dtype", "value", "gradient", "hessian", "order"}
    assert out["dtype"] == "float64"
    assert out["at"] == {"x": [1.0, 2.0], "y": 2.0}
    assert out["value"] == 18.0
    assert out["gradient"] == {"x": [6.0, 24.0], "y": 9.0}
    assert out["hessian"]["x"]["x"] == [[12.0, 0.0], [0.0, 24.0]]
    assert out["hessian"]["x"]["y"] == [3.0, 12.0]
    assert out["hessian"]["y"]["y"] == 0.0
    assert out["order"]["n"] == 3
    assert out["order"]["derivative"]["x"]["x"]["x"] == [
        [[12.0, 0.0], [0.0, 0.0]],
        [[0.0, 0.0], [0.0, 12.0]],
    ]
    assert out["order"]["derivative"]["x"]["x"]["y"] == [[6.0, 0.0], [0.0, 12.0]]


@pytest.mark.filterwarnings("ignore:vmap. there is a performance drop")
def test_order_3_agrees_with_nested_jacrev_for_scalar_variables(capsys):
    out = grad_json(capsys, "x**3*y**2 + sin(y)*x", "--at", "x=1.5,y=-0.5", "--order", "3")

    def f(x, y):
        return x**3 * y**2 + ndgrad.sin(y) * x

    xs = (t64(1.5), t64(-0.5))
    third = func.jacrev(func.jacrev(func.jacrev(f, (0, 1)), (0, 1)), (0, 1))(*xs)
    names = "xy"
    for i in range(2):
        for j in range(2):
            for k in range(2):
                got = out["order"]["derivative"][names[i]][names[j]][names[k]]
                close(got, third[i][j][k])
    partials = out["order"]["partials"]
    assert list(partials) == ["f_xxx", "f_xxy", "f_xyy", "f_yyy"]
    close(partials["f_xxy"], 6 * 1.5 * 2 * -0.5)
    close(partials["f_yyy"], -math.cos(-0.5) * 1.5)


def test_order_3_agrees_with_nested_jacrev_for_a_vector_variable(capsys):
    out = grad_json(capsys, "sum(sin(v) * v[0])", "--at", "v=[0.1,0.2,0.3]", "--order", "3")

    def f(v):
        return (ndgrad.sin(v) * v[0]).sum()

    v = t64([0.1, 0.2, 0.3])
    third = func.jacrev(func.jacrev(func.jacrev(f)))(v)
    close(out["order"]["derivative"]["v"]["v"]["v"], third)


def test_order_3_text_lists_every_partial_once(capsys):
    assert cli.main(["grad", "x**2*y", "--at", "x=1,y=2", "--order", "3"]) == 0
    out = capsys.readouterr().out
    assert "order 3   f_xxx = 0.0" in out
    assert "f_xxy = 2.0" in out
    assert "f_yxx" not in out


def test_a_matrix_variable_gets_its_gradient_as_a_matrix(capsys):
    out = grad_json(capsys, "trace(A @ A)", "--at", "A=[[1,2],[3,4]]", "--hessian")
    a = t64([[1.0, 2.0], [3.0, 4.0]])
    close(out["gradient"]["A"], 2 * a.T)
    h = func.hessian(lambda m: ndgrad.trace(m @ m))(a)
    close(out["hessian"]["A"]["A"], h)
    assert out["hessian_symmetric"] is True


def test_a_vector_expression_gets_its_jacobian_and_says_so(capsys):
    argv = ["grad", "A @ x", "--at", "A=[[1,2],[3,4]],x=[1,1]"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "f is not a scalar (shape (2,)): its Jacobian instead of a gradient" in text
    out = grad_json(capsys, *argv[1:])
    assert "gradient" not in out
    jac = func.jacrev(lambda a, x: a @ x, (0, 1))(t64([[1, 2], [3, 4]]), t64([1, 1]))
    close(out["jacobian"]["x"], jac[1])
    close(out["jacobian"]["A"], jac[0])


def test_agrees_with_torch_on_a_mixed_example(capsys):
    torch = pytest.importorskip("torch")
    out = grad_json(
        capsys, "sum(tanh(A @ x)) * exp(-y)", "--at", "A=[[1,-2],[0.5,4]]", "--at", "x=[0.3,0.1]",
        "--at", "y=0.25", "--hessian",
    )  # fmt: skip
    a = torch.tensor([[1, -2], [0.5, 4]], dtype=torch.float64)
    x = torch.tensor([0.3, 0.1], dtype=torch.float64)
    y = torch.tensor(0.25, dtype=torch.float64)

    def f(a, x, y):
        return torch.tanh(a @ x).sum() * torch.exp(-y)

    g = torch.func.grad(f, argnums=(0, 1, 2))(a, x, y)
    h = torch.func.hessian(f, argnums=(0, 1, 2))(a, x, y)
    for i, k in enumerate("Axy"):
        close(out["gradient"][k], g[i].tolist(), 1e-10)
        for j, k2 in enumerate("Axy"):
            close(out["hessian"][k][k2], h[i][j].tolist(), 1e-10)


def test_float32_is_optional_and_float64_the_default(capsys):
    assert grad_json(capsys, "x*2", "--at", "x=1")["dtype"] == "float64"
    out = grad_json(capsys, "sin(x)", "--at", "x=1", "--dtype", "float32")
    assert out["dtype"] == "float32"
    assert out["gradient"]["x"] == pytest.approx(math.cos(1.0), rel=1e-6)


def test_an_unused_variable_has_a_zero_partial(capsys):
    assert grad_json(capsys, "x**2", "--at", "x=3,y=1")["gradient"] == {"x": 6.0, "y": 0.0}


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["x.real", "--at", "x=1"], 2, "attribute access is not allowed at column 2"),
        (["z + 1", "--at", "x=1"], 2, "name 'z' is not defined"),
        (["x", "--at", "x=[1,'a']"], 2, "a value must be a number"),
        (["x", "--at", "x=1", "--at", "x=2"], 2, "variable 'x' is given twice"),
        (["x", "--at", "x=1", "--order", "0"], 2, "--order must be between 1 and 8"),
        (["sum(x)", "--at", "x=[1,2]", "--direction", "1"], 2, "--direction has 1 entries"),
        (["x", "--at", "x=1", "--direction", "0"], 2, "zero vector"),
        (["sum(x)", "--at", "x=[" + ",".join(["1"] * 3000) + "]", "--hessian"], 2, "entries"),
        (["x", "--at", "x=1", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["sum(A @ v)", "--at", "A=[[1,2],[3,4]],v=[1,2,3]"], 1, "'@' failed"),
        (["x[5]", "--at", "x=[1,2]"], 1, "indexing 'x' failed"),
    ],
)
def test_exit_codes_and_one_line_errors(capsys, argv, code, message):
    assert cli.main(["grad", *argv]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert err[0].startswith("ndgrad grad: error: ")
    assert message in err[0]
    assert err[1].startswith("hint: ")


def test_the_command_exits_with_its_codes_in_a_subprocess(tmp_path):
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ndgrad.cli", "grad", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**os.environ, "NDGRAD_TRACEBACK": ""},
        )

    ok = run("x**2*y + sin(y)", "--at", "x=1,y=2", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["gradient"]["x"] == 4.0
    assert ok.stderr == ""
    bad = run("__import__('os').system('touch pwned')", "--at", "x=1")
    assert bad.returncode == 2
    assert not (tmp_path / "pwned").exists()
    failed = run("sum(A @ v)", "--at", "A=[[1,2],[3,4]]", "--at", "v=[1,2,3]")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize("command", ["grad", "graph", "ops", "demo"])
def test_every_subcommand_has_help(capsys, command):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ndgrad {command}")
    if command in ("grad", "graph"):
        assert "--at" in out
        assert "--dtype" in out


def test_top_level_help_lists_grad_and_graph(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "grad" in out
    assert "graph" in out


def test_progress_goes_to_stderr_only_on_a_terminal_and_not_with_no_progress(capsys, monkeypatch):
    argv = ["grad", "sum(sin(v)**2)", "--at", "v=[0.1,0.2,0.3,0.4,0.5,0.6]", "--order", "4"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert "order 4" in captured.err
    d4 = json.loads(captured.out)["order"]["derivative"]["v"]["v"]["v"]["v"]
    v = [0.1 * (i + 1) for i in range(6)]
    assert d4[2][2][2][2] == pytest.approx(-8 * math.cos(2 * v[2]), rel=1e-10)
    assert d4[0][1][0][0] == 0.0
    assert cli.main([*argv, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- ndgrad graph


@pytest.fixture
def stub_viz(monkeypatch):
    calls = []

    def render(kind):
        def fn(t, params=None, **kw):
            calls.append((kind, t, params, kw))
            return f"<{kind} graph>"

        return fn

    def draw(t, filename, params=None, **kw):
        calls.append(("draw", t, params, {"filename": filename, **kw}))
        return filename

    stub = types.ModuleType("ndgrad.viz")
    stub.to_text, stub.to_dot, stub.to_mermaid = render("text"), render("dot"), render("mermaid")
    stub.draw = draw
    monkeypatch.setitem(sys.modules, "ndgrad.viz", stub)
    monkeypatch.setattr(ndgrad, "viz", stub, raising=False)
    return calls


def test_graph_prints_text_by_default_with_the_variables_as_named_leaves(capsys, stub_viz):
    assert cli.main(["graph", "x**2*y + sin(y)", "--at", "x=1,y=2"]) == 0
    assert capsys.readouterr().out == "<text graph>\n"
    (kind, t, params, kw) = stub_viz[0]
    assert kind == "text"
    assert list(params) == ["x", "y"]
    assert all(p.is_leaf and p.requires_grad for p in params.values())
    assert t.grad_fn is not None
    assert t.item() == pytest.approx(2.0 + math.sin(2.0))
    assert kw == {"show_saved": False, "names": None}


@pytest.mark.parametrize("fmt", ["text", "dot", "mermaid"])
def test_graph_format_picks_the_renderer(capsys, stub_viz, fmt):
    assert cli.main(["graph", "sum(x)", "--at", "x=[1,2]", "--format", fmt]) == 0
    assert capsys.readouterr().out == f"<{fmt} graph>\n"
    assert stub_viz[0][0] == fmt


def test_graph_output_file_draws_and_format_with_output_writes_the_text(capsys, stub_viz, tmp_path):
    target = tmp_path / "graph.svg"
    assert cli.main(["graph", "x*y", "--at", "x=1,y=2", "-o", str(target), "--show-saved"]) == 0
    assert stub_viz[-1][0] == "draw"
    assert stub_viz[-1][3] == {"filename": str(target), "show_saved": True, "names": None}
    dot = tmp_path / "graph.dot"
    assert cli.main(["graph", "x*y", "--at", "x=1,y=2", "-o", str(dot), "--format", "dot"]) == 0
    assert dot.read_text() == "<dot graph>\n"
    assert f"wrote {dot}" in capsys.readouterr().out


def test_graph_rejects_hostile_expressions_and_reports_evaluation_errors(capsys, stub_viz):
    assert cli.main(["graph", "__import__('os')", "--at", "x=1"]) == 2
    assert cli.main(["graph", "x @ x", "--at", "x=1"]) == 1
    assert stub_viz == []
    err = capsys.readouterr().err
    assert "ndgrad graph: error: name '__import__' is not allowed" in err


def test_graph_with_the_real_viz_names_the_leaves(capsys):
    pytest.importorskip("ndgrad.viz")
    assert cli.main(["graph", "x**2*y + sin(y)", "--at", "x=1,y=2"]) == 0
    out = capsys.readouterr().out
    assert "AccumulateGrad x" in out
    assert "AccumulateGrad y" in out
    assert "SinBackward0" in out
    assert cli.main(["graph", "x*y", "--at", "x=1,y=2", "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph")


# ---------------------------------------------------------------- cost of derivatives (review)


def run_quickly(capsys, argv: list[str], seconds: float = 1.0) -> tuple[int, str, str]:
    import time

    start = time.perf_counter()
    code = cli.main(argv)
    assert time.perf_counter() - start < seconds
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def vector(n: int) -> str:
    return "v=[" + ",".join(f"{0.1 + i / n:.4f}" for i in range(n)) + "]"


@pytest.mark.parametrize(
    "argv",
    [
        # the Hessian batches a million-element intermediate over 1000 inputs: 8 GB, minutes
        ["sum(sin(outer(v, v)))", "--at", vector(1_000), "--hessian"],
        ["sum(outer(v, v) @ outer(v, v))", "--at", vector(1_000), "--hessian"],
        # nested reverse passes batch over each other: 13 s, and out of memory at order 8
        ["x*y*z*sin(x+y+z)", "--at", "x=1,y=2,z=3", "--order", "7"],
        ["x*y*z*sin(x+y+z)", "--at", "x=1,y=2,z=3", "--order", "8"],
        ["sin(x)*cos(y)*exp(x*y)", "--at", "x=1,y=2", "--order", "8"],  # 28 s
        ["sum(v**2*sin(v))", "--at", "v=[1,2,3]", "--order", "7"],  # 12 s
    ],
)
def test_derivatives_that_would_run_for_minutes_are_refused_before_they_run(capsys, argv):
    code, out, err = run_quickly(capsys, ["grad", *argv])
    assert code == 2
    assert out == ""
    assert "would take too long or too much memory" in err.splitlines()[0]


def test_derivatives_of_modest_cost_still_run(capsys):
    for argv in (
        ["x*y*z*sin(x+y+z)", "--at", "x=1,y=2,z=3", "--order", "5"],
        ["sin(x)*cos(x)*exp(x*x)", "--at", "x=1", "--order", "8"],
        ["sum(v**2)", "--at", vector(1_000), "--hessian"],
        ["sum(sin(outer(v, v)))", "--at", vector(30), "--hessian"],
    ):
        code, _, err = run_quickly(capsys, ["grad", *argv], seconds=3.0)
        assert code == 0, err


def test_a_derivative_that_fails_with_any_exception_exits_1_with_one_line(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a rule divided by zero")

    monkeypatch.setattr(func, "grad", broken)
    assert cli.main(["grad", "x**2", "--at", "x=1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "ndgrad grad: error: computing the gradient failed: ZeroDivisionError: a rule divided "
        "by zero"
    )
    assert "internal error" not in "\n".join(err)


def test_overflow_and_invalid_values_show_as_inf_and_nan_without_warnings(capsys):
    argv = ["grad", "sum(polygamma(1000000, v)) + exp(exp(exp(x)))", "--at", "v=[1,2],x=10"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "value     f = " in captured.out


def test_at_values_too_long_together_are_refused(capsys):
    big = ",".join(["1.5"] * 9_000)
    argv = ["grad", "x", *[a for i in range(30) for a in ("--at", f"v{i}=[{big}]")]]
    code, out, err = run_quickly(capsys, [*argv, "--at", "x=1"])
    assert code == 2
    assert "the --at values are too long together" in err
