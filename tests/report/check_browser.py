#!/usr/bin/python3
"""`tunprobe report`'s index.html in a real browser: Debian's chromium,
headless, driven over its DevTools protocol on 127.0.0.1.

    check_browser.py TUNPROBE GEN_SCRIPT WORKDIR

  * the report of the generated mix (three days, so that the addresses-per-
    day line has points) loads with no console message of level error or
    warning, no uncaught exception and no failed request;
  * every chart of charts/charts.json is an <img> in the page that the
    browser decoded (naturalWidth > 0) and lays out visible (non-zero box,
    inside the page), and no other image is broken;
  * the table of contents' links all lead to an element of the page;
  * a screenshot of the whole page is kept as WORKDIR/index.png (the test's
    artifact), and it is a PNG of the page's size;
  * the check can fail: the same report with one chart file removed shows
    that image broken and the failed request as a console error.

chromium runs with its own profile directory under WORKDIR and is stopped
by its PID. Without chromium (or python3-websocket) the test fails: both
are in scripts/setup.sh.
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

import websocket  # python3-websocket

MS_PER_DAY = 86_400_000


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    """chromium --headless with a DevTools endpoint on 127.0.0.1:PORT."""

    def __init__(self, work):
        self.port = free_port()
        self.profile = os.path.join(work, "chromium-profile")
        shutil.rmtree(self.profile, ignore_errors=True)
        self.log = open(os.path.join(work, "chromium.log"), "w")
        exe = shutil.which("chromium")
        check(exe is not None, "no chromium (scripts/setup.sh installs it)")
        # --no-sandbox: the sandbox needs user namespaces a root CI job may
        # not have; the page is our own file.
        self.p = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync", "--hide-scrollbars",
             "--window-size=1280,1024",
             "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={self.port}",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        target = None
        while time.time() < deadline and target is None:
            check(self.p.poll() is None, f"chromium exited: {open(self.log.name).read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                    target = pages[0] if pages else None
            except OSError:
                time.sleep(0.2)
        check(target is not None, "chromium's DevTools endpoint did not come up in 60 s")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        self.ws.settimeout(120)
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == my:
                check("error" not in m, f"{method}: {m.get('error')}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, name, timeout=60):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e["method"] == name:
                del self.events[i]
                return e
        self.ws.settimeout(timeout)
        while time.time() < deadline:
            m = json.loads(self.ws.recv())
            if m.get("method") == name:
                return m
            if "method" in m:
                self.events.append(m)
        raise Fail(f"no {name} in {timeout} s")

    def drain(self, seconds):
        """Collects the events that arrive for `seconds` (late console lines)."""
        self.ws.settimeout(0.2)
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                m = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if "method" in m:
                self.events.append(m)

    def stop(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - the browser may be gone already
            pass
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


PAGE_FACTS = r"""
(() => {
  const imgs = Array.from(document.images).map(i => {
    const r = i.getBoundingClientRect();
    const s = getComputedStyle(i);
    return {src: i.getAttribute('src'), complete: i.complete, natural: i.naturalWidth,
            width: r.width, height: r.height, left: r.left + scrollX, top: r.top + scrollY,
            visible: s.visibility !== 'hidden' && s.display !== 'none'};
  });
  const toc = Array.from(document.querySelectorAll('a[href^="#"]')).map(a => {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    return {href: a.getAttribute('href'), found: document.getElementById(id) !== null};
  });
  return JSON.stringify({imgs, toc, title: document.title,
                         width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight});
})()
"""


def problems(events):
    """Console errors and warnings, exceptions, failed requests."""
    out = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description")))
                                                               for a in p.get("args", [])))
        elif e["method"] == "Runtime.exceptionThrown":
            out.append("exception: " + p["exceptionDetails"].get("text", "") + " " +
                       str(p["exceptionDetails"].get("exception", {}).get("description", "")))
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            out.append(f"log {p['entry']['level']}: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif e["method"] == "Network.loadingFailed":
            out.append(f"request failed: {p.get('errorText')}")
    return out


def load(browser, html, shot=None):
    """Opens `html`; returns (page facts, problems)."""
    browser.events.clear()
    browser.call("Page.navigate", url="file://" + os.path.abspath(html))
    browser.wait_event("Page.loadEventFired")
    browser.drain(1.0)
    facts = json.loads(browser.call("Runtime.evaluate", expression=PAGE_FACTS, returnByValue=True)["result"]["value"])
    if shot:
        w, h = int(facts["width"]), int(facts["height"])
        browser.call("Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=False)
        data = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(data))
        browser.call("Emulation.clearDeviceMetricsOverride")
    return facts, problems(browser.events)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def make_report(tunprobe, gen, work):
    """The report of mix over three UTC days (the same flows shifted)."""
    data = os.path.join(work, "gen")
    os.makedirs(data, exist_ok=True)
    subprocess.run(["/usr/bin/python3", gen, "--out", data], check=True, stdout=subprocess.DEVNULL)
    flows = os.path.join(work, "flows")
    shutil.rmtree(flows, ignore_errors=True)
    os.makedirs(flows)
    day0 = os.path.join(flows, "day0.json")
    r = run([tunprobe, "run", "-i", "pcap:" + os.path.join(data, "mix.pcap"), "-o", "json:" + day0])
    check(r.returncode == 0, f"tunprobe run: {r.stderr.strip()}")
    lines = open(day0).read().splitlines()
    for d in (1, 2):
        with open(os.path.join(flows, f"day{d}.json"), "w") as f:
            for line in lines:
                rec = json.loads(line)
                rec["flowStartMilliseconds"] += d * MS_PER_DAY
                rec["flowEndMilliseconds"] += d * MS_PER_DAY
                f.write(json.dumps(rec) + "\n")
    out = os.path.join(work, "report")
    shutil.rmtree(out, ignore_errors=True)
    r = run([tunprobe, "report", flows, "--out", out, "--progress", "0"], env={**os.environ, "MPLBACKEND": "Agg"})
    check(r.returncode == 0, f"tunprobe report: {r.stderr.strip()}")
    return out


def test():
    tunprobe, gen, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    out = make_report(tunprobe, gen, work)
    charts = json.load(open(os.path.join(out, "charts", "charts.json")))
    stems = [c["stem"] for c in charts["charts"]]
    check(len(stems) >= 5, f"charts.json lists {len(stems)} charts")
    browser = Browser(work)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(domain + ".enable")
        shot = os.path.join(work, "index.png")
        facts, bad = load(browser, os.path.join(out, "index.html"), shot)
        check(bad == [], f"index.html: {len(bad)} problem(s) in the browser: {bad[:5]}")
        srcs = {i["src"] for i in facts["imgs"]}
        for stem in stems:
            check(f"charts/{stem}.svg" in srcs, f"index.html shows no charts/{stem}.svg (images: {sorted(srcs)})")
        for i in facts["imgs"]:
            check(i["complete"] and i["natural"] > 0, f"{i['src']}: not decoded by the browser")
            check(i["visible"] and i["width"] >= 200 and i["height"] >= 100,
                  f"{i['src']}: laid out {i['width']:.0f}x{i['height']:.0f}, not displayed")
            check(0 <= i["left"] and i["left"] + i["width"] <= facts["width"] + 1 and 0 <= i["top"] < facts["height"],
                  f"{i['src']}: outside the page ({i['left']:.0f},{i['top']:.0f})")
        check(facts["toc"] and all(t["found"] for t in facts["toc"]),
              f"contents links without a target: {[t['href'] for t in facts['toc'] if not t['found']]}")
        size = png_size(shot)
        check(size is not None and size[0] == int(facts["width"]) and size[1] == int(facts["height"])
              and os.path.getsize(shot) > 50_000, f"{shot}: size {size}, page {facts['width']}x{facts['height']}")
        print(f"index.html: loaded clean (no console error or warning, no failed request), {len(facts['imgs'])} "
              f"images all displayed ({len(stems)} charts), {len(facts['toc'])} contents links resolve; "
              f"screenshot {shot} {size[0]}x{size[1]}")

        # The check can fail: one chart file gone.
        broken = os.path.join(work, "report-broken")
        shutil.rmtree(broken, ignore_errors=True)
        shutil.copytree(out, broken)
        gone = f"charts/{stems[0]}.svg"
        os.remove(os.path.join(broken, gone))
        facts, bad = load(browser, os.path.join(broken, "index.html"))
        img = [i for i in facts["imgs"] if i["src"] == gone]
        check(img and img[0]["natural"] == 0, f"{gone} removed, yet the browser shows it: {img}")
        check(any("ERR_FILE_NOT_FOUND" in b for b in bad), f"{gone} removed, yet no failed request: {bad}")
        print(f"with {gone} removed: that image broken, the failed request reported ({len(bad)} problem(s))")
    finally:
        browser.stop()


if __name__ == "__main__":
    try:
        test()
    except Fail as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("ok")
