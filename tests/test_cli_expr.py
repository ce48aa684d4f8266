"""The expression language of ``ndgrad grad`` / ``ndgrad graph``: hostile inputs are rejected
quickly with a column and run nothing; everything the checks admit evaluates or fails cleanly."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndgrad
from ndgrad import cli
from ndgrad.cli.expr import (
    MAX_ELEMENTS,
    MAX_WORK,
    EvaluationError,
    ExpressionError,
    evaluate,
    functions,
    parse,
    parse_value,
    split_assignments,
)

HOSTILE = {
    "os.system through __import__": "__import__('os').system('id')",
    "attribute chain": "x.__class__.__mro__[1].__subclasses__()",
    "attribute on a call": "sin(x).sum()",
    "plain attribute": "x.real",
    "dunder name": "__builtins__",
    "dunder as a function": "__import__('os')",
    "dunder keyword value": "sum(x, dim=__name__)",
    "lambda": "(lambda: 1)()",
    "list comprehension": "[i for i in x]",
    "generator expression": "sum(i for i in x)",
    "dict comprehension": "{i: i for i in x}",
    "power tower": "9**9**9",
    "power tower in parentheses": "2**(3**4)",
    "huge exponent": "x**1000",
    "huge negative exponent": "x**-1000",
    "list repetition": "[0]*10**10",
    "list literal": "[1, 2, 3]",
    "10,000 nested parentheses": "(" * 10_000 + "x" + ")" * 10_000,
    "51 nested parentheses": "(" * 51 + "x" + ")" * 51,
    "nested calls too deep": "sin(" * 60 + "x" + ")" * 60,
    "huge integer literal": "1" * 1_500,
    "huge float literal": "1e999",
    "float that overflows": "9" * 400 + ".0",
    "too long": "x+" * 1_500 + "x",
    "Cyrillic x": "\u0445**2",
    "Greek omicron in a name": "c\u03bfs(x)",
    "fullwidth x (NFKC-normalised by Python)": "\uff58 + 1",
    "string": "'id'",
    "bytes": "b'id'",
    "f-string": "f'{x}'",
    "complex literal": "1j * x",
    "walrus": "(y := 1)",
    "starred argument": "sum(*x)",
    "keyword unpacking": "sum(x, **{'dim': 0})",
    "unknown keyword": "sum(x, out=x)",
    "keyword to smuggle a string": "sum(x, dim='0')",
    "eval": "eval('1')",
    "exec": "exec('import os')",
    "open": "open('/etc/passwd')",
    "getattr": "getattr(x, 'real')",
    "in-place op": "fill(x, 0)",
    "random draw": "rand(3)",
    "factory with sizes": "zeros(10000, 10000)",
    "size-taking op": "tile(x, (1000, 1000))",
    "calling a variable": "x(1)",
    "calling a call": "sin(x)(1)",
    "function as a value": "sin + 1",
    "comparison": "x < 1",
    "boolean operator": "x and y",
    "conditional": "x if y else 1",
    "modulo": "x % 2",
    "bit operations": "x ^ y",
    "not": "not x",
    "unknown name": "z + 1",
    "None": "None",
    "Ellipsis": "...",
    "index by a variable": "x[y]",
    "index by a string": "x['a']",
    "index of a call": "sin(x)[0]",
    "subscript a function": "sin[0]",
    "dict literal": "{'a': 1}",
    "set literal": "{1, 2}",
    "tuple as the result": "(x, y)",
    "null byte": "x\x00",
    "newline and a statement": "x\nimport os",
    "semicolon": "x; import os",
    "assignment": "x = 1",
    "import": "import os",
    "yield": "(yield x)",
    "await": "await x",
    "slice outside an index": "sum(x, 1:2)",
    "True as a value": "True + x",
    "syntax error": "x +",
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expression_is_rejected_within_a_second_with_a_column(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse(text, ["x", "y"])
    assert time.perf_counter() - start < 1.0
    e = info.value
    assert isinstance(e, ValueError)
    assert isinstance(e.column, int)
    assert 1 <= e.column <= len(text) + 1
    assert f"at column {e.column}" in str(e)
    assert "\n" not in str(e)  # one line


def test_os_system_through_the_command_runs_nothing_and_exits_2(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "MARKER"
    monkeypatch.chdir(tmp_path)
    for expr in (
        f"__import__('os').system('touch {marker}')",
        f"eval(\"__import__('os').system('touch {marker}')\")",
        f"open('{marker}', 'w')",
    ):
        assert cli.main(["grad", expr, "--at", "x=1"]) == 2
        assert cli.main(["graph", expr, "--at", "x=1"]) == 2
    assert not marker.exists()
    assert os.listdir(tmp_path) == []
    err = capsys.readouterr().err
    assert "ndgrad grad: error: attribute access is not allowed at column 17:" in err


def test_rejection_prints_one_error_line_a_hint_and_a_caret_under_the_column(capsys):
    assert cli.main(["grad", "x + sin(x).sum()", "--at", "x=1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "ndgrad grad: error: attribute access is not allowed at column 11: x + sin(x).sum()"
    )
    assert err[1].startswith("hint:")
    assert err[-2] == "  x + sin(x).sum()"
    assert err[-1] == "  " + " " * 10 + "^"


def test_a_look_alike_name_is_rejected_with_the_character_named():
    with pytest.raises(ExpressionError) as info:
        parse("\u0445**2 + y", ["x", "y"])
    assert info.value.column == 1
    assert "CYRILLIC SMALL LETTER HA" in str(info.value)
    assert "U+0445" in str(info.value)
    assert "did you mean 'x'" in info.value.hint


def test_a_constant_exponent_up_to_the_limit_is_accepted():
    x = ndgrad.tensor(1.5, dtype=ndgrad.float64)
    assert evaluate(parse("x**100", ["x"]), {"x": x}).item() == pytest.approx(1.5**100)
    assert evaluate(parse("(x**2)**3", ["x"]), {"x": x}).item() == pytest.approx(1.5**6)


def test_50_nested_brackets_are_accepted_and_51_are_not():
    parse("(" * 50 + "x" + ")" * 50, ["x"])
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 51 + "x" + ")" * 51, ["x"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2*y + sin(y)", 1.0 * 2.0 + 0.9092974268256817),
        ("-x + +y", 1.0),
        ("pi * e", 3.141592653589793 * 2.718281828459045),
        ("sum(v ** 2)", 14.0),
        ("sum(v[1:])", 5.0),
        ("v[-1] * A[1, 0]", 9.0),
        ("sum(A @ v[:2])", 5.0 + 11.0),
        ("trace(A)", 5.0),
        ("mean(sum(A, dim=0, keepdim=True))", 5.0),
        ("sum(A, (0, 1))", 10.0),
        ("dot(v, v)", 14.0),
        ("2 ** 3", 8.0),
        ("2", 2.0),
        ("-" * 999 + "x", -1.0),
        ("x" + " + x" * 400, 401.0),
    ],
)
def test_allowed_expressions_evaluate_to_their_values(text, expected):
    values = {
        "x": ndgrad.tensor(1.0, dtype=ndgrad.float64),
        "y": ndgrad.tensor(2.0, dtype=ndgrad.float64),
        "v": ndgrad.tensor([1.0, 2.0, 3.0], dtype=ndgrad.float64),
        "A": ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ndgrad.float64),
    }
    out = evaluate(parse(text, list(values)), values)
    assert out.dtype == ndgrad.float64
    assert out.item() == pytest.approx(expected)


def test_the_function_list_comes_from_the_op_table_without_unsafe_entries():
    from ndgrad.ops.coverage import rows

    fns = functions()
    table = {r["op"] for r in rows()}
    assert set(fns) <= table
    for name in ("sin", "exp", "log", "sqrt", "tanh", "sum", "mean", "dot", "matmul", "outer"):
        assert name in fns
    for name in ("fill", "put", "index_copy", "repeat", "tile", "expand", "einsum", "to"):
        assert name not in fns
    assert not any(name.endswith("_") or name.startswith("_") for name in fns)


def test_outer_product_too_large_is_refused_before_it_runs():
    x = ndgrad.ones(10_000, dtype=ndgrad.float64)
    start = time.perf_counter()
    for text in ("outer(x, x)", "reshape(x, (-1, 1)) * x", "kron(x, x)", "sum(diag(x))"):
        with pytest.raises(EvaluationError, match="would make a result of"):
            evaluate(parse(text, ["x"]), {"x": x})
    assert time.perf_counter() - start < 1.0
    assert MAX_ELEMENTS < 10_000**2


def test_offsets_that_grow_a_diagonal_and_long_chains_of_products_are_refused_quickly():
    x = ndgrad.ones(1_000, dtype=ndgrad.float64)
    start = time.perf_counter()
    for text in ("diagflat(x, 100000)", "diag(x, 10)", "diag_embed(x, offset=5)"):
        with pytest.raises(EvaluationError, match="would make a result of"):
            evaluate(parse(text, ["x"]), {"x": x})
    big = "sum(" + " @ ".join(["outer(x, x)"] * 4) + ")"
    with pytest.raises(EvaluationError, match="would bring the work to"):
        evaluate(parse(big, ["x"]), {"x": x})
    assert time.perf_counter() - start < 1.0
    assert MAX_WORK < 3 * 1_000**3


def test_integer_arguments_are_small():
    with pytest.raises(ExpressionError, match="integer argument is too large"):
        parse("roll(x, 10000000)", ["x"])
    with pytest.raises(ExpressionError, match="integer argument is too large"):
        parse("sum(x, dim=-10000000)", ["x"])
    parse("roll(x, -3)", ["x"])


def test_a_shape_mismatch_is_an_evaluation_error_naming_the_column():
    values = {"A": ndgrad.ones((2, 2)), "v": ndgrad.ones(3)}
    with pytest.raises(EvaluationError) as info:
        evaluate(parse("sum(A @ v)", ["A", "v"]), values)
    assert info.value.column == 5
    assert "'@' failed" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "[0]*10**10",
        "__import__('os')",
        "'abc'",
        "[1, 'a']",
        "[[1, 2], [3]]",
        "[1, 2" + ", 3" * 10_000 + "]",
        "[" * 10_000 + "1" + "]" * 10_000,
        "1e999",
        "1" * 1_000,
        "[]",
        "x",
        "1j",
        "True",
        "[1, 2][0]",
        "\u0445",
    ],
)
def test_hostile_values_for_at_are_rejected_within_a_second(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        parse_value(text)
    assert time.perf_counter() - start < 1.0


def test_values_may_be_numbers_vectors_and_matrices():
    assert parse_value("-2.5").item() == -2.5
    assert parse_value("pi").item() == pytest.approx(3.141592653589793)
    assert parse_value("[1, 2, 3]").tolist() == [1.0, 2.0, 3.0]
    assert parse_value("[[1, 2], [3, 4]]", ndgrad.float32).dtype == ndgrad.float32
    assert tuple(parse_value("[[[1], [2]]]").shape) == (1, 2, 1)
    assert parse_value("[" + ",".join(["1"] * 10_000) + "]").numel() == 10_000


@pytest.mark.parametrize("text", ["x", "x=1,=2", "1x=1", "__x__=1", "sin=1", "pi=3", "def=1"])
def test_bad_assignments_are_rejected(text):
    with pytest.raises(ExpressionError):
        split_assignments(text)


# ---------------------------------------------------------------- fuzz

ATOMS = ["x", "y", "v", "1", "2.5", "0", "pi", "e", "3", "-1", "True"]
BAD_ATOMS = ["__import__", "'s'", "x.real", "lambda: 1", "[0]", "1j", "None", "\u0445", "..."]
BAD_ATOMS += ["b''", "f'{x}'", "(y:=1)", "*x", "1e999", "9" * 30, "z", "x\x00", "{1}"]
UNARY = ["-", "+", "~", "not "]
BINARY = [" + ", " - ", " * ", " / ", " ** ", " @ ", " % ", " // ", " < ", " and ", ".", ","]
FUNCS = ["sin", "exp", "log", "sqrt", "tanh", "sum", "mean", "dot", "outer", "matmul", "trace"]
FUNCS += ["eval", "open", "__import__", "getattr", "fill", "abs", "clamp", "norm", "reshape"]


def expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(UNARY), inner).map("".join),
            st.tuples(inner, st.sampled_from(BINARY), inner).map("".join),
            st.tuples(st.sampled_from(FUNCS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(FUNCS), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            st.tuples(st.sampled_from(FUNCS), inner, st.sampled_from(["0", "-1", "True"])).map(
                lambda t: f"{t[0]}({t[1]}, dim={t[2]})"
            ),
            inner.map(lambda s: f"({s})"),
            st.tuples(inner, st.sampled_from(["[0]", "[1:]", "[::-1]", "[x]", "[0, 0]"])).map(
                "".join
            ),
            st.tuples(inner, st.sampled_from(["**2", "**100", "**101", "**9**9", "**-1"])).map(
                "".join
            ),
        )

    atoms = st.sampled_from(ATOMS) | st.sampled_from(BAD_ATOMS) | st.text(max_size=3)
    return st.recursive(atoms, extend, max_leaves=12)


@settings(
    max_examples=300,
    deadline=1000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(expressions())
def test_fuzzed_expressions_are_rejected_or_evaluated_never_another_exception(text):
    values = {
        "x": ndgrad.tensor(0.5, dtype=ndgrad.float64),
        "y": ndgrad.tensor(2.0, dtype=ndgrad.float64),
        "v": ndgrad.tensor([1.0, 2.0, 3.0], dtype=ndgrad.float64),
    }
    try:
        checked = parse(text, list(values))
    except ExpressionError as e:
        column = e.column
        checked = None
    if checked is None:
        assert column is None or 1 <= column <= len(text) + 1
        return
    try:
        out = evaluate(checked, values)
    except EvaluationError:
        return
    assert isinstance(out, ndgrad.Tensor)


# ---------------------------------------------------------------- sizes and work (review)


def _values(**arrays):
    return {k: ndgrad.tensor(v, dtype=ndgrad.float64) for k, v in arrays.items()}


def _refused_quickly(text, values, match):
    start = time.perf_counter()
    with pytest.raises(EvaluationError, match=match):
        evaluate(parse(text, list(values)), values)
    assert time.perf_counter() - start < 1.0


def test_an_empty_tensor_of_a_huge_shape_is_refused_before_a_reduction_fills_it():
    v = _values(v=[1.0, 2.0])
    # 0 elements, but summing away the empty dim would make 10**12 (7 TiB) of them
    _refused_quickly("sum(reshape(v[0:0], (1000000, 1000000, 0)), dim=2)", v, "would make")
    _refused_quickly("mean(reshape(v[0:0], (1000, 1000, 1000, 0)), dim=3)", v, "would make")
    assert evaluate(parse("sum(reshape(v[0:0], (10, 0)), dim=1)", ["v"]), v).shape == (10,)


@pytest.mark.parametrize(
    "text",
    [
        "add(reshape(w, (-1, 1)), other=w)",
        "clamp(reshape(w, (-1, 1)), min=w)",
        "lerp(reshape(w, (-1, 1)), reshape(w, (-1, 1)), weight=w)",
        "pow(reshape(w, (-1, 1)), exponent=w)",
    ],
)
def test_tensors_given_by_keyword_broadcast_into_the_planned_size(text):
    w = {"w": ndgrad.ones(10_000, dtype=ndgrad.float64)}
    # refused by the plan (the call named), not after making 10**8 elements
    _refused_quickly(text, w, r"\(\) would make a result of 100,000,000 elements")


def test_unary_minus_counts_as_work_so_a_long_chain_on_a_large_value_is_refused():
    v = {"v": ndgrad.ones(1_000, dtype=ndgrad.float64)}
    _refused_quickly("sum(" + "-" * 1_980 + "outer(v, v))", v, "would bring the")
    assert evaluate(parse("-" * 1_980 + "v[0]", ["v"]), v).item() == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "sum(igammac(outer(v, v), outer(v, v)))",  # ~3 s of SciPy for a million elements
        "sum(pinverse(outer(v, v)))",  # an SVD of 1000 x 1000: ~5 s
        "sum(cholesky_inverse(outer(v, v) + diag(v)))",
        "sum(" + " + ".join(["lgamma(outer(v, v))"] * 60) + ")",
        "sum(diff(outer(v, v), n=1000000))",  # 1000 differences in a row
        "sum(quantile(outer(v, v), sigmoid(v), dim=0))",  # 10**9 quantiles
    ],
)
def test_slow_functions_and_large_repeats_are_refused_before_they_run(text):
    v = {"v": ndgrad.linspace(0.1, 0.9, 1_000, dtype=ndgrad.float64)}
    _refused_quickly(text, v, "would (bring|make)")


def test_slow_functions_on_small_values_still_evaluate():
    values = _values(v=[0.2, 0.5, 0.7], A=[[2.0, 1.0], [1.0, 3.0]])
    for text in (
        "sum(igammac(v, v))",
        "sum(pinverse(A))",
        "logdet(A)",
        "sum(diff(v, n=1000000))",
        "sum(polygamma(3, v))",
    ):
        assert isinstance(evaluate(parse(text, list(values)), values), ndgrad.Tensor)


def test_the_cost_of_an_evaluation_is_reported_when_asked():
    from ndgrad.cli.expr import OVERHEAD, Cost

    cost = Cost()
    values = _values(v=[1.0, 2.0, 3.0])
    evaluate(parse("sum(sin(v) * v)", ["v"]), values, cost=cost)
    assert cost.ops == 3
    assert cost.elements == 3 + 3 + 3
    assert cost.peak == 3
    assert cost.work == 3 * OVERHEAD
    assert 0 < cost.array_work < cost.work


CALL_ARGS = ["x", "v", "A", "0", "1", "-1", "2", "1e9", "2.5", "True", "(0, 1)", "1000000"]
CALL_ARGS += ["-1000000", "v[0:0]", "A[:, 0:0]", "(v, v)", "(A, A)", "(x, v)", "1e-300", "-v"]
CALL_KEYWORDS = sorted(["dim", "keepdim", "p", "dims", "offset", "n", "k", "other", "weight"])
CALL_KEYWORDS += ["min", "max", "exponent", "q", "shifts", "start_dim", "value", "diagonal"]
COMMANDS = [["grad"], ["grad", "--hessian"], ["grad", "--order", "3"], ["graph"]]


@settings(max_examples=200, deadline=2000, derandomize=True)
@given(
    st.sampled_from(sorted(functions())),
    st.tuples(
        st.sampled_from(["x", "v", "A", "-v", "v[1:]", "A[0]"]),
        st.lists(st.sampled_from(CALL_ARGS), max_size=2),
    ).map(lambda t: [t[0], *t[1]]),
    st.lists(st.tuples(st.sampled_from(CALL_KEYWORDS), st.sampled_from(CALL_ARGS)), max_size=1),
    st.booleans(),
    st.sampled_from(COMMANDS),
)
def test_fuzzed_calls_of_every_function_exit_0_1_or_2_without_a_traceback(
    name, args, keywords, summed, command
):
    import contextlib
    import io
    import warnings

    call = f"{name}({', '.join([*args, *(f'{k}={v}' for k, v in keywords)])})"
    text = f"sum({call})" if summed else call
    argv = [command[0], text, "--at", "x=0.5,v=[1,2,3],A=[[1,2],[3,4]]", *command[1:]]
    err = io.StringIO()
    start = time.perf_counter()
    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet, contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main(argv)
    assert code in (0, 1, 2)
    assert "internal error" not in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "\ufb01(x)",  # the ligature fi: Python's NFKC would make it the name 'fi'
        "\uff58 * 2",  # fullwidth x
        "x + \uff11",  # fullwidth digit one
        "x\u200b + 1",  # zero-width space
        "\u200dx",  # zero-width joiner
        "\u202ex + 1",  # right-to-left override
        "x\u200f",  # right-to-left mark
        "\u00a0x",  # no-break space
        "x # __import__('os')",  # a comment hides text from the reader
    ],
)
def test_unicode_tricks_and_comments_are_rejected_at_their_column(text):
    with pytest.raises(ExpressionError) as info:
        parse(text, ["x"])
    bad = next(i for i, ch in enumerate(text) if ord(ch) > 127 or ch == "#")
    assert info.value.column == bad + 1


@pytest.mark.parametrize("text", ["x" * 10**6, "(" * 10**6, "\u200b" * 10**6, "-" * 10**6 + "x"])
def test_a_million_characters_are_rejected_fast_in_the_expression_and_in_at(capsys, text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="too long"):
        parse(text, ["x"])
    assert cli.main(["grad", text, "--at", "x=1"]) == 2
    assert cli.main(["grad", "x", "--at", "x=" + text]) == 2
    assert cli.main(["grad", "x", "--at", "x=1", "--direction", text]) == 2
    assert time.perf_counter() - start < 1.0
    assert "too long" in capsys.readouterr().err


def test_a_function_that_gives_no_single_tensor_is_an_evaluation_error(capsys):
    # ndgrad.where(c) with one argument gives a tuple of index tensors, as PyTorch's
    values = _values(x=1.0)
    with pytest.raises(EvaluationError, match="several values, not one tensor"):
        evaluate(parse("where(x)", ["x"]), values)
    for argv in (["grad", "where(1)", "--at", "x=1"], ["graph", "sum(where(x))", "--at", "x=1"]):
        assert cli.main(argv) == 1
        assert "internal error" not in capsys.readouterr().err
