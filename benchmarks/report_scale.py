"""How the go/no-go page scales: render time of a 10,000-check document, bytes per 1,000
checks, peak memory, the 5,000-check size against pytest-html, and Chromium's parse + layout
time of the 5,000-check page against a plain table of the same number of rows rendered in
the same run.

    python benchmarks/report_scale.py

Targets (issue 5): 10,000 checks render in <= 1 s; 5,000 checks give < 1.5 MB of HTML
(pytest-html 4.2.0 writes 2.9 MB for 5,000 tests) and render in headless Chromium in < 2 s.
Prints numbers and ratios; asserts nothing (timings belong here, not in tests/).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from report_samples import sample_document, sample_history  # noqa: E402

from pytest_launch.outputs.html import render_html  # noqa: E402
from pytest_launch.outputs.markdown import render_markdown  # noqa: E402

PYTEST_HTML_5000_BYTES = 2.9e6
PROBE = ("<script>window.addEventListener('load',function(){var h=document.body.offsetHeight;"
         "document.body.setAttribute('data-ms',String(performance.now()));"
         "document.body.setAttribute('data-h',String(h));});</script>")


def best_of(runs: int, action) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def render_from_json(path: Path, history: list[dict]) -> str:
    doc = json.loads(path.read_text("utf-8"))
    return render_html(doc, history)


def baseline_page(rows: int) -> str:
    """A plain table with as many rows and cells as the checks table: the floor to compare to."""
    body = "".join(f"<tr><td>passed<td>tests/test_x.py::test_{n}<td>normal<td>infra<td>team"
                   f"<td>INF-01<td>0.10<td>host=h{n}" for n in range(rows))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>baseline</title></head><body>"
            f"<table><tbody>{body}</tbody></table></body></html>")


def chromium_layout_ms(binary: str, page: str, work: Path, name: str) -> tuple[float, float]:
    """(parse + style + layout ms as the page measures it at load, wall seconds of the run)."""
    # the shipped CSP allows our own script only: the timing probe needs it out of the way
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    page = page.replace("</body>", PROBE + "</body>")
    path = work / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={work / 'profile'}",
               "--window-size=1024,1400", "--virtual-time-budget=5000", "--dump-dom", path.as_uri()]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    wall = time.perf_counter() - start
    found = re.search(r'data-ms="([\d.]+)"', result.stdout)
    if not found:
        raise RuntimeError(f"no timing from chromium: {result.stderr[-500:]}")
    return float(found.group(1)), wall


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        big = sample_document(10_000)
        history = sample_history(big, runs=29)
        big_path = work / "go-no-go-10000.json"
        big_path.write_text(json.dumps(big), encoding="utf-8")
        print(f"10,000-check results JSON: {big_path.stat().st_size / 1e6:.2f} MB "
              f"({len(big['checks'])} checks incl. manual items, {len(big['reasons'])} reasons)")

        seconds, page = best_of(3, lambda: render_from_json(big_path, history))
        size = len(page.encode("utf-8"))
        print(f"render 10,000 checks (read JSON + HTML, best of 3): {seconds:.3f} s "
              f"(target <= 1 s: {'ok' if seconds <= 1 else 'OVER'})")
        print(f"HTML size: {size / 1e6:.2f} MB = {size / len(big['checks']) * 1000 / 1e3:.0f} kB "
              f"per 1,000 checks")
        md_seconds, markdown = best_of(3, lambda: render_markdown(big))
        print(f"Markdown: {md_seconds * 1000:.1f} ms, {len(markdown.encode())} bytes")

        tracemalloc.start()
        render_from_json(big_path, history)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak memory while rendering 10,000 checks (tracemalloc): {peak / 1e6:.1f} MB")

        five = sample_document(5_000)
        page5 = render_html(five, sample_history(five, runs=29))
        size5 = len(page5.encode("utf-8"))
        print(f"5,000 checks: {size5 / 1e6:.2f} MB of HTML (target < 1.5 MB: "
              f"{'ok' if size5 < 1.5e6 else 'OVER'}); pytest-html 4.2.0: 2.90 MB; "
              f"ratio {size5 / PYTEST_HTML_5000_BYTES:.2f}")

        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            print("chromium not installed: browser timing skipped (apt-get install chromium)")
            return
        rows = len(five["checks"])
        base_ms, base_wall = chromium_layout_ms(binary, baseline_page(rows), work, "baseline")
        ours_ms, ours_wall = chromium_layout_ms(binary, page5, work, "report")
        base_ms2, _ = chromium_layout_ms(binary, baseline_page(rows), work, "baseline2")
        ours_ms2, _ = chromium_layout_ms(binary, page5, work, "report2")
        base, ours = min(base_ms, base_ms2), min(ours_ms, ours_ms2)
        print(f"headless Chromium, 5,000-check page, parse + style + layout to load: {ours:.0f} ms "
              f"(target < 2000 ms: {'ok' if ours < 2000 else 'OVER'}); whole browser run {ours_wall:.1f} s")
        print(f"baseline: plain table of {rows} rows: {base:.0f} ms; whole browser run {base_wall:.1f} s")
        print(f"ratio report / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
