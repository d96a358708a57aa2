"""The status line of long commands (issue 35 item 8): shown on a terminal once work has taken
a second, erased at the end; nothing when stderr is not a terminal; stage lines with
POLICYLANG_PROGRESS=1. A pseudo-terminal stands in for the user's terminal."""

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading

import pytest

from helpers import ROOT
from policylang import progress

sys.path.insert(0, str(ROOT / "benchmarks"))
import gen_tenants  # noqa: E402


@pytest.fixture
def terminal():
    """A file on the slave side of a pseudo-terminal, and a function reading what reached it."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
    stream = os.fdopen(slave, "w")
    os.set_blocking(master, False)

    def shown() -> str:
        stream.flush()
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except BlockingIOError:
                return out.decode("utf-8", "replace")
            if not chunk:
                return out.decode("utf-8", "replace")
            out += chunk

    yield stream, shown
    stream.close()
    os.close(master)


def _erased(out: str) -> bool:
    """The terminal's last line, once the output is replayed, is blank (the status was wiped)."""
    return out.endswith("\r") and out.rstrip("\r").rsplit("\r", 1)[-1].strip() == ""


def _wait_until_shown(p: progress.Progress) -> None:
    done = threading.Event()
    for _ in range(600):  # a wait, not a timing assertion: the timer thread may start late
        if p._bar is not None:
            return
        done.wait(0.05)
    raise AssertionError("the status line never appeared")


def test_long_work_on_a_terminal_shows_the_stage_and_erases_it(terminal, monkeypatch):
    stream, shown = terminal
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.delenv("POLICYLANG_PROGRESS", raising=False)
    with progress.Progress(stream=stream) as p:
        p("t.policy: analysing 10,000 rules [diagram]")
        _wait_until_shown(p)
        p("t.policy: analysing 10,000 rules [diagram]")
    out = shown()
    assert "t.policy: analysing 10,000 rules [diagram] [00:0" in out, repr(out)
    assert _erased(out), repr(out[-120:])


def test_short_work_on_a_terminal_shows_nothing(terminal, monkeypatch):
    stream, shown = terminal
    monkeypatch.setattr(progress, "SHOW_AFTER", 3600.0)
    monkeypatch.delenv("POLICYLANG_PROGRESS", raising=False)
    with progress.Progress(stream=stream) as p:
        p("t.policy: parsing")
    assert shown() == ""


def test_off_a_terminal_nothing_is_shown_and_tqdm_is_not_imported(tmp_path):
    p = tmp_path / "t.policy"
    p.write_text(gen_tenants.policy_text(1500))
    code = ("import sys; from policylang.cli import main; code = main(['check', sys.argv[1]]); "
            "print('tqdm' in sys.modules, file=sys.stderr); sys.exit(code)")
    env = {k: v for k, v in os.environ.items() if k != "POLICYLANG_PROGRESS"}
    r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, env=env)
    assert r.stderr == "False\n", r.stderr
    assert r.stdout.rstrip().splitlines()[-1].startswith("checked 1 file(s)")


def test_POLICYLANG_PROGRESS_1_prints_each_stage_as_a_line(tmp_path):
    p = tmp_path / "t.policy"
    p.write_text(gen_tenants.policy_text(50))
    env = {**os.environ, "POLICYLANG_PROGRESS": "1"}
    r = subprocess.run([sys.executable, "-m", "policylang", "check", str(p)], capture_output=True, text=True, env=env)
    stages = [line.split("] ", 1)[1] for line in r.stderr.splitlines()]
    assert [s.split(": ", 1)[1].split(" ")[0] for s in stages] == ["parsing", "laying", "analysing"], r.stderr
    r = subprocess.run([sys.executable, "-m", "policylang", "route", str(p), "--facts", "{}"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0 and r.stderr.count("\n") == 1 and ": loading (" in r.stderr, r.stderr


def test_check_on_a_terminal_shows_its_stages_while_it_works(terminal, monkeypatch, tmp_path, capsys):
    """The command itself, its stderr a terminal: stage text appears and is erased; stdout, the
    report, is untouched by it."""
    from policylang.cli import main

    stream, shown = terminal
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.delenv("POLICYLANG_PROGRESS", raising=False)
    monkeypatch.setattr(sys, "stderr", stream)
    p = tmp_path / "t.policy"
    p.write_text(gen_tenants.policy_text(1000))
    main(["check", str(p)])
    out = shown()
    assert f"{p}: " in out and "[" in out, repr(out[:300])
    assert _erased(out), repr(out[-120:])
    assert "\r" not in capsys.readouterr().out
