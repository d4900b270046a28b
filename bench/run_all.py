"""`make bench`: run every benchmark in bench/, one after the other, one line of figures each.

    .venv/bin/python bench/run_all.py                 # each benchmark with its own defaults
    .venv/bin/python bench/run_all.py --size quick    # small sizes (a smoke run of every bench)
    .venv/bin/python bench/run_all.py --only ack,resume

Each benchmark runs in its own process (they start servers and load generators, and stop
them); its whole output goes to data/bench/<name>.log, and the last line it prints (one JSON
object) is reduced here to its headline figures. The first line names the machine, since the
figures mean little without it. A benchmark that fails is reported with the end of its log;
the others still run, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# name -> (arguments at --size quick, the figures printed from its last JSON line)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "escalation": (["--pending", "100000", "--due", "2000", "--spread", "20"],
                   ["pending", "due", "lag_p50_ms", "lag_p99_ms", "startup_s"]),
    "ack": (["--deliveries", "8000", "--duration", "4", "--warmup", "1", "--quiet-wait", "15"],
            ["acks_per_s", "p99_ms_at_200"]),
    "fanout": (["--clients", "1000", "--quiet-wait", "5"],
               ["clients", "xietong_p50_ms", "xietong_p99_ms", "handoff_ms", "baseline_p99_ms",
                "socketio_p99_ms", "xietong_over_baseline_p99", "xietong_over_socketio_p99"]),
    "connections": (["--connections", "1000", "--hold", "25"], ["connections", "kib_per_connection"]),
    "resume": (["--clients", "1000"], ["clients", "events", "all_recovered_s", "lost", "doubled"]),
    "todo": (["--quick"], ["todo_p99_ms", "register_p99_ms", "export_10k_s", "register_over"]),
    "render": (["--runs", "5"], ["render_3p_p95_ms", "render_100p_s", "pages_long"]),
    "search": (["--docs", "10000", "--rounds", "3"], ["index_docs_per_s", "q2_p99_ms", "q4_p99_ms", "phrase_p99_ms",
                                                      "recall"]),
}
TIMEOUT_S = {"full": 1800, "quick": 600}     # per benchmark


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1048576:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{os.cpu_count()} CPUs ({model or platform.processor() or '?'}){mem}, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None


def run(name: str, args: list[str], keys: list[str], log_dir: Path, timeout: float) -> bool:
    log = log_dir / f"{name}.log"
    started = time.monotonic()
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args]
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        try:
            code = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            code = -1
    took = time.monotonic() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    figures = last_json(text)
    if code != 0 or figures is None:
        why = "timed out" if code == -1 else f"exit status {code}"
        print(f"{name:<12} FAILED ({why}, {took:.0f} s); the end of {log}:", flush=True)
        for line in text.strip().splitlines()[-15:]:
            print(f"    {line}", flush=True)
        return False
    shown = {k: figures.get(k) for k in keys}
    print(f"{name:<12} {json.dumps(shown, ensure_ascii=False)}  ({took:.0f} s)", flush=True)
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=("full", "quick"), default="full",
                   help="full: each benchmark's own defaults; quick: small sizes")
    p.add_argument("--only", default="", help="comma-separated names (default: all, in this order: "
                   + ", ".join(BENCHES) + ")")
    p.add_argument("--log-dir", type=Path, default=ROOT / "data" / "bench")
    a = p.parse_args()
    names = [n.strip() for n in a.only.split(",") if n.strip()] or list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        p.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    a.log_dir.mkdir(parents=True, exist_ok=True)
    print(f"machine      {machine()}", flush=True)
    print(f"size         {a.size}; full output in {a.log_dir}/<name>.log", flush=True)
    ok = True
    for name in names:
        quick_args, keys = BENCHES[name]
        ok = run(name, quick_args if a.size == "quick" else [], keys, a.log_dir, TIMEOUT_S[a.size]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
