"""Shared test helpers: fixture files and small policy builders."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_cases(name: str) -> list[tuple[str, str, list[str]]]:
    """(title, policy text, expected lines) from a fixture file of `---`-separated cases."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    cases = []
    for chunk in text.split("\n---\n"):
        lines = [ln for ln in chunk.strip("\n").split("\n")]
        lines = [ln for ln in lines if not (ln.startswith("# ") and not cases and "##" not in ln) or ln.startswith("##")]
        title_i = next(i for i, ln in enumerate(lines) if ln.startswith("##"))
        title = lines[title_i][2:].strip()
        body = [ln for ln in lines[title_i + 1:] if not ln.startswith("==>")]
        expected = [ln[3:].strip() for ln in lines[title_i + 1:] if ln.startswith("==>")]
        cases.append((title, "\n".join(body) + "\n", expected))
    return cases


_LOADED: dict = {}


def loaded(text: str, name: str = "t.policy"):
    """(Policy, the standalone module's `decide`) for a policy text, built once per text: the
    property laws call them for every example."""
    if text not in _LOADED:
        import policylang

        policy = policylang.loads(text, name)
        ns: dict = {}
        exec(compile(policylang.compile_module(policy), "<standalone>", "exec"), ns)
        _LOADED[text] = (policy, ns["decide"])
    return _LOADED[text]


def free_port() -> int:
    """A loopback TCP port nobody listens on now (for a gateway started as a process)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count_calls(monkeypatch, function) -> list:
    """Replace a policylang function wherever a module imported it by name (monkeypatch undoes
    it); the list returned grows by one entry per call."""
    import sys

    calls: list = []

    def counting(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.startswith("policylang") and getattr(module, function.__name__, None) is function:
            monkeypatch.setattr(module, function.__name__, counting)
    return calls
