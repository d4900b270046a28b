"""Benchmark: laying out an official document as GB/T 9704 says (hub/render/paper.py, Typst).

Prints figures, it is not a test. Renders a 3-page and a 100-page document RUNS times each (after
one unmeasured run that reads the fonts) and prints p50 / p95 of each; the last line is JSON with
render_3p_p95_ms and render_100p_s. Stamping (PAdES) is not in these figures yet.

    .venv/bin/python bench/render.py            # 20 runs each
    .venv/bin/python bench/render.py --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

from hub.config import PaperConfig
from hub.domain.paper import Paper, body_blocks
from hub.render.paper import PaperRenderer

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


def measure(renderer: PaperRenderer, paragraphs: int, runs: int) -> tuple[list[float], int]:
    n = pages(renderer.render(paper(paragraphs, runs)).pdf)
    times = []
    for run in range(runs):
        p = paper(paragraphs, run)
        t0 = time.perf_counter()
        renderer.render(p)
        times.append(time.perf_counter() - t0)
    return times, n


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
    s, s_pages = measure(renderer, 12, args.runs)          # 3 pages
    print(f"{s_pages} pages: p50 {pct(s, 50) * 1000:.1f} ms, p95 {pct(s, 95) * 1000:.1f} ms over {args.runs} runs")
    lg, l_pages = measure(renderer, 790, args.runs)        # 100 pages
    print(f"{l_pages} pages: p50 {pct(lg, 50):.2f} s, p95 {pct(lg, 95):.2f} s over {args.runs} runs")
    print(json.dumps({"render_3p_p95_ms": round(pct(s, 95) * 1000, 1), "render_100p_s": round(pct(lg, 95), 2),
                      "pages_short": s_pages, "pages_long": l_pages, "runs": args.runs, "stamped": False}))


if __name__ == "__main__":
    main()
