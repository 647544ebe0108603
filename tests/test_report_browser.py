"""The go-no-go page in a real browser: headless Chromium (Debian's chromium package) shows the
verdict, runs our script (allowed by its CSP hash) and runs none of the XSS payloads placed in
a test id, a message and an evidence value — with the shipped CSP and, to prove the escaping
alone holds, with the CSP removed. A screenshot is saved in the test's tmp folder.

The demo's T-7 page (tests/demo_page.py: a stored real demo document rendered by the current
code) fits the meeting: its decision part prints on at most 3 A4 pages (print-to-PDF, pages
counted), with the appendix left out by the "print the decision only" toggle (on by default);
at 420 px wide no table column is narrower than a few characters and the verdict is on screen;
at 1366x768 the verdict, the why and the whole owner-grouped to-do list are on screen."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from demo_page import demo_page_html
from report_samples import sample_document, sample_history

from pytest_launch.outputs.html import render_html
from testbed.support import require_binary

IMG_PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"
SCRIPT_PAYLOAD = "<script>document.body.setAttribute('data-pwned','1')</script>"
PAYLOAD = IMG_PAYLOAD + SCRIPT_PAYLOAD


def chromium(binary: str, tmp_path: Path, *args: str, size: str = "1024,1400") -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
               f"--window-size={size}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def hostile_page(tmp_path: Path, name: str = "page.html", *, keep_csp: bool = True) -> Path:
    doc = sample_document(60, payload=PAYLOAD)
    doc["headline"] = PAYLOAD
    page = render_html(doc, sample_history(doc))
    if not keep_csp:
        page, count = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
        assert count == 1
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


def dump_dom(binary: str, tmp_path: Path, page: Path, size: str = "1024,1400") -> str:
    result = chromium(binary, tmp_path, "--virtual-time-budget=3000", "--dump-dom", page.as_uri(), size=size)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def assert_no_payload_ran(dom: str) -> None:
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    body_tag = re.search(r"<body[^>]*>", dom).group(0)
    assert "data-pwned" not in body_tag
    assert not re.search(r"<img[^>]*onerror", dom)  # the payload never became an element
    assert "&lt;img src=x onerror=" in dom  # it is shown as text instead


@pytest.fixture(scope="module")
def browser() -> str:
    return require_binary("chromium", "chromium")


def test_verdict_is_visible_and_the_page_script_runs(browser, tmp_path):
    doc = sample_document(300)
    page = tmp_path / "go-no-go.html"
    page.write_text(render_html(doc, sample_history(doc)), encoding="utf-8")
    dom = dump_dom(browser, tmp_path, page)
    verdict = re.search(r'<div class="verdict-word"[^>]*>(.*?)</div>', dom).group(1)
    assert verdict == "NO-GO"
    assert dom.index("verdict-word") < dom.index('id="why"') < dom.index('id="todo"')  # first thing on the page
    # our script ran: it unhid the controls and counted the rows
    controls = re.search(r'<div id="controls"[^>]*>', dom).group(0)
    assert "hidden" not in controls
    assert f"{len(doc['checks'])} shown" in dom

    shot = tmp_path / "go-no-go.png"
    result = chromium(browser, tmp_path, f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, rows = png_rows(shot.read_bytes(), 40)
    assert (width, height) == (1024, 1400)
    red = (0xB3, 0x26, 0x1E)  # the NO-GO banner colour (--nogo in report.css)
    banner_row = rows[30]
    near = sum(1 for px in banner_row if all(abs(a - b) < 12 for a, b in zip(px, red)))
    assert near > width // 2  # the top of the page is the red NO-GO banner


def test_xss_payloads_do_not_run(browser, tmp_path):
    dom = dump_dom(browser, tmp_path, hostile_page(tmp_path))
    assert_no_payload_ran(dom)


def test_xss_payloads_do_not_run_even_without_the_content_security_policy(browser, tmp_path):
    # the CSP is a second line of defence; the escaping alone must hold
    dom = dump_dom(browser, tmp_path, hostile_page(tmp_path, keep_csp=False))
    assert_no_payload_ran(dom)
    assert "shown" in dom  # our script ran here too


def png_rows(data: bytes, count: int) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and the first `count` rows of RGB pixels of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    width, height, depth, color, *_ = header
    assert depth == 8 and color in (2, 6)
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * count)
    rows, previous = [], bytearray(stride)
    for y in range(count):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, current = line[0], bytearray(line[1:])
        for i in range(stride):
            left = current[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                current[i] = (current[i] + left) & 0xFF
            elif kind == 2:
                current[i] = (current[i] + up) & 0xFF
            elif kind == 3:
                current[i] = (current[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                current[i] = (current[i] + pred) & 0xFF
        rows.append([tuple(current[x * channels:x * channels + 3]) for x in range(width)])
        previous = current
    return width, height, rows


DRIVER = """<script>
window.addEventListener('load', function () {
  var group = document.getElementById('group');
  group.value = '3';
  group.dispatchEvent(new Event('change'));
  var passed = document.querySelector('#controls input[value=passed]');
  passed.checked = false;
  passed.dispatchEvent(new Event('change'));
  var search = document.getElementById('q');
  search.value = 'TEST_SEC';
  search.dispatchEvent(new Event('input'));
});
</script>"""


def test_filter_search_and_group_in_the_browser(browser, tmp_path):
    # a test-only driver script clicks the controls; the CSP (which would block it) is removed
    doc = sample_document(600, fail_rate=0.1)
    page = render_html(doc, [])
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    path = tmp_path / "driven.html"
    path.write_text(page.replace("</body>", DRIVER + "</body>"), encoding="utf-8")
    dom = dump_dom(browser, tmp_path, path)
    table = dom[dom.index('id="checktable"'):]
    rows = re.findall(r'<tr class="(o-[a-z]+[^"]*)"([^>]*)>(.*?)</tr>', table, re.S)
    visible = [(cls, body) for cls, attrs, body in rows if " hidden" not in attrs]
    expected = [c for c in doc["checks"] if c["outcome"] != "passed" and "test_sec" in c["nodeid"]]
    assert len(rows) == len(doc["checks"])
    assert len(visible) == len(expected) > 0
    assert all("o-passed" not in cls and "test_sec" in body for cls, body in visible)
    assert f"{len(expected)} of {len(doc['checks'])} shown" in dom
    headers = re.findall(r'<tr class="grp" data-g="([^"]+)"([^>]*)>', table)
    shown_groups = [name for name, attrs in headers if " hidden" not in attrs]
    assert shown_groups == ["security"]  # grouped by category; empty groups hidden
    categories = [name for name, _hidden in headers]
    assert categories == sorted(categories) and len(categories) == len(set(categories))


# ---------------------------------------------------------------------------------------------
# the demo's T-7 page: print, narrow screen, the top of the page on a laptop

def print_pages(binary: str, tmp_path: Path, page: Path) -> tuple[int, list[tuple[float, float]]]:
    """Chromium's print-to-PDF of `page`: the number of pages and their sizes in points."""
    pdf = tmp_path / (page.stem + ".pdf")
    result = chromium(binary, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    boxes = [tuple(float(n) for n in box.split()[2:4])
             for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)]
    return pages, boxes


def test_the_decision_part_of_the_demo_page_prints_on_at_most_three_a4_pages(browser, tmp_path):
    page_html = demo_page_html()
    assert '<input type="checkbox" id="print-decision" checked>' in page_html  # on by default
    decision = tmp_path / "decision.html"
    decision.write_text(page_html, encoding="utf-8")
    pages, boxes = print_pages(browser, tmp_path, decision)
    assert 1 <= pages <= 3, pages
    assert boxes and all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for w, h in boxes), boxes[:3]  # A4
    # unticked, the appendix (matrix, coverage, waivers, trend, every check) prints too
    whole = tmp_path / "whole.html"
    whole.write_text(page_html.replace('id="print-decision" checked', 'id="print-decision"'), encoding="utf-8")
    whole_pages, _ = print_pages(browser, tmp_path, whole)
    assert whole_pages > pages + 2, (whole_pages, pages)


MEASURE = """<script>
window.addEventListener('load', function () {
  var probe = document.createElement('span');
  probe.textContent = '0000000000';
  probe.style.font = getComputedStyle(document.body).font;
  document.body.appendChild(probe);
  var ch = probe.getBoundingClientRect().width / 10;
  probe.remove();
  function box(el) { var r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width}; }
  var columns = [];
  Array.prototype.forEach.call(document.querySelectorAll('table'), function (table, t) {
    if (table.getBoundingClientRect().width === 0) { return; }  // inside a closed detail
    Array.prototype.forEach.call(table.rows, function (row) {
      if (row.hidden || row.getBoundingClientRect().height === 0) { return; }
      Array.prototype.forEach.call(row.cells, function (cell, c) {
        if (cell.colSpan > 1) { return; }
        var key = (table.id || table.className || 'table') + '#' + t + ':' + c;
        var w = cell.getBoundingClientRect().width;
        var found = columns.filter(function (x) { return x.key === key; })[0];
        if (!found) { columns.push({key: key, width: w}); } else if (w < found.width) { found.width = w; }
      });
    });
  });
  var todos = Array.prototype.map.call(document.querySelectorAll('#todo li.todo'), box);
  var out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({
    innerWidth: window.innerWidth, innerHeight: window.innerHeight, ch: ch,
    scrollWidth: document.documentElement.scrollWidth, columns: columns,
    verdict: box(document.querySelector('.verdict-word')), why: box(document.getElementById('why')),
    todoHeading: box(document.querySelector('#todo h2')), todos: todos,
    owners: Array.prototype.map.call(document.querySelectorAll('#todo h3.owner'), box)
  });
  document.body.appendChild(out);
  window.parent.postMessage(out.textContent, '*');
});
</script>"""

# The page runs in an iframe of exactly the screen's size: a headless window has a minimum
# width (500 px) and its own bars, an iframe has neither. Its measurements come back by message.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" width="{width}" height="{height}" style="border:0;display:block"></iframe>
<script>
window.addEventListener('message', function (event) {{
  var out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = event.data;
  document.body.appendChild(out);
}});
</script></body></html>"""


def measured(binary: str, tmp_path: Path, size: str) -> dict:
    # a test-only measuring script; the CSP (which would block it) is removed from this copy
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", demo_page_html())
    path = tmp_path / f"measured-{size.replace(',', 'x')}.html"
    path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    width, height = size.split(",")
    frame = tmp_path / f"frame-{width}x{height}.html"
    frame.write_text(FRAME.format(src=path.name, width=width, height=height), encoding="utf-8")
    dom = dump_dom(binary, tmp_path, frame, size=f"{int(width) + 200},{int(height) + 300}")
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html_unescape(found.group(1)))


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_the_demo_page_reads_at_420_px(browser, tmp_path):
    m = measured(browser, tmp_path, "420,900")
    assert m["innerWidth"] <= 420
    assert m["scrollWidth"] <= m["innerWidth"] + 1, m["scrollWidth"]  # wide tables scroll in their own box
    few = 4 * m["ch"]  # "a few characters"
    narrow = [c for c in m["columns"] if c["width"] < few]
    assert len(m["columns"]) >= 20, m["columns"]  # the matrix, coverage, waivers, sign-offs and checks tables
    assert not narrow, (few, narrow)
    verdict = m["verdict"]
    assert 0 <= verdict["top"] and verdict["bottom"] <= m["innerHeight"]
    assert verdict["right"] <= m["innerWidth"]
    assert m["why"]["top"] < m["innerHeight"]  # the why starts on the first screen too


def test_at_1366x768_the_verdict_the_why_and_the_to_do_list_are_on_screen(browser, tmp_path):
    m = measured(browser, tmp_path, "1366,768")
    assert (m["innerWidth"], m["innerHeight"]) == (1366, 768)
    assert len(m["todos"]) == 14 and len(m["owners"]) == 8  # the demo: 11 sign-offs and 3 checks without evidence
    for name in ("verdict", "why", "todoHeading"):
        assert 0 <= m[name]["top"] and m[name]["bottom"] <= 768, (name, m[name])
    assert all(0 <= box["top"] and box["bottom"] <= 768 for box in m["todos"] + m["owners"]), m["todos"]
    assert all(box["bottom"] - box["top"] < 30 for box in m["todos"])  # one line per to-do

    page = tmp_path / "top.html"
    page.write_text(demo_page_html(), encoding="utf-8")
    shot = tmp_path / "go-no-go-top.png"
    result = chromium(browser, tmp_path, f"--screenshot={shot}", page.as_uri(), size="1366,768")
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, rows = png_rows(shot.read_bytes(), 20)
    assert (width, height) == (1366, 768)
    red = (0xB3, 0x26, 0x1E)
    assert sum(1 for px in rows[10] if all(abs(a - b) < 12 for a, b in zip(px, red))) > width // 2
