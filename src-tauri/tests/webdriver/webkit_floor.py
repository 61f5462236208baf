#!/usr/bin/python3
"""The baseline beside the app's idle memory: a bare WebKitGTK window (the engine the
app's window is on Linux) showing a one-line page, and nothing else. figures.py
launches it like the app and measures its processes the same way.

Needs Debian's python3-gi and gir1.2-webkit2-4.1 (the system Python, not a venv).
"""

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402


def main():
    window = Gtk.Window(title="codetill baseline")
    window.set_default_size(1200, 800)
    view = WebKit2.WebView()

    def loaded(_view, event):
        if event == WebKit2.LoadEvent.FINISHED:
            # The same line figures.py waits for from the app.
            print("ready", flush=True)

    view.connect("load-changed", loaded)
    view.load_html("<!doctype html><html><body><p>codetill</p></body></html>", "about:blank")
    window.add(view)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, Gtk.main_quit)
    Gtk.main()


if __name__ == "__main__":
    main()
