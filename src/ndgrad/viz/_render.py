"""The walked graph (``_model.Model``) as text, Graphviz DOT and Mermaid.

# Note [The text tree]
The tree starts at each output's node and lists a node's inputs below it, in input order. A
node with one input is followed by that input at the same depth, so a chain reads straight down
and a 100,000-op chain is 100,000 short lines; a node with several inputs lists them as branches
(``├──``, ``└──``). A node already printed is written again only as ``(see [k])``. Branches
nested deeper than ``MAX_DEPTH`` continue as a section of their own after the tree
(``(continued at [k])``), so no line grows without bound. All three renderers loop over explicit
stacks or lists: no recursion.
"""

from __future__ import annotations

from ._model import Model, VNode

__all__ = ["text", "dot", "mermaid", "MAX_DEPTH"]

MAX_DEPTH = 32  # branch levels in one section of the text tree

_HL = "#d62728"


def _head(v: VNode) -> str:
    """``MulBackward0`` or ``AccumulateGrad x``."""
    return f"{v.name} {v.label}" if v.label else v.name


def _outputs(v: VNode) -> str:
    return ", ".join(m or "?" for m in v.outputs) if v.outputs else "?"


def _via(m: Model, k: int, nr: int) -> str:
    return f" (output {nr})" if len(m.nodes[k].outputs) > 1 else ""


def text(m: Model) -> str:
    """The indented tree (See Note [The text tree]); ``*`` marks the highlighted path."""
    number: dict = {}  # node index -> its [k] in the text
    printed: set = set()
    lines: list = []
    sections = list(m.roots)  # the outputs, then the deferred deep branches
    i = 0
    while i < len(sections):
        root, nr = sections[i]
        i += 1
        # (node, output_nr, first-line prefix, continuation prefix, branch depth, marked, top)
        stack = [(root, nr, "", "", 0, m.nodes[root].highlight, i > len(m.roots))]
        while stack:
            k, nr, first, cont, depth, hl, top = stack.pop()
            v = m.nodes[k]
            via = _via(m, k, nr)
            mark = " *" if hl and v.highlight else ""
            if k in printed or (k in number and not top):
                lines.append(f"{first}(see [{number[k]}]) {_head(v)}{via}{mark}")
                continue
            if k not in number:
                number[k] = len(number) + 1
            if depth > MAX_DEPTH:
                lines.append(f"{first}(continued at [{number[k]}]) {_head(v)}{via}{mark}")
                sections.append((k, nr))
                continue
            printed.add(k)
            lines.append(f"{first}[{number[k]}] {_head(v)}  {_outputs(v)}{via}{mark}")
            kids = v.children
            bar = "│   " if len(kids) > 1 else "    "
            for key, desc in v.saved if m.show_saved else ():
                lines.append(f"{cont}{bar}saved {key}: {desc}" if key else f"{cont}{bar}{desc}")
            if len(kids) == 1:
                c, cnr = kids[0]
                stack.append((c, cnr, cont, cont, depth, (k, 0) in m.highlight_edges, False))
                continue
            for pos in range(len(kids) - 1, -1, -1):
                c, cnr = kids[pos]
                last = pos == len(kids) - 1
                first_c = cont + ("└── " if last else "├── ")
                cont_c = cont + ("    " if last else "│   ")
                marked = (k, pos) in m.highlight_edges
                stack.append((c, cnr, first_c, cont_c, depth + 1, marked, False))
    if m.show_saved:
        arrays = "array" if m.saved_arrays == 1 else "arrays"
        lines.append(f"saved for backward: {m.saved_bytes} bytes in {m.saved_arrays} {arrays}")
    return "\n".join(lines)


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _label_lines(v: VNode, m: Model, show_backward: bool) -> list:
    if v.kind == "leaf" and show_backward:
        lines = [v.label, v.name] if v.label else [v.name]
    elif v.kind == "leaf":  # the forward computation has no AccumulateGrad: just the input
        lines = [v.label or "leaf"]
    else:
        lines = [v.name if show_backward else v.forward_name]
    lines.append(_outputs(v))
    if m.show_saved:
        lines += [f"{key}: {desc}" if key else desc for key, desc in v.saved]
    return lines


def dot(m: Model, show_backward: bool = True) -> str:
    """Graphviz DOT: ``show_backward`` draws the recorded backward graph (grad_fn names, edges
    from each node to its inputs, as backward walks them); False draws the forward computation
    (op names, edges from inputs to the op that used them)."""
    out = [
        "digraph ndgrad {",
        '  graph [rankdir=TB, fontname="monospace"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eeeeee", fontname="monospace",'
        " fontsize=10];",
        '  edge [fontname="monospace", fontsize=9];',
    ]
    roots = {k for k, _ in m.roots}
    for k, v in enumerate(m.nodes):
        label = "\\n".join(_dot_escape(s) for s in _label_lines(v, m, show_backward))
        attrs = [f'label="{label}"']
        if v.kind == "leaf":
            attrs.append('fillcolor="#cfe2f3", style=filled')
        elif v.kind == "const":
            attrs.append('fillcolor="#ffffff", style=dashed')
        if k in roots:
            attrs.append("peripheries=2")
        if v.highlight:
            attrs.append(f'color="{_HL}", penwidth=2.5, fontcolor="{_HL}"')
        out.append(f"  n{k} [{', '.join(attrs)}];")
    for k, v in enumerate(m.nodes):
        for pos, (c, nr) in enumerate(v.children):
            attrs = []
            if len(m.nodes[c].outputs) > 1:
                attrs.append(f'label="output {nr}"')
            if (k, pos) in m.highlight_edges:
                attrs.append(f'color="{_HL}", penwidth=2.5')
            a, b = (k, c) if show_backward else (c, k)
            out.append(f"  n{a} -> n{b}" + (f" [{', '.join(attrs)}];" if attrs else ";"))
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_escape(s: str) -> str:
    return s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(m: Model, show_backward: bool = True) -> str:
    """Mermaid ``graph TD`` source; ``show_backward`` as in ``dot``."""
    out = ["graph TD"]
    for k, v in enumerate(m.nodes):
        label = "<br/>".join(_mermaid_escape(s) for s in _label_lines(v, m, show_backward))
        open_, close = ("([", "])") if v.kind == "leaf" else ("[", "]")
        out.append(f'  n{k}{open_}"{label}"{close}')
    links = []
    n = 0
    for k, v in enumerate(m.nodes):
        for pos, (c, nr) in enumerate(v.children):
            a, b = (k, c) if show_backward else (c, k)
            arrow = f"-->|output {nr}|" if len(m.nodes[c].outputs) > 1 else "-->"
            out.append(f"  n{a} {arrow} n{b}")
            if (k, pos) in m.highlight_edges:
                links.append(str(n))
            n += 1
    out.append("  classDef leaf fill:#cfe2f3,stroke:#3d85c6")
    out.append(f"  classDef highlight stroke:{_HL},stroke-width:3px,color:{_HL}")
    leaves = [f"n{k}" for k, v in enumerate(m.nodes) if v.kind == "leaf"]
    if leaves:
        out.append(f"  class {','.join(leaves)} leaf")
    marked = [f"n{k}" for k, v in enumerate(m.nodes) if v.highlight]
    if marked:
        out.append(f"  class {','.join(marked)} highlight")
    if links:
        out.append(f"  linkStyle {','.join(links)} stroke:{_HL},stroke-width:3px")
    return "\n".join(out) + "\n"
