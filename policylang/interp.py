"""The reference interpreter: first-match evaluation of the IR, written to be
obviously right. It is the oracle the compiled evaluator is tested against."""

from __future__ import annotations

from . import prelude
from .operators import OPERATORS
from .prelude import MISSING, Decision, check_facts, json_value
from .semantics import ir
from .syntax import printer

NO_ROUTE = Decision(None, None, None, (), ())


def test_holds(test: ir.Test, value) -> bool:
    """One atomic test on a fact's value (MISSING when absent, after defaults)."""
    return prelude.holds(test.op, value, test.value)


def holds(cond: ir.Cond, values: dict) -> bool:
    if isinstance(cond, ir.Test):
        return test_holds(cond, values.get(cond.fact, MISSING))
    if isinstance(cond, ir.All):
        return all(holds(c, values) for c in cond.items)
    if isinstance(cond, ir.AnyOf):
        return any(holds(c, values) for c in cond.items)
    if isinstance(cond, ir.Neg):
        return not holds(cond.item, values)
    raise AssertionError(f"unknown condition {cond!r}")


def with_defaults(policy: ir.PolicyIR, facts: dict) -> dict:
    return prelude.with_defaults(policy.fact_specs, facts)


def interpret(policy: ir.PolicyIR, facts: dict) -> Decision:
    """Validate facts, then return the decision of the first rule whose condition holds, its
    candidates filtered by their constraints."""
    values = with_defaults(policy, check_facts(policy.fact_specs, facts))
    for rule in policy.rules:
        if holds(rule.cond, values):
            if rule.constraint_spec:
                return prelude.constrain(
                    rule.decision, values, rule.constraint_spec, rule.value_order
                )
            return rule.decision
    return NO_ROUTE


def explain(policy: ir.PolicyIR, facts: dict) -> list[dict]:
    """Each rule tried, in order, with the tests it evaluated, up to the one that matched."""
    values = with_defaults(policy, check_facts(policy.fact_specs, facts))
    trace = []
    for rule in policy.rules:
        tests: list[dict] = []
        _collect(rule.cond, values, tests)
        matched = holds(rule.cond, values)
        trace.append({"rule": rule.name, "line": rule.line, "matched": matched, "tests": tests})
        if matched:
            break
    return trace


def _collect(cond: ir.Cond, values: dict, out: list) -> None:
    for t in ir.tests_of(cond):
        v = values.get(t.fact, MISSING)
        out.append(
            {
                "test": format_test(t),
                "value": None if v is MISSING else json_value(v),
                "missing": v is MISSING,
                "result": test_holds(t, v),
            }
        )


def format_test(t: ir.Test) -> str:
    """The test as the policy would write it."""
    row = OPERATORS[t.op]
    if row.operand == "none":
        return row.prints(t.fact)
    shown = printer.string if row.cls == "pattern" else printer.constant
    return row.prints(t.fact, shown(t.value))
