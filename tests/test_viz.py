"""ndgrad.viz: the text tree, DOT, Mermaid and pictures of the recorded graph."""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

import ndgrad
from ndgrad import viz

ROOT = Path(__file__).resolve().parents[1]
HAS_DOT = shutil.which("dot") is not None


def mlp():
    params = {
        "w1": ndgrad.full((3, 5), 0.1, requires_grad=True),
        "b1": ndgrad.zeros(5, requires_grad=True),
        "w2": ndgrad.full((5, 1), 0.1, requires_grad=True),
    }
    out = ndgrad.tanh(ndgrad.ones(4, 3) @ params["w1"] + params["b1"]) @ params["w2"]
    return out, params


def dot_nodes_and_edges(src: str) -> tuple[dict, list]:
    """{node id: attribute text} and [(tail, head, attribute text)] of our DOT output."""
    nodes = dict(re.findall(r"^  (n\d+) \[(.*)\];$", src, re.M))
    edges = re.findall(r"^  (n\d+) -> (n\d+)(?: \[(.*)\])?;$", src, re.M)
    return nodes, edges


def full_lines(text: str) -> list[tuple[int, str]]:
    """(number, op) of each node the tree writes out in full (not the "(see [k])" lines)."""
    return [
        (int(m.group(1)), m.group(2))
        for line in text.splitlines()
        if (m := re.match(r"^[│├└─ ]*\[(\d+)\] (\S+)", line))
    ]


def label_of(attrs: str) -> str:
    return re.search(r'label="((?:[^"\\]|\\.)*)"', attrs).group(1).split("\\n")[0]


# ------------------------------------------------------------------------------------ text


def test_text_tree_of_the_quickstart_names_ops_shapes_dtypes_and_the_leaf():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = 3 * x**2
    assert viz.to_text(y) == (
        "[1] MulBackward0  [3] float32\n"
        "[2] PowBackward0  [3] float32\n"
        "[3] AccumulateGrad x  [3] float32"
    )


def test_text_tree_writes_a_shared_subgraph_once_and_refers_to_it_later():
    x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    s = ndgrad.sin(x)
    out = s * s.exp()  # s feeds two consumers
    text = viz.to_text(out)
    assert text.splitlines() == [
        "[1] MulBackward0  [2] float64",
        "├── [2] SinBackward0  [2] float64",
        "│   [3] AccumulateGrad x  [2] float64",
        "└── [4] ExpBackward0  [2] float64",
        "    (see [2]) SinBackward0",
    ]


def test_text_tree_of_f_shows_every_node_once_like_torch_next_functions():
    torch = pytest.importorskip("torch")

    def names_of(root_fn):
        seen, stack, names = set(), [root_fn], []
        while stack:
            v = stack.pop()
            if v is None or id(v) in seen:
                continue
            seen.add(id(v))
            names.append(type(v).__name__ if hasattr(v, "variable") else v.name())
            stack.extend(c for c, _ in v.next_functions)
        return sorted(n.replace("torch::autograd::", "") for n in names)

    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tf = tx[0] ** 2 * tx[1] + torch.sin(tx[1])
    full = [name for _, name in full_lines(viz.to_text(f))]
    assert sorted(full) == names_of(tf.grad_fn)


def test_a_chain_of_one_input_ops_reads_straight_down_and_branches_indent():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    w = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    text = viz.to_text((x * w).exp().sum())
    assert text.splitlines() == [
        "[1] SumBackward0  [] float32",
        "[2] ExpBackward0  [2] float32",
        "[3] MulBackward0  [2] float32",
        "├── [4] AccumulateGrad x  [2] float32",
        "└── [5] AccumulateGrad w  [2] float32",
    ]


def test_leaves_take_their_names_from_params_first_then_the_callers_variables():
    out, params = mlp()
    text = viz.to_text(out, params)
    for name, shape in [("w1", "[3, 5]"), ("b1", "[5]"), ("w2", "[5, 1]")]:
        assert f"AccumulateGrad {name}  {shape} float32" in text
    renamed = viz.to_text(out, {"layer1.weight": params["w1"]})
    assert "AccumulateGrad layer1.weight  [3, 5]" in renamed
    assert "AccumulateGrad  [5] float32" in renamed  # b1 is in no variable of this frame


def test_params_accepts_named_parameters_pairs_and_refuses_other_things():
    model = ndgrad.nn.Linear(3, 2)
    out = model(ndgrad.ones(1, 3)).sum()
    text = viz.to_text(out, model.named_parameters(), names=None)
    assert "AccumulateGrad weight  [2, 3]" in text
    assert "AccumulateGrad bias  [2]" in text
    with pytest.raises(TypeError, match="params must be a dict"):
        viz.to_text(out, {"w": 1.0})
    with pytest.raises(ValueError, match="names must be 'auto' or None"):
        viz.to_text(out, names="yes")


def test_auto_names_find_locals_and_the_parameters_of_a_module_variable():
    model = ndgrad.nn.Linear(3, 2)
    bias_alias = model.bias  # noqa: F841 - found by names="auto"
    out = model(ndgrad.ones(1, 3)).sum()
    text = viz.to_text(out)
    assert "AccumulateGrad model.weight  [2, 3]" in text
    assert "AccumulateGrad bias_alias  [2]" in text  # a plain variable comes first
    assert "AccumulateGrad  " not in text
    assert "AccumulateGrad  [2, 3]" in viz.to_text(out, names=None)


def test_auto_names_look_at_the_callers_frame_not_at_ndgrad_viz():
    def inner():
        hidden = ndgrad.tensor(1.0, requires_grad=True)
        return viz.to_text(hidden * 2)

    assert "AccumulateGrad hidden" in inner()


def test_a_leaf_and_a_tensor_without_history_draw_as_one_node():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    assert viz.to_text(x) == "[1] AccumulateGrad x  [2] float32"
    text = viz.to_text(x.detach())
    assert text == "[1] no grad_fn (requires_grad=False)  [2] float32"
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.to_text([1.0])


def test_several_outputs_share_one_numbering():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x.exp()
    text = viz.to_text([a.sum(), a.mean()])
    assert "(see [3]) AccumulateGrad x" not in text
    assert "(see [2]) ExpBackward0" in text
    assert text.count("[2] ExpBackward0  [2] float32") == 1


# ------------------------------------------------------------------------------ multi-output


def test_a_multi_output_node_appears_once_with_all_its_outputs():
    x = ndgrad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, _ = ndgrad.sort(x * 2)
    out = values[0] * values[1] + values.sum()
    text = viz.to_text(out)
    assert text.count("SortBackward0  [3] float32, [3] int64 (output 0)") == 1
    assert text.count("(see [4]) SortBackward0 (output 0)") == 2
    nodes, edges = dot_nodes_and_edges(viz.to_dot(out))
    sort = [k for k, attrs in nodes.items() if label_of(attrs) == "SortBackward0"]
    assert len(sort) == 1
    into = [e for e in edges if e[1] == sort[0]]
    assert len(into) == 3
    assert all('label="output 0"' in attrs for _, _, attrs in into)


def test_a_custom_function_node_shows_its_name_shapes_and_ctx():
    class Square(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            ctx.power = 2
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = ndgrad.tensor([1.0, 2.0, 3.0], dtype=ndgrad.float64, requires_grad=True)
    text = viz.to_text(Square.apply(x), show_saved=True)
    assert text.splitlines() == [
        "[1] SquareBackward  [3] float64",
        "    saved saved_tensors[0]: [3] float64, 24 bytes (x)",
        "    saved ctx.power: 2",
        "[2] AccumulateGrad x  [3] float64",
        "saved for backward: 24 bytes in 1 array",
    ]


# ------------------------------------------------------------------------------ show_saved


def test_show_saved_lists_each_saved_value_with_its_bytes_and_the_distinct_total():
    x = ndgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ndgrad.float64, requires_grad=True)
    y = (x * x).tanh()
    text = viz.to_text(y, show_saved=True)
    assert text.splitlines() == [
        "[1] TanhBackward0  [2, 3] float64",
        "    saved result: [2, 3] float64, 48 bytes",
        "[2] MulBackward0  [2, 3] float64",
        "│   saved self: [2, 3] float64, 48 bytes (x)",
        "│   saved other: [2, 3] float64, 48 bytes (x)",
        "├── [3] AccumulateGrad x  [2, 3] float64",
        "└── (see [3]) AccumulateGrad x",
        "saved for backward: 96 bytes in 2 arrays",  # x once, tanh's output once
    ]
    assert "saved" not in viz.to_text(y)


def test_show_saved_says_freed_after_backward_and_counts_nothing():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    text = viz.to_text(y, show_saved=True)
    assert "freed by backward (call it with retain_graph=True to keep it)" in text
    assert text.endswith("saved for backward: 0 bytes in 0 arrays")


def test_show_saved_describes_values_packed_by_saved_tensor_hooks():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with ndgrad.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        y = ndgrad.sin(x)
    text = viz.to_text(y, show_saved=True)
    assert "saved self: [2] packed by saved-tensor hooks as Tensor, 8 bytes" in text


def test_show_saved_bytes_match_the_numpy_arrays():
    x = ndgrad.randn(7, 5, dtype=ndgrad.float64, requires_grad=True)
    w = ndgrad.randn(5, 3, dtype=ndgrad.float64, requires_grad=True)
    out = x @ w
    text = viz.to_text(out, show_saved=True)
    assert f"saved self: [7, 5] float64, {x.detach().numpy().nbytes} bytes (x)" in text
    assert f"saved mat2: [5, 3] float64, {w.detach().numpy().nbytes} bytes (w)" in text
    assert text.endswith(f"saved for backward: {(35 + 15) * 8} bytes in 2 arrays")


# -------------------------------------------------------------------------------- highlight


def test_highlight_marks_exactly_the_path_from_the_leaf_to_the_output():
    out, params = mlp()
    text = viz.to_text(out, params, highlight=params["b1"])
    marked = [line for line in text.splitlines() if line.endswith(" *")]
    assert [re.search(r"\] (\S+)", line).group(1) for line in marked] == [
        "MmBackward0",
        "TanhBackward0",
        "AddBackward0",
        "AccumulateGrad",
    ]
    nodes, edges = dot_nodes_and_edges(viz.to_dot(out, params, highlight=params["b1"]))
    red = sorted(label_of(a) for a in nodes.values() if "#d62728" in a)
    assert red == ["AddBackward0", "MmBackward0", "TanhBackward0", "b1"]
    red_edges = [(label_of(nodes[a]), label_of(nodes[b])) for a, b, attrs in edges if attrs]
    assert sorted(red_edges) == [
        ("AddBackward0", "b1"),
        ("MmBackward0", "TanhBackward0"),
        ("TanhBackward0", "AddBackward0"),
    ]


def test_highlight_takes_a_list_and_intermediate_tensors():
    x = ndgrad.tensor(1.0, requires_grad=True)
    w = ndgrad.tensor(2.0, requires_grad=True)
    h = x.exp()
    out = h * w.sin()
    text = viz.to_text(out, highlight=[h, w])
    assert [line.endswith(" *") for line in text.splitlines()] == [True, True, False, True, True]
    with pytest.raises(ValueError, match="not in the graph"):
        viz.to_text(out, highlight=ndgrad.tensor(3.0, requires_grad=True))
    with pytest.raises(TypeError, match="highlight must be a tensor"):
        viz.to_text(out, highlight=[1.0])


def test_highlight_in_mermaid_styles_the_path_links():
    x = ndgrad.tensor(1.0, requires_grad=True)
    w = ndgrad.tensor(2.0, requires_grad=True)
    src = viz.to_mermaid(x.exp() * w, highlight=w)
    assert "  class n0,n3 highlight" in src
    assert "  linkStyle 1 stroke:#d62728,stroke-width:3px" in src


# --------------------------------------------------------------------------- DOT and Mermaid


def test_dot_has_one_node_per_graph_node_and_one_edge_per_input():
    out, params = mlp()
    src = viz.to_dot(out, params)
    assert src.startswith("digraph ndgrad {")
    assert src.rstrip().endswith("}")
    nodes, edges = dot_nodes_and_edges(src)
    assert (len(nodes), len(edges)) == (7, 6)
    labels = {k: label_of(a) for k, a in nodes.items()}
    assert sorted(labels.values()) == sorted(
        ["MmBackward0", "TanhBackward0", "AddBackward0", "MmBackward0", "w1", "b1", "w2"]
    )
    assert labels["n0"] == "MmBackward0"
    assert "peripheries=2" in nodes["n0"]  # the output
    assert all(labels[a] != "w1" for a, _, _ in edges)  # backward: arrows point to inputs
    assert "[3, 5] float32" in nodes[next(k for k, v in labels.items() if v == "w1")]


def test_dot_forward_view_uses_op_names_and_points_from_inputs_to_ops():
    out, params = mlp()
    nodes, edges = dot_nodes_and_edges(viz.to_dot(out, params, show_backward=False))
    labels = {k: label_of(a) for k, a in nodes.items()}
    assert sorted(labels.values()) == ["add", "b1", "mm", "mm", "tanh", "w1", "w2"]
    assert all(labels[b] not in ("w1", "b1", "w2") for _, b, _ in edges)
    assert "AccumulateGrad" not in viz.to_dot(out, params, show_backward=False)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_dot_source_is_read_by_graphviz_with_the_same_counts(tmp_path):
    import subprocess

    out, params = mlp()
    plain = subprocess.run(
        ["dot", "-Tplain"],
        input=viz.to_dot(out, params, show_saved=True),
        text=True,
        capture_output=True,
        check=True,
    ).stdout.splitlines()
    assert sum(line.startswith("node ") for line in plain) == 7
    assert sum(line.startswith("edge ") for line in plain) == 6


def test_dot_escapes_quotes_and_backslashes_in_names():
    t = ndgrad.tensor(1.0, requires_grad=True)
    src = viz.to_dot(t * 2, {'say "hi"\\': t})
    assert 'label="say \\"hi\\"\\\\\\nAccumulateGrad' in src


def test_mermaid_lists_nodes_links_and_the_leaf_class():
    out, params = mlp()
    src = viz.to_mermaid(out, params)
    lines = src.splitlines()
    assert lines[0] == "graph TD"
    assert sum(" --> " in line for line in lines) == 6
    assert sum(re.match(r"  n\d+[\[(]", line) is not None for line in lines) == 7
    assert '  n4(["w1<br/>AccumulateGrad<br/>[3, 5] float32"])' in lines
    assert any(line.startswith("  class ") and line.endswith(" leaf") for line in lines)
    forward = viz.to_mermaid(out, params, show_backward=False)
    assert "  n4 --> n3" in forward.splitlines()
    assert "#quot;" in viz.to_mermaid(out, {'"w1"': params["w1"]})


# ------------------------------------------------------------------------------ create_graph


def test_the_gradient_of_a_create_graph_backward_draws_its_backward_nodes():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f = x[0] ** 2 * x[1] + ndgrad.sin(x[1])
    (gx,) = ndgrad.autograd.grad(f, x, create_graph=True)
    text = viz.to_text(gx)
    assert text.splitlines()[0] == "[1] AddBackward0  [3] float32"
    assert text.count("IndexBackwardBackward0  [3] float32") == 3
    assert "CosBackward0  [] float32" in text
    assert text.count("[7] AccumulateGrad x  [3] float32") == 1
    nodes, edges = dot_nodes_and_edges(viz.to_dot(gx))
    assert (len(nodes), len(edges)) == (16, 18)
    assert "IndexBackwardBackward0" in {label_of(a) for a in nodes.values()}


# -------------------------------------------------------------------------------- big graphs


def test_a_100000_node_chain_renders_to_text_and_dot_in_seconds():
    x = ndgrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    start = time.perf_counter()
    lines = viz.to_text(y).splitlines()
    text_s = time.perf_counter() - start
    assert len(lines) == 100_001
    assert lines[0] == "[1] MulBackward0  [] float32"
    assert lines[-1] == "[100001] AccumulateGrad x  [] float32"
    start = time.perf_counter()
    src = viz.to_dot(y)
    dot_s = time.perf_counter() - start
    assert src.count(" -> ") == 100_000
    assert text_s < 5, text_s
    assert dot_s < 5, dot_s


def test_drawing_uses_no_recursion():
    x = ndgrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001 + y  # branches on every level
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)
    try:
        text = viz.to_text(y, show_saved=True)
        viz.to_dot(y, highlight=x)
        viz.to_mermaid(y)
    finally:
        sys.setrecursionlimit(old)
    assert max(len(line) for line in text.splitlines()) < 250  # deep branches continue below
    assert "(continued at [" in text


def test_deep_branches_continue_in_sections_and_every_node_prints_once():
    x = ndgrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.0001 + y
    lines = viz.to_text(y).splitlines()
    full = [k for k, _ in full_lines("\n".join(lines))]
    assert sorted(full) == list(range(1, 402))  # 200 adds, 200 muls, the leaf
    for line in lines:
        m = re.search(r"\((?:see|continued at) \[(\d+)\]\)", line)
        if m:
            assert 1 <= int(m.group(1)) <= 401


# ----------------------------------------------------------------------- pictures and Graph


def test_graph_object_gives_text_dot_mermaid_and_str():
    out, params = mlp()
    g = viz.graph(out, params, show_backward=False)
    assert str(g) == g.to_text() == viz.to_text(out, params)
    assert g.to_dot() == viz.to_dot(out, params, show_backward=False)
    assert g.to_mermaid() == viz.to_mermaid(out, params, show_backward=False)
    assert "AccumulateGrad out" not in str(viz.graph(out))  # out is not a leaf
    assert repr(g) == "<ndgrad.viz.Graph of 7 nodes>"


def test_graph_keeps_no_reference_to_the_recorded_graph():
    import gc
    import weakref

    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y.grad_fn)
    # names=None: with "auto", CPython < 3.13 keeps a snapshot of the caller's variables
    # (frame.f_locals) until the caller returns, and with it y
    g = viz.graph(y, show_saved=True, names=None)
    del y
    gc.collect()
    assert ref() is None
    assert "ExpBackward0" in str(g)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_draw_writes_the_picture_in_the_format_of_the_suffix(tmp_path, suffix, magic):
    pytest.importorskip("graphviz")
    out, params = mlp()
    path = viz.draw(out, tmp_path / f"mlp{suffix}", params, highlight=params["w2"])
    assert path == tmp_path / f"mlp{suffix}"
    assert path.read_bytes().startswith(magic)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_repr_svg_renders_for_jupyter_and_save_accepts_a_string_path(tmp_path):
    pytest.importorskip("graphviz")
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    g = viz.graph(x.exp().sum())
    svg = g._repr_svg_()
    assert "<svg" in svg
    assert "ExpBackward0" in svg
    assert "AccumulateGrad" in svg
    assert g.save(str(tmp_path / "g.svg")).exists()


def test_draw_refuses_a_suffix_it_cannot_tell_the_format_from(tmp_path):
    x = ndgrad.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match=r"end the file name with \.svg, \.png or \.pdf"):
        viz.draw(x * 2, tmp_path / "graph.jpg")


def test_draw_without_the_graphviz_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    x = ndgrad.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="graphviz Python package") as e:
        viz.draw(x * 2, tmp_path / "g.svg")
    message = str(e.value)
    assert "pip install 'ndgrad[viz]'" in message
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    with pytest.raises(RuntimeError, match="pip install 'ndgrad\\[viz\\]'"):
        viz.graph(x * 2)._repr_svg_()
    assert not (tmp_path / "g.svg").exists()


def test_draw_without_the_dot_program_says_how_to_install(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    x = ndgrad.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="`dot` program, which is not on PATH") as e:
        viz.draw(x * 2, tmp_path / "g.png")
    assert "apt-get install graphviz" in str(e.value)
    assert "brew install graphviz" in str(e.value)


# ------------------------------------------------------------------------------------ docs


def test_the_trees_on_the_graphs_page_are_what_its_code_prints():
    import contextlib
    import io

    page = (ROOT / "docs" / "graphs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```$", page, re.M | re.S)
    namespace: dict = {"__name__": "__docs__"}
    checked = 0
    printed = ""
    for info, body in blocks:
        if info == "python":  # not "python no-run"
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(body, "docs/graphs.md", "exec"), namespace)
            printed = out.getvalue()
        elif info == "text":
            assert printed.rstrip("\n") == body.rstrip("\n")
            checked += 1
    assert checked >= 6


def test_the_graphs_page_embeds_the_generated_pictures():
    page = (ROOT / "docs" / "graphs.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", page)
    assert len(pictures) >= 6
    for p in pictures:
        assert (ROOT / "docs" / p).exists(), p
