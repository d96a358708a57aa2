"""The time budget of one policy's analysis, shared by the compiler's layout and the linter.

Measured in CPU seconds of the thread doing the work (`time.thread_time`), not on a wall clock:
waiting for a core on a loaded machine, or a paced reload's sleeps (pacing.py), cost nothing, so
whether the budget cuts an analysis short depends on the policy and the machine's speed, never on
what else the machine is doing. Past the budget nothing wrong is said: the layout falls back to
blocks and direct tests, the linter names what it did not check (`analysis-incomplete`).

`check` gives a policy ANALYSIS_SECONDS in all: the whole-policy decision diagram may use the
first DIAGRAM_SHARE of it, the layout's blocks up to LAYOUT_SHARE, and the linter the rest (at
least 1 - LAYOUT_SHARE, all that the layout left). Compiling alone (no linter) gives the layout
the whole budget.
"""

from __future__ import annotations

import time

ANALYSIS_SECONDS = 20.0  # CPU seconds for a policy's layout and lint together (`check`)
DIAGRAM_SHARE = 0.5  # the whole-policy decision diagram: until this share of the budget is spent
LAYOUT_SHARE = 0.6  # the layout's blocks (check); past it, remaining rules are tested directly


def clock() -> float:
    """CPU seconds of this thread (what budgets are measured in)."""
    return time.thread_time()


class TimeBudget:
    """seconds of CPU time from now (default ANALYSIS_SECONDS); layout_share: the share of it the
    layout may use."""

    def __init__(self, seconds: float | None = None, layout_share: float = LAYOUT_SHARE):
        self.seconds = ANALYSIS_SECONDS if seconds is None else seconds
        self.start = clock()
        self.layout_share = layout_share

    def by(self, share: float) -> float:
        """The clock() value at which this share of the budget is spent."""
        return self.start + self.seconds * share

    @property
    def diagram_deadline(self) -> float:
        return self.by(DIAGRAM_SHARE)

    @property
    def layout_deadline(self) -> float:
        return self.by(self.layout_share)

    @property
    def deadline(self) -> float:
        return self.by(1.0)

    def spent(self) -> bool:
        return clock() > self.deadline

    def describe(self) -> str:
        """How the budget reads in a note: "20 s of CPU time"."""
        return f"{self.seconds:g} s of CPU time"
