"""jsonio writes JSON (orjson first, the standard library for what orjson refuses) that reads back
to the value written, and that can always be sent: hostile values included."""
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from policylang import jsonio

scalars = (st.none() | st.booleans() | st.text()
           | st.integers(min_value=-(2**70), max_value=2**70)       # beyond orjson's 64 bits too
           | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1])
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from([0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e20, 0.1, "\ud800", "a\udfffb", "\x00"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=400)
@given(values)
def test_what_it_writes_reads_back_to_the_value_and_can_be_sent(value):
    text = jsonio.dumps(value)
    assert same(json.loads(text), value)
    assert text.encode() == jsonio.dumpb(value)           # always encodable: lone surrogates escaped
    assert same(json.loads(jsonio.dumpb(value)), value)


def test_what_orjson_cannot_write_is_written_by_the_standard_library():
    assert jsonio.dumps({1: [2**80]}) == '{"1":[1208925819614629174706176]}'
    assert jsonio.dumps({"big": 2**64, "s": "\ud800"}) == '{"big":18446744073709551616,"s":"\\ud800"}'
    assert jsonio.dumps({"when": object}, default=lambda o: "x") == '{"when":"x"}'
    assert jsonio.dumpb({"é": 1}) == '{"é":1}'.encode()
    assert jsonio.dumps([float("nan"), float("inf")]) in ("[null,null]", "[NaN,Infinity]")
