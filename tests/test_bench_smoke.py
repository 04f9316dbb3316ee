"""The benchmark suite runs end to end on a tiny size. Its figures decide nothing here: only
that it exits 0 and prints a line for every workload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_runs_every_workload_on_a_tiny_size():
    result = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--no-pg"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if "FAILED" in line]
    for workload in ("ed25519", "import", "verify", "export", "start-up", "concurrency"):
        measured = [line for line in lines if line.startswith(workload)]
        assert measured, f"no line for {workload}:\n{result.stdout}"
        assert all("ratio:" in line or "proof:" in line or "skipped:" in line for line in measured), measured
