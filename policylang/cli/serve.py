"""`policylang serve`: check the flags and the policy, then run the gateway."""

from __future__ import annotations

import os
import sys

from ..adapters import extra_complaints
from ..gateway.limits import ConnectionLimits  # no extra needed: the flags' defaults
from ..policy import PolicyError, load
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    bounded,
    print_errors,
    require_file,
    usable,
)


def run(args) -> int:
    try:
        import starlette  # noqa: F401  (lazy: is the gateway extra installed?)
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("the gateway needs its extra: pip install 'policylang[gateway]'") from None
    require_file(args.file)
    try:
        served = load(args.file)  # refuse to start on a broken policy, with its diagnostics
    except PolicyError as exc:
        print_errors(exc)
        return EXIT_USAGE
    missing = extra_complaints(served.ir)
    if missing:  # refused now, not at the first request the adapter would fail
        print("\n".join(f"error: {line}" for line in missing), file=sys.stderr)
        return EXIT_USAGE
    from ..gateway.auth import KeyFileError, load_keys  # lazy: the gateway extra
    from ..gateway.server import serve
    from ..runtime.facts import check_language_detector

    # an unknown name or a missing extra: now, not in every worker (each loads its own model)
    usable(check_language_detector, args.language_detector)
    try:
        load_keys(args.keys)
    except (KeyFileError, OSError) as exc:
        raise UsageError(str(exc)) from None
    state_url = _state_url(args.state or os.environ.get("POLICYLANG_STATE_URL") or None)
    quality = served.ir.quality
    if quality is not None and quality.prior is not None and not state_url:
        _check_quality_db(args.quality_db or None, args.file)
    serve(
        args.file,
        args.host,
        args.port,
        args.workers,
        args.keys,
        args.max_body_bytes,
        args.max_upstream,
        quality_db=args.quality_db,
        state_url=state_url,
        state_fail_open=args.state_fail_open,
        language_detector=args.language_detector,
        limits=ConnectionLimits(
            max_header_bytes=args.max_header_bytes,
            max_headers=args.max_headers,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            keep_alive_timeout=args.keep_alive_timeout,
            max_connections=args.max_connections,
        ),
        announce=_announcer(args.file, args.workers),
    )
    return EXIT_OK


def _state_url(url: str | None) -> str | None:
    """--state (or $POLICYLANG_STATE_URL) as given, once it is a Redis URL the redis package
    parses; a usage error (its password starred out) when not."""
    if not url:
        return url
    from ..runtime.shared import redacted  # lazy: see route.py

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--state takes a Redis URL (redis://HOST:PORT/DB), not {redacted(url)!r}")
    try:
        from redis.connection import parse_url  # lazy: the shared extra
    except ImportError:
        raise UsageError(
            "--state needs the redis package: pip install 'policylang[shared]'"
        ) from None
    try:
        parse_url(url)
    except ValueError as exc:
        raise UsageError(f"--state {redacted(url)!r} is not a usable URL: {exc}") from None
    return url


def _check_quality_db(given: str | None, policy: str) -> None:
    """A policy that learns quality, served without shared state: its SQLite ratings must open
    now, not in every worker."""
    from ..runtime.quality import (  # lazy: the runtime (see route.py)
        QualityStoreError,
        SQLiteQualityStore,
        default_db,
    )

    try:
        SQLiteQualityStore(given or str(default_db(policy))).close()
    except QualityStoreError as exc:
        raise UsageError(str(exc)) from None


def _announcer(file: str, workers: int):
    """The banner, printed once the port is bound (port 0: the one picked), not before."""
    hello = '{"model": "auto", "messages": [{"role": "user", "content": "hello"}]}'

    def announce(host: str, port: int) -> None:
        print(
            f"policylang gateway: http://{host}:{port}/v1 serving {file} "
            f"({workers} worker(s)); try:\n  curl "
            f"http://{host}:{port}/v1/chat/completions "
            f"-H 'content-type: application/json' -d '{hello}'",
            file=sys.stderr,
            flush=True,
        )

    return announce


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the OpenAI-compatible gateway",
        description="Serve FILE as an OpenAI-compatible endpoint (POST /v1/chat/completions, "
        "POST /v1/responses, POST /v1/messages and /v1/messages/count_tokens, GET /v1/models, "
        "POST /v1/route, POST /v1/feedback, /healthz, /readyz, /metrics; what each API carries "
        "and refuses: docs/endpoints.md). The "
        "policy is reloaded when the file changes or on SIGHUP; a policy with errors is "
        "refused and the old one keeps serving. A provider whose adapter needs an extra that is "
        "not installed (adapter = bedrock: pip install 'policylang[aws]') is refused the same "
        "way, naming it (clouds and their credentials: docs/clouds.md).",
        epilog="Exit codes: 0 stopped by SIGINT or SIGTERM after draining; 1 the port cannot be "
        "bound (in use, not allowed); 2 a usage error (a flag out of range, a policy with "
        "errors or a missing extra, an unreadable keys file or --state URL); 3 the gateway "
        "failed to start (a worker could not load the policy). Limits on clients "
        "(--max-header-bytes, --header-timeout, ...) are explained in docs/deploying.md.",
    )
    p.add_argument("file", metavar="FILE", help="the policy file")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on; 0.0.0.0 for every interface (default: 127.0.0.1, this "
        "machine only)",
    )
    p.add_argument(
        "--port",
        type=bounded(int, 0, 65535, "a TCP port"),
        default=8080,
        help="0 to 65535; 0 picks a free port (the banner says which) (default 8080)",
    )
    p.add_argument(
        "--workers",
        type=bounded(int, 1, 1024, "a number of processes"),
        default=1,
        help="worker processes on the one port (default 1); on Linux each has its own socket "
        "(SO_REUSEPORT), so the kernel spreads connections among them, and a dead one is "
        "replaced",
    )
    p.add_argument(
        "--keys",
        metavar="KEYS.json",
        help="client keys (hashed); default: $POLICYLANG_KEYS or open",
    )
    _add_limits(p)
    _add_shared_state(p)
    p.set_defaults(func=run)


def _add_limits(p) -> None:
    """The limits a request and a client are held to (docs/deploying.md)."""
    positive = bounded(int, 1, None, "a whole number")
    seconds = bounded(float, 0.001, 86400.0, "a number of seconds")
    p.add_argument(
        "--max-body-bytes",
        type=positive,
        default=4 * 1024 * 1024,
        help="a bigger request body is refused with 413 before it is read (default 4 MiB)",
    )
    p.add_argument(
        "--max-upstream",
        type=positive,
        default=256,
        help="requests in flight to providers, per worker; more wait up to 10 s, then 503 "
        "(default 256)",
    )
    limits = ConnectionLimits()
    p.add_argument(
        "--max-header-bytes",
        type=positive,
        default=limits.max_header_bytes,
        help="a request line and headers larger than this are refused with 431, as soon as "
        f"they pass it (default {limits.max_header_bytes:,})",
    )
    p.add_argument(
        "--max-headers",
        type=positive,
        default=limits.max_headers,
        help=f"more request headers than this: 431 (default {limits.max_headers})",
    )
    p.add_argument(
        "--header-timeout",
        type=seconds,
        metavar="SECONDS",
        default=limits.header_timeout,
        help="a connection must send a request's head within this long (from connecting, or "
        "from the request's first byte on a kept-alive one): else 408 and closed, or just "
        f"closed when it sent nothing (default {limits.header_timeout:g})",
    )
    p.add_argument(
        "--body-timeout",
        type=seconds,
        metavar="SECONDS",
        default=limits.body_timeout,
        help="once its head is in, a request must send its whole body within this long: else "
        "408 and closed (a body shorter than its Content-Length) "
        f"(default {limits.body_timeout:g})",
    )
    p.add_argument(
        "--keep-alive-timeout",
        type=seconds,
        metavar="SECONDS",
        default=limits.keep_alive_timeout,
        help="an idle connection between requests is closed after this long "
        f"(default {limits.keep_alive_timeout:g})",
    )
    p.add_argument(
        "--max-connections",
        type=positive,
        default=limits.max_connections,
        help="open connections per worker; a request on one past it gets 503 and the "
        f"connection is closed (default {limits.max_connections:,}; keep it under `ulimit -n`)",
    )


def _add_shared_state(p) -> None:
    """Shared state between replicas, how facts are derived, where learned quality persists."""
    p.add_argument(
        "--state",
        metavar="URL",
        help="share client-key rate limits and open circuits with other replicas through "
        "Redis (redis://HOST:PORT/DB); default: $POLICYLANG_STATE_URL, else this process only",
    )
    p.add_argument(
        "--language-detector",
        metavar="NAME",
        default="builtin",
        help="how the `language` fact is derived: builtin (scripts and function words, no "
        "dependency; the default) or langid (py3langid, 97 languages; pip install "
        "'policylang[langid]')",
    )
    p.add_argument(
        "--state-fail-open",
        action="store_true",
        help="when the shared state is unavailable, keep enforcing budgets with this process's "
        "own ledger instead of refusing requests that have a budget (503)",
    )
    p.add_argument(
        "--quality-db",
        metavar="PATH",
        help="where learned quality persists (SQLite); default: "
        ".policylang/quality.sqlite beside the policy",
    )
