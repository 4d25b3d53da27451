"""Diagrams of a flow: Mermaid text, and a plain SVG drawn by hand (no external renderer)."""

from __future__ import annotations

from html import escape

from flows.explain import expression
from flows.model import Execution, Flow, Requirement, StepExecution


def _node_id(execution: Execution) -> str:
    return "n" + execution.path.replace(".", "_")


def _title(execution: Execution) -> str:
    if isinstance(execution, StepExecution):
        return f"{execution.display_label} ({execution.step.type})"
    return execution.label or f"sub-flow {execution.path}"


def _edge_label(execution: Execution) -> str:
    label = execution.requirement.value
    if execution.requirement is Requirement.CONDITIONAL:
        label += ": " + " and ".join(expression(expr) for expr in execution.when)
    return label


def mermaid(flow: Flow) -> str:
    """A Mermaid ``flowchart``: the flow's tree, edges labelled with requirement and conditions."""
    lines = ["flowchart TD", f'  root(["flow {flow.id}"])']

    def add(parent: str, children: tuple[Execution, ...]) -> None:
        for child in children:
            node = _node_id(child)
            text = _title(child).replace('"', "'")
            shape = f'["{text}"]' if isinstance(child, StepExecution) else f'{{{{"{text}"}}}}'
            arrow = "-.->" if child.requirement is Requirement.DISABLED else "-->"
            label = _edge_label(child).replace('"', "'")
            lines.append(f'  {parent} {arrow}|"{label}"| {node}{shape}')
            if not isinstance(child, StepExecution):
                add(node, child.children)

    add("root", flow.steps)
    return "\n".join(lines) + "\n"


ROW = 34
INDENT = 28
CHAR = 7


def svg(flow: Flow) -> str:
    """An indented tree of boxes, one row per execution, with its requirement and conditions."""
    rows: list[tuple[int, Execution]] = []

    def collect(children: tuple[Execution, ...], depth: int) -> None:
        for child in children:
            rows.append((depth, child))
            if not isinstance(child, StepExecution):
                collect(child.children, depth + 1)

    collect(flow.steps, 1)
    texts = [f"{_edge_label(child)} · {_title(child)}" for _, child in rows]
    width = max(
        [len(f"flow {flow.id}") * CHAR + 40]
        + [
            20 + depth * INDENT + len(text) * CHAR + 20
            for (depth, _), text in zip(rows, texts, strict=True)
        ]
    )
    height = (len(rows) + 1) * ROW + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="20" y="28" font-weight="bold">flow {escape(flow.id)}</text>',
    ]
    for index, ((depth, child), text) in enumerate(zip(rows, texts, strict=True)):
        x, y = 20 + depth * INDENT, 20 + (index + 1) * ROW
        dashed = ' stroke-dasharray="4 3"' if child.requirement is Requirement.DISABLED else ""
        fill = "#eef" if isinstance(child, StepExecution) else "#efe"
        out.append(
            f'<line x1="{x - INDENT + 8}" y1="{y - ROW + 14}" x2="{x - INDENT + 8}" '
            f'y2="{y + 12}" stroke="#999"/>'
        )
        out.append(
            f'<line x1="{x - INDENT + 8}" y1="{y + 12}" x2="{x}" y2="{y + 12}" stroke="#999"/>'
        )
        out.append(
            f'<rect x="{x}" y="{y}" width="{len(text) * CHAR + 12}" height="24" rx="4" '
            f'fill="{fill}" stroke="#446"{dashed}/>'
        )
        out.append(f'<text x="{x + 6}" y="{y + 16}">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
