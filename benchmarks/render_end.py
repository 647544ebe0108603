"""The renderings at the end of a deciding run (issue 16): go-no-go.html and go-no-go.md from one
in-memory results document of 3,000 checks, timed and counted.

    python benchmarks/render_end.py                       # both documents, best of 7
    python benchmarks/render_end.py --save /tmp/docs      # ... and keep the documents
    python benchmarks/render_end.py --load /tmp/docs --pages /tmp/after    # same documents, pages kept
    python benchmarks/render_end.py --load /tmp/docs --ab /tmp/base        # against another tree

Two documents of --checks checks:
- "run": a real deciding run's go-no-go.json and history: the generated suite of
  benchmarks/overhead.py (3 % failing, evidence on every tenth) run twice with the plugin, so that
  the second run has a previous run; the document and history are read back from its report
  folder (what write_report had in memory).
- "sample": tests/report_samples.sample_document (the seed checklist, richer evidence, waivers,
  sign-offs) with 29 earlier history lines, as benchmarks/report_scale.py builds it.

For each, in a fresh interpreter: the first render_html (templates loaded: the run's in-progress
placeholder pays it), the best of N of the renderings as render_all._write_locked makes them (the
digest, render_html and render_markdown) and of a whole write_report (JSON, history line, HTML,
Markdown) into a fresh folder; then the renderings once under cProfile: total function calls and
the calls of the functions issue 16 names.

--pages DIR writes each document's go-no-go.html and go-no-go.md as write_report wrote them, the
page's "generated" time fixed, and the demo document's (tests/data/demo-t-minus-7.json), to
compare the pages before and after a change byte for byte (`cmp`).
--ab TREE runs the same measurements with TREE's pytest_launch (a `git archive` of the base
commit, say) and this tree's, in fresh interpreters, alternating (A B, B A, ...) for --rounds
rounds, and prints the medians: timings vary 10-25 % on a shared machine, so compare these, or
the call counts. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from overhead import LAUNCH, STUB, generate_suite  # noqa: E402
from report_samples import sample_document, sample_history  # noqa: E402

import pytest_launch.outputs.digest as digest_module  # noqa: E402
from pytest_launch.outputs.history import history_entry, read_history_checked  # noqa: E402
from pytest_launch.outputs.html import render_html  # noqa: E402
from pytest_launch.outputs.markdown import render_markdown  # noqa: E402
from pytest_launch.outputs.render_all import HISTORY_RUNS, write_report  # noqa: E402

# the functions whose calls are counted: (file name fragment, function name; "macro" for any macro)
COUNTED = [("outputs/html.py", "render_html"), ("outputs/html.py", "build_view"), ("outputs/html.py", "_rows"),
           ("outputs/html.py", "evidence_text"), ("outputs/html.py", "evidence_is_flat"),
           ("outputs/html.py", "short_value"), ("outputs/digest.py", "digest"),
           ("outputs/markdown.py", "render_markdown"), ("jinja2/environment.py", "getattr"),
           ("markupsafe/__init__.py", "escape"), ("_checks.html.j2", "root"), ("_evidence.html.j2", "macro")]
GENERATED = re.compile(r" · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · ")
DOCUMENTS = ("run", "sample")


def real_run_document(checks: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deciding run's document and the history it was rendered with (two runs of a generated suite)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate_suite(root, checks)
        (root / "bench_stub.py").write_text(STUB)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(root), os.environ.get("PYTHONPATH", "")])}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "-rN", *LAUNCH]
        for _ in range(2):
            subprocess.run(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
        folder = root / "out" / "bench" / "all"  # the report folder, and its history (both runs)
        doc = json.loads((folder / "go-no-go.json").read_text("utf-8"))
        runs = read_history_checked(folder / "history.jsonl", HISTORY_RUNS).runs
    return doc, list(runs)


def sample_run_document(checks: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = sample_document(checks)
    return doc, sample_history(doc, runs=HISTORY_RUNS - 1) + [history_entry(doc)]


def renderings(doc: dict[str, Any], runs: list[dict[str, Any]]) -> tuple[str, str]:
    """What render_all._write_locked renders: with one digest for both when the renderers take it."""
    if "summary" in inspect.signature(render_html).parameters:
        meeting = digest_module.digest(doc, digest_module.previous_run(doc, runs))
        return render_html(doc, runs, summary=meeting), render_markdown(doc, runs, summary=meeting)
    return render_html(doc, runs), render_markdown(doc, runs)


def best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def counted_calls(doc: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, int]:
    profiler = cProfile.Profile()
    profiler.runcall(renderings, doc, runs)
    stats = pstats.Stats(profiler)
    found = {"total function calls": stats.total_calls}  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, calls, _tt, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for fragment, wanted in COUNTED:
            if fragment in filename.replace(os.sep, "/") and (name == wanted or wanted == "macro"
                                                              and name.startswith("macro")):
                key = f"{fragment.rsplit('/', 1)[-1]} {wanted}"
                found[key] = found.get(key, 0) + calls
    return found


def measure(doc: dict[str, Any], runs: list[dict[str, Any]], repeat: int, pages: Path | None,
            name: str) -> dict[str, Any]:
    start = time.perf_counter()
    render_html(doc, runs)
    first = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        folders = iter(Path(tmp) / str(n) for n in range(repeat + 1))

        def fresh_folder() -> Path:
            folder = next(folders)
            folder.mkdir()
            (folder / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs[:-1]), "utf-8")
            return folder

        write_s = float("inf")
        for _ in range(repeat):
            folder = fresh_folder()  # each write into a fresh folder holding the earlier runs
            start = time.perf_counter()
            write_report(doc, folder, step_summary=False)
            write_s = min(write_s, time.perf_counter() - start)
        if pages is not None:
            folder = fresh_folder()
            write_report(doc, folder, step_summary=False)
            pages.mkdir(parents=True, exist_ok=True)
            page = (folder / "go-no-go.html").read_text("utf-8")
            (pages / f"{name}.html").write_text(GENERATED.sub(" · GENERATED · ", page), "utf-8")
            (pages / f"{name}.md").write_text((folder / "go-no-go.md").read_text("utf-8"), "utf-8")
    page, markdown = renderings(doc, runs)
    return {"checks": len(doc.get("checks", [])), "history lines": len(runs),
            "HTML kB": round(len(page.encode()) / 1e3), "Markdown kB": round(len(markdown.encode()) / 1e3, 1),
            "first render_html s": first,
            "render_html s": best_of(repeat, lambda: render_html(doc, runs)),
            "renderings s": best_of(repeat, lambda: renderings(doc, runs)),
            "write_report s": write_s, **counted_calls(doc, runs)}


def documents(args: argparse.Namespace) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    builders = {"run": real_run_document, "sample": sample_run_document}
    found = {}
    for name in DOCUMENTS:
        if args.only and name != args.only:
            continue
        if args.load:
            found[name] = (json.loads((args.load / f"{name}.json").read_text("utf-8")),
                           json.loads((args.load / f"{name}-history.json").read_text("utf-8")))
        else:
            found[name] = builders[name](args.checks)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{name}.json").write_text(json.dumps(found[name][0]), "utf-8")
            (args.save / f"{name}-history.json").write_text(json.dumps(found[name][1]), "utf-8")
    return found


def show(name: str, numbers: dict[str, Any]) -> None:
    print(f"\n{name}:")
    for key, value in numbers.items():
        print(f"  {key:<32} {value:.3f}" if isinstance(value, float) else f"  {key:<32} {value:,}")


def ab(args: argparse.Namespace, docs: Path) -> None:
    """Both trees in fresh interpreters, alternating; the median of each number over the rounds."""
    trees = {"A (" + str(args.ab) + ")": args.ab.resolve(), "B (this tree)": ROOT}
    results: dict[str, list[dict[str, dict[str, Any]]]] = {label: [] for label in trees}
    for index in range(args.rounds):
        for label in (list(trees) if index % 2 == 0 else list(trees)[::-1]):
            env = {**os.environ, "PYTHONPATH": str(trees[label])}
            command = [sys.executable, __file__, "--load", str(docs), "--repeat", str(args.repeat), "--json"]
            if args.only:
                command += ["--only", args.only]
            output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            results[label].append(json.loads(output.splitlines()[-1]))
    print(f"medians of {args.rounds} rounds (A B, B A, ...), each a fresh interpreter, best of {args.repeat} inside")
    for name in results["B (this tree)"][0]:
        print(f"\n{name}:")
        keys = list(dict.fromkeys(k for label in trees for k in results[label][0][name]))
        print(f"  {'':<32} " + "  ".join(f"{label:>24}" for label in trees) + "     B/A")
        for key in keys:
            values = [statistics.median(r[name].get(key, 0) for r in results[label]) for label in trees]
            ratio = f"{values[1] / values[0]:.2f}" if values[0] else "-"
            cells = "  ".join(f"{v:>24.3f}" if isinstance(v, float) and not float(v).is_integer() else f"{v:>24,.0f}"
                              for v in values)
            print(f"  {key:<32} {cells}  {ratio:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7, help="best of N (7)")
    parser.add_argument("--save", type=Path, help="keep the built documents in this folder")
    parser.add_argument("--load", type=Path, help="use the documents kept by --save instead of building them")
    parser.add_argument("--pages", type=Path, help="write each document's pages here (generated time fixed)")
    parser.add_argument("--only", choices=DOCUMENTS, help="one of the two documents")
    parser.add_argument("--ab", type=Path, help="another tree (a folder holding pytest_launch/) to compare with")
    parser.add_argument("--rounds", type=int, default=6, help="--ab rounds (6)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one line of numbers (--ab)
    args = parser.parse_args()
    if args.ab:
        if args.load:
            ab(args, args.load)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                args.save = Path(tmp)
                documents(args)
                ab(args, args.save)
        return
    numbers = {name: measure(doc, runs, args.repeat, args.pages, name) for name, (doc, runs) in documents(args).items()}
    if args.json:
        print(json.dumps(numbers))
        return
    for name, values in numbers.items():
        show(name, values)
    demo = ROOT / "tests" / "data" / "demo-t-minus-7.json"
    if args.pages is not None and demo.exists():
        doc = json.loads(demo.read_text("utf-8"))
        (args.pages / "demo.html").write_text(GENERATED.sub(" · GENERATED · ", render_html(doc, [])), "utf-8")
        (args.pages / "demo.md").write_text(render_markdown(doc, []), "utf-8")


if __name__ == "__main__":
    main()
