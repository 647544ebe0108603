"""The go-no-go page in a real browser: headless Chromium (Debian's chromium package) shows the
verdict, runs our script (allowed by its CSP hash) and runs none of the XSS payloads placed in
a test id, a message and an evidence value — with the shipped CSP and, to prove the escaping
alone holds, with the CSP removed. A screenshot is saved in the test's tmp folder."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from report_samples import sample_document, sample_history

from pytest_launch.outputs.html import render_html
from testbed.support import require_binary

IMG_PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"
SCRIPT_PAYLOAD = "<script>document.body.setAttribute('data-pwned','1')</script>"
PAYLOAD = IMG_PAYLOAD + SCRIPT_PAYLOAD


def chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
               "--window-size=1024,1400", *args]
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


def dump_dom(binary: str, tmp_path: Path, page: Path) -> str:
    result = chromium(binary, tmp_path, "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
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
    assert dom.index("verdict-word") < dom.index('id="reasons"')  # first thing on the page
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
