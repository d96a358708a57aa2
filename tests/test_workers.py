"""`policylang serve --workers N` as an operator runs it: connections spread over the workers,
a dead worker replaced, a port in use refused, SIGTERM stops them all."""
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import httpx
import openai
import pytest

from helpers import free_port
from policylang.gateway.workers import spreads_connections

pytestmark = pytest.mark.skipif(not spreads_connections(), reason="SO_REUSEPORT spreads connections on Linux only")

POLICY = """import std
provider oa {{ adapter = openai base_url = "{url}/v1" default = oa-1 }}
model oa-1 {{ provider = oa id = "gpt-fake" input = 1 output = 2 context = 100000 }}
default route oa
"""


def workers_seen(url: str, connections: int) -> Counter:
    """Which worker answered /readyz on each of `connections` new connections."""
    seen = Counter()
    for _ in range(connections):
        with httpx.Client() as c:              # a new connection each time
            seen[c.get(url + "/readyz", timeout=5).json()["worker"]] += 1
    return seen


def wait_ready(url: str, proc, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not become ready")


def test_two_workers_share_connections_evenly_replace_a_dead_one_and_stop_on_sigterm(tmp_path, fake):
    policy = tmp_path / "w.policy"
    policy.write_text(POLICY.format(url=fake.url))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(url, proc)
        deadline = time.time() + 30
        while len(seen := workers_seen(url, 40)) < 2 and time.time() < deadline:
            time.sleep(0.2)                      # the second worker may still be starting
        assert len(seen) == 2 and min(seen.values()) >= 8, seen   # even, not first-come (p < 1e-4)
        reply = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0).chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "Hello from gpt-fake: hi"

        victim = next(iter(seen))
        os.kill(victim, signal.SIGKILL)          # a worker dies: another takes its place
        deadline = time.time() + 30
        now = Counter()
        while time.time() < deadline:
            try:
                now = workers_seen(url, 20)
            except httpx.TransportError:
                now = Counter()                  # connections the dying worker had queued are reset
            if victim not in now and len(now) == 2:
                break
            time.sleep(0.2)
        assert victim not in now and len(now) == 2, now
        pids = set(now)

        proc.send_signal(signal.SIGTERM)         # the orchestrator stops it: every worker goes
        assert proc.wait(40) == 0
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_a_port_already_in_use_is_refused_not_shared(tmp_path, fake):
    policy = tmp_path / "w.policy"
    policy.write_text(POLICY.format(url=fake.url))
    with socket.socket() as other:              # another server, itself open to sharing the port
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        for workers in ("2", "1"):
            r = subprocess.run([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                                "--workers", workers], capture_output=True, text=True, timeout=60)
            assert r.returncode == 1 and "cannot listen on 127.0.0.1:" in r.stderr and "Traceback" not in r.stderr
            assert "serving" not in r.stderr, r.stderr        # no banner before a bind that failed


@pytest.mark.parametrize("flag,value", [
    ("--port", "99999"), ("--port", "-1"), ("--workers", "0"), ("--max-body-bytes", "-5"),
    ("--max-upstream", "0"), ("--max-header-bytes", "0"), ("--max-headers", "x"), ("--header-timeout", "nan"),
    ("--body-timeout", "-1"), ("--keep-alive-timeout", "inf"), ("--max-connections", "0"),
])
def test_out_of_range_arguments_are_usage_errors(tmp_path, flag, value):
    policy = tmp_path / "w.policy"
    policy.write_text(POLICY.format(url="http://127.0.0.1:9"))
    r = subprocess.run([sys.executable, "-m", "policylang", "serve", str(policy), flag, value],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and f"argument {flag}: " in r.stderr and value in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "serving" not in r.stderr


def test_serve_help_documents_every_exit_code_and_limit():
    out = subprocess.run([sys.executable, "-m", "policylang", "serve", "--help"], capture_output=True,
                         text=True, timeout=60).stdout
    text = " ".join(out.split())
    for said in ("Exit codes: 0 stopped", "1 the port cannot be bound", "2 a usage error", "3 the gateway failed",
                 "--max-header-bytes", "--header-timeout", "--body-timeout", "--keep-alive-timeout",
                 "--max-connections", "(default 32,768)"):
        assert said in text, said


def test_workers_that_cannot_start_stop_the_parent_instead_of_restarting_for_ever(tmp_path):
    import json

    config = {"policy": str(tmp_path / "vanished.policy"), "keys": None, "max_body_bytes": 1000,
              "max_upstream": 8}                # the file went away after `serve` checked it
    env = {**os.environ, "POLICYLANG_SERVE_CONFIG": json.dumps(config)}
    code = (f"from policylang.gateway import workers; workers.run('127.0.0.1', {free_port()}, 2, "
            "{'log_level': 'warning'}, 1)")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=90)
    assert r.returncode == 3 and "failed to start" in r.stderr


def test_port_zero_gives_all_workers_one_port_and_says_which(tmp_path, fake):
    import re

    policy = tmp_path / "w.policy"
    policy.write_text(POLICY.format(url=fake.url))
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", "0",
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "serving" not in line:
            line = proc.stderr.readline()
            assert line, "no port announced"
        url = re.search(r"(http://\S+)/v1 serving", line).group(1)
        assert not url.endswith(":0")
        wait_ready(url, proc)
        deadline = time.time() + 30
        while len(seen := workers_seen(url, 20)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(seen) == 2                      # both workers on the one port
    finally:
        proc.terminate()
        proc.wait(40)


def requests_counted(url: str) -> float:
    """policylang_requests_total summed over its series, as one scrape (a new connection) sees it."""
    with httpx.Client() as c:
        text = c.get(url + "/metrics", timeout=5).text
    assert "policylang_shared_state_up" not in text          # no --state, no such series
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("policylang_requests_total{"))


def test_metrics_of_two_workers_add_up_and_survive_a_dead_worker(tmp_path, fake):
    """Each scrape used to read the one worker that answered it (678, 678, 1986, 678 …), which
    Prometheus takes for counter resets."""
    policy = tmp_path / "w.policy"
    policy.write_text(POLICY.format(url=fake.url))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # a temporary folder of its own: in the machine's, other serve processes (other tests, other
    # runs) make and remove metrics folders of theirs while this one runs
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "policylang", "serve", str(policy), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)})
    try:
        wait_ready(url, proc)
        deadline = time.time() + 30
        while len(seen := workers_seen(url, 20)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(seen) == 2
        sent = Counter()
        for _ in range(30):                                    # new connections: both workers answer
            c = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
            raw = c.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "hi"}])
            sent[raw.headers["x-policylang-model"]] += 1
            c.close()
        scrapes = [requests_counted(url) for _ in range(12)]
        assert scrapes == [30.0] * 12, scrapes                 # every scrape, whichever worker answers

        victim = next(iter(seen))
        os.kill(victim, signal.SIGKILL)                         # its counts must not vanish with it
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                now = workers_seen(url, 10)
            except httpx.TransportError:
                now = Counter()
            if victim not in now and len(now) == 2:
                break
            time.sleep(0.2)
        after = [requests_counted(url) for _ in range(12)]
        assert after == [30.0] * 12, after                      # never lower: no reset
        assert len([p for p in os.listdir(tmp) if p.startswith("policylang-metrics-")]) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0
        assert [p for p in os.listdir(tmp) if p.startswith("policylang-metrics-")] == []  # serve removes it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
