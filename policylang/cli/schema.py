"""`policylang schema`: the JSON Schema of a policy's facts."""

from __future__ import annotations

import json
import sys

from ..factschema import facts_schema
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    load_or_report,
    write_file,
)


def run(args) -> int:
    policy = load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE
    text = json.dumps(facts_schema(policy.ir, args.title), indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        write_file(args.output, text, "--output")
        print(f"wrote {args.output}: {len(policy.ir.facts)} facts", file=sys.stderr)
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schema",
        help="the JSON Schema of a policy's facts",
        description="Print the JSON Schema (draft 2020-12) of the facts object FILE accepts — "
        "types, enum values, defaults; no other names — so callers in any language can validate "
        "facts before sending them (metadata, x-policylang-facts, route --facts).",
    )
    p.add_argument("file", metavar="FILE", help="the policy file")
    p.add_argument("-o", "--output", metavar="OUT.json", help="where to write (default: stdout)")
    p.add_argument("--title", help="the schema's title (default: facts of FILE)")
    p.set_defaults(func=run)
