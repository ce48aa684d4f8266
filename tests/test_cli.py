"""The ``ndgrad`` command: ``ndgrad demo``, ``--help``, ``--version`` and its errors."""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import ndgrad
from ndgrad import cli
from ndgrad.cli import demo


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ndgrad.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess:
    return run_cli("demo")


def number_after(label: str, text: str) -> float:
    m = re.search(rf"^\s*{re.escape(label)}\s+(-?[0-9.]+(?:e-?\d+)?)", text, re.MULTILINE)
    assert m, f"no line starting with {label!r} in the demo's output"
    return float(m.group(1))


def test_demo_exits_0_without_warnings_or_errors(demo_run):
    assert demo_run.returncode == 0, demo_run.stderr
    assert demo_run.stderr == ""


def test_demo_shows_the_weighted_backward(demo_run):
    out = demo_run.stdout
    assert "x.grad               tensor([ 6., 12., 18.])" in out
    assert "v^T J" in out
    assert "y.grad               None   (not a leaf" in out
    assert "retain_grad()" in out


def test_demo_shows_the_five_attributes_of_a_leaf_and_a_non_leaf(demo_run):
    out = demo_run.stdout
    for attr in ("data", "grad", "requires_grad", "grad_fn", "is_leaf"):
        assert f"x.{attr}" in out
        assert f"y.{attr}" in out
    assert "y.grad_fn            <MulBackward0>" in out
    assert "MulBackward0 -> PowBackward0 -> AccumulateGrad (x)" in out


def test_demo_computes_the_four_second_order_partials(demo_run):
    out = demo_run.stdout
    assert number_after("f_xx", out) == pytest.approx(4.0, abs=1e-5)
    assert number_after("f_xy", out) == pytest.approx(2.0, abs=1e-5)
    assert number_after("f_yx", out) == pytest.approx(2.0, abs=1e-5)
    assert number_after("f_yy", out) == pytest.approx(-0.909297, abs=1e-5)
    assert re.search(r"f_yy\s+-0\.909297\s+-sin y\s+= -0\.909297", out)
    assert "f_xy == f_yx: True" in out


def test_demo_shows_the_gradient_as_the_vector_of_partials(demo_run):
    out = demo_run.stdout
    assert "g = grad(F)(xy)" in out
    assert "g                    tensor([4.0000, 0.5839])" in out
    assert "[f_x, f_y] = [2xy, x^2 + cos y]" in out


def test_demo_directional_derivative_by_gradient_and_by_jvp_agree(demo_run):
    out = demo_run.stdout
    assert "directional_derivative(F, xy, v, normalize=True)" in out
    want = (2 * 1 * 2 * 3 + (1**2 + math.cos(2)) * 4) / 5  # grad f(1, 2) . (3, 4) / 5
    assert number_after("by_grad", out) == pytest.approx(want, abs=1e-6)
    assert number_after("by_jvp", out) == pytest.approx(want, abs=1e-6)
    assert "without the gradient. Equal: True." in out


def test_demo_hessian_matches_the_four_partials_by_double_backward(demo_run):
    out = demo_run.stdout
    assert "hess = hessian(F)(xy)" in out
    rows = re.findall(r"^\s*hess\[(\d), (\d)\]\s+(\S+)\s+(\S+)\s+(f_\w\w)$", out, re.MULTILINE)
    assert [(i, j, name) for i, j, _, _, name in rows] == [
        ("0", "0", "f_xx"),
        ("0", "1", "f_xy"),
        ("1", "0", "f_yx"),
        ("1", "1", "f_yy"),
    ]
    analytic = {"f_xx": 4.0, "f_xy": 2.0, "f_yx": 2.0, "f_yy": -math.sin(2)}
    for _, _, by_hessian, by_double_backward, name in rows:
        assert float(by_hessian) == pytest.approx(analytic[name], abs=1e-6)
        assert float(by_double_backward) == pytest.approx(analytic[name], abs=1e-6)
        assert float(by_double_backward) == pytest.approx(number_after(name, out), abs=1e-6)
    assert "double backward gave in step 5: True" in out


def test_demo_shows_the_pitfall_and_both_fixes_converge_to_5(demo_run):
    out = demo_run.stdout
    assert "x.grad_fn            <SubBackward0>" in out
    assert "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'" in out
    assert "RuntimeError: a leaf Variable that requires grad is being used in an in-place" in out
    distances = re.findall(r"max \|x - 5\|\s+(\S+)", out)
    assert len(distances) == 2
    assert all(float(d) < 1e-4 for d in distances)
    assert out.count("x.data               tensor([5.0000, 5.0000, 5.0000])") == 2


def test_demo_output_is_plain_ascii_when_piped(demo_run):
    assert "\x1b" not in demo_run.stdout
    assert demo_run.stdout.isascii()
    assert max(len(line) for line in demo_run.stdout.splitlines()) <= 100


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("argv", "env", "colored"),
    [
        (["demo"], {}, True),
        (["demo", "--no-color"], {}, False),
        (["demo"], {"NO_COLOR": "1"}, False),
    ],
)
def test_demo_colors_only_a_terminal_and_obeys_no_color(monkeypatch, argv, env, colored):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli.main(argv) == 0
    assert ("\x1b[" in terminal.getvalue()) is colored


def test_demo_takes_well_under_a_second():
    demo.walkthrough(io.StringIO())  # warm up
    start = time.perf_counter()
    demo.walkthrough(io.StringIO())
    assert time.perf_counter() - start < 0.5


def test_demo_leaves_no_global_state_behind():
    with ndgrad.no_grad():
        pass
    demo.walkthrough(io.StringIO())
    assert ndgrad.is_grad_enabled()
    assert ndgrad.get_default_dtype() is ndgrad.float32


def test_help_lists_the_demo(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: ndgrad" in out
    assert "demo" in out


def test_demo_help_describes_no_color(capsys):
    assert cli.main(["demo", "--help"]) == 0
    assert "--no-color" in capsys.readouterr().out


def test_no_command_prints_the_help(capsys):
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ndgrad {ndgrad.__version__}"


def test_unknown_command_exits_2_with_one_line_and_a_hint():
    r = run_cli("demoo")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "ndgrad: error: unknown command 'demoo'",
        "hint: did you mean 'demo'? 'ndgrad --help' lists the commands (demo, ops, grad, graph)",
    ]


def test_unknown_option_exits_2_with_one_line_and_a_hint(capsys):
    assert cli.main(["demo", "--colour"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "ndgrad demo: error: unrecognized arguments: --colour",
        "hint: did you mean '--no-color'? 'ndgrad demo --help' shows the usage",
    ]


def test_a_bug_is_one_line_not_a_traceback(monkeypatch, capsys):
    def broken(stream, color=False):
        raise ValueError("something inside went wrong\nsecond line")

    monkeypatch.setattr(demo, "walkthrough", broken)
    monkeypatch.delenv("NDGRAD_TRACEBACK", raising=False)
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == [
        "ndgrad: error: internal error: ValueError: something inside went wrong",
        "hint: this is a bug in ndgrad; rerun with NDGRAD_TRACEBACK=1 to see the traceback",
    ]
    monkeypatch.setenv("NDGRAD_TRACEBACK", "1")
    with pytest.raises(ValueError, match="something inside went wrong"):
        cli.main(["demo"])


def test_the_installed_entry_point_runs():
    exe = shutil.which("ndgrad")
    if exe is None:
        pytest.skip("the ndgrad script is not on PATH (package not installed with pip)")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert r.stdout.strip() == f"ndgrad {ndgrad.__version__}"
