"""Helpers for the browser tests (a module of its own: `conftest` is not importable by name)."""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def run_axe(pg) -> list[dict]:
    """axe-core's violations of WCAG 2.0/2.1 level A and AA on the current page."""
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""")
    return result
