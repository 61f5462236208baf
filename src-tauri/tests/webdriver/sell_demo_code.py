#!/usr/bin/env python3
"""The real app, end to end: a demo code sold for cash on the sandbox supplier.

Drives the built codetill-app through tauri-driver (W3C WebDriver, backed by
WebKitWebDriver) with nothing but the standard library: starts the app with
CODETILL_DEMO=1 on an empty data folder, makes the shop's owner (name, PIN twice) on
the first screen (the first-run demo then syncs the sandbox catalog), locks the till
and signs in again with the PIN on the PIN pad, searches "steam 20",
picks the first result, pays 100 in cash, waits for the delivery screen, checks that a
code in the sandbox's XXXXX-XXXXX-XXXXX form is shown with the change, and saves a
screenshot of the delivery screen. Then it sells a basket of two lines ("steam 20"
and "steam 50", added with Enter), paid once in cash, and checks that both codes are
shown on the basket's screen, each a sandbox code, and different.

Run it through run.sh (Xvfb, D-Bus, tauri-driver, ImageMagick's `import` for the
screenshots); it exits non-zero on failure.
Environment: CODETILL_APP_BIN (the binary), WEBDRIVER_URL (default
http://127.0.0.1:4444), ARTIFACTS (where screenshots go).
"""

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

DRIVER = os.environ.get("WEBDRIVER_URL", "http://127.0.0.1:4444")
OWNER, PIN = "Meera", "2580"
APP = os.environ["CODETILL_APP_BIN"]
ARTIFACTS = os.environ.get("ARTIFACTS", "artifacts")
ELEMENT = "element-6066-11e4-a021-4a0c-bd7a8f52dd5c"  # the W3C web element identifier
ENTER = "\ue007"
CODE = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$")


class WebDriverError(Exception):
    pass


def call(method, path, body=None, timeout=60):
    """One W3C WebDriver command. tauri-driver proxies to WebKitWebDriver over pooled
    keep-alive connections, and now and then a request meets a connection the other
    side has just closed: tauri-driver then drops ours without an answer. Nothing
    reached the browser, so that one case is sent again."""
    if os.environ.get("WEBDRIVER_TRACE"):
        print(f"> {method} {path} {json.dumps(body)[:120] if body else ''}", file=sys.stderr)
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(4):
        req = urllib.request.Request(
            DRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise WebDriverError(f"{method} {path}: HTTP {e.code}: {detail}") from None
        except (http.client.RemoteDisconnected, ConnectionResetError) as e:
            print(f"(driver dropped {method} {path}: {e}; sending it again)", file=sys.stderr)
            time.sleep(0.3 * (attempt + 1))
    raise WebDriverError(f"{method} {path}: the driver kept dropping the connection")


class Session:
    def __init__(self):
        # No browserName: WebKitGTK reports "MiniBrowser" and would refuse a match.
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
        value = call("POST", "/session", caps, timeout=120)
        self.id = value["sessionId"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            call("DELETE", f"/session/{self.id}")
        except Exception as e:  # the app may already be gone
            print(f"(closing the session: {e})", file=sys.stderr)

    def s(self, path):
        return f"/session/{self.id}{path}"

    def find(self, css, using="css selector"):
        """The element for `css` (or an XPath with using="xpath"), or None."""
        try:
            v = call("POST", self.s("/element"), {"using": using, "value": css})
            return v.get(ELEMENT) or next(iter(v.values()))
        except WebDriverError as e:
            if "no such element" in str(e):
                return None
            raise

    def wait(self, css, timeout=60, what=None, using="css selector"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            el = self.find(css, using)
            if el:
                return el
            time.sleep(0.25)
        self.screenshot("failure.png")
        raise AssertionError(f"timed out after {timeout}s waiting for {what or css}")

    def wait_text(self, css, expected, timeout=30):
        """The text of `css` once it contains `expected`. The element may be drawn
        again while it is read (search results follow every keystroke): a stale one
        is looked up anew."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            el = self.find(css)
            if el:
                try:
                    seen = self.text(el)
                except WebDriverError as e:
                    if "stale element" not in str(e):
                        raise
                    seen = None
                if seen is not None and expected in seen:
                    return seen
            time.sleep(0.1)
        self.screenshot("failure.png")
        raise AssertionError(f"{css} never showed {expected!r} (last: {seen!r})")

    def click(self, el):
        call("POST", self.s(f"/element/{el}/click"), {})

    def find_all(self, css):
        """Every element for `css` (none: an empty list)."""
        found = call("POST", self.s("/elements"), {"using": "css selector", "value": css}) or []
        return [v.get(ELEMENT) or next(iter(v.values())) for v in found]

    def clear(self, el):
        call("POST", self.s(f"/element/{el}/clear"), {})

    def text(self, el):
        return call("GET", self.s(f"/element/{el}/text"))

    def type(self, el, text):
        call("POST", self.s(f"/element/{el}/value"), {"text": text})

    def script(self, js, *args):
        return call("POST", self.s("/execute/sync"), {"script": js, "args": list(args)})

    def screenshot(self, name):
        """The whole X screen, as staff see it. (WebKitWebDriver's own Take
        Screenshot hangs for good on this page after a sale under Xvfb, and takes
        the session down with it, so the screen is captured with ImageMagick.)"""
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name)
        subprocess.run(["import", "-window", "root", path], check=True, timeout=30)
        print(f"screenshot: {path}")
        return path


def main():
    started = time.monotonic()
    with Session() as app:
        # An empty data folder: the first screen makes the owner, before anything else.
        app.wait("[data-testid=owner-setup]", timeout=60, what="the owner's first-run form")
        app.type(app.wait("[data-testid=owner-name]"), OWNER)
        app.type(app.wait("[data-testid=owner-pin]"), PIN)
        app.type(app.wait("[data-testid=owner-pin-again]"), PIN)
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("owner-webdriver.png")
        app.type(app.wait("[data-testid=owner-pin-again]"), ENTER)

        # CODETILL_DEMO=1: the sandbox starts and syncs, then the counter opens.
        app.wait("#counter-search", timeout=120, what="the counter (demo sync)")
        assert app.find("[data-testid=demo-chip]"), "the session is not marked DEMO"
        print(f"counter ready after {time.monotonic() - started:.1f}s")

        # Lock the till; the PIN pad takes the owner's PIN (its keys clicked, then Enter).
        app.click(app.wait("[data-testid=lock]", what="the lock button"))
        app.wait("[data-testid=pin-pad]", what="the PIN pad")
        assert app.find("#counter-search") is None, "the counter shows while locked"
        for digit in "9999":
            app.click(app.wait(f"//div[@role='group']//button[normalize-space()='{digit}']", using="xpath"))
        app.click(app.wait("//div[@role='group']//button[@aria-label='Enter']", using="xpath"))
        app.wait_text("[data-testid=pin-wrong]", "4 more tries")
        for digit in PIN:
            app.click(app.wait(f"//div[@role='group']//button[normalize-space()='{digit}']", using="xpath"))
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("pinpad-webdriver.png")
        app.click(app.wait("//div[@role='group']//button[@aria-label='Enter']", using="xpath"))
        search = app.wait("#counter-search", what="the counter after signing in")
        app.wait("[data-testid=signed-in]", what="who is signed in")
        # textContent: WebKit's visible-text atom skips the name's clipped box.
        who = app.script("return document.querySelector('[data-testid=signed-in]').textContent")
        assert OWNER in who, f"signed in as {who!r}"
        print("signed in with the PIN")

        app.type(search, "steam 20")
        app.wait_text("#result-0", "STEAM-US-20")
        app.type(search, ENTER)

        tendered = app.wait("#pay-tendered", what="the live quote and the payment form")
        price = app.text(app.wait("[data-testid=quote-price]"))
        print(f"live price: {price.strip()}")
        app.type(tendered, "100")
        change = app.text(app.wait("[data-testid=pay-change]", what="the change preview"))
        print(f"change preview: {change}")
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("counter-pay-webdriver.png")
        app.type(tendered, ENTER)

        code_el = app.wait("[data-testid=issued-code]", timeout=60, what="the delivery screen")
        code = app.text(code_el).strip()
        assert CODE.match(code), f"not a sandbox code: {code!r}"
        order_id = app.text(app.wait("[data-testid=order-id]")).strip()
        assert order_id.startswith("ORD-"), order_id
        paid_change = app.text(app.wait("[data-testid=change]")).strip()
        assert paid_change == change.strip(), f"change {paid_change!r} != preview {change!r}"
        assert app.find("[data-testid=demo-chip]"), "the delivery screen is not marked DEMO"
        # Wait for the web fonts so the screenshot shows what staff see.
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("delivery-webdriver.png")
        print(f"sold {order_id}: code {code[:5]}-…, change {paid_change}")

        # Esc: the next sale, and the code is gone from the screen.
        app.type(app.wait("[data-testid=delivery] button.next"), "\ue00c")
        app.wait("#counter-search", what="the counter again")
        assert app.find("[data-testid=issued-code]") is None, "the code is still on screen"

        # Orders: the sale is listed without its code; showing it again needs a reason.
        app.click(app.wait("//nav//button[@aria-keyshortcuts='F6']", using="xpath", what="the Orders screen's button"))
        app.click(app.wait(f"//table//button[normalize-space()='{order_id}']", using="xpath", what="the order in the list"))
        detail = app.wait("[data-testid=order-detail]")
        assert code not in app.text(detail), "the code shows without a reason"
        app.type(app.wait("#reveal-reason"), "webdriver test: customer asked again")
        app.click(app.wait("//button[normalize-space()='Show code']", using="xpath"))
        shown = app.text(app.wait("[data-testid=revealed-code]", what="the revealed code")).strip()
        assert shown == code, f"revealed {shown!r}, sold {code!r}"
        app.screenshot("orders-webdriver.png")

        # A basket of two: Enter on each product adds a line; one payment for both.
        app.click(app.wait("//nav//button[@aria-keyshortcuts='F2']", using="xpath", what="the counter's button"))
        search = app.wait("#counter-search", what="the counter for the basket")
        app.clear(search)
        app.type(search, "steam 20")
        app.wait_text("#result-0", "STEAM-US-20")
        app.type(search, ENTER)
        app.wait("#pay-tendered", what="the first line's quote")
        app.clear(search)
        app.type(search, "steam 50")
        app.wait_text("#result-0", "STEAM-US-50")
        app.type(search, ENTER)
        app.wait("[data-testid=basket-total]", what="the basket's running total")
        lines = app.find_all("[data-testid=basket-line]")
        assert len(lines) == 2, f"{len(lines)} lines in the basket"
        total = app.text(app.wait("[data-testid=basket-total]")).strip()
        tendered = app.wait("#pay-tendered", what="the basket's payment form")
        app.type(tendered, "200")
        app.wait("[data-testid=pay-change]", what="the basket's change preview")
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("basket-webdriver.png")
        print(f"basket of two: total {total}")
        app.type(tendered, ENTER)

        app.wait("[data-testid=basket-done]", timeout=60, what="the basket's screen")
        codes = [app.text(el).strip() for el in app.find_all("[data-testid=issued-code]")]
        assert len(codes) == 2, f"{len(codes)} codes shown for a basket of two: {codes}"
        for c in codes:
            assert CODE.match(c), f"not a sandbox code: {c!r}"
        assert codes[0] != codes[1], "the same code twice"
        assert app.find("[data-testid=basket-refund-due]") is None, "a refund due on a basket that sold"
        basket = app.text(app.wait("[data-testid=basket-id]")).strip()
        assert basket.startswith("BSK-"), basket
        app.script("return document.fonts.ready.then(() => true)")
        app.screenshot("basket-done-webdriver.png")
        print(f"sold {basket}: codes {codes[0][:5]}-…, {codes[1][:5]}-…")
    print(f"webdriver test passed in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure fails the test, with its reason
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        ps = subprocess.run(["ps", "-eo", "pid,stat,etime,args"], capture_output=True, text=True).stdout
        alive = [l for l in ps.splitlines() if "codetill-app" in l or "WebKit" in l or "tauri-driver" in l]
        print("processes:\n" + "\n".join(alive), file=sys.stderr)
        sys.exit(1)
