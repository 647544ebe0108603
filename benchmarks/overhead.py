"""Overhead of pytest-launch on a large suite, against bare pytest measured in the same run.

A generated suite of N checks (markers on all, 3 % failing with messages, evidence on every
tenth) runs with the plugin disabled (`-p no:launch`, the baseline) and with the plugin
deciding and writing JSON, HTML, Markdown and the history. Prints median wall and CPU times
and the ratios.

    python benchmarks/overhead.py                    # 5,000 checks, serial and -n 2, 5 pairs
    python benchmarks/overhead.py --checks 1000 --repeat 1
    python benchmarks/overhead.py --vs-pytest-html   # 3,000 checks: bare, pytest-launch, pytest-html
    python benchmarks/overhead.py --profile          # where a deciding run's time goes (cProfile)
    python benchmarks/overhead.py --instructions     # instructions (valgrind), 100 and 600 checks

Runs are paired and interleaved (A B A B ..., with --vs-pytest-html A B C, C B A, ...), so
that a change of the machine's load hits every variant alike; each ratio is the median of the
per-round ratios (with --vs-pytest-html, also a 95 % interval of that median, bootstrapped over
the rounds, and whether it shows the target met, missed, or neither). Wall time follows the
machine's other load; the CPU time of a run (user + system, of pytest and of its xdist workers)
much less, so both are printed, with the load average at the start and the end. Nothing here
asserts a time: it prints measurements.

Target (issues 7 and 16): ratio <= 1.05, and below pytest-html's.
"""

from __future__ import annotations

import argparse
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CATEGORIES = ["infra", "security", "application", "monitoring", "data", "performance"]
SEVERITIES = ["blocker", "critical", "normal", "minor"]

# each variant loads only its own plugin: pytest-html (and pytest-metadata, which it needs) are
# blocked in the other runs, pytest-launch in the others (the stub registers the same markers)
NO_HTML = ["-p", "no:html", "-p", "no:html_fixtures", "-p", "no:metadata"]
NO_LAUNCH = ["-p", "no:launch", "-p", "bench_stub"]


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

TARGET = 1.05  # issues 7 and 16: pytest-launch's ratio to bare pytest

BASE = ["-q", "-p", "no:cacheprovider", "--no-header", "-rN"]
BARE = [*NO_LAUNCH, *NO_HTML]
LAUNCH = ["--env", "envs/bench.toml", "--launch-report-dir", "out", *NO_HTML]
PYTEST_HTML = [*NO_LAUNCH, "--html", "out-html/report.html", "--self-contained-html"]


# Every variant runs as an installed package runs: from bytecode. PYTHONDONTWRITEBYTECODE (set on
# some CI machines and on ours) would make every run compile pytest, Jinja2 and the plugin from
# source again, a cost no user pays twice; it is dropped for the runs, and each variant runs once
# untimed first (which also writes the test files' rewritten bytecode).
RUN_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run(root: Path, extra: list[str], prefix: list[str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and every process it waited for)."""
    command = [sys.executable, *(prefix or []), "-m", "pytest", *BASE, *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env=RUN_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(variants: dict[str, Callable[[], tuple[float, float]]],
                rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Every variant once per round, the order reversed every other round (A B C, C B A, ...)."""
    names = list(variants)
    for name in names:  # warm-up, untimed: bytecode written, files in the page cache
        variants[name]()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for index in range(rounds):
        for name in (names if index % 2 == 0 else names[::-1]):
            times[name].append(variants[name]())
    return times


def ratio(times: dict[str, list[tuple[float, float]]], name: str, base: str, index: int) -> float:
    """The median of the per-round ratios name / base (wall: index 0, CPU: index 1)."""
    return statistics.median(ratios(times, name, base, index))


def ratios(times: dict[str, list[tuple[float, float]]], name: str, base: str, index: int) -> list[float]:
    return [a[index] / b[index] for a, b in zip(times[name], times[base])]


def spread(values: list[float]) -> str:
    """The middle half of the per-round ratios (quartiles), to judge a median by."""
    if len(values) < 4:
        return "-"
    low, _, high = statistics.quantiles(values, n=4)
    return f"{low:.2f}-{high:.2f}"


def median_interval(values: list[float], resamples: int = 4000, seed: int = 0) -> tuple[float, float]:
    """A 95 % interval of the median of `values` (the rounds' ratios), by resampling the rounds
    with replacement (a percentile bootstrap, seeded: the same rounds print the same interval).
    A round's ratio moves by more than the whole overhead on a shared machine; the interval says
    whether the rounds taken show the target met, refuted, or neither."""
    if len(values) < 2:
        return values[0], values[0]
    draw = random.Random(seed).choices
    medians = sorted(statistics.median(draw(values, k=len(values))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def target_shown(interval: tuple[float, float], target: float, *, strictly: bool = False) -> str:
    """What the rounds show of `ratio <= target` (`ratio < target` when `strictly`): the whole
    interval on the right side of it, on the wrong side, or across."""
    low, high = interval
    if high < target or (high == target and not strictly):
        return "shown"
    if low > target or (low == target and strictly):
        return "not met"
    return "not shown either way (more rounds, or a quieter machine)"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


def vs_pytest_html(root: Path, rounds: int, checks: int) -> None:
    print(f"{checks} checks, 3 % failing; {rounds} interleaved rounds (bare, pytest-launch, pytest-html; "
          f"every other round reversed); {load()} at start")
    times = interleaved({
        "bare pytest": lambda: run(root, BARE),
        "pytest-launch (JSON+HTML+Markdown+history)": lambda: run(root, LAUNCH),
        "pytest-html (self-contained page)": lambda: run(root, PYTEST_HTML),
    }, rounds)
    sizes = {"pytest-launch (JSON+HTML+Markdown+history)": root / "out" / "bench" / "all" / "go-no-go.html",
             "pytest-html (self-contained page)": root / "out-html" / "report.html"}
    print()
    print("| run | median wall | ratio (wall) | 95 % interval | quartiles | median CPU | ratio (CPU) | quartiles "
          "| HTML written |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    base = "bare pytest"
    launch, html = list(times)[1:3]
    intervals = {name: median_interval(ratios(times, name, base, 0)) for name in (launch, html)}
    for name, values in times.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        path = sizes.get(name)
        size = f"{path.stat().st_size / 1e3:,.0f} kB" if path is not None and path.exists() else "-"
        if name == base:
            print(f"| {name} | {wall:.2f} s | 1 | | | {cpu:.2f} s | 1 | | {size} |")
        else:
            low, high = intervals[name]
            print(f"| {name} | {wall:.2f} s | **{ratio(times, name, base, 0):.3f}** | {low:.3f}-{high:.3f} | "
                  f"{spread(ratios(times, name, base, 0))} | {cpu:.2f} s | {ratio(times, name, base, 1):.3f} | "
                  f"{spread(ratios(times, name, base, 1))} | {size} |")
    print()
    below_html = [a / b for a, b in zip(ratios(times, launch, base, 0), ratios(times, html, base, 0))]
    print(f"{load()} at end; ratios are medians of the per-round ratios, with a 95 % interval of that "
          f"median (bootstrap over the rounds)")
    print(f"target pytest-launch <= {TARGET} x bare pytest: "
          f"{target_shown(intervals[launch], TARGET)}; "
          f"below pytest-html: {target_shown(median_interval(below_html), 1.0, strictly=True)} "
          f"(pytest-launch / pytest-html, median of the rounds {statistics.median(below_html):.3f})")


def overhead(root: Path, rounds: int, checks: int) -> None:
    print(f"{checks} checks, median of {rounds} alternating pairs each; {load()} at start")
    for label, extra in (("serial", []), ("-n 2", ["-n", "2"])):
        times = interleaved({"bare": lambda extra=extra: run(root, [*BARE, *extra]),
                             "plugin": lambda extra=extra: run(root, [*LAUNCH, *extra])}, rounds)
        for index, unit in ((0, "wall"), (1, "CPU ")):
            b = statistics.median(x[index] for x in times["bare"])
            p = statistics.median(x[index] for x in times["plugin"])
            print(f"{label:>7} {unit}: bare pytest {b:6.2f} s   with pytest-launch (JSON+HTML+MD) {p:6.2f} s   "
                  f"ratio {ratio(times, 'plugin', 'bare', index):.3f}   (target <= 1.05)")
    html = root / "out" / "bench" / "all" / "go-no-go.html"
    if html.exists():
        print(f"report: {html.stat().st_size / 1e6:.2f} MB HTML for {checks} checks")
    print(f"{load()} at end")


# where the end of a run goes: the plugin's own functions and the libraries it renders with
PROFILE_FILTER = r"pytest_launch|jinja2|filelock|json/|markupsafe"


def profile(root: Path, checks: int) -> None:
    """One deciding run under cProfile: the plugin's functions by cumulative time."""
    dump = root / "launch.prof"
    run(root, LAUNCH)  # warm the file cache and the bytecode
    wall, cpu = run(root, LAUNCH, ["-m", "cProfile", "-o", str(dump)])
    print(f"{checks} checks, one deciding run under cProfile: {wall:.2f} s wall, {cpu:.2f} s CPU (profiling "
          f"slows every call); {load()}")
    stats = pstats.Stats(str(dump))
    stats.sort_stats("cumulative").print_stats(PROFILE_FILTER, 40)


def instructions_of(root: Path, extra: list[str]) -> int:
    """Instructions executed by pytest's process in one run under valgrind's callgrind (the same
    on a busy or an idle machine, unlike its time); not those of the child that decides and
    writes the report while pytest prints its summary (the timed modes' CPU ratio counts it)."""
    run(root, extra)  # bytecode written first, as in the timed modes
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-m", "pytest", *BASE, *extra]
    result = subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            check=False, env=RUN_ENV)
    # one count per process: pytest's, and the child that decides and writes the report where
    # there is one (outputs/write_process.py; its count starts from the parent's at the fork).
    # pytest's own is the one on the run's path: the first process valgrind started
    started = re.search(r"==(\d+)== Command:", result.stderr)
    counts = dict(re.findall(r"==(\d+)== Collected : (\d+)", result.stderr))
    if started is None or started.group(1) not in counts:
        sys.exit(f"callgrind printed no instruction count for pytest's process:\n{result.stderr[-2000:]}")
    return int(counts[started.group(1)])


def instructions(sizes: tuple[int, int]) -> None:
    """Bare pytest and a deciding run at two suite sizes: the plugin's overhead in instructions,
    split into a fixed part and a part per check."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    counts: dict[tuple[str, int], int] = {}
    for checks in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            generate_suite(root, checks)
            (root / "bench_stub.py").write_text(STUB)
            RUN_ENV["PYTHONPATH"] = str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")
            with ThreadPoolExecutor(2) as pool:  # two processes: the counts do not depend on the load
                bare = pool.submit(instructions_of, root, BARE)
                launch = pool.submit(instructions_of, root, LAUNCH)
                counts["bare", checks], counts["launch", checks] = bare.result(), launch.result()
    print("| checks | bare pytest | pytest-launch | overhead |")
    print("| --- | --- | --- | --- |")
    for checks in sizes:
        bare, launch = counts["bare", checks], counts["launch", checks]
        print(f"| {checks} | {bare / 1e9:.2f} G | {launch / 1e9:.2f} G | +{(launch - bare) / bare:.1%} |")
    small, large = sizes
    extra_small = counts["launch", small] - counts["bare", small]
    extra_large = counts["launch", large] - counts["bare", large]
    per_check = (extra_large - extra_small) / (large - small)
    bare_per_check = (counts["bare", large] - counts["bare", small]) / (large - small)
    fixed = extra_small - small * per_check
    print(f"\nplugin: {fixed / 1e9:.2f} G fixed + {per_check / 1e6:.2f} M per check "
          f"(bare pytest: {bare_per_check / 1e6:.2f} M per check)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=None, help="suite size (5,000; 3,000 with --vs-pytest-html)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (5; 9 with --vs-pytest-html)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--vs-pytest-html", action="store_true",
                      help="bare pytest, pytest-launch and pytest-html (self-contained page) side by side")
    mode.add_argument("--profile", action="store_true", help="one deciding run under cProfile")
    mode.add_argument("--instructions", action="store_true",
                      help="instructions (valgrind) of bare pytest and a deciding run, 100 and 600 checks: "
                           "fixed and per-check overhead, whatever the machine's load")
    args = parser.parse_args()
    if args.instructions:
        instructions((100, args.checks or 600))
        return
    checks = args.checks or (3000 if args.vs_pytest_html else 5000)
    rounds = args.repeat or (9 if args.vs_pytest_html else 5)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_suite(root, checks)
        (root / "bench_stub.py").write_text(STUB)
        RUN_ENV["PYTHONPATH"] = str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")
        if args.vs_pytest_html:
            try:
                import pytest_html  # noqa: F401
            except ImportError:
                sys.exit("--vs-pytest-html needs pytest-html: pip install -e '.[test]'")
            vs_pytest_html(root, rounds, checks)
        elif args.profile:
            profile(root, checks)
        else:
            overhead(root, rounds, checks)


if __name__ == "__main__":
    main()
