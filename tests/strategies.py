"""Hypothesis strategies: random ASTs (for the printer) and random typed
policies with matching facts (for the compiler and the linter)."""
from __future__ import annotations

from hypothesis import strategies as st

from policylang.syntax import ast
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
    return st.one_of(literals().filter(lambda lit: lit.kind != "word"), refs, st.builds(lambda v: ast.Call("env", ast.Literal("string", v)), text))


statements = st.one_of(
    st.builds(lambda p: ast.Import("module", p), st.lists(names, min_size=1, max_size=3).map("/".join)),
    st.builds(lambda p: ast.Import("file", p), text),
    st.builds(lambda n, k, d: ast.FactDecl(n, ast.FactType(k), d), names,
              st.sampled_from(["int", "float", "string", "bool", "set"]), st.one_of(st.none(), literals())),
    st.builds(lambda n, ms: ast.FactDecl(n, ast.FactType("enum", tuple(ms))), names, st.lists(names, max_size=4)),
    st.builds(lambda n, fs: ast.ProviderDecl(n, tuple(ast.Field(k, v) for k, v in fs)), names,
              st.lists(st.tuples(names, _field_value()), max_size=3)),
    st.builds(lambda n, fs: ast.ModelDecl(n, tuple(ast.Field(k, v) for k, v in fs)), names,
              st.lists(st.tuples(names, _field_value()), max_size=3)),
    st.builds(lambda n, ms, s: ast.PoolDecl(n, ms, s), names, ref_lists,
              st.one_of(st.none(), st.sampled_from(["cost", "latency", "order"]).map(ast.Strategy),
                        st.lists(st.tuples(refs, st.integers(1, 9).map(lambda v: ast.Literal("number", v))),
                                 min_size=1, max_size=3).map(lambda ws: ast.Strategy("weighted", tuple(ws))))),
    st.builds(lambda l, c, t, f: ast.Rule(l, c, t, f), st.one_of(st.none(), names), conds, refs, st.one_of(st.none(), ref_lists)),
    st.builds(lambda t, f: ast.Rule("default", None, t, f, True), refs, st.one_of(st.none(), ref_lists)),
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
