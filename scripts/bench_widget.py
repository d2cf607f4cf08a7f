"""The chat widget as a person meets it: its size on the wire and the time from sending a
question to the answer shown, measured in the page in Debian's Chromium.

    .venv/bin/python scripts/bench_widget.py     (part of `make bench`; needs `make widget`)

Starts `make run`'s script on free loopback ports with a throw-away data folder, opens the demo
page, asks each question in turn and times, inside the page (performance.now()), from the send
to the first new bot message in the DOM.
"""
import gzip
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BUILD = PROJECT / "build" / "web"
BUDGET_KB = 60
QUESTIONS = ["what is methadone", "how long does withdrawal last", "what is suboxone",
             "does insurance cover rehab", "my friend is not breathing", "what is naloxone",
             "how do i help my son", "what is an iop", "is relapse normal", "thanks"]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Resolves with the ms from this call to the next bot message added to the log.
TIME_ONE = """async (text) => {
  const log = document.querySelector('[data-waypoint="log"]');
  const before = log.querySelectorAll('[data-waypoint="message"][data-from="bot"]').length;
  const input = document.querySelector('[data-waypoint="input"]');
  const start = performance.now();
  input.value = text;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  document.querySelector('[data-waypoint="send"]').click();
  return await new Promise((resolve) => {
    const check = () => log.querySelectorAll('[data-waypoint="message"][data-from="bot"]').length > before;
    const observer = new MutationObserver(() => {
      if (check()) { observer.disconnect(); resolve(performance.now() - start); }
    });
    observer.observe(log, {childList: true, subtree: true});
  });
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gzipped_kb(paths) -> float:
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths) / 1024


def main() -> int:
    assets = [BUILD / "waypoint-widget.js", BUILD / "waypoint-widget.css"]
    if not all(p.is_file() for p in assets):
        sys.exit("error: the widget is not built; run `make widget` first.")
    size = gzipped_kb(assets)
    print(f"widget JS + CSS: {size:.1f} KB gzipped (budget {BUDGET_KB} KB)"
          f"{'' if size <= BUDGET_KB else '  OVER BUDGET'}")

    from playwright.sync_api import sync_playwright

    data = tempfile.mkdtemp(prefix="waypoint-bench-widget-")
    ports = {"PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    env = dict(os.environ, WAYPOINT_DATA_DIR=data, **{k: str(v) for k, v in ports.items()})
    log = Path(data) / "run.log"
    process = subprocess.Popen(["scripts/run.sh"], cwd=PROJECT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Waypoint is running" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("error: the assistant did not start:\n" + log.read_text())
            time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page()
            started = time.monotonic()
            page.goto(f"http://127.0.0.1:{ports['WEB_PORT']}/")
            page.wait_for_selector('[data-waypoint="status"][data-state="connected"]',
                                   state="attached", timeout=30000)
            print(f"page load to connected: {(time.monotonic() - started) * 1000:.0f} ms")
            page.evaluate(TIME_ONE, "hello")  # warm-up: the first turn creates the session
            timings = [page.evaluate(TIME_ONE, question) for question in QUESTIONS]
            browser.close()
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        print(f"send to answer shown, {len(timings)} questions: median "
              f"{statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    return 0 if size <= BUDGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())
