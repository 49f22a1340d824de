"""The standalone HTML report in a real browser (headless Chromium, Debian's `chromium`, which `make test` installs):
at 1280 px nothing overflows sideways, every chart is drawn, and no script runs, not even with hostile names in
the data. A screenshot of each page lands in the test's temporary folder.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages separated by
NUL bytes on file descriptors 3 and 4), so no websocket client and no browser automation package is needed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nerspec.report.render import render
from tests.report.runs import load_fixture, many_types_run
from tests.report.test_escape import hostile_run

WIDTH = 1280
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class Browser:
    """One headless Chromium with one page; ``call`` sends a DevTools command to that page and returns its result."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        def on_3_and_4() -> None:
            """In the child: commands come in on fd 3, answers go out on fd 4 (moved high first, so that
            placing one never overwrites the other)."""
            import fcntl

            read_end, write_end = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "--hide-scrollbars", "about:blank"],
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=on_3_and_4,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"]["value"]

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if binary is None:
        pytest.skip("no chromium on PATH (`make test` installs Debian's chromium)")
    chromium = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


LAYOUT = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  overflowing: [...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter(e => {  // inside a box that scrolls or clips sideways, an element may be wider than the page
        for (let box = e.parentElement; box; box = box.parentElement) {
          if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX)) return false;
        }
        return true;
      })
      .slice(0, 5).map(e => e.tagName + '.' + e.className),
  charts: [...document.querySelectorAll('svg')].map(svg => {
      const box = svg.getBoundingClientRect();
      return {width: box.width, height: box.height, left: box.left, right: box.right,
              shapes: svg.querySelectorAll('rect, path, line, circle, polyline').length};
  }),
  scripts: document.scripts.length,
  handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
      .filter(name => name.startsWith('on')).length,
})"""


def _open(browser: Browser, page: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Load ``page`` at 1280 px wide; its layout figures, and the scripts the page itself parsed."""
    browser.events.clear()
    browser.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=900, deviceScaleFactor=1, mobile=False)
    browser.call("Page.enable")
    browser.call("Debugger.enable")  # reports every script the page compiles (inline, external, handlers)
    browser.call("Page.navigate", url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    layout = json.loads(browser.evaluate(LAYOUT))
    page_scripts = [e for e in browser.events if e.get("method") == "Debugger.scriptParsed"
                    and e["params"].get("url", "").startswith("file:")]
    browser.call("Debugger.disable")
    return layout, page_scripts


RUNS = {
    "ner_baseline": lambda: load_fixture("ner_baseline"),
    "textcat": lambda: load_fixture("textcat"),
    "many_types": lambda: many_types_run(40),
    "hostile": hostile_run,
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_html_report_in_chromium(name: str, browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / f"{name}.html"
    page.write_text(render(RUNS[name](), "html"), encoding="utf-8")
    layout, page_scripts = _open(browser, page)

    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    (tmp_path / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
    assert (tmp_path / f"{name}.png").stat().st_size > 1000

    # No horizontal overflow at 1280 px: the page is no wider than the window, and nothing sticks out of it
    # (a wide table, such as a confusion matrix of 40 types, scrolls inside its own box).
    assert layout["scrollWidth"] <= layout["clientWidth"] == WIDTH, layout
    assert layout["overflowing"] == [], layout["overflowing"]
    # Charts are drawn: every SVG has a size, lies within the page's width, and holds shapes.
    assert layout["charts"], "no chart in the report"
    for chart in layout["charts"]:
        assert chart["width"] > 50 and chart["height"] > 20 and chart["shapes"] > 0, chart
        assert chart["left"] >= 0 and chart["right"] <= WIDTH, chart
    # No script runs: none in the document, no event-handler attribute, and the browser compiled none.
    assert layout["scripts"] == 0 and layout["handlers"] == 0
    assert page_scripts == []
