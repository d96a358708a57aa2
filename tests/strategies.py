"""Hypothesis strategies: random ASTs (for the printer) and random typed
policies with matching facts (for the compiler and the linter)."""
from __future__ import annotations

import math
import sys

from hypothesis import strategies as st

from policylang.syntax import ast
from policylang.syntax.printer import number
from policylang.syntax.parser import KEYWORDS

_RESERVED = KEYWORDS | {"true", "false"}
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}(-[a-z0-9]{1,3})?", fullmatch=True).filter(lambda s: s not in _RESERVED)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def literals():
    return st.one_of(
        st.builds(lambda v: ast.Literal("string", v), text),
        st.builds(lambda v: ast.Literal("number", v), st.integers(-10**6, 10**12)),
        st.builds(lambda v: ast.Literal("number", v),
                  st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)),
        st.builds(lambda v: ast.Literal("bool", v), st.booleans()),
        st.builds(lambda v: ast.Literal("word", v), names),
    )


def tests_():
    lit_set = st.lists(literals(), min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.builds(lambda f, op, v: ast.Test(f, op, v), names, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), literals()),
        st.builds(lambda f, op, v: ast.Test(f, op, v), names, st.sampled_from(["in", "not in", "contains any", "contains all"]), lit_set),
        st.builds(lambda f, v: ast.Test(f, "contains", v), names, literals()),
        st.builds(lambda f, op, v: ast.Test(f, op, ast.Literal("string", v)), names, st.sampled_from(["matches", "startswith"]), text),
        st.builds(lambda f, op: ast.Test(f, op), names, st.sampled_from(["is missing", "is present", "truthy"])),
    )


conds = st.recursive(
    tests_(),
    lambda inner: st.one_of(
        st.builds(ast.Not, inner),
        st.builds(lambda xs: ast.And(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda xs: ast.Or(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=8,
)

refs = st.builds(lambda n, p: ast.Ref(n, p), names, st.one_of(st.none(), names))
ref_lists = st.lists(refs, max_size=3).map(tuple)


def _field_value():
    return st.one_of(literals().filter(lambda lit: lit.kind != "word"), refs,
                     st.builds(lambda v: ast.Call("env", ast.Literal("string", v)), text),
                     st.lists(literals(), max_size=3).map(lambda xs: ast.ListLiteral(tuple(xs))))


constraints = st.one_of(
    st.builds(lambda a, f: ast.Constraint(a, "in", f), names, names),
    st.builds(lambda a, vs: ast.Constraint(a, "in", tuple(vs)), names, st.lists(literals(), min_size=1, max_size=3)),
    st.builds(lambda a, op, v: ast.Constraint(a, op, v), names, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
              literals()),
)
onlys = st.one_of(st.just(()), st.lists(constraints, min_size=1, max_size=3).map(tuple))


statements = st.one_of(
    st.builds(lambda p: ast.Import("module", p), st.lists(names, min_size=1, max_size=3).map("/".join)),
    st.builds(lambda p: ast.Import("file", p), text),
    st.builds(lambda n, k, d, c: ast.FactDecl(n, ast.FactType(k), d, ignoring_case=c), names,
              st.sampled_from(["int", "float", "string", "bool", "set"]), st.one_of(st.none(), literals()),
              st.booleans()),
    st.builds(lambda cs: ast.Only(cs), st.lists(constraints, min_size=1, max_size=3).map(tuple)),
    st.builds(lambda n, ms: ast.FactDecl(n, ast.FactType("enum", tuple(ms))), names, st.lists(names, max_size=4)),
    st.builds(lambda n, fs: ast.ProviderDecl(n, tuple(ast.Field(k, v) for k, v in fs)), names,
              st.lists(st.tuples(names, _field_value()), max_size=3)),
    st.builds(lambda n, fs: ast.ModelDecl(n, tuple(ast.Field(k, v) for k, v in fs)), names,
              st.lists(st.tuples(names, _field_value()), max_size=3)),
    st.builds(lambda n, ms, s, o: ast.PoolDecl(n, ms, s, only=o), names, ref_lists,
              st.one_of(st.none(), st.sampled_from(["cost", "latency", "order"]).map(ast.Strategy),
                        st.lists(st.tuples(refs, st.integers(1, 9).map(lambda v: ast.Literal("number", v))),
                                 min_size=1, max_size=3).map(lambda ws: ast.Strategy("weighted", tuple(ws)))),
              onlys),
    st.builds(lambda l, c, t, f, o: ast.Rule(l, c, t, f, only=o), st.one_of(st.none(), names), conds, refs,
              st.one_of(st.none(), ref_lists), onlys),
    st.builds(lambda t, f, o: ast.Rule("default", None, t, f, True, only=o), refs, st.one_of(st.none(), ref_lists),
              onlys),
    st.builds(lambda fs, t: ast.Expect(tuple(fs), t), st.lists(st.tuples(names, st.one_of(
        literals(), st.lists(literals(), max_size=3).map(lambda xs: ast.ListLiteral(tuple(xs))))), max_size=3),
        st.one_of(st.none(), refs)),
    st.builds(lambda f, s, cs: ast.ClassifyDecl(f, s, tuple(cs)), names, names, st.lists(st.one_of(
        st.builds(lambda l, ps: ast.ClassClause(l, "keywords", tuple(ps)), names, st.lists(text, min_size=1, max_size=3)),
        st.builds(lambda l, p: ast.ClassClause(l, "matches", (p,)), names, text),
        st.builds(lambda l, ps, t: ast.ClassClause(l, "like", tuple(ps), t), names, st.lists(text, min_size=1, max_size=2),
                  st.floats(0, 1)),
        st.builds(lambda l: ast.ClassClause(l, "otherwise"), names),
    ), max_size=3)),
)

modules = st.builds(lambda ss: ast.Module("gen.policy", tuple(ss)), st.lists(statements, max_size=6))


# ---- random typed policies (text) and matching facts -------------------------------

INTS = [-1, 0, 1, 5, 10, 500, 2**63, -(2**63)]
FLOATS = [0.5, 1.0, 2.25, -0.0, 1e19, 1e20, sys.float_info.max, 2.0**53]
STRINGS = ["a", "b", "ja", "x y", "abc", "0"]
# the last one uses a lookahead: the analysis keeps it opaque (tests/oracle.py's probes cover them all)
PATTERNS = ["^a", "^ab", "b$", "a|j", "\\d", "^[0-9]+$", "\\w+@", "a\\Z", "(?=a)ab"]
PREFIXES = ["a", "j", "ab"]
ELEMENTS = ["a", "b", "pii"]
MANY = [f"e{i}" for i in range(14)]    # more set elements than the diagram splits: blocks, analysis-incomplete


def fact_header(defaults: dict) -> str:
    """The declarations every random policy shares. Every feature a condition or a decision reads:
    each fact kind with and without a default, `ignoring case` on a string (sometimes) and on an
    enum that `in {…}` sets and `hosted in` read, `tokens` for cost and context constraints,
    quality scores, a `by value` pool and a model whose window is beyond 2**53."""
    case = " ignoring case" if defaults.get("s_case") else ""
    lines = [
        "fact e: enum {a, b, c, d}" + (" = b" if defaults.get("e") else ""),
        "fact n: int" + (" = 5" if defaults.get("n") else ""),
        "fact x: float",
        'fact s: string' + (' = "ja"' if defaults.get("s") else "") + case,
        "fact f: bool" + (" = false" if defaults.get("f") else ""),
        "fact t: set",
        "fact g: enum {eu, us, apac}" + (" = us" if defaults.get("g") else "") + " ignoring case",
        "fact tokens: int",
        "provider p { adapter = echo default = m1 regions = [a, b, eu] }",
        "provider q { adapter = echo default = m3 }",
        "model m1 { provider = p input = 1 output = 2 context = 1000 }",
        'model m2 { provider = p input = 0.5 output = 1 context = 100 regions = [c, "x y", us] }',
        "model m3 { provider = q }",
        "model m4 { provider = q input = 3 output = 15 context = 9007199254740993 regions = [apac, eu] }",
        "pool cheap = [m1, m2, m3] by cost",
        "pool ordered = [m3, m1] in order",
        "pool worth = [m4, m1, m2] by value 2 per point",
    ]
    return "\n".join(lines) + "\n"


# the quality scores `by value` and `quality` constraints read: after the rules, since fmt lays
# the block out over lines and the fmt law compares decisions, whose rule names hold lines
QUALITY = "quality by e { m1: {a: 0.9, b: 0.5} m2: {a: 0.95, c: 0.7} m4: {a: 0.97, b: 0.99, d: 0.2} }\n"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _atom_texts():
    return st.one_of(
        st.builds(lambda op, v: f"e {op} {v}", st.sampled_from(["==", "!="]), st.sampled_from("abcd")),
        st.builds(lambda op, vs: f"e {op} {{{', '.join(vs)}}}", st.sampled_from(["in", "not in"]),
                  st.lists(st.sampled_from("abcd"), min_size=1, max_size=3)),
        st.builds(lambda op, v: f"n {op} {v}", st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.sampled_from(INTS)),
        st.builds(lambda op, vs: f"n {op} {{{', '.join(map(str, vs))}}}", st.sampled_from(["in", "not in"]),
                  st.lists(st.sampled_from(INTS), min_size=1, max_size=3)),
        st.builds(lambda op, v: f"x {op} {number(v)}", st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
                  st.sampled_from(FLOATS)),
        st.builds(lambda op, v: f"s {op} {_q(v)}", st.sampled_from(["==", "!="]), st.sampled_from(STRINGS)),
        st.builds(lambda op, vs: f"s {op} {{{', '.join(map(_q, vs))}}}", st.sampled_from(["in", "not in"]),
                  st.lists(st.sampled_from(STRINGS), min_size=1, max_size=3)),
        st.builds(lambda p: f"s matches {_q(p)}", st.sampled_from(PATTERNS)),
        st.builds(lambda p: f"s startswith {_q(p)}", st.sampled_from(PREFIXES)),
        st.sampled_from(["f", "f == false", "f != true"]),
        st.builds(lambda v: f"t contains {v}", st.sampled_from(ELEMENTS)),
        st.builds(lambda op, vs: f"t {op} {{{', '.join(vs)}}}", st.sampled_from(["contains any", "contains all"]),
                  st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=2)),
        # rare: a test of more set elements than the diagram splits
        st.sampled_from([f"t contains any {{{', '.join(MANY)}}}"] + [f"t contains {e}" for e in ELEMENTS] * 3),
        st.builds(lambda fct, op: f"{fct} {op}", st.sampled_from("enxsft"), st.sampled_from(["is missing", "is present"])),
    )


# `ignoring case` (#29): patterns a lowercased value can or cannot match, capitals in literals
# (lowercased by the checker), str.lower's expanding and context-dependent letters, and the
# folded enum `g` in sets; token counts around where cost bounds turn
CASE_PATTERNS = ["[A-Z]", "[^a-z]", "\u0130", "i\u0307", "\u03c3$", "\u03c2", "^[a-z]*$", "[\\x00-@]"]


def _case_atom_texts():
    return st.one_of(
        st.builds(lambda p: f"s matches {_q(p)}", st.sampled_from(CASE_PATTERNS)),
        st.builds(lambda op, v: f"s {op} {_q(v)}", st.sampled_from(["==", "!="]), st.sampled_from(["JA", "\u0130", "A"])),
        st.builds(lambda p: f"s startswith {_q(p)}", st.sampled_from(["J", "\u0130"])),
        st.builds(lambda op, v: f"g {op} {v}", st.sampled_from(["==", "!="]), st.sampled_from(["eu", "EU", "Us", "apac"])),
        st.builds(lambda op, vs: f"g {op} {{{', '.join(vs)}}}", st.sampled_from(["in", "not in"]),
                  st.lists(st.sampled_from(["EU", "us", "Apac"]), min_size=1, max_size=2)),
        st.builds(lambda op: f"g {op}", st.sampled_from(["is missing", "is present"])),
        st.builds(lambda op, v: f"tokens {op} {v}", st.sampled_from(["<", ">=", "=="]), st.sampled_from([100, 3500, 3501])),
    )


cond_texts = st.recursive(
    st.one_of(_atom_texts(), _atom_texts(), _case_atom_texts()),
    lambda inner: st.one_of(
        inner.map(lambda c: f"not ({c})"),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: " and ".join(f"({c})" for c in cs)),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: " or ".join(f"({c})" for c in cs)),
    ),
    max_leaves=5,
)

targets = st.sampled_from(["m1", "m2", "m3", "p", "q", "cheap", "ordered", "p/m2"])


rule_targets = st.one_of(targets, st.just("worth"), st.just("m4"))


@st.composite
def _rules(draw, max_rules: int):
    rules = []
    for _ in range(draw(st.integers(1, max_rules))):
        fb = draw(st.one_of(st.none(), st.lists(rule_targets, min_size=1, max_size=2)))
        rule = f"when {draw(cond_texts)} route {draw(rule_targets)}"
        if fb:
            rule += f" fallback [{', '.join(fb)}]"
        rule += draw(only_clauses)
        rules.append(rule)
    if draw(st.booleans()):
        rules.append(f"default route {draw(rule_targets)}")
    return rules


# candidate constraints (`only …`): on a third of the rules, and sometimes policy-wide; every
# attribute, with a number and with a fact
CONSTRAINTS = ["hosted in e", "hosted in s", "hosted in {a}", "hosted in {c, d}", "context >= n",
               "context > 100", "cost <= x", "cost < 0.001", "hosted in g", "hosted in {EU}",
               "quality >= 0.9", "quality > x", "context >= tokens", "cost <= n", "cost <= 0.01",
               "context >= 300_000"]
only_clauses = st.one_of(
    st.just(""), st.just(""),
    st.lists(st.sampled_from(CONSTRAINTS), min_size=1, max_size=2).map(lambda cs: " only " + " and ".join(cs)),
)


DEFAULTED = ("e", "n", "s", "f", "g", "s_case")


@st.composite
def policies(draw, max_rules: int = 8):
    defaults = draw(st.fixed_dictionaries({k: st.booleans() for k in DEFAULTED}))
    wide = draw(st.one_of(st.just(""), st.just(""), st.just(""), only_clauses.filter(bool)))
    return (fact_header(defaults) + (wide.strip() + "\n" if wide else "") + "\n".join(draw(_rules(max_rules))) + "\n"
            + QUALITY)


def _near(values, eps):
    out = []
    for v in values:
        out += [v - eps, v, v + eps]
    return out


@st.composite
def fact_values(draw):
    from oracle import FLOAT_EXTREMES, INT_EXTREMES, STRING_PROBES

    facts = {}
    options = {
        "e": st.sampled_from("abcd"),
        "n": st.one_of(st.sampled_from(_near(INTS, 1) + INT_EXTREMES), st.integers(-10**6, 10**6)),
        "x": st.one_of(st.sampled_from(FLOATS + [math.nextafter(v, math.inf) for v in FLOATS]
                                       + [math.nextafter(v, -math.inf) for v in FLOATS] + [0, 1, 2, 2**63]
                                       + FLOAT_EXTREMES),
                       st.floats(allow_nan=False)),
        "s": st.one_of(st.sampled_from(STRINGS + STRING_PROBES), st.text(max_size=4)),
        "f": st.booleans(),
        "t": st.lists(st.sampled_from(ELEMENTS + ["z"] + MANY[:3]), max_size=4),
        "g": st.sampled_from(["eu", "EU", "Us", "apac", "APAC"]),
        "tokens": st.sampled_from([0, 1, 100, 3500, 3501, 10**6, 2**53 + 1, 10**400, -(10**400), -5]),
    }
    for name, strat in options.items():
        if draw(st.booleans()):
            facts[name] = draw(strat)
    return facts


@st.composite
def policy_pairs(draw, max_rules: int = 5):
    """Two policies over the same fact declarations (so that diff compares them)."""
    defaults = draw(st.fixed_dictionaries({k: st.booleans() for k in DEFAULTED}))
    return tuple(fact_header(defaults) + "\n".join(draw(_rules(max_rules))) + "\n" + QUALITY for _ in range(2))


# `# policylang: allow` comments where `fmt` must keep governing the same rule (#36.6)
ALLOW_CODES = ["unreachable-rule", "redundant-rule", "never-matches", "duplicate-target", "no-candidate",
               "removed-by-constraint", "context-overflow"]
_ALLOW_AT = ["none", "none", "above", "first", "continuation", "last", "inside", "above-blank", "note-above"]


@st.composite
def allow_commented_policies(draw):
    """(text, number of allow comments placed where only a whole-rule reading governs them): random
    policies whose rules are sometimes split over lines (before `route`, after an `and`/`or`) and
    carry allow comments above, on the first, a continuation or the last line, on their own line
    inside, or separated by a blank line."""
    text = draw(policies(max_rules=6))
    out, moved = [], 0
    for line in text.split("\n"):
        if not line.startswith(("when ", "default ")):
            out.append(line)
            continue
        head, _, tail = line.partition(" route ")
        pieces = [head]
        if draw(st.booleans()):
            for sep in (" and (", " or ("):
                if sep in pieces[0] and draw(st.booleans()):
                    a, _, b = pieces[0].partition(sep)
                    pieces = [a + sep.rstrip("("), "  (" + b]
                    break
        if draw(st.booleans()):
            pieces.append("  route " + tail)
        else:
            pieces[-1] += " route " + tail
        where = draw(st.sampled_from(_ALLOW_AT))
        comment = "# policylang: allow " + ", ".join(draw(st.lists(st.sampled_from(ALLOW_CODES), min_size=1, max_size=2)))
        if where in ("continuation", "last") and len(pieces) == 1:
            where = "first"
        if where == "inside" and not pieces[0].endswith((" and", " or")):
            where = "first"  # (an own-line comment before a `route` line ends the rule: grammar)
        if where == "above":
            out.append(comment)
        elif where == "above-blank":
            out += [comment, ""]
        elif where == "note-above":
            out += [comment, "# why: see the ticket"]
        elif where == "first":
            pieces[0] += "  " + comment
        elif where == "continuation":
            pieces[1] += "  " + comment
            moved += 1
        elif where == "last":
            pieces[-1] += "  " + comment
            moved += 1
        elif where == "inside":
            pieces.insert(1, "  " + comment)
            if draw(st.booleans()):
                pieces.insert(1, "")
            moved += 1
        out += pieces
    return "\n".join(out) + "\n", moved


# the one line model (#36.5): \n, \r\n and a lone \r end a line; U+2028, U+2029 and \x85 do not
LINE_BREAKS = ["\n", "\r\n", "\r"]
NOT_BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c"]


@st.composite
def line_model_texts(draw):
    """A random policy whose lines end in \\n, \\r\\n or a lone \\r (mixed), with comments and
    string literals holding characters str.splitlines (but not LSP) takes for line breaks, and
    sometimes a typo that makes check report an error further down."""
    lines = draw(policies(max_rules=5)).rstrip("\n").split("\n")
    out = []
    for line in lines:
        if draw(st.integers(0, 3)) == 0:
            out.append("# note " + draw(st.sampled_from(NOT_BREAKS)) + " continued")
        if line.startswith("when ") and draw(st.booleans()):
            sep = draw(st.sampled_from(NOT_BREAKS))
            line = line.replace(" route ", f' and s != "a{sep}b" route ', 1)
        if line.startswith("when ") and draw(st.integers(0, 5)) == 0:
            line = line.replace(" route ", " and e == zz route ", 1)  # not a member: an error
        out.append(line + ("  # end " + draw(st.sampled_from(NOT_BREAKS)) if draw(st.booleans()) else ""))
    return "".join(line + draw(st.sampled_from(LINE_BREAKS)) for line in out)


# classifier pairs for `diff` (#36.2): one policy, two `classify e from request` blocks
CLASS_WORDS = ["fix", "bug", "summar*", "tl;dr", "translate", "prove", "hello", "résumé", "要約", "c++"]


@st.composite
def classifier_policy_pairs(draw):
    """(old, new): the same rules over fact `e` and the others, each with its own classify block
    (keywords from CLASS_WORDS, maybe a `like` class, maybe an `otherwise`), or none."""
    defaults = draw(st.fixed_dictionaries({k: st.booleans() for k in "nsf"}))
    head = fact_header({**defaults, "e": False}) + "\n".join(draw(_rules(4))) + "\n" + QUALITY

    def block():
        if draw(st.integers(0, 4)) == 0:
            return ""
        lines = []
        for label in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=3, unique=True)):
            words = draw(st.lists(st.sampled_from(CLASS_WORDS), min_size=1, max_size=3, unique=True))
            lines.append(f"  {label} keywords [{', '.join(_q(w) for w in words)}]")
        if draw(st.booleans()):
            lines.append(f'  {draw(st.sampled_from("abcd"))} like ["please fix this bug", "summarize it"] above 0.5')
        if draw(st.booleans()):
            lines.append(f"  otherwise {draw(st.sampled_from('abcd'))}")
        return "classify e from request {\n" + "\n".join(lines) + "\n}\n"

    return head + block(), head + block()


# import graphs with narrowings (#36.1): files that import std, each other, and narrow `region`
NARROWINGS = ["enum {eu, us, apac}", "enum {eu}"]


@st.composite
def import_graphs(draw):
    """(files {name: text}, main's imports): up to four library files, each importing std or
    std/facts or later files (no cycles), some narrowing std's `region`; main imports some of
    them and maybe std, in a drawn order."""
    n = draw(st.integers(1, 4))
    files = {}
    for i in reversed(range(n)):
        imports = draw(st.lists(st.sampled_from(["std", "std/facts"] + [f'"lib{j}.policy"' for j in range(i + 1, n)]),
                                max_size=3, unique=True))
        narrow = draw(st.sampled_from([None, *NARROWINGS]))
        files[f"lib{i}.policy"] = "".join(f"import {x}\n" for x in imports) + (f"fact region: {narrow}\n" if narrow else "")
    main = draw(st.lists(st.sampled_from(["std"] + [f'"lib{j}.policy"' for j in range(n)]), min_size=1, max_size=n + 1,
                         unique=True))
    return files, main


def features(text: str) -> list[str]:
    """The language features a random policy uses, for the laws' counts of what they checked."""
    out = []
    if "ignoring case\nfact f" in text:
        out.append("string ignoring case")
        if any(f"s matches {_q(p)}" in text for p in CASE_PATTERNS):
            out.append("case pattern on a lowercased string")
    if any(f"g {op}" in text for op in ("==", "!=", "in", "not in", "is")):
        out.append("enum ignoring case in a condition")
    if "matches" in text or "startswith" in text:
        out.append("pattern")
    rules = [ln for ln in text.split("\n") if ln.startswith(("when ", "default ", "only "))]
    for attribute in ("hosted", "cost", "context", "quality"):
        if any(f" {attribute} " in f" {ln.partition('only ')[2]} " for ln in rules if "only " in ln):
            out.append(f"`{attribute}` constraint")
    if any(" worth" in ln for ln in rules):
        out.append("`by value` pool")
    if "tokens" in "".join(ln.partition(" route ")[0] for ln in rules):
        out.append("tokens in a condition")
    return out
