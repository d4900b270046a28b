"""`xietong serve` with a memory census on SIGUSR1, for bench/connections.py --memprofile (product unchanged).

    BENCH_MEMPROFILE=/tmp/mem.json python bench/conn_server.py serve --port P

Runs the real `webapp.cli.main(["serve", ...])` with `tracemalloc` on (that costs memory and time
itself: the RSS figures of such a run are not the benchmark's). On SIGUSR1 it writes to
$BENCH_MEMPROFILE: the traced Python heap, its top allocation sites (file:line, and grouped by
file), and the number of live objects per type (gc), so that a per-connection share can be
read off by dividing by the number of connections. A second SIGUSR1 writes a second file
(<path>.2) so that a reading before and one with the connections can be compared.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OUT = os.environ.get("BENCH_MEMPROFILE", "")
_count = 0


def census(signum: int, frame: Any) -> None:
    global _count
    _count += 1
    snap = tracemalloc.take_snapshot().filter_traces([
        tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])
    current, peak = tracemalloc.get_traced_memory()
    by_line = [{"where": str(s.traceback[0]), "kib": round(s.size / 1024, 1), "count": s.count}
               for s in snap.statistics("lineno")[:60]]
    by_file = [{"file": s.traceback[0].filename.replace(str(Path(sys.prefix)), "<venv>"),
                "kib": round(s.size / 1024, 1), "count": s.count} for s in snap.statistics("filename")[:30]]
    types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    out = {"traced_kib": round(current / 1024), "traced_peak_kib": round(peak / 1024),
           "top_lines": by_line, "top_files": by_file, "gc_types": dict(types.most_common(60)),
           "gc_objects": sum(types.values())}
    path = OUT if _count == 1 else f"{OUT}.{_count}"
    Path(path).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    tracemalloc.start(1)
    if OUT:
        signal.signal(signal.SIGUSR1, census)
    from webapp.cli import main
    sys.exit(main(sys.argv[1:]))
