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
    """A loopback TCP port nobody listens on now (for a gateway or redis-server started as a
    process), below the kernel's ephemeral range: bind(0) and every outgoing connection take
    their ports from that range, so any connection made on the machine between this call and the
    server's bind (a test's, another run's) could take one from there, and the server would not
    start. Where the range is unknown (not Linux), a port bind(0) chose."""
    import random
    import socket

    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    for _ in range(100 if low > 11_024 else 0):
        port = random.randrange(low - 10_000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue                    # in use: try another
            return port
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
