"""`policylang compile`: a standalone evaluator in Python, or an ES module and its declarations."""

from __future__ import annotations

import sys
from pathlib import Path

from ..compiler import left_out
from ..compiler.javascript import JsTargetError, generate_js
from ..diagnostics import (
    Diagnostic,
    SourceCache,
    render_text,
)
from ..factschema import facts_schema
from ..policy import compile_module
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    load_or_report,
    write_file,
)


def run(args) -> int:
    if args.target == "js" and args.output not in (None, "-"):
        if not args.output.endswith((".mjs", ".js")):
            raise UsageError(
                f"--target js writes an ES module: name it .mjs or .js, not {args.output}"
            )
    policy = load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE  # could not do the work: the policy does not load
    skipped = left_out(policy.ir)
    if skipped:
        print(
            f"note: the module does not run the policy's classifiers ({skipped}); callers must "
            "give those "
            "facts, or use policylang.Router or the gateway",
            file=sys.stderr,
        )
    if args.target in ("js", "ts"):
        return _compile_js(policy, args)
    source = compile_module(policy)
    if args.output in (None, "-"):
        sys.stdout.write(source)
    else:
        write_file(args.output, source, "--output")
        layout = policy.compiled.layout
        print(
            f"wrote {args.output}: {len(policy.ir.rules)} rules, {layout.nodes:,} diagram nodes, "
            f"{len(source):,} bytes",
            file=sys.stderr,
        )
    return EXIT_OK


def _compile_js(policy, args) -> int:
    """--target js: the ES module, and its declarations beside it (.d.mts for .mjs, .d.ts for
    .js); --target ts: the declarations alone."""
    try:
        module = generate_js(policy.ir, facts_schema(policy.ir))
    except JsTargetError as exc:
        diagnostic = Diagnostic("unsupported-by-target", "error", exc.span, str(exc))
        print(render_text([diagnostic], SourceCache(policy.ir.sources)), file=sys.stderr)
        return EXIT_USAGE
    text = module.source if args.target == "js" else module.declarations
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    out = Path(args.output)
    out.write_text(text, encoding="utf-8")
    wrote = [
        f"wrote {out}: {module.rules} rules, {module.nodes:,} diagram nodes, {len(text):,} bytes"
    ]
    if args.target == "js":
        beside = out.with_name(
            out.name[: -len(out.suffix)] + (".d.mts" if out.suffix == ".mjs" else ".d.ts")
        )
        beside.write_text(module.declarations, encoding="utf-8")
        wrote.append(f"wrote {beside}: its TypeScript declarations")
    print("\n".join(wrote), file=sys.stderr)
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compile",
        help="write a standalone evaluator (Python, or a JavaScript module)",
        description="Compile FILE into a standalone evaluator exposing decide(facts): a Python "
        "module that needs only the standard library (--target python, the default), or a "
        "dependency-free ES2020 module for Node, Deno, Bun and edge workers (--target js) that "
        "decides exactly as Python does and returns what `route --format json` prints; its "
        "TypeScript declarations are written beside it (OUT.d.mts for OUT.mjs, OUT.d.ts for "
        "OUT.js). --target ts writes the declarations alone.",
        epilog="Embedding the JavaScript module, and keeping it in sync with the policy "
        "(POLICY_HASH, a CI step that recompiles and diffs): docs/embedding-js.md.",
    )
    p.add_argument("file", metavar="FILE", help="the policy file")
    p.add_argument(
        "--target",
        choices=("python", "js", "ts"),
        default="python",
        help="python (default), js (an ES module and its .d.ts), ts (the .d.ts alone)",
    )
    p.add_argument(
        "-o", "--output", metavar="OUT", help="where to write: OUT.py, OUT.mjs (default: stdout)"
    )
    p.set_defaults(func=run)
