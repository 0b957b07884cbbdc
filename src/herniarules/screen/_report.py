"""The screening summary as a small HTML page with a stacked bar chart (inline SVG)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from herniarules.outcomes import Outcome

if TYPE_CHECKING:
    from herniarules.screen import Screening

__all__ = ["COLOURS", "chart_svg", "write_chart_png", "write_report"]

#: The colour of each verdict in the chart, least to most restrictive.
COLOURS = {
    "allowed": "#2e7d32",
    "allowed-with-modifications": "#9ccc65",
    "requires-clearance": "#fbc02d",
    "insufficient-data": "#9e9e9e",
    "defer": "#ef6c00",
    "contraindicated": "#c62828",
}


def _table(screening: Screening) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for technique, verdict, n in screening.counts().iter_rows():
        table.setdefault(technique, {})[verdict] = n
    return table


def chart_svg(screening: Screening, width: int = 720) -> str:
    """Return an SVG of the patients per technique, one bar split by verdict."""
    table = _table(screening)
    bar, gap, left, top = 22, 8, 120, 10
    height = top + len(table) * (bar + gap) + 40
    span = width - left - 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for row, (technique, counts) in enumerate(table.items()):
        y = top + row * (bar + gap)
        total = sum(counts.values()) or 1
        x = float(left)
        parts.append(
            f'<text x="{left - 6}" y="{y + bar * 0.7}" text-anchor="end" '
            f'font-family="sans-serif" font-size="12">{html.escape(technique)}</text>'
        )
        for outcome in Outcome:
            n = counts.get(outcome.label, 0)
            w = span * n / total
            if w:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" '
                    f'fill="{COLOURS[outcome.label]}"><title>{outcome.label}: {n}</title></rect>'
                )
            x += w
    y = height - 20
    x = float(left)
    for label, colour in COLOURS.items():
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 14}" y="{y + 9}" font-family="sans-serif" font-size="10">{label}</text>'
        )
        x += 14 + 6.2 * len(label) + 12
    parts.append("</svg>")
    return "\n".join(parts)


def write_report(screening: Screening, path: str | Path) -> None:
    """Write the summary (verdicts per technique, blocking rules, errors) as an HTML page."""
    rows = "".join(
        f"<tr><td>{html.escape(rule_id)}</td><td>{n}</td></tr>"
        for rule_id, n in screening.blocking()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>herniarules screening {screening.as_of}</title></head>
<body style="font-family: sans-serif">
<h1>Population screening on {screening.as_of}</h1>
<p>{screening.patients} patients read, {screening.patients - screening.refused} decided,
{screening.refused} refused for invalid data. These decisions support clinicians; they do not
replace a clinician's judgement of each patient.</p>
<h2>Verdicts per technique</h2>
{chart_svg(screening)}
<h2>Rules that block most</h2>
<table><tr><th>rule</th><th>decisions not permitted in which it fired</th></tr>{rows}</table>
<pre>{html.escape(screening.summary())}</pre>
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")


def write_chart_png(screening: Screening, path: str | Path, top: int = 8) -> None:
    """Write the report's chart and its blocking rules as a PNG (needs matplotlib).

    The same stacked bars as :func:`chart_svg`, beside the ``top`` rules that block most.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _table(screening)
    techniques = list(table)
    figure, (bars, blocks) = plt.subplots(
        1, 2, figsize=(12, 0.45 * len(techniques) + 1.8), width_ratios=(3, 2)
    )
    left = [0.0] * len(techniques)
    for outcome in Outcome:
        counts = [table[t].get(outcome.label, 0) for t in techniques]
        shares = [
            n / (sum(table[t].values()) or 1) for n, t in zip(counts, techniques, strict=True)
        ]
        bars.barh(techniques, shares, left=left, color=COLOURS[outcome.label], label=outcome.label)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.set_xlabel("share of patients")
    bars.set_title(f"Verdicts per technique, {screening.patients:,} patients on {screening.as_of}")
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8, frameon=False)
    ranked = screening.blocking(top)
    blocks.barh([r for r, _ in ranked], [n for _, n in ranked], color="#616161")
    blocks.invert_yaxis()
    blocks.tick_params(axis="y", labelsize=8)
    blocks.set_xlabel("decisions not permitted in which the rule fired")
    blocks.set_title("Rules that block most")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
