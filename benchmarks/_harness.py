"""Shared pieces of the benchmarks that measure each case in a fresh child process."""

from __future__ import annotations

import json
import subprocess
import sys


def peak_bytes(call) -> int:
    """Peak memory traced while ``call()`` runs, after one warm-up call (imports and first-use
    caches are not the call's memory)."""
    import tracemalloc

    call()
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def child(script: str, *args: str) -> dict:
    """Run ``script --child ARGS`` in a fresh interpreter; its last stdout line is JSON."""
    out = subprocess.run([sys.executable, script, "--child", *args], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def best_of(fn, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls of ``fn()`` (seconds)."""
    import time

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
