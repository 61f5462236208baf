#!/usr/bin/env python3
"""The desktop app's figures on a 100,000-product catalog (run through figures.sh).

1. Cold start to a usable till: the app is launched directly, N times; the UI
   calls `counter_ready` when its first screen (the PIN pad) first takes input and the app logs the
   wall-clock time, so the figure runs from just before the launch (exec, dynamic
   linking, WebKit's processes, the database, the first paint) to that moment.
2. Idle memory: 5 s after the counter is ready, the RSS and the PSS (shared pages
   split between processes, so not counted twice) of the app and every process it
   started (WebKit's web and network processes).
3. Keystroke to results: through WebDriver, queries are typed one key at a time; the
   counter records, for every keystroke whose results reach the screen, the time from
   the input event to the frame after the results were rendered.

Environment: CODETILL_APP_BIN, CODETILL_DATA_DIR (a synced catalog and a supplier),
WEBDRIVER_URL, RUNS (default 5).
"""

import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sell_demo_code import Session  # noqa: E402 - the WebDriver helpers

APP = os.environ["CODETILL_APP_BIN"]
RUNS = int(os.environ.get("RUNS", "5"))
READY = re.compile(r"counter ready.*since_start_ms=(\d+).*epoch_ms=(\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The owner figures.sh adds to the data folder: the app opens on the PIN pad.
FIGURES_PIN = "2468"
QUERIES = ["steam 20", "google play 10", "jio 239", "xbox", "netflix", "pubg uc", "amazon us 50"]


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def tree(root):
    """The pids of `root` and all its descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command may hold spaces and parentheses: the fields follow the last ')'.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents[int(entry)] = ppid
    found, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                frontier.append(child)
    return sorted(found)


def memory_kib(pid):
    """(rss, pss, name) of one process, in KiB."""
    rss = pss = 0
    name = "?"
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Name:"):
                    name = line.split()[1]
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss, name


def stop(process):
    """SIGTERM, then SIGKILL after 10 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cold_start():
    """One launch: seconds to a usable counter, and the idle memory after it."""
    started = time.time()
    app = subprocess.Popen([APP], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ready = threading.Event()
    found = {}

    def drain():
        for line in app.stderr:
            m = READY.search(ANSI.sub("", line))
            if m and not ready.is_set():
                found["since_start_ms"] = int(m.group(1))
                found["epoch_ms"] = int(m.group(2))
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(60):
            raise AssertionError("the counter did not report ready within 60 s")
        seconds = found["epoch_ms"] / 1000 - started
        time.sleep(5)
        procs = [(pid, *memory_kib(pid)) for pid in tree(app.pid)]
        return seconds, found["since_start_ms"], procs
    finally:
        stop(app)


def webkit_floor():
    """The baseline: idle memory of a bare WebKitGTK window (webkit_floor.py), 5 s
    after its page loaded, or None where the system Python lacks WebKit's bindings."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webkit_floor.py")
    try:
        bare = subprocess.Popen(
            ["/usr/bin/python3", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except OSError:
        return None
    try:
        line = bare.stdout.readline()
        if line.strip() != "ready":
            return None
        time.sleep(5)
        return [(pid, *memory_kib(pid)) for pid in tree(bare.pid)]
    finally:
        stop(bare)


def keystrokes():
    """Milliseconds from each keystroke to its results on screen (signed in at the
    PIN pad first, as the owner figures.sh made)."""
    with Session() as app:
        app.wait("[data-testid=pin-pad]", timeout=120, what="the PIN pad")
        for digit in FIGURES_PIN:
            app.click(app.wait(f"//div[@role='group']//button[normalize-space()='{digit}']", using="xpath"))
        app.click(app.wait("//div[@role='group']//button[@aria-label='Enter']", using="xpath"))
        search = app.wait("#counter-search", timeout=120, what="the counter")
        app.script("window.__codetillSearchMs = []; return true")
        for q in QUERIES:
            for ch in q:
                before = app.script("return window.__codetillSearchMs.length")
                app.type(search, ch)
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    if app.script("return window.__codetillSearchMs.length") > before:
                        break
                    time.sleep(0.01)
            app.type(search, "\ue00c")  # Esc clears the box
            time.sleep(0.1)
        return app.script("return window.__codetillSearchMs")


def main():
    starts, mains, rss, pss = [], [], [], []
    for i in range(RUNS):
        seconds, since_main, procs = cold_start()
        starts.append(seconds * 1000)
        mains.append(since_main)
        rss.append(sum(p[1] for p in procs) / 1024)
        pss.append(sum(p[2] for p in procs) / 1024)
        detail = ", ".join(f"{name} {r / 1024:.0f} ({p / 1024:.0f})" for _, r, p, name in procs)
        print(f"run {i + 1}: ready after {seconds * 1000:.0f} ms ({since_main} ms from main); RSS (PSS) MB: {detail}")

    floor = webkit_floor()
    if floor:
        detail = ", ".join(f"{name} {r / 1024:.0f} ({p / 1024:.0f})" for _, r, p, name in floor)
        print(f"baseline, a bare WebKitGTK window: RSS (PSS) MB: {detail}")

    typed = keystrokes()
    print()
    print(f"desktop figures: release build, {os.environ.get('PRODUCTS', '100000')} products, {RUNS} launches")
    print()
    print("| measure | figure | target |")
    print("|---|---|---|")
    print(
        f"| cold start to a usable till (launch → the PIN pad takes input), median / max | "
        f"{statistics.median(starts):.0f} ms / {max(starts):.0f} ms | ≤ 1 s |"
    )
    print(f"| of which from `main` to ready, median | {statistics.median(mains):.0f} ms | |")
    print(
        f"| idle memory, all the app's processes: RSS median (PSS median) | "
        f"{statistics.median(rss):.0f} MB ({statistics.median(pss):.0f} MB) | |"
    )
    if floor:
        print(
            f"| baseline: a bare WebKitGTK window showing one line, same measure | "
            f"{sum(p[1] for p in floor) / 1024:.0f} MB ({sum(p[2] for p in floor) / 1024:.0f} MB) | |"
        )
        print(
            f"| the app's own share: PSS median − baseline PSS | "
            f"{statistics.median(pss) - sum(p[2] for p in floor) / 1024:.0f} MB | ≤ 30 MB |"
        )
    print(
        f"| keystroke → results on screen ({len(typed)} keystrokes), p50 / p99 / max | "
        f"{pct(typed, 0.5):.1f} ms / {pct(typed, 0.99):.1f} ms / {max(typed):.1f} ms | ≤ 50 ms |"
    )


if __name__ == "__main__":
    main()
