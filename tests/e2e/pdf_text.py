"""The text of each page of a PDF that Chromium printed (Skia: Flate streams, Type0 fonts with
ToUnicode maps, glyphs shown as hex strings): enough for a test to read what a printed page says."""

from __future__ import annotations

import re
import zlib


def pdf_pages_text(pdf: bytes) -> list[str]:
    """Each page's text in drawing order, a line break after each text object."""
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.DOTALL)}

    def stream(n: int) -> bytes:
        body = objs[n]
        m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.DOTALL)
        assert m, f"object {n} has no stream"
        data = m.group(1)
        return zlib.decompress(data) if b"/FlateDecode" in body[:m.start()] else data

    cmaps: dict[int, dict[int, str]] = {}

    def cmap(font_obj: int) -> dict[int, str]:
        if font_obj in cmaps:
            return cmaps[font_obj]
        ref = re.search(rb"/ToUnicode (\d+) 0 R", objs[font_obj])
        table: dict[int, str] = {}
        if ref:
            text = stream(int(ref.group(1)))
            for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.DOTALL):
                for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
            for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.DOTALL):
                for a, b, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    start = int(dst, 16)
                    for i, g in enumerate(range(int(a, 16), int(b, 16) + 1)):
                        table[g] = chr(start + i)
        cmaps[font_obj] = table
        return table

    out = []
    pages = [n for n, b in objs.items() if re.search(rb"/Type\s*/Page\b", b)]
    for n in sorted(pages):
        body = objs[n]
        fonts = {name: int(ref) for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body)}
        contents = re.search(rb"/Contents (\d+) 0 R", body)
        assert contents, f"page {n} has no contents"
        ops = stream(int(contents.group(1)))
        text: list[str] = []
        font: dict[int, str] | None = None
        for tok in re.finditer(rb"/(F\d+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\bET\b", ops):
            if tok.group(1):
                font = cmap(fonts[tok.group(1)])
            elif tok.group(2) is not None and font is not None:
                h = tok.group(2)
                text.append("".join(font.get(int(h[i:i + 4], 16), "?") for i in range(0, len(h), 4)))
            else:
                text.append("\n")
        out.append("".join(text))
    return out
