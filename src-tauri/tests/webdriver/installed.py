#!/usr/bin/env python3
"""The installed app's first start: the binary from the .deb (unpacked into a
throwaway root) on an empty data folder must draw the first-run screen, the owner's
form. Prints the cold start: from starting the process to that form on screen.

Run it through scripts/package-test.sh (Xvfb, D-Bus, tauri-driver). Environment:
CODETILL_APP_BIN (the installed binary), WEBDRIVER_URL, ARTIFACTS.
"""

import sys
import time

from sell_demo_code import Session


def main():
    started = time.monotonic()
    with Session() as app:
        app.wait("[data-testid=owner-setup]", timeout=60, what="the owner's first-run form")
        cold = time.monotonic() - started
        app.wait("[data-testid=owner-name]")
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("installed-first-run.png")
        print(f"installed app: first-run screen after {cold * 1000:.0f} ms (cold start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
