"""Loads the monitoring dashboard in headless Chromium (Debian's `chromium`) over the DevTools
protocol, reads its rendered figures twice, `seconds` apart, and saves a screenshot.

    dashboard_check.py URL SCREENSHOT.png SECONDS

Prints one JSON object: the first reading once live figures show, the first later one (read
every half second, for at most SECONDS) whose throughput, latency or error figure differs, or the
last one ({loaded_at, updates, throughput, latency, errors, drift_rows, alerts, jobs}), and the
screenshot's path. The caller judges them: the page must not
have reloaded (same loaded_at) and its figures must have changed from the live stream alone.
Exits non-zero when the browser cannot be driven.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client (PyPI), installed by scripts/setup.sh


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevTools:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


READING = """(() => ({
  loaded_at: window.__dashboardLoadedAt || null,
  updates: Number(document.getElementById('updates')?.textContent || 0),
  connection: document.getElementById('connection')?.textContent || '',
  throughput: document.getElementById('throughput-value')?.textContent || '',
  latency: document.getElementById('latency-value')?.textContent || '',
  errors: document.getElementById('error-value')?.textContent || '',
  drift_rows: document.querySelectorAll('#drift tbody tr').length,
  drift: document.getElementById('drift-version')?.textContent || '',
  alerts: document.querySelectorAll('#alerts li').length,
  jobs: document.querySelectorAll('#jobs li').length,
  models: document.querySelectorAll('#models tbody tr').length,
}))()"""


def main():
    url, screenshot, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium on PATH (scripts/setup.sh installs Debian's chromium)", file=sys.stderr)
        return 2
    port, profile = free_port(), tempfile.mkdtemp(prefix="it-chromium-")
    process = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "--window-size=1400,1200",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        targets = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as answer:
                    targets = [t for t in json.load(answer) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not targets:
            print("chromium did not open its DevTools endpoint", file=sys.stderr)
            return 3
        tools = DevTools(targets[0]["webSocketDebuggerUrl"])
        tools.call("Page.enable")
        tools.call("Runtime.enable")
        tools.call("Page.navigate", url=url)
        first = None
        deadline = time.time() + 30
        while time.time() < deadline:
            reading = tools.evaluate(READING)
            if reading and reading["updates"] > 0 and reading["throughput"] not in ("", "—"):
                first = reading
                break
            time.sleep(0.25)
        if first is None:
            print(json.dumps({"error": "the dashboard showed no live figures within 30 s", "last": tools.evaluate(READING)}))
            return 4
        # Then readings every half second, for at most `seconds`, until a rendered figure changed.
        deadline = time.time() + seconds
        second = tools.evaluate(READING)
        while time.time() < deadline and all(second[k] == first[k] for k in ("throughput", "latency", "errors")):
            time.sleep(0.5)
            second = tools.evaluate(READING)
        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        print(json.dumps({"first": first, "second": second, "screenshot": screenshot}))
        return 0
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
