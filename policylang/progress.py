"""The status line long commands show on a terminal: what they are doing and for how long.

`check`, `route`, `compile`, `test` and `serve` call a Progress with each stage ("parsing and
type-checking", "laying out", "analysing …"). On a terminal, once the work has taken
SHOW_AFTER seconds, a status line (the stage and the elapsed time, drawn by tqdm, redrawn every
half second while a stage computes) appears on stderr and is erased when the work ends; work
that ends sooner shows nothing. When stderr is not a terminal nothing is shown and tqdm is never
imported. POLICYLANG_PROGRESS=1 prints each stage as a line on stderr instead (for logs and CI),
POLICYLANG_PROGRESS=0 turns it off."""

from __future__ import annotations

import os
import sys
import threading
import time

SHOW_AFTER = 1.0  # seconds of work before the status line appears


class Progress:
    """Call with each stage's message; `close()` (or leaving a `with` block) erases the line."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        flag = os.environ.get("POLICYLANG_PROGRESS")
        self.lines = flag == "1"
        self.live = flag != "0" and not self.lines and _is_terminal(self.stream)
        self.start = time.monotonic()
        self.message = ""
        self._lock = threading.Lock()
        self._bar = None  # the tqdm status line once shown
        self._closed = False
        self._timer: threading.Timer | None = None
        if self.live:
            self._timer = threading.Timer(SHOW_AFTER, self._show)
            self._timer.daemon = True
            self._timer.start()

    def __call__(self, message: str) -> None:
        self.message = message
        if self.lines:
            print(
                f"[{time.monotonic() - self.start:6.1f}s] {message}", file=self.stream, flush=True
            )
        with self._lock:
            if self._bar is not None:
                self._bar.set_description_str(message)

    def _show(self) -> None:
        # lazily: paid only when a terminal has waited a second
        try:
            from tqdm import tqdm
        except ImportError:  # an environment installed before tqdm was a dependency: no line
            return

        with self._lock:
            if self._closed:
                return
            self._bar = tqdm(
                file=self.stream,
                bar_format="{desc} [{elapsed}]",
                leave=False,  # erased at the end
                dynamic_ncols=True,  # one line, cut to the terminal's width
                mininterval=0,
            )
            self._bar.set_description_str(self.message)
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        """Keep the elapsed time moving while one stage computes for long."""
        while True:
            time.sleep(0.5)
            with self._lock:
                if self._closed or self._bar is None:
                    return
                self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
