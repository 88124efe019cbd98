"""index.html in a real browser (headless Chromium, 1280 px wide): every image loads, every link
resolves to a file beside the page, and nothing is wider than the page. Skips, saying why, where
Chromium is not installed (Debian: apt-get install chromium)."""
import html
import json
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.parse

import pytest

from history.cli import main as history_main
from history.tests.test_cli import make_history

HERE = pathlib.Path(__file__).resolve().parent
FIX = HERE / "fixtures"
REPORT = HERE.parent / "report.py"
WIDTH = 1280
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)

# Run in a copy of the page once it has loaded; its findings land in an attribute that --dump-dom prints.
PROBE = """<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wider = [...document.querySelectorAll("body *")]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible"
                 || e.getBoundingClientRect().right > width + 1)
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " +
              (e.textContent || "").trim().slice(0, 40));
  document.body.setAttribute("data-probe", JSON.stringify({
    window: window.innerWidth, width, page: document.documentElement.scrollWidth, wider,
    images: [...document.images].map(i => [i.getAttribute("src"), i.complete && i.naturalWidth > 0]),
    links: [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))}));
});
</script>"""


def probe(page):
    """Loads page (with PROBE added) in headless Chromium and returns what PROBE found."""
    checked = page.with_name("probe.html")
    checked.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    try:
        r = subprocess.run([BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            f"--user-data-dir={page.parent / '.chromium'}", f"--window-size={WIDTH},900",
                            "--virtual-time-budget=10000", "--dump-dom", checked.as_uri()],
                           capture_output=True, text=True, timeout=120)
    finally:
        checked.unlink()
        shutil.rmtree(page.parent / ".chromium", ignore_errors=True)
    found = re.search(r'data-probe="([^"]*)"', r.stdout)
    assert found, f"no probe result (exit {r.returncode}): {r.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def problems(page):
    seen = probe(page)
    out = [f"image does not load: {src}" for src, ok in seen["images"] if not ok]
    for href in seen["links"]:
        target = urllib.parse.urlparse(href)
        if target.scheme or target.netloc:
            out.append(f"link leaves the folder: {href}")
        elif target.path and not (page.parent / urllib.parse.unquote(target.path)).is_file():
            out.append(f"link to a missing file: {href}")
    if seen["page"] > seen["width"]:
        out.append(f"the page is {seen['page']} px wide in a {seen['width']} px window")
    out += [f"wider than its box: {w}" for w in seen["wider"]]
    return out


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if BROWSER is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    out = tmp_path_factory.mktemp("report")
    (out / "bench.json").write_text((FIX / "bench_v2.json").read_text())
    (out / "conformance-junit.xml").write_text("<testsuites/>")
    db = out.parent / "history.sqlite"
    assert history_main(["add", "--db", str(db), *make_history(out.parent / "runs", runs=30)]) == 0
    r = subprocess.run([sys.executable, REPORT, out / "bench.json", FIX / "conformance_fail_skip.json", "--baseline",
                        FIX / "bench_v2.json", "--history", db, "-o", out], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out / "index.html"


def test_every_image_loads_every_link_resolves_nothing_overflows(page):
    seen = probe(page)
    assert seen["window"] == WIDTH  # the page's own width is that less a scroll bar
    assert len(seen["images"]) >= 4 and len(seen["links"]) >= 10  # the probe saw the page
    assert problems(page) == []


def test_the_trends_page_too(page):
    trends = page.with_name("trends.html")
    seen = probe(trends)
    assert len(seen["images"]) == 2 and "index.html" in seen["links"]  # tcp_stream and udp_stream
    assert problems(trends) == []


def test_the_check_finds_a_broken_image_a_dead_link_and_an_overflow(page):
    broken = page.with_name("broken.html")
    broken.write_text(page.read_text().replace(
        "</body>", '<img src="missing.svg" alt="x"><a href="gone.json">gone</a>'
                   '<div style="width: 2000px">too wide</div></body>'))
    try:
        found = problems(broken)
    finally:
        broken.unlink()
    assert "image does not load: missing.svg" in found
    assert "link to a missing file: gone.json" in found
    assert any(f.startswith("the page is ") for f in found) and any("too wide" in f for f in found), found
