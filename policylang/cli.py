"""The `policylang` command line: check, route, compile, fmt, test, serve."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import os
import re
import sys
import time
from datetime import date
from pathlib import Path

from . import expectations
from ._version import __version__
from .authoring.diff import DiffError, semantic_diff
from .authoring.diff import render as render_diff
from .authoring.generate import as_expect_lines, proposals
from .compiler import left_out
from .compiler.javascript import JsTargetError, generate_js
from .diagnostics import (
    CODES,
    DOCS_URL,
    MAX_PER_CODE,
    SEVERITIES,
    Diagnostic,
    SourceCache,
    grouped,
    redact,
    render_json,
    render_text,
    sort_key,
)
from .factschema import facts_schema
from .pipeline import findings, read_error
from .policy import PolicyError, compile_module, decision_json, load, loads
from .prelude import FactError, jsonable
from .progress import Progress
from .reporting import render_github, render_sarif
from .resources import stdlib_dir, stdlib_is_installed
from .semantics.loader import SourceError, read_source
from .span import split_lines
from .syntax.formatter import FormatError, format_text

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called: exit 2 with one line."""


def _policy_files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(path.rglob("*.policy"))
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"no such file or folder: {p}")
    if not out:
        raise UsageError(f"no .policy files in {', '.join(paths)}")
    return out


def analyse_file(path: Path, progress: Progress | None = None) -> tuple[list[Diagnostic], dict]:
    """Everything `check` says about one file (pipeline.findings)."""
    if progress is None:
        with Progress() as progress:
            checked = findings(path, progress)
    else:
        checked = findings(path, progress)
    return checked.diagnostics, checked.sources


def cmd_check(args) -> int:
    files = _policy_files(args.paths)
    every: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unreadable = 0
    with Progress() as progress:
        for i, f in enumerate(files):
            if len(files) > 1:
                progress(f"file {i + 1}/{len(files)}")
            try:
                diags, srcs = analyse_file(f, progress)
            except OSError as exc:  # not UTF-8, gone, no permission: say so and check the others
                unreadable += 1
                every.append(read_error(f, exc))
                continue
            sources.update(srcs)
            every += diags
    every = sorted({(d.code, d.span, d.message): d for d in every}.values(), key=sort_key)
    failing = {"error"} | ({"warning"} if args.strict else set())
    if args.fail_level:
        failing = set(SEVERITIES[: SEVERITIES.index(args.fail_level) + 1])
    if args.format == "json":
        print(render_json([str(f) for f in files], every))
    elif args.format == "sarif":
        print(render_sarif(every))
    elif args.format == "github":
        out = render_github(every)
        if out:
            print(out)
    else:
        shown, more = grouped(every, args.max_per_code)
        text = render_text(shown, SourceCache(sources))
        if text:
            print(text)
        for line in more:
            print(line)
        counts = {s: sum(d.severity == s for d in every) for s in SEVERITIES}
        print(
            f"checked {len(files)} file(s): {counts['error']} error(s), {counts['warning']} "
            f"warning(s), {counts['info']} note(s)"
            + (f"; {unreadable} file(s) could not be read" if unreadable else "")
        )
    if unreadable:  # the worst status: some of the work could not be done
        return EXIT_USAGE
    return EXIT_FINDINGS if any(d.severity in failing for d in every) else EXIT_OK


def _write_file(path: str | Path, text: str, flag: str) -> None:
    """Write an output file the user named; a folder that does not exist, a folder given as the
    file, or a refusal is a usage error naming the flag, not a traceback."""
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{flag} {path}: the folder {path.parent} does not exist (create it first)"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{flag} {path}: is a folder; give a file name") from None
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None


def _require_file(path: str, what: str = "policy file") -> None:
    """A file argument that is a folder or missing: a usage error that says which."""
    if Path(path).is_dir():
        folders = " (`policylang check` and `test` take folders)" if what == "policy file" else ""
        raise UsageError(f"{path} is a folder; this command takes one {what}{folders}")
    if not Path(path).is_file():
        raise UsageError(f"no such file: {path}")


def _load_or_report(path: str, compile: bool = True):
    _require_file(path)
    doing = "loading and compiling" if compile else "loading"
    try:
        with Progress() as progress:
            progress(f"{path}: {doing} ({Path(path).stat().st_size:,} bytes)")
            return load(path, compile)
    except PolicyError as exc:
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        print(render_text(errors, SourceCache()), file=sys.stderr)
        return None


def _facts_arg(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        facts = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--facts is not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(facts, dict):
        raise UsageError("--facts must be a JSON object, e.g. '{\"task\": \"code\"}'")
    return facts


def cmd_route(args) -> int:
    # one decision: the interpreter decides it without compiling every rule first (seconds at
    # 10,000 rules); --explain shows the compiled evaluator's path, so it compiles
    policy = _load_or_report(args.file, compile=args.explain)
    if policy is None:
        return EXIT_USAGE  # could not do the work: the policy does not load
    facts = _facts_arg(args.facts)
    classified: list = []
    try:
        policy.check_facts(facts)
        if args.prompt is not None:
            # lazy, as in cmd_replay: the runtime brings httpx and the providers (~80 ms of
            # start-up) that the other commands do not need
            from .runtime.classify import Classifiers
            from .runtime.facts import derive_facts, language_detector

            detector = _usable(language_detector, args.language_detector)
            request = {"messages": [{"role": "user", "content": args.prompt}]}
            derived = derive_facts(policy.ir, request, detector=detector)
            for c in Classifiers(policy.ir).run(request, skip=facts.keys()):
                classified.append(c)
                if c.value is not None:
                    derived[c.fact] = c.value
            facts = {**derived, **facts}
            policy.check_facts(facts)
        decision = policy.decide(facts)
    except FactError as exc:
        raise UsageError(str(exc)) from None
    out = decision_json(decision)
    if args.prompt is not None:
        out["facts"] = jsonable(facts)
        out["classified"] = [c.to_json() for c in classified]
    if args.explain:
        out["explain"] = policy.explain(facts)
        out["path"] = policy.path(facts)
        out["candidate_details"] = policy.candidates(facts)
    no_route = EXIT_FINDINGS if decision.rule is None and args.exit_code else EXIT_OK
    if args.format == "json":
        _say(json.dumps(out, indent=2))
        return no_route
    if decision.rule is None:
        _say("no route: no rule matches these facts and the policy has no default")
    else:
        _say(f"rule:       {decision.rule} (line {decision.line})")
        _say(f"target:     {decision.target}")
        _say(f"fallback:   {', '.join(decision.fallback) or '-'}")
        _say(f"candidates: {', '.join(decision.candidates) or '- (every one was removed)'}")
        for c, why in decision.removed:
            _say(f"removed:    {c} by the constraint `{why}`")
    if args.prompt is not None:
        _say(f"facts:      {json.dumps(out['facts'], sort_keys=True)}")
        for c in classified:
            _say(
                f"classified: {c.fact} = {c.value if c.value is not None else '(missing)'} by "
                f"{c.how}: {c.detail}"
            )
    if args.explain and out["candidate_details"]:
        _say("candidates (blended USD per million tokens, quality for this request):")
        for c in out["candidate_details"]:
            price = "unpriced" if c["price"] is None else f"${c['price']:.2f}/M"
            quality = "" if c["quality"] is None else f"  quality {c['quality']:.2f}"
            why = "kept" if c["kept"] else f"removed by `{c['removed_by']}`"
            _say(f"  {c['candidate']:<28} {price:>10}{quality}  {why}")
    if args.explain:
        _say("facts read by the compiled evaluator:")
        for step in out["path"]:
            shown = "missing" if step["missing"] else json.dumps(step["value"])
            _say(f"  {step['fact']:<12} = {shown:<16} -> {step['branch']}")
        _say("rules tried, in order:")
        for step in out["explain"]:
            mark = "matched" if step["matched"] else "no"
            _say(f"  {step['rule']} (line {step['line']}): {mark}")
            for t in step["tests"]:
                shown = "missing" if t["missing"] else json.dumps(t["value"])
                _say(f"      {t['test']:<40} value {shown:<20} -> {str(t['result']).lower()}")
    return no_route


def _say(text: str) -> None:
    """A line of a report that echoes policy text (explanations, tests, values): secret-looking
    literals starred out, as check's renderer does."""
    print(redact(text))


def _usable(make, name: str):
    """make(name) for a language detector; its complaint (an unknown name, a missing extra) as a
    usage error."""
    try:
        return make(name)
    except (ValueError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None


def cmd_catalog(args) -> int:
    from .authoring import catalog  # its genai-prices import is lazy too

    if args.write and not args.stdlib and stdlib_is_installed():
        raise UsageError(
            f"catalog --write updates std in a source checkout of policylang; this std is "
            f"installed with the package ({stdlib_dir()}): rewriting it would change the hash "
            "of every policy that imports std, and the next upgrade would undo it. Use "
            "`policylang catalog --check` here, and --write in a clone of the repository"
        )
    if args.stdlib:  # tests: a copy of stdlib/, its providers file imported by path
        folder = Path(args.stdlib)
        std = loads('import "providers.policy"\ndefault route echo\n', "<catalog>", folder).ir
        file = os.path.normpath(str(folder / "providers.policy"))
    else:
        folder, file = stdlib_dir(), "<std/providers>"
        std = loads("import std/providers\n", "<catalog>").ir
    try:
        spec = catalog.mapping(folder)
        if args.write:
            spec["as_of"] = args.date or date.today().isoformat()
        rows = catalog.compare(std, file, spec)
        if args.write and not any(r.drifted for r in rows):
            print(catalog.render(rows, spec))
            print("nothing written: every price already matches genai-prices")
            return EXIT_OK
        if args.write:
            path = folder / "providers.policy"
            text = catalog.rewrite(
                path.read_text(encoding="utf-8"), rows, spec["as_of"], catalog.package_version()
            )
            path.write_text(text, encoding="utf-8")
            (folder / "catalog.json").write_text(
                json.dumps(spec, indent=2) + "\n", encoding="utf-8"
            )
    except catalog.CatalogError as exc:
        raise UsageError(str(exc)) from None
    print(catalog.render(rows, spec))
    drifted = [r.model for r in rows if r.drifted]
    if args.write:
        print(f"wrote {folder / 'providers.policy'}: {len(drifted)} model(s) repriced")
        return EXIT_OK
    if args.check and drifted:
        print(
            "std's prices differ from genai-prices: run `policylang catalog --write`, or record "
            "an override with its reason in stdlib/catalog.json",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_schema(args) -> int:
    policy = _load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE
    text = json.dumps(facts_schema(policy.ir, args.title), indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        _write_file(args.output, text, "--output")
        print(f"wrote {args.output}: {len(policy.ir.facts)} facts", file=sys.stderr)
    return EXIT_OK


def cmd_compile(args) -> int:
    if args.target == "js" and args.output not in (None, "-"):
        if not args.output.endswith((".mjs", ".js")):
            raise UsageError(
                f"--target js writes an ES module: name it .mjs or .js, not {args.output}"
            )
    policy = _load_or_report(args.file)
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
        _write_file(args.output, source, "--output")
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


def cmd_test(args) -> int:
    files = _policy_files(args.paths)
    failed = total = 0
    broken = False
    untested: list[str] = []
    suites: list[tuple[str, list, str | None]] = []
    for f in files:
        policy = _load_or_report(str(f))
        if policy is None:
            broken = True
            suites.append((str(f), [], "the policy does not load"))
            continue
        if args.generate:
            print(f"# proposed expectations for {f}: review each before adding it")
            print(as_expect_lines(proposals(policy)))
            continue
        outcomes = expectations.run(policy)
        suites.append((str(f), outcomes, None))
        if not outcomes:
            untested.append(str(f))
            print(
                f"{f}: no expectations to run (add `expect {{…}} route …` lines; "
                f"`policylang test --generate {f}` proposes some)"
            )
        total += len(outcomes)
        diags = expectations.failures_as_diagnostics(policy, outcomes)
        failed += len(diags)
        for d, o in zip(diags, [o for o in outcomes if not o.ok]):
            print(render_text([d], SourceCache(policy.ir.sources)).rstrip())
            for step in o.trace:
                mark = "matched" if step["matched"] else "no"
                tests = "; ".join(
                    f"{t['test']} -> {str(t['result']).lower()}" for t in step["tests"]
                )
                _say(f"    {step['rule']} (line {step['line']}): {mark}  [{tests}]")
            print()
        if args.coverage and policy.ir.rules:
            covered = expectations.covered_rules(policy)
            names = [r.name for r in policy.ir.rules]
            missing = [n for n in names if n not in covered]
            pct = 100.0 * (len(names) - len(missing)) / len(names)
            print(
                f"{f}: {pct:.0f}% of rules covered"
                + (f"; not reached: {', '.join(missing)}" if missing else "")
            )
            if args.fail_under is not None and pct < args.fail_under:
                failed += 1
    if args.generate:
        return EXIT_FINDINGS if broken else EXIT_OK
    if args.junit:
        _write_file(args.junit, expectations.junit_xml(suites), "--junit")
    without = f", {len(untested)} file(s) without expectations" if untested else ""
    unloaded = sum(error is not None for _, _, error in suites)
    without += f", {unloaded} file(s) that do not load" if unloaded else ""
    print(f"{total - failed} passed, {failed} failed{without}")
    if untested and args.strict:
        print("--strict: a file without expectations fails", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_FINDINGS if failed or broken else EXIT_OK


def _read_policy_arg(arg: str, base_dir: str | None):
    """A policy from a path or `-` (stdin, e.g. `git show main:p.policy | policylang diff -
    p.policy`)."""
    try:
        if arg == "-":
            return loads(sys.stdin.read(), "<stdin>", base_dir or ".")
        _require_file(arg)
        return load(arg)
    except PolicyError as exc:
        print(
            render_text([d for d in exc.diagnostics if d.severity == "error"], SourceCache()),
            file=sys.stderr,
        )
        raise UsageError(f"{arg} does not load") from None


def cmd_diff(args) -> int:
    if args.old == "-" and args.new == "-":
        raise UsageError("only one side can come from stdin")
    old = _read_policy_arg(args.old, args.base_dir)
    new = _read_policy_arg(args.new, args.base_dir)
    try:
        diff = semantic_diff(old.ir, new.ir)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    print(render_diff(diff, args.format, args.old, args.new))
    return EXIT_FINDINGS if diff and args.exit_code else EXIT_OK


def _with_ends(text: str) -> list[str]:
    """text's lines with their line breaks, as span.split_lines counts them (not splitlines)."""
    return _LINE_WITH_END.findall(text)


_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$")


def _rewritten_lines(old: str, new: str) -> str:
    """Which lines of the original fmt changed, for its report: `lines 2-5, 9`."""
    ranges = [
        (i1 + 1, max(i2, i1 + 1))
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(
            None, split_lines(old), split_lines(new), autojunk=False
        ).get_opcodes()
        if tag != "equal"
    ]
    shown = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:8]]
    more = f" and {len(ranges) - 8} more place(s)" if len(ranges) > 8 else ""
    return ("line " if ranges == [(ranges[0][0],) * 2] else "lines ") + ", ".join(shown) + more


def cmd_fmt(args) -> int:
    changed = unchanged = 0
    for f in _policy_files(args.paths):
        text = read_source(f)
        try:
            out = format_text(text, str(f))
        except FormatError as exc:
            diags = exc.args[0] if exc.args and isinstance(exc.args[0], list) else None
            if diags:
                print(render_text(diags, SourceCache({str(f): text})), file=sys.stderr)
                raise UsageError(f"{f} does not parse; not formatted") from None
            raise UsageError(str(exc)) from None
        if out == text:
            unchanged += 1
            continue
        changed += 1
        where = _rewritten_lines(text, out)
        if args.diff:
            # a diff echoes source lines: secret-looking literals are starred out as in `check`
            sys.stdout.writelines(
                redact(line)
                for line in difflib.unified_diff(
                    _with_ends(text),
                    _with_ends(out),
                    f"{f} (original)",
                    f"{f} (formatted)",
                )
            )
        if args.check or args.diff:
            print(f"would reformat {f}: {where}", file=sys.stderr)
        else:
            _write_file(f, out, "fmt")
            print(f"formatted {f}: {where} rewritten", file=sys.stderr)
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    print(f"{changed} file(s) {verb}, {unchanged} already formatted", file=sys.stderr)
    if args.check:
        return EXIT_FINDINGS if changed else EXIT_OK
    return EXIT_OK


def _replay_learners(args, policy, base) -> tuple:
    """`replay --learned`: a Learner for the policy and one for the baseline (None for one that
    does not learn), on the ratings in --quality-db or beside the policy."""
    from .runtime.quality import Learner, QualityStoreError, SQLiteQualityStore, default_db

    if not args.learned:
        if args.quality_db or args.explore != "on" or args.baseline_explore:
            raise UsageError("--quality-db, --explore and --baseline-explore need --learned")
        return None, None
    path = Path(args.quality_db) if args.quality_db else default_db(args.file)
    if not path.is_file():
        raise UsageError(f"--learned: no ratings at {path} (give --quality-db PATH)")
    try:
        store = SQLiteQualityStore(path)
    except QualityStoreError as exc:
        raise UsageError(str(exc)) from None

    def learner(p):
        q = p.ir.quality if p is not None else None
        return Learner(p.ir, store) if q is not None and q.prior is not None else None

    if learner(policy) is None:
        raise UsageError(f"--learned: {args.file} does not learn quality")
    return learner(policy), learner(base)


def cmd_replay(args) -> int:
    from .authoring.replay import render as render_replay  # lazy: see cmd_route
    from .authoring.replay import replay

    policy = _load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE  # could not do the work: the policy does not load
    base = None
    if args.baseline:
        base = _load_or_report(args.baseline)
        if base is None:
            return EXIT_USAGE
    if args.log == "-":
        lines = sys.stdin.readlines()
    else:
        _require_file(args.log, "log file")
        with open(args.log, encoding="utf-8") as fh:
            lines = fh.readlines()
    learners = _replay_learners(args, policy, base)
    report = replay(policy, lines, learners[0], args.explore == "on")
    baseline = None
    if base is not None:
        explore = args.baseline_explore or args.explore
        baseline = replay(base, lines, learners[1], explore == "on")
    print(render_replay(report, args.format, baseline))
    return EXIT_OK


def cmd_lsp(args) -> int:
    try:
        from .lsp import main as serve_lsp  # lazy: the lsp extra (pygls)
    except ImportError:
        raise UsageError(
            "the language server needs its extra: pip install 'policylang[lsp]'"
        ) from None
    serve_lsp()
    return EXIT_OK


def cmd_serve(args) -> int:
    try:
        import starlette  # noqa: F401  (lazy: is the gateway extra installed?)
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("the gateway needs its extra: pip install 'policylang[gateway]'") from None
    _require_file(args.file)
    try:
        served = load(args.file)  # refuse to start on a broken policy, with its diagnostics
    except PolicyError as exc:
        print(
            render_text([d for d in exc.diagnostics if d.severity == "error"], SourceCache()),
            file=sys.stderr,
        )
        return EXIT_USAGE
    from .gateway.auth import (
        KeyFileError,
        load_keys,
    )  # lazy: the gateway extra (starlette, uvicorn)
    from .gateway.limits import ConnectionLimits
    from .gateway.server import serve
    from .runtime.facts import check_language_detector

    # an unknown name or a missing extra: now, not in every worker (each loads its own model)
    _usable(check_language_detector, args.language_detector)
    try:
        load_keys(args.keys)
    except (KeyFileError, OSError) as exc:
        raise UsageError(str(exc)) from None
    state_url = args.state or os.environ.get("POLICYLANG_STATE_URL") or None
    if state_url:
        if not state_url.startswith(("redis://", "rediss://", "unix://")):
            from .runtime.shared import redacted  # lazy: see cmd_route

            raise UsageError(
                f"--state takes a Redis URL (redis://HOST:PORT/DB), not {redacted(state_url)!r}"
            )
        try:
            from redis.connection import parse_url  # lazy: the shared extra
        except ImportError:
            raise UsageError(
                "--state needs the redis package: pip install 'policylang[shared]'"
            ) from None
        try:
            parse_url(state_url)
        except ValueError as exc:
            from .runtime.shared import redacted

            raise UsageError(
                f"--state {redacted(state_url)!r} is not a usable URL: {exc}"
            ) from None
    quality = served.ir.quality
    if quality is not None and quality.prior is not None and not state_url:  # a usable database
        from .runtime.quality import QualityStoreError, SQLiteQualityStore, default_db

        db = args.quality_db or str(default_db(args.file))
        try:
            SQLiteQualityStore(db).close()
        except QualityStoreError as exc:
            raise UsageError(str(exc)) from None

    hello = '{"model": "auto", "messages": [{"role": "user", "content": "hello"}]}'

    def announce(host: str, port: int) -> None:  # once the port is bound, not before
        print(
            f"policylang gateway: http://{host}:{port}/v1 serving {args.file} "
            f"({args.workers} worker(s)); try:\n  curl "
            f"http://{host}:{port}/v1/chat/completions "
            f"-H 'content-type: application/json' -d '{hello}'",
            file=sys.stderr,
            flush=True,
        )

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
        announce=announce,
    )
    return EXIT_OK


def cmd_quality(args) -> int:
    from .runtime.quality import (  # lazy: the runtime
        Learner,
        QualityStoreError,
        SQLiteQualityStore,
        default_db,
    )

    policy = _load_or_report(args.file)
    if policy is None:
        return EXIT_USAGE
    quality = policy.ir.quality
    if quality is None:
        raise UsageError(f"{args.file} declares no `quality by` scores")
    path = Path(args.db) if args.db else default_db(args.file)
    if quality.prior is None:
        raise UsageError(
            f"{args.file} does not learn quality: its scores are the declared ones "
            f"(to learn: `quality by {quality.fact} learned with prior N {{ … }}`)"
        )
    if not path.is_file():
        print(f"note: no feedback recorded yet ({path} does not exist)", file=sys.stderr)
        store = None
    else:
        try:
            store = SQLiteQualityStore(path)
        except QualityStoreError as exc:
            raise UsageError(str(exc)) from None
    prior = quality.prior
    learner = Learner(policy.ir, store)
    rows = learner.rows()
    if store is not None:
        store.close()
    now = time.time()

    def age(r) -> float | None:
        return None if r.last is None else max(0.0, now - r.last)

    if args.format == "json":
        print(
            json.dumps(
                {
                    "fact": quality.fact,
                    "prior": quality.prior,
                    "half_life": quality.half_life,
                    "explore": quality.explore,
                    "db": str(path),
                    "rows": [
                        {
                            **dataclasses.asdict(r),
                            "explored_share": r.explored / r.n if r.n else None,
                            "age_seconds": age(r),
                        }
                        for r in rows
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(
        f"quality by {quality.fact}, prior worth {prior:g} ratings, half-life "
        f"{quality.half_life:g} ratings, explore {100 * quality.explore:g}%; learned from {path}"
    )
    head = (
        f"{'model':<20} {quality.fact:<14} {'declared':>8} {'rated':>7} {'explored':>8} "
        f"{'weight':>7} {'last':>6} {'observed':>8} {'posterior':>9} {'lower95':>7} "
        f"{'upper99':>7} {'estimate':>8}"
    )
    print(head)

    def num(x):
        return "-" if x is None else f"{x:.3f}"

    def ago(seconds: float | None) -> str:
        if seconds is None:
            return "-"
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size:
                return f"{seconds / size:.0f}{unit}"
        return f"{seconds:.0f}s"

    changed = False
    for r in rows:
        share = f"{100 * r.explored / r.n:.0f}%" if r.n else "-"
        mark = "*" if r.changed else ""
        changed = changed or r.changed
        print(
            f"{r.model:<20} {r.value:<14} {num(r.declared):>8} {r.n:>7} {share:>8} "
            f"{r.weight:>7.1f} {ago(age(r)):>6} {num(r.observed):>8} {num(r.mean):>9} "
            f"{num(r.lower):>7} {num(r.upper):>7} {num(r.estimate) + mark:>8}"
        )
    print(
        "explored: the share of rated answers that were explorations; weight: the ratings' "
        "aged weight; last: the last rating's age"
        + (
            "; *: its recent ratings show a change, and the estimate reads them alone"
            if changed
            else ""
        )
    )
    return EXIT_OK


def _gateway_auth():
    try:
        from .gateway import auth  # lazy: the gateway extra (pydantic)
    except ImportError:
        raise UsageError(
            "keys needs the gateway extra: pip install 'policylang[gateway]'"
        ) from None
    return auth


def cmd_keys_hash(args) -> int:
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


def cmd_keys_add(args) -> int:
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


def cmd_keys_list(args) -> int:
    auth = _gateway_auth()
    _require_file(args.file, "keys file")
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


def cmd_keys_schema(args) -> int:
    print(json.dumps(_gateway_auth().keys_schema(), indent=2))
    return EXIT_OK


HELP = """\
policylang: typed LLM routing policy. Check it in CI, decide in microseconds.

  policylang check examples/                 parse, type-check and lint (exact: unreachable
                                             rules, gaps, context overflows, with examples)
  policylang route p.policy --facts '{"task": "code", "tokens": 900}' --explain
  policylang compile p.policy -o router.py   a standalone evaluator (stdlib only)
"""


def _bounded(kind, low, high, what: str):
    """An argparse type: a `kind` number within [low, high] (high None: no bound), else a usage
    error naming the range (exit 2, no traceback). Refuses nan and inf for floats."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} is expected, not {text!r}") from None
        if value != value or (high is None and value == float("inf")):
            raise argparse.ArgumentTypeError(f"{what} is expected, not {text!r}")
        if value < low or (high is not None and value > high):
            bound = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{what} {bound} is expected, not {text}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policylang", description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"policylang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "check",
        help="parse, type-check and lint policies",
        description="Parse, resolve, type-check and lint .policy files (folders: recursively). "
        "Exit 0 clean, 1 findings that fail, 2 usage or I/O error.",
        epilog="Every diagnostic code is explained, with examples, in docs/language.md §11 "
        f"({DOCS_URL}#diagnostics); codes: {', '.join(CODES)}.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="text (a caret under each finding), json (docs/language.md §12), sarif (code "
        "scanning) or github (workflow annotations); default: text",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument(
        "--fail-level", choices=SEVERITIES, help="the lowest severity that fails (default: error)"
    )
    p.add_argument(
        "--max-per-code",
        type=_bounded(int, 0, None, "a number of findings"),
        default=MAX_PER_CODE,
        metavar="N",
        help=f"text output: show the first N findings of each code in full and count the rest "
        f"(default: {MAX_PER_CODE}; 0: show every one). Counts and exit status include them all",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "route",
        help="the decision for some facts",
        description="Print which rule decides these facts and its candidates.",
    )
    p.add_argument("file", metavar="FILE", help="the policy file")
    p.add_argument(
        "--facts", metavar="JSON", help='facts as a JSON object, e.g. \'{"task": "code"}\''
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text, or json (the decision as /v1/route gives it); default: text",
    )
    p.add_argument("--explain", action="store_true", help="show every rule tried and its tests")
    p.add_argument(
        "--prompt",
        metavar="TEXT",
        help="derive facts from this user prompt (tokens, language, classifiers) and show how",
    )
    p.add_argument(
        "--language-detector",
        metavar="NAME",
        default="builtin",
        help="with --prompt, how `language` is derived: builtin or langid (pip install "
        "'policylang[langid]'); default: builtin",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when no rule matches (without it, `no route` is an answer: exit 0)",
    )
    p.set_defaults(func=cmd_route)

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
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser(
        "catalog",
        help="std's model prices beside genai-prices",
        description="Compare the prices std/providers declares with genai-prices (maintained "
        "price data; pip install 'policylang[catalog]'), model by model, as stdlib/catalog.json "
        "maps them. --check exits 1 when one drifted; --write updates the prices and the dated "
        "header (context windows and everything else kept) and prints what changed.",
    )
    p.add_argument(
        "--check", action="store_true", help="exit 1 when a price differs from the package"
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="rewrite std/providers with the package's prices (in a source checkout only, and "
        "only when a price changed)",
    )
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="with --write: the day prices are read for (default today)",
    )
    p.add_argument("--stdlib", metavar="DIR", help=argparse.SUPPRESS)  # tests: a copy of stdlib/
    p.set_defaults(func=cmd_catalog)

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
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "test",
        help="run the policies' expect lines",
        description="Run every `expect` line; a failure shows the facts, expected and actual "
        "decision and the rules tried. Exit 1 on any failure.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--strict",
        action="store_true",
        help="a file without expectations fails too (default: it is reported and passes)",
    )
    p.add_argument("--coverage", action="store_true", help="report rules no expectation reaches")
    p.add_argument("--fail-under", type=float, metavar="N", help="fail below N%% of rules covered")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report for CI")
    p.add_argument(
        "--generate",
        action="store_true",
        help="print proposed boundary expectations (each bound ±1, each member, missing) to review",
    )
    p.set_defaults(func=cmd_test)

    p = sub.add_parser(
        "fmt",
        help="format policies in the one canonical layout",
        description="Rewrite files in place in the canonical layout (comments kept, meaning "
        "unchanged).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .policy file or a folder")
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    p.add_argument(
        "--diff", action="store_true", help="print the changes as a unified diff instead of writing"
    )
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser(
        "lsp",
        help="a language server for editors (stdio)",
        description="Speak the Language Server Protocol on stdin/stdout: check's diagnostics as "
        "you type, hover, go to definition, completion, formatting and quick fixes. Editors start "
        "it themselves (editors/vscode/ has a client); needs pip install 'policylang[lsp]'.",
    )
    p.set_defaults(func=cmd_lsp)

    p = sub.add_parser(
        "diff",
        help="the semantic difference of two policies",
        description="Every region of the fact space where OLD and NEW route differently, with an "
        "example request and both decisions; computed exactly. Use `-` for stdin.",
    )
    p.add_argument("old", metavar="OLD", help="the policy before (a file, or `-` for stdin)")
    p.add_argument("new", metavar="NEW", help="the policy after (a file, or `-` for stdin)")
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text, json, or markdown (for a pull request comment); default: text",
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the policies route differently"
    )
    p.add_argument(
        "--base-dir", help="where a policy read from stdin resolves its relative imports"
    )
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "replay",
        help="re-decide logged requests with a policy",
        description="Re-decide each line of LOG (the gateway's JSON log, or JSON objects of facts) "
        "and report traffic share and estimated cost per route and model. Lines that are no "
        "request (the server's text, /v1/feedback lines) are passed over and counted.",
    )
    p.add_argument("file", metavar="POLICY", help="the policy file")
    p.add_argument(
        "log", metavar="LOG.jsonl", help="the gateway's log or JSON lines of facts; `-` for stdin"
    )
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="text or json; default: text"
    )
    p.add_argument(
        "--baseline",
        metavar="POLICY",
        help="replay the same traffic with this policy too and show cost and expected "
        "quality side by side",
    )
    p.add_argument(
        "--learned",
        action="store_true",
        help="decide with the learned quality estimates (the ratings in --quality-db), and "
        "explore as the gateway would",
    )
    p.add_argument(
        "--quality-db",
        metavar="PATH",
        help="the ratings for --learned; default: .policylang/quality.sqlite beside POLICY",
    )
    p.add_argument(
        "--explore",
        choices=("on", "off"),
        default="on",
        help="with --learned: send a share of requests to models the ratings demoted, as the "
        "gateway does (on, the default), or decide with the learned estimates alone (off)",
    )
    p.add_argument(
        "--baseline-explore",
        choices=("on", "off"),
        help="the same for the baseline (default: as --explore); `--baseline POLICY "
        "--baseline-explore off` compares one policy with and without exploration",
    )
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser(
        "serve",
        help="run the OpenAI-compatible gateway",
        description="Serve FILE as an OpenAI-compatible endpoint (POST /v1/chat/completions, "
        "GET /v1/models, POST /v1/route, POST /v1/feedback, /healthz, /readyz, /metrics). The "
        "policy is reloaded when the file changes or on SIGHUP; a policy with errors is "
        "refused and the old one keeps serving.",
        epilog="Exit codes: 0 stopped by SIGINT or SIGTERM after draining; 1 the port cannot be "
        "bound (in use, not allowed); 2 a usage error (a flag out of range, a policy with "
        "errors, an unreadable keys file or --state URL); 3 the gateway failed to start (a "
        "worker could not load the policy). Limits on clients (--max-header-bytes, "
        "--header-timeout, ...) are explained in docs/deploying.md.",
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
        type=_bounded(int, 0, 65535, "a TCP port"),
        default=8080,
        help="0 to 65535; 0 picks a free port (the banner says which) (default 8080)",
    )
    p.add_argument(
        "--workers",
        type=_bounded(int, 1, 1024, "a number of processes"),
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
    positive = _bounded(int, 1, None, "a whole number")
    seconds = _bounded(float, 0.001, 86400.0, "a number of seconds")
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
    from .gateway.limits import ConnectionLimits  # the defaults, without the gateway extra

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
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "quality",
        help="print declared vs learned quality per model and task",
        description="For a policy with `quality by FACT learned with prior N { … }`: per model "
        "and value of FACT, the declared score, how many answers were rated and the share of "
        "them that were explorations, the ratings' aged weight (each halves after `half-life` "
        "newer ones) and the last one's age, their mean, the posterior (declared score as a "
        "prior worth N ratings) with its 95% lower and 99% upper bounds, and the estimate "
        "routing reads: min(posterior, max(declared, lower bound)). A model the ratings put "
        "below its declared score is explored while its upper bound leaves it room "
        "(docs/language.md §5).",
    )
    p.add_argument("file", metavar="POLICY", help="the policy file")
    p.add_argument(
        "--db", metavar="PATH", help="default: .policylang/quality.sqlite beside the policy"
    )
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="text or json; default: text"
    )
    p.set_defaults(func=cmd_quality)

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
    k.set_defaults(func=cmd_keys_add)
    k = keys_sub.add_parser("list", help="the keys in FILE: names, hash prefixes, limits, facts")
    k.add_argument("file", metavar="FILE", help="the keys file")
    k.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    k.set_defaults(func=cmd_keys_list)
    k = keys_sub.add_parser("hash", help="print sha256(KEY), the form a keys file stores")
    k.add_argument("key", metavar="KEY", help="the key, or `-` to read it from stdin")
    k.set_defaults(func=cmd_keys_hash)
    k = keys_sub.add_parser("schema", help="print the keys file's JSON Schema")
    k.set_defaults(func=cmd_keys_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except (UsageError, SourceError) as exc:  # SourceError: a file that is not readable UTF-8 text
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
