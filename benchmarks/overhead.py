"""Overhead of pytest-launch on a large suite, against bare pytest measured in the same run.

A generated suite of N checks (markers on all, 3 % failing with messages, evidence on every
tenth) runs with the plugin disabled (`-p no:launch`, the baseline) and with the plugin
deciding and writing JSON, HTML and Markdown. Prints wall times and the ratio; also under -n 2.

    python benchmarks/overhead.py            # 5,000 checks, 5 alternating pairs
    python benchmarks/overhead.py --checks 1000 --repeat 1

Wall time follows the machine's other load; the CPU time of a run (user + system, of pytest
and of its xdist workers) much less, so both are printed.

Target (issue 7): ratio <= 1.05.
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

CATEGORIES = ["infra", "security", "application", "monitoring", "data", "performance"]
SEVERITIES = ["blocker", "critical", "normal", "minor"]


def generate_suite(root: Path, checks: int, per_file: int = 100) -> None:
    (root / "envs").mkdir(parents=True)
    (root / "envs" / "bench.toml").write_text('[environment]\nname = "bench"\n')
    (root / "pytest.ini").write_text("[pytest]\n")
    for file_index in range(checks // per_file):
        lines = ["import pytest", ""]
        for i in range(per_file):
            n = file_index * per_file + i
            category = CATEGORIES[n % len(CATEGORIES)]
            severity = SEVERITIES[n % len(SEVERITIES)]
            fails = n % 33 == 0  # about 3 %
            uses_evidence = n % 10 == 0
            args = "launch_evidence" if uses_evidence else ""
            lines.append(f"@pytest.mark.t_minus_7\n@pytest.mark.{category}\n@pytest.mark.{severity}"
                         f"\n@pytest.mark.owner('team-{n % 7}')")
            lines.append(f"def test_check_{n}({args}):")
            if uses_evidence:
                lines.append(f"    launch_evidence.record(measured={n}, threshold=30)")
            if fails:
                lines.append(f"    assert {n} < 0, 'check {n} failed: measured {n} against threshold 0'")
            else:
                lines.append("    pass")
            lines.append("")
        (root / f"test_gen_{file_index:03d}.py").write_text("\n".join(lines))


# The baseline's stand-in for the plugin: the launch_evidence fixture, and the suite's markers
# registered as the plugin registers them. (Without them bare pytest warns 20,000 times about
# unknown markers and prints an 80,000-line warnings summary: a slower baseline that flatters
# the ratio.)
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
            for _ in range(args.repeat):  # alternating, so that a change of load hits both
                bare.append(run(root, ["-p", "no:launch", "-p", "bench_stub", *extra]))
                plugin.append(run(root, ["--env", "envs/bench.toml", "--launch-report-dir", "out", *extra]))
            for index, unit in ((0, "wall"), (1, "CPU ")):
                b = statistics.median(x[index] for x in bare)
                p = statistics.median(x[index] for x in plugin)
                print(f"{label:>7} {unit}: bare pytest {b:6.2f} s   with pytest-launch (JSON+HTML+MD) {p:6.2f} s   "
                      f"ratio {p / b:.3f}   (target <= 1.05)")
        html = root / "out" / "bench" / "go-no-go.html"
        if html.exists():
            print(f"report: {html.stat().st_size / 1e6:.2f} MB HTML for {args.checks} checks")
        print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
