"""Benchmark: laying out an official document as GB/T 9704 says and stamping it (hub/render/paper.py,
Typst; hub/crypto/pades.py, pyHanko, with a time-stamp token of hub/crypto/tsa.py).

Prints figures, it is not a test. Lays out and stamps a 3-page and a ~100-page document RUNS times
each (after one unmeasured run that reads the fonts) and prints p50 / p95 of each, laying out and
signing apart; the last line is JSON with render_3p_p95_ms and render_100p_s (both: laid out and
stamped). The seal, its authority and the time-stamp service are made in memory, as the hub does.

    .venv/bin/python bench/render.py            # 20 runs each
    .venv/bin/python bench/render.py --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from hub.config import PaperConfig
from hub.crypto import seals as crypto
from hub.crypto.pades import sign_pdf
from hub.domain.paper import Paper, body_blocks
from hub.domain.seal_picture import seal_svg
from hub.render.paper import PaperRenderer, seal_picture_pdf

PARA = ("要聚焦重点行业领域，深入开展隐患排查整治，做到排查不留死角、整治不留后患，"
        "确保各项措施落实落细，切实维护人民群众生命财产安全和社会大局稳定。")


def paper(paragraphs: int, run: int = 0) -> Paper:
    """A document of so many paragraphs; `run` changes its number and every paragraph, so that no
    run is served from Typst's memo of an earlier one (it caches what it laid out before)."""
    body = "\n".join([f"{'一二三四五六七八九'[i % 9]}、第{i + 1}项工作。" if i % 7 == 0 else f"{PARA}（{run}-{i}）"
                      for i in range(paragraphs)])
    return Paper(issuer_mark="示范区人民政府办公室文件", title="关于做好2026年冬春安全生产工作的通知",
                 blocks=body_blocks(body), signature="示范区人民政府办公室", dated="2026年12月2日",
                 doc_number=f"示政办发〔2026〕{run + 1}号", urgency="特急", main_to="各乡镇人民政府，区政府各部门",
                 attachments=("安全生产检查表",), copy_to="区委办公室", printed_by="示范区人民政府办公室",
                 printed_on="2026年12月2日")


def pages(pdf: bytes) -> int:
    import pdfplumber  # the test extra
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


class Keys:
    """An authority, a seal and the authority's time-stamp service, in memory."""

    def __init__(self) -> None:
        now = datetime.now(UTC)
        self.authority_key, self.authority = crypto.make_authority("示范区电子印章制作中心", now - timedelta(days=1))
        self.seal_key = crypto.DEFAULT.new_key()
        self.seal = crypto.issue_seal_cert(self.authority_key, self.authority, self.seal_key.public_key(),
                                           crypto.SealSubject("示范区人民政府办公室", "法定名称章", "示范区人民政府办公室"),
                                           now - timedelta(days=1), now + timedelta(days=365))
        self.tsa_key = crypto.DEFAULT.new_key()
        self.tsa = crypto.issue_tsa_cert(self.authority_key, self.authority, self.tsa_key.public_key(),
                                         now - timedelta(days=1))


def measure(renderer: PaperRenderer, keys: Keys, paragraphs: int, runs: int) -> tuple[list[float], list[float], int]:
    """(lay-out seconds, stamping seconds, pages) of `runs` documents."""
    picture = seal_picture_pdf(seal_svg("示范区人民政府办公室", "法定名称章"), renderer)
    laid = renderer.render(paper(paragraphs, runs))
    sign_pdf(laid.pdf, laid.seal, picture, keys.seal, keys.seal_key, keys.authority, keys.tsa, keys.tsa_key,
             datetime.now(UTC), "用印")
    layout, stamping = [], []
    for run in range(runs):
        p = paper(paragraphs, run)
        t0 = time.perf_counter()
        laid = renderer.render(p)
        t1 = time.perf_counter()
        sign_pdf(laid.pdf, laid.seal, picture, keys.seal, keys.seal_key, keys.authority, keys.tsa, keys.tsa_key,
                 datetime.now(UTC), "用印")
        layout.append(t1 - t0)
        stamping.append(time.perf_counter() - t1)
    return layout, stamping, pages(laid.pdf)


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()
    renderer = PaperRenderer(PaperConfig())
    renderer.check()
    print(f"fonts read in {time.perf_counter() - t0:.2f} s: {renderer.faces}")
    keys = Keys()
    figures = {}
    for label, paragraphs in (("3p", 12), ("100p", 790)):
        lay, sig, n = measure(renderer, keys, paragraphs, args.runs)
        both = [a + b for a, b in zip(lay, sig, strict=True)]
        print(f"{n} pages: laid out p50 {pct(lay, 50) * 1000:.0f} ms, p95 {pct(lay, 95) * 1000:.0f} ms; "
              f"stamped p50 {pct(sig, 50) * 1000:.0f} ms, p95 {pct(sig, 95) * 1000:.0f} ms; "
              f"both p50 {pct(both, 50) * 1000:.0f} ms, p95 {pct(both, 95) * 1000:.0f} ms over {args.runs} runs")
        figures[label] = (pct(both, 95), n)
    print(json.dumps({"render_3p_p95_ms": round(figures["3p"][0] * 1000, 1), "render_100p_s": round(figures["100p"][0], 2),
                      "pages_short": figures["3p"][1], "pages_long": figures["100p"][1], "runs": args.runs,
                      "stamped": True}))

if __name__ == "__main__":
    main()
