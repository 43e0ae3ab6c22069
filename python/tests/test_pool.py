"""The Pool scenario of examples/python/pool.py under every start method."""

import json
import subprocess
import sys

import pytest

from conftest import REPO

EXAMPLE = REPO / "examples" / "python" / "pool.py"


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pool_example(method, tmp_path):
    out = tmp_path / "result.json"
    # 4 workers even on a 2-core machine, so that several workers take tasks.
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--start-method", method,
                           "--workers", "4", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["gpurand"] == {"repeated_calls": 0, "all_distinct": True, "clean": True,
                              "duplicate_streams": 0}
    # RandomState(pid) repeats under every start method; the audit must say so.
    for broken in ("randomstate-pid", "randomstate-urandom1"):
        assert res[broken]["repeated_calls"] > 0 and not res[broken]["clean"], broken
    if method == "fork":  # fork copies the parent's NumPy state into every worker
        for broken in ("legacy-after-parent-draw", "module-default-rng"):
            assert res[broken]["duplicate_streams"] > 0 and not res[broken]["clean"], broken
    assert "values distinct, clean audit" in proc.stdout


def test_pool_example_rejects_bad_arguments():
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--workers", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--workers" in proc.stderr
