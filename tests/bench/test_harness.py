"""The benchmark harness: reading wrk's report, and a whole run at a tiny size."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness import parse_wrk

REPO = Path(__file__).resolve().parents[2]

WRK_REPORT = """Running 10s test @ http://127.0.0.1:40123/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.95ms    9.12ms 203.54ms   93.42%
    Req/Sec     2.31k   402.11     3.10k    71.00%
  Latency Distribution
     50%    6.02ms
     75%    8.11ms
     90%   12.40ms
     99%  512.00us
  46021 requests in 10.01s, 1.62GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 17
Requests/sec:   4597.51
Transfer/sec:    165.42MB
"""


def test_wrk_report_is_read_into_numbers():
    result = parse_wrk(WRK_REPORT)

    assert result == {
        "requests_per_s": 4597.5,
        "requests": 46021,
        "non_2xx": 17,
        "socket_errors": 3,
        "p50_ms": 6.02,
        "p75_ms": 8.11,
        "p90_ms": 12.4,
        "p99_ms": 0.512,
    }


def test_seconds_are_read_as_milliseconds():
    assert parse_wrk("     99%    1.50s\n")["p99_ms"] == 1500.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads workers from /proc")
def test_the_page_benchmark_runs_at_a_tiny_size():
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL"}}
    # Its own SQLite file under var/, whatever database the suite runs on.
    env.pop("DATABASE_URL", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--products",
            "24",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--connections",
            "4",
            "--no-write",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for row in ("ceiling (ok)", "home", "category", "product", "search", "api"):
        assert row in completed.stdout
    assert "no non-2xx answers or socket errors" in completed.stdout
