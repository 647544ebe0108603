"""The overhead benchmark (benchmarks/overhead.py) measured in CPU seconds as well as wall time.

On a shared machine wall time follows everyone else's load: two runs of the same command differ
by more than the 5 % being measured. The CPU time a run spends (user + system, of pytest and of
its xdist workers) depends much less on other processes, so this prints both, for the same
generated suite, with bare and plugin runs alternating so that a load change hits both. The
baseline registers the suite's markers, as the plugin does (see STUB).

    python benchmarks/overhead_cpu.py                 # 5,000 checks, 5 alternating pairs
    python benchmarks/overhead_cpu.py --checks 1000 --repeat 3

Target (issue 7): ratio <= 1.05, serial and with -n 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import CATEGORIES, SEVERITIES, generate_suite  # noqa: E402

# The baseline's stand-in for the plugin: the launch_evidence fixture, and the suite's markers
# registered (as the plugin registers them). Without the markers bare pytest warns 20,000 times
# (PytestUnknownMarkWarning, 4 markers x 5,000 checks) and prints an 80,000-line warnings
# summary: a slower baseline that flatters the ratio. benchmarks/overhead.py's stub lacks them.
MARKERS = ["t_minus_7", "owner", *CATEGORIES, *SEVERITIES]
STUB = ("import pytest\n\n@pytest.fixture\ndef launch_evidence():\n"
        "    class E:\n        def record(self, **kw):\n            self.kw = kw\n    return E()\n\n"
        "def pytest_configure(config):\n"
        f"    for name in {MARKERS!r}:\n"
        "        config.addinivalue_line('markers', name)\n")


def run(root: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and every process it waited for)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "-rN", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_suite(root, args.checks)
        (root / "bench_stub.py").write_text(STUB)
        os.environ["PYTHONPATH"] = str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")
        print(f"{args.checks} checks, median of {args.repeat} alternating runs each; "
              f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        for label, extra in (("serial", []), ("-n 2", ["-n", "2"])):
            bare: list[tuple[float, float]] = []
            plugin: list[tuple[float, float]] = []
            for _ in range(args.repeat):
                bare.append(run(root, ["-p", "no:launch", "-p", "bench_stub", *extra]))
                plugin.append(run(root, ["--env", "envs/bench.toml", "--launch-report-dir", "out", *extra]))
            for index, unit in ((0, "wall"), (1, "CPU ")):
                b = statistics.median(x[index] for x in bare)
                p = statistics.median(x[index] for x in plugin)
                print(f"{label:>7} {unit}: bare pytest {b:6.2f} s   with pytest-launch {p:6.2f} s   "
                      f"ratio {p / b:.3f}   (target <= 1.05)")
        print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
