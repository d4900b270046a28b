"""The round red seal as SVG: display only, never the trust anchor (the certificate is).

The unit's name runs clockwise along the upper arc, each character turned to
face outwards; a five-pointed star sits in the middle and the seal's name (or
kind) below it, as on a paper 公章.
"""

from __future__ import annotations

import math
from html import escape

RED = "#d4000f"


def _star(cx: float, cy: float, r_outer: float) -> str:
    r_inner = r_outer * math.sin(math.radians(18)) / math.sin(math.radians(54))   # a regular star
    points = []
    for i in range(10):
        r = r_outer if i % 2 == 0 else r_inner
        a = math.radians(-90 + i * 36)
        points.append(f"{cx + r * math.cos(a):.2f},{cy + r * math.sin(a):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{RED}"/>'


def seal_svg(unit_name: str, label: str, size: int = 240) -> str:
    """A standalone <svg> of `size` pixels: `unit_name` on the arc, `label` under the star."""
    c = size / 2
    ring = size * 0.035
    r_ring = c - ring / 2 - 1
    chars = list(unit_name.strip()) or [" "]
    font = min(size * 0.12, size * 2.9 / max(len(chars), 1))
    r_text = r_ring - ring / 2 - font * 0.62
    span = min(250.0, max(60.0, len(chars) * math.degrees(font * 1.08 / r_text)))   # degrees of arc
    step = span / max(len(chars) - 1, 1)
    start = -90 - span / 2 if len(chars) > 1 else -90
    letters = []
    for i, ch in enumerate(chars):
        angle = start + i * step
        x = c + r_text * math.cos(math.radians(angle))
        y = c + r_text * math.sin(math.radians(angle))
        letters.append(f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle + 90:.2f} {x:.2f} {y:.2f})">'
                       f'{escape(ch)}</text>')
    label_font = min(size * 0.1, size * 1.3 / max(len(label), 1))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{escape(unit_name)} {escape(label)}">'
        f'<circle cx="{c}" cy="{c}" r="{r_ring:.2f}" fill="none" stroke="{RED}" stroke-width="{ring:.2f}"/>'
        f'<g fill="{RED}" font-family="SimSun, \'Songti SC\', \'Noto Serif CJK SC\', serif" font-weight="bold" '
        f'font-size="{font:.2f}" text-anchor="middle" dominant-baseline="central">{"".join(letters)}</g>'
        f'{_star(c, c, size * 0.17)}'
        f'<text x="{c}" y="{c + size * 0.29:.2f}" fill="{RED}" font-family="SimSun, \'Songti SC\', serif" '
        f'font-weight="bold" font-size="{label_font:.2f}" text-anchor="middle" dominant-baseline="central">'
        f'{escape(label)}</text></svg>')
