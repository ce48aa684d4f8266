"""Random autograd programs give PyTorch's values, gradients, hook calls and exception classes.

The programs, the comparison and the shrinking live in ``tests/fuzz_programs.py``. A CI run tries
a few hundred programs; more with ``NDGRAD_FUZZ_PROGRAMS=5000``, others with
``NDGRAD_FUZZ_SEED=7``. A failure prints each distinct difference shrunk to a minimal program
that runs on its own. ``python tests/fuzz_programs.py 5000 --seed 7`` lists every distinct failure.
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import ndgrad  # noqa: E402
from fuzz_programs import (  # noqa: E402
    DELIBERATE,
    check,
    clone_inplace_operands,
    compare,
    generate,
    render,
    run,
    shrink,
    torch_twin,
)

PROGRAMS = int(os.environ.get("NDGRAD_FUZZ_PROGRAMS", "400"))
SEED = int(os.environ.get("NDGRAD_FUZZ_SEED", "0"))
SHOWN = 6  # distinct failures shrunk and shown; the others are counted


def _report(lines: list[str], problems: list[str]) -> str:
    return "\n".join(problems[:4]) + "\n\n" + render(lines)


def test_random_programs_match_pytorch() -> None:
    shown: dict[str, str] = {}
    failed = []
    for number in range(SEED, SEED + PROGRAMS):
        lines = generate(number)
        if check(lines, torch, ndgrad).kind is None:
            continue
        failed.append(number)
        if len(shown) < SHOWN:
            small = shrink(lines, torch, ndgrad)
            key = "\n".join(small)
            if key not in shown:
                shown[key] = f"# program {number}\n" + _report(
                    small, check(small, torch, ndgrad).problems
                )
    assert not failed, (
        f"{len(failed)} of {PROGRAMS} random programs (seed {SEED}) differ from PyTorch: "
        f"{failed[:20]}; the first distinct ones, shrunk:\n\n" + "\n\n".join(shown.values())
    )


# --- regression cases: minimal programs the fuzzer found (issue 5) ----------------------------

KNOWN = pytest.mark.xfail(strict=True, reason="known defect, issue 5")
HEADER = "x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)"

REGRESSIONS = [
    pytest.param(
        [
            HEADER,
            "y = x * 1",
            "e = y.expand(2, 3)",
            "y.mul_(2)",
            "e.sum().backward()",
        ],
        id="expand-view-sees-its-base-written-in-place",
    ),
    pytest.param(
        [
            "w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)",
            "b = lib.zeros(3, dtype=lib.float64)",
            "e = b.expand(2, 3)",
            "b += w",
            "e.sum().backward()",
        ],
        id="expand-of-a-buffer-gets-the-history-written-into-it",
    ),
    pytest.param(
        [
            "x = lib.tensor([[3.0, 0.0, 0.5]], dtype=lib.float64, requires_grad=True)",
            "v = x.expand(1, 3)",
        ],
        id="expand-to-its-own-shape-is-a-view-not-the-leaf",
    ),
    pytest.param(
        [
            HEADER,
            "y = x * 1",
            'y.register_hook(hook("h0"))',
            "v = y[0:2]",
            "v.mul_(2)",
            "y.sum().backward()",
        ],
        id="hook-on-the-base-runs-after-a-write-through-a-view",
    ),
    pytest.param(
        [HEADER, "y = x * 1", "v = y[0:2]", "v.mul_(2)", "y.retain_grad()", "y.sum().backward()"],
        id="retain-grad-on-the-base-after-a-write-through-a-view",
    ),
    pytest.param(
        [HEADER, "y = x * 1", "v = y[0:2]", "v.mul_(2)", "g, = lib.autograd.grad(v.sum(), y)"],
        id="grad-with-respect-to-the-base-after-a-write-through-a-view",
    ),
    pytest.param(
        [HEADER, "y = x * 2", "y.retain_grad()", "y.mul_(3)", "(y * y).sum().backward()"],
        id="retain-grad-follows-the-tensor-through-an-in-place-op",
    ),
    pytest.param(
        [
            HEADER,
            "y = x * 1",
            "v = y[2]",
            "v.retain_grad()",
            "v.mul_(-1.0)",
            "g, = lib.autograd.grad(v.sum(), [x])",
        ],
        id="retain-grad-on-a-view-written-in-place",
    ),
    pytest.param(
        [
            "x = lib.tensor([-1.0, 2.0], dtype=lib.float64, requires_grad=True)",
            "x.relu().sqrt().sum().backward()",
        ],
        id="relu-backward-selects-zero-where-upstream-is-inf",
    ),
    pytest.param(
        [HEADER, "a = x * 1", "y = a.max(0)[0]", "a.add_(1)", "y.sum().backward()"],
        id="max-dim-saves-only-the-indices",
    ),
    pytest.param(
        [HEADER, "y = x * 1", "v = y.expand(1, 3)", "v.mul_(2)", "y.sum().backward()"],
        id="in-place-into-an-expand-view-without-overlap",
    ),
    pytest.param(
        [
            "x = lib.tensor([[1.5, -1.0], [1.0, 0.5]], dtype=lib.float64, requires_grad=True)",
            "t = x.abs()",
            "v = t.expand(2, 2, 2)",
            "v[1:] = 0.5",
        ],
        id="setitem-into-an-expand-view-without-overlap",
    ),
    pytest.param(
        [
            HEADER,
            "g, = lib.autograd.grad(x.relu().sum(), x, create_graph=True)",
            "h, = lib.autograd.grad(g.sum(), x, allow_unused=True)",
        ],
        id="create-graph-through-relu-gives-a-gradient-that-requires-grad",
    ),
    # Found by the fuzzer (seed 0), shrunk; the KNOWN ones were still open when it was written.
    pytest.param(
        [
            "x1 = lib.tensor([1.0, 2.0, 0.0, -2.0], dtype=lib.float64, requires_grad=True)",
            "x2 = lib.tensor([[-1.0, 0.0, -1.0]], dtype=lib.float64, requires_grad=True)",
            "t4 = x1.clone() * 1",
            "t5 = x2.tanh()",
            "t5.mul_(t5)",
            "loss6 = (t4 * t4).sum() + t5.sum()",
            "g7, g8, = lib.autograd.grad(loss6, [loss6, t5], retain_graph=True, allow_unused=True)",
        ],
        id="grad-runs-only-the-nodes-between-outputs-and-inputs-version",
    ),
    pytest.param(
        [
            "x1 = lib.tensor([[3.0, 2.0, 1.5]], dtype=lib.float64, requires_grad=True)",
            "loss5 = x1.exp().sum()",
            "g6, = lib.autograd.grad(loss5, [x1], create_graph=True)",
            "((g6 * x1).sum()).backward()",
            "g8, = lib.autograd.grad(g6.sum(), [g6], retain_graph=True, allow_unused=True)",
        ],
        id="grad-runs-only-the-nodes-between-outputs-and-inputs-freed",
    ),
    pytest.param(
        [
            "x2 = lib.tensor([-1.0, 2.0, 1.5, 0.0], dtype=lib.float64, requires_grad=True)",
            "t3 = x2.mean(0)",
            "v4 = t3.reshape(-1)",
            "v4.mul_(t3)",
            "v4.exp().sum().backward()",
        ],
        id="in-place-op-saves-an-overlapping-operand-as-it-was-before-the-write",
    ),
    pytest.param(
        [HEADER, "g, = lib.autograd.grad(x.sum(), [x, None])"],
        id="grad-with-a-none-input-raises-runtime-error",
    ),
    pytest.param(
        [HEADER, "y = x * 1", "y[0] = x"],
        id="setitem-of-a-too-big-value-raises-runtime-error",
    ),
]


def test_an_in_place_op_reading_its_own_memory_computes_pytorchs_cloned_program() -> None:
    """See docs/differences.md, ``inplace-operand-shares-the-written-memory``: PyTorch's values
    depend on the order the write visits elements; ndgrad's are those of the cloned program."""
    lines = [
        "x2 = lib.tensor([[2.0, 3.0], [3.0, 0.5], [2.0, -1.5]], dtype=lib.float64,"
        " requires_grad=True)",
        "t5 = x2 @ x2.t()",
        "v6 = t5[:, 0]",
        "t5 += v6",
        "(t5 * t5).sum().backward()",
    ]
    cloned = clone_inplace_operands(lines)
    assert cloned[3] == "t5 += (v6).clone()"
    assert not compare(run(cloned, torch), run(lines, ndgrad))


@pytest.mark.parametrize("lines", REGRESSIONS)
def test_regression_program_matches_pytorch(lines: list[str]) -> None:
    result = check(lines, torch, ndgrad)
    assert not result.problems, _report(lines, result.problems)


# --- the fuzzer itself ---------------------------------------------------------------------------


def _torch_with_a_bug() -> types.SimpleNamespace:
    """PyTorch, except that ``lib.sin`` computes a cosine: a library the fuzzer must catch."""
    fake = types.SimpleNamespace(
        **{n: getattr(torch, n) for n in dir(torch) if not n.startswith("__")}
    )
    fake.sin = torch.cos
    return fake


def test_shrinking_keeps_only_the_lines_that_make_the_difference() -> None:
    lines = [
        HEADER,
        "t0 = x.exp()",
        "t1 = lib.sin(x)",
        "t2 = t0 * 2.0",
        'x.register_hook(hook("h0"))',
        "loss = t1.sum() + t2.sum()",
        "loss.backward()",
    ]
    buggy = _torch_with_a_bug()
    assert check(lines, torch, buggy).problems
    assert shrink(lines, torch, buggy) == [HEADER, "t1 = lib.sin(x)"]


def test_the_generator_is_deterministic_and_programs_run_on_their_own() -> None:
    lines = generate(12345)
    assert lines == generate(12345)
    namespace: dict = {}
    exec(
        render(
            [
                "x = lib.tensor([1.0], requires_grad=True)",
                'x.register_hook(hook("h"))',
                "(x * 3).sum().backward()",
            ]
        ),
        namespace,
    )
    assert namespace["log"] == {"h": [[3.0]]}


def test_a_deliberate_difference_is_checked_against_pytorch_on_the_rewritten_program() -> None:
    # PyTorch refuses to write into one output of unbind(); ndgrad writes, and its gradient is
    # PyTorch's for the same write through x[0].
    lines = [
        "x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)",
        "y = x * 1",
        "v = y.unbind(0)[0]",
        "v.mul_(2.0)",
        "(y * y).sum().backward()",
    ]
    assert "returns multiple views" in run(lines, torch).error[2]
    _, used = torch_twin(lines, torch, run(lines, ndgrad))
    assert used == ["inplace-on-multi-output-view"]
    assert not check(lines, torch, ndgrad).problems


def test_every_deliberate_difference_is_documented() -> None:
    text = (Path(__file__).parents[1] / "docs" / "differences.md").read_text(encoding="utf-8")
    names = [d.name for d in DELIBERATE] + ["inplace-on-a-view-made-before-its-base-required-grad"]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/differences.md does not describe: {missing}"
