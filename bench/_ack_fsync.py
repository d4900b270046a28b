"""Raw durability cost of this disk: write+fsync, and a one-row SQLite WAL commit (FULL vs NORMAL).

    .venv/bin/python bench/_ack_fsync.py
"""
import os, time, tempfile, sqlite3
d = tempfile.mkdtemp(prefix="xietong-fsync-")
p = os.path.join(d, "f")
fd = os.open(p, os.O_WRONLY | os.O_CREAT)
n = 500; t = time.perf_counter()
for i in range(n):
    os.pwrite(fd, b"x" * 4096, (i % 16) * 4096); os.fsync(fd)
dt = time.perf_counter() - t
print(f"raw write+fsync: {n/dt:.0f}/s, {dt/n*1e3:.3f} ms each")
t = time.perf_counter()
for i in range(n):
    os.pwrite(fd, b"x" * 4096, (i % 16) * 4096); os.fdatasync(fd)
dt = time.perf_counter() - t
print(f"raw write+fdatasync: {n/dt:.0f}/s, {dt/n*1e3:.3f} ms each")
c = sqlite3.connect(os.path.join(d, "x.db"), isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL")
c.execute("create table t(id integer primary key, v text)")
t = time.perf_counter()
for i in range(n):
    c.execute("BEGIN IMMEDIATE"); c.execute("insert into t(v) values (?)", ("x"*200,)); c.execute("COMMIT")
dt = time.perf_counter() - t
print(f"sqlite WAL FULL commit: {n/dt:.0f}/s, {dt/n*1e3:.3f} ms each")
c.execute("PRAGMA synchronous=NORMAL")
t = time.perf_counter()
for i in range(n):
    c.execute("BEGIN IMMEDIATE"); c.execute("insert into t(v) values (?)", ("x"*200,)); c.execute("COMMIT")
dt = time.perf_counter() - t
print(f"sqlite WAL NORMAL commit: {n/dt:.0f}/s, {dt/n*1e3:.3f} ms each")
import shutil; c.close(); os.close(fd); shutil.rmtree(d)
