"""`policylang keys`: add, list and hash the client keys of a keys file."""

from __future__ import annotations

import dataclasses
import json
import sys

from .common import (
    EXIT_OK,
    UsageError,
    require_file,
)


def _gateway_auth():
    try:
        from ..gateway import auth  # lazy: the gateway extra (pydantic)
    except ImportError:
        raise UsageError(
            "keys needs the gateway extra: pip install 'policylang[gateway]'"
        ) from None
    return auth


def run_hash(args) -> int:
    key = sys.stdin.readline().strip() if args.key == "-" else args.key
    if not key:
        raise UsageError("no key given (KEY, or `-` and the key on stdin)")
    print(_gateway_auth().hash_key(key))
    return EXIT_OK


def _fact_arg(text: str) -> tuple[str, object]:
    name, eq, value = text.partition("=")
    if not eq or not name:
        raise UsageError(f"--fact takes NAME=VALUE (e.g. tier=pro), not {text!r}")
    try:
        return name, json.loads(value)  # numbers, true/false, ["a", "b"] for a set fact
    except ValueError:
        return name, value  # a bare word: a string or enum value


def run_add(args) -> int:
    auth = _gateway_auth()
    key = sys.stdin.readline().strip() if args.key == "-" else auth.new_key()
    if not key:
        raise UsageError("--key -: no key on stdin")
    entry: dict = {"name": args.name, "sha256": auth.hash_key(key)}
    if args.fact:
        entry["facts"] = dict(_fact_arg(f) for f in args.fact)
    for field in ("rate_per_minute", "burst", "budget_usd", "budget_period"):
        if getattr(args, field) is not None:
            entry[field] = getattr(args, field)
    try:
        auth.add_key(args.file, entry)
    except auth.KeyFileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    if args.key == "-":
        print(f"added key `{args.name}` to {args.file} (its sha256)", file=sys.stderr)
    else:
        print(key, flush=True)  # the one time it is shown: the file keeps only its hash
        print(
            f"added key `{args.name}` to {args.file}; the file keeps only its sha256, so the key "
            "above is shown once: give it to the client now",
            file=sys.stderr,
        )
    return EXIT_OK


def run_list(args) -> int:
    auth = _gateway_auth()
    require_file(args.file, "keys file")
    try:
        clients = auth.load_keys(args.file)
    except (auth.KeyFileError, OSError) as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":  # the file's entries, hashes included: never a key
        print(json.dumps([dataclasses.asdict(c) for c in clients], indent=2))
        return EXIT_OK
    width = max([4] + [len(c.name) for c in clients])
    print(f"{'name':<{width}}  {'sha256':<14}  {'rate/min':>8}  {'burst':>5}  budget      facts")
    for c in clients:
        rate = "-" if c.rate_per_minute is None else f"{c.rate_per_minute:g}"
        burst = "-" if c.burst is None else f"{c.burst:g}"
        budget = "-" if c.budget_usd is None else f"${c.budget_usd:g}/{c.budget_period or 'day'}"
        facts = json.dumps(c.facts, sort_keys=True) if c.facts else "-"
        print(f"{c.name:<{width}}  {c.sha256[:12]}…  {rate:>8}  {burst:>5}  {budget:<10}  {facts}")
    print(f"{len(clients)} key(s)")
    return EXIT_OK


def run_schema(args) -> int:
    print(json.dumps(_gateway_auth().keys_schema(), indent=2))
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "keys",
        help="add, list and hash client keys of a keys file",
        description="The gateway's keys file (serve --keys FILE): each client key's name, sha256, "
        "facts, rate limit and budget; docs/deploying.md, 'The keys file', describes every "
        "field. The file stores hashes only.",
    )
    keys_sub = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    k = keys_sub.add_parser(
        "add",
        help="make a new key, store its hash in FILE, print the key once",
        description="Make a new random client key, add its sha256 to FILE (created when missing; "
        "the whole file validated before it is replaced) and print the key once on stdout.",
    )
    k.add_argument("file", metavar="FILE", help="the keys file, e.g. keys.json")
    k.add_argument("--name", required=True, help="the client's name (unique in the file)")
    k.add_argument(
        "--fact",
        action="append",
        metavar="NAME=VALUE",
        help="a fact this client always has, e.g. tier=pro; repeatable (default: none)",
    )
    k.add_argument(
        "--rate-per-minute",
        type=float,
        metavar="N",
        help="requests a minute (default: no limit)",
    )
    k.add_argument(
        "--burst",
        type=float,
        metavar="N",
        help="requests at once (default: a second's worth of the rate, at least 1)",
    )
    k.add_argument(
        "--budget-usd", type=float, metavar="USD", help="spend per period (default: no budget)"
    )
    k.add_argument(
        "--budget-period",
        choices=("hour", "day", "month"),
        help="the budget's period, UTC (default: day)",
    )
    k.add_argument(
        "--key",
        metavar="-",
        choices=("-",),
        help="`-`: store the hash of a key read from stdin instead of making one (default: a "
        "new random key)",
    )
    k.set_defaults(func=run_add)
    k = keys_sub.add_parser("list", help="the keys in FILE: names, hash prefixes, limits, facts")
    k.add_argument("file", metavar="FILE", help="the keys file")
    k.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    k.set_defaults(func=run_list)
    k = keys_sub.add_parser("hash", help="print sha256(KEY), the form a keys file stores")
    k.add_argument("key", metavar="KEY", help="the key, or `-` to read it from stdin")
    k.set_defaults(func=run_hash)
    k = keys_sub.add_parser("schema", help="print the keys file's JSON Schema")
    k.set_defaults(func=run_schema)
