"""python -m policylang.testing [--port N]: run a FakeProvider until interrupted (for benchmarks
and for trying a policy by hand). Prints its base URL on the first line."""

import argparse
import signal
import sys
import threading

from .fake_provider import FakeProvider

ap = argparse.ArgumentParser(prog="python -m policylang.testing", description=__doc__)
ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
args = ap.parse_args()
fake = FakeProvider(latency=args.latency, uvloop=True).start()  # the benchmarks' upstream: lean
print(fake.url, flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
signal.signal(signal.SIGINT, lambda *_: done.set())
done.wait()
fake.stop()
sys.exit(0)
