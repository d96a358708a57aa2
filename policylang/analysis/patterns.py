"""Strings decided exactly: one string fact's equality constants, `startswith`
prefixes and `matches` regexes as finite automata over one alphabet.

Python's own regex parser (`re._parser`) reads each pattern, so the automaton
has Python's semantics: `re.search` anywhere in the value, `.` without `\\n`
unless `(?s)`, Unicode `\\d \\w \\s` (their exact code points are read off the
`re` engine itself), `$` also before a final newline. The value is read as
BEGIN value END, so `^`/`\\A` consume BEGIN and `$`/`\\Z` consume END.

One breadth-first walk over the product of all the automata finds every
combination of truth values that some string has, each with its shortest
example: these combinations (for strings outside the constants) are the
"regions" of the string fact's atoms (see atoms.py). Constructs outside this
(backreferences, lookaround, word boundaries, case-insensitive matching,
anchors inside a pattern, possessive or atomic groups, huge repeats) raise
Unsupported: such a pattern stays an independent yes/no test.
"""

from __future__ import annotations

import re

# the parser `re` itself uses (a private module, stable since 3.11, our oldest Python)
import re._constants as _c
import re._parser as _parser
import warnings
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from functools import cache, lru_cache

from ..operators import OPERATORS
from ..prelude import holds

UNICODE_END = 0x110000
BEGIN, END = UNICODE_END, UNICODE_END + 1  # the two marker symbols
ALL_SYMBOLS = ((0, UNICODE_END + 2),)
ANY_CHAR = ((0, UNICODE_END),)
MAX_REPEAT = 64  # a bounded repeat larger than this is not expanded
MAX_STATES = 20_000  # product states explored for one fact
EXAMPLES_PER_REGION = 4


class Unsupported(Exception):
    """The pattern uses a construct the exact analysis does not model (the message names it)."""


# ---- character sets: sorted, disjoint half-open code point ranges ----------------------------
def _normalize(ranges) -> tuple:
    out: list[list[int]] = []
    for lo, hi in sorted(r for r in ranges if r[0] < r[1]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _complement(ranges, within=ANY_CHAR) -> tuple:
    lo_all, hi_all = within[0]
    out, at = [], lo_all
    for lo, hi in ranges:
        if lo > at:
            out.append((at, lo))
        at = max(at, hi)
    if at < hi_all:
        out.append((at, hi_all))
    return tuple(out)


@lru_cache(maxsize=1)
def _every_char() -> str:
    return "".join(map(chr, range(UNICODE_END)))


@cache
def _category(name: str, ascii_only: bool) -> tuple:
    """The code points `re` itself puts in a category (\\d, \\w, \\s), read off the engine."""
    escape = {
        "CATEGORY_DIGIT": r"\d",
        "CATEGORY_WORD": r"\w",
        "CATEGORY_SPACE": r"\s",
        "CATEGORY_NOT_DIGIT": r"\D",
        "CATEGORY_NOT_WORD": r"\W",
        "CATEGORY_NOT_SPACE": r"\S",
    }[name]
    flags = re.ASCII if ascii_only else 0
    runs = re.finditer(escape + "+", _every_char(), flags)
    return tuple((m.start(), m.end()) for m in runs)


@cache
def changed_by_lower() -> tuple:
    """The code points str.lower changes (as ranges): no value of a fact declared `ignoring case`
    holds one. The values such a fact takes are exactly the strings of the other code points:
    every character str.lower produces is one it leaves alone ("İ" gives "i" and U+0307; the
    final-sigma rule only rewrites "Σ", itself changed), and a string of such characters is its
    own lowercase. tests/test_analysis_case.py checks both over every code point."""
    every = _every_char()
    changed = [cp for cp, ch in enumerate(every) if ch.lower() != ch]
    return _normalize((cp, cp + 1) for cp in changed)


# ---- NFA ------------------------------------------------------------------------------------
class _NFA:
    """Thompson automaton: per state, a list of (charset, target) and a list of epsilon targets."""

    def __init__(self):
        self.moves: list[list[tuple[tuple, int]]] = []
        self.eps: list[list[int]] = []
        self.start = self.state()
        self.accept = -1

    def state(self) -> int:
        self.moves.append([])
        self.eps.append([])
        return len(self.moves) - 1


class _Builder:
    def __init__(self, flags: int, source: str, icase: bool = False):
        """icase: model `(?i)` (each character item then matches the code points `re` itself
        matches it with, _ignoring_case); without it, case-insensitive matching is Unsupported."""
        self.nfa = _NFA()
        self.dotall = bool(flags & _c.SRE_FLAG_DOTALL)
        self.ascii = bool(flags & _c.SRE_FLAG_ASCII)
        self.source = source
        self.icase_ok = icase
        self.icase = bool(flags & _c.SRE_FLAG_IGNORECASE)
        if self.icase and not icase:
            raise Unsupported("case-insensitive matching `(?i)`")
        if flags & _c.SRE_FLAG_MULTILINE and any(
            op is _c.AT for op, _ in _walk_items(_parse(source))
        ):
            raise Unsupported("`^`/`$` with the multiline flag `(?m)`")

    def chars(self, a: int, charset: tuple) -> int:
        b = self.nfa.state()
        self.nfa.moves[a].append((charset, b))
        return b

    def seq(self, a: int, items, head: bool, tail: bool) -> int:
        n = len(items)
        for i, (op, av) in enumerate(items):
            a = self.item(a, op, av, head and i == 0, tail and i == n - 1)
        return a

    def item(self, a: int, op, av, head: bool, tail: bool) -> int:
        nfa = self.nfa
        if self.icase and op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN):
            return self.chars(a, _ignoring_case(_class_source(op, av), self.ascii))
        if op is _c.LITERAL:
            return self.chars(a, ((av, av + 1),))
        if op is _c.NOT_LITERAL:
            return self.chars(a, _complement(((av, av + 1),)))
        if op is _c.ANY:
            return self.chars(a, ANY_CHAR if self.dotall else _complement(((10, 11),)))
        if op is _c.IN:
            return self.chars(a, self.char_class(av))
        if op is _c.BRANCH:
            end = nfa.state()
            for alt in av[1]:
                b = nfa.state()
                nfa.eps[a].append(b)
                nfa.eps[self.seq(b, alt, head, tail)].append(end)
            return end
        if op is _c.SUBPATTERN:
            _group, add, delete, sub = av
            scoped = (add | delete) & ~_c.SRE_FLAG_IGNORECASE
            if scoped or ((add or delete) and not self.icase_ok):
                raise Unsupported("a flag scoped to a group, like `(?i:…)`")
            if not (add or delete):
                return self.seq(a, sub, head, tail)
            outer = self.icase
            self.icase = bool(add & _c.SRE_FLAG_IGNORECASE)  # (?i:…) on, (?-i:…) off
            try:
                return self.seq(a, sub, head, tail)
            finally:
                self.icase = outer
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):  # lazy or greedy: the same strings match somewhere
            lo, hi, sub = av
            if lo > MAX_REPEAT or (hi != _c.MAXREPEAT and hi > MAX_REPEAT):
                raise Unsupported(f"a repeat count above {MAX_REPEAT}")
            for _ in range(lo):
                a = self.seq(a, sub, False, False)
            if hi == _c.MAXREPEAT:
                loop = nfa.state()
                nfa.eps[a].append(loop)
                nfa.eps[self.seq(loop, sub, False, False)].append(loop)
                return loop
            end = nfa.state()
            nfa.eps[a].append(end)
            for _ in range(hi - lo):
                a = self.seq(a, sub, False, False)
                nfa.eps[a].append(end)
            return end
        if op is _c.AT:
            if av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING) and head:
                return self.chars(a, ((BEGIN, BEGIN + 1),))
            if av is _c.AT_END_STRING and tail:
                return self.chars(a, ((END, END + 1),))
            if av is _c.AT_END and tail:
                end = self.chars(a, ((END, END + 1),))
                nl = self.chars(a, ((10, 11),))
                nfa.moves[nl].append((((END, END + 1),), end))
                return end
            if av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
                raise Unsupported("a word boundary `\\b` or `\\B`")
            raise Unsupported(
                "`^`, `$`, `\\A` or `\\Z` anywhere but the start or the end of the pattern"
            )
        raise Unsupported(_UNSUPPORTED.get(str(op), f"the construct {op}"))

    def char_class(self, items) -> tuple:
        ranges: list[tuple[int, int]] = []
        negate = False
        for op, av in items:
            if op is _c.NEGATE:
                negate = True
            elif op is _c.LITERAL:
                ranges.append((av, av + 1))
            elif op is _c.RANGE:
                ranges.append((av[0], av[1] + 1))
            elif op is _c.CATEGORY:
                ranges += _category(str(av), self.ascii)
            else:
                raise Unsupported(f"the class item {op}")
        out = _normalize(ranges)
        return _complement(out) if negate else out


_UNSUPPORTED = {
    "GROUPREF": "a backreference like `\\1`",
    "GROUPREF_EXISTS": "a conditional group `(?(1)…)`",
    "ASSERT": "a lookahead or lookbehind `(?=…)`",
    "ASSERT_NOT": "a negative lookahead or lookbehind `(?!…)`",
    "POSSESSIVE_REPEAT": "a possessive repeat like `a++`",
    "ATOMIC_GROUP": "an atomic group `(?>…)`",
}


def _walk_items(items):
    for op, av in items:
        yield op, av
        if op is _c.BRANCH:
            for alt in av[1]:
                yield from _walk_items(alt)
        elif op is _c.SUBPATTERN:
            yield from _walk_items(av[3])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            yield from _walk_items(av[2])


def _loop(nfa: _NFA, a: int) -> int:
    """Any symbols (markers included), zero or more times."""
    nfa.moves[a].append((ALL_SYMBOLS, a))
    return a


_CATEGORY_ESCAPES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
}


def _class_source(op, av) -> str:
    """One character item of a parsed pattern written back as a class `re` parses to it again
    (`[x]` is LITERAL x, `[^x]` NOT_LITERAL x), every code point as a \\U escape."""
    if op is _c.LITERAL:
        return f"[\\U{av:08x}]"
    if op is _c.NOT_LITERAL:
        return f"[^\\U{av:08x}]"
    parts: list[str] = []
    for item, value in av:
        if item is _c.NEGATE:
            parts.insert(0, "^")
        elif item is _c.LITERAL:
            parts.append(f"\\U{value:08x}")
        elif item is _c.RANGE:
            parts.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
        elif item is _c.CATEGORY and str(value) in _CATEGORY_ESCAPES:
            parts.append(_CATEGORY_ESCAPES[str(value)])
        else:
            raise Unsupported(f"the class item {item} with `(?i)`")
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=4096)
def _ignoring_case(source: str, ascii_only: bool) -> tuple:
    """The code points the class `source` matches under `(?i)`, read off the `re` engine itself
    (one character at a time is how `re` matches a class or a literal, case-folded or not)."""
    flags = re.IGNORECASE | (re.ASCII if ascii_only else 0)
    return tuple((m.start(), m.end()) for m in re.finditer(source + "+", _every_char(), flags))


def _parse(pattern: str):
    """Python's own parse of the pattern, without the FutureWarning `re` gives for a pattern it
    reads differently from how it looks: the type checker reported it as `suspicious-pattern`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return _parser.parse(pattern)


@lru_cache(maxsize=1024)
def regex_nfa(pattern: str, icase: bool = False) -> _NFA:
    """`re.search(pattern, value)` as an automaton over BEGIN value END. icase: model `(?i)`
    (the JavaScript target does; the analysis keeps such patterns opaque)."""
    try:
        parsed = _parse(pattern)
    except re.error as exc:  # the type checker refuses these before analysis
        raise Unsupported(f"an invalid pattern ({exc})") from None
    b = _Builder(parsed.state.flags, pattern, icase)
    nfa = b.nfa
    a = _loop(nfa, nfa.start)
    a = b.seq(a, list(parsed), True, True)
    nfa.accept = _loop(nfa, a)
    return nfa


@lru_cache(maxsize=1024)
def prefix_nfa(prefix: str) -> _NFA:
    """`value.startswith(prefix)` as an automaton over BEGIN value END."""
    nfa = _NFA()
    a = nfa.start
    for ch in (BEGIN, *map(ord, prefix)):
        b = nfa.state()
        nfa.moves[a].append((((ch, ch + 1),), b))
        a = b
    nfa.accept = _loop(nfa, a)
    return nfa


def _nfa(op: str, value: str, icase: bool = False) -> _NFA:
    """The automaton of a pattern operator's test (its row's `automaton`, operators.py)."""
    return prefix_nfa(value) if OPERATORS[op].automaton == "prefix" else regex_nfa(value, icase)


def support_of(op: str, value: str) -> str | None:
    """None when the test is modelled exactly; otherwise the construct that keeps it opaque."""
    if OPERATORS[op].automaton == "prefix":
        return None
    try:
        regex_nfa(value)
    except Unsupported as exc:
        return str(exc)
    except RecursionError:
        return "a pattern nested too deeply"
    return None


# ---- the product walk -------------------------------------------------------------------------
@dataclass
class Regions:
    """The truth-value combinations of the patterns that strings outside the constants have."""

    vectors: list[tuple[bool, ...]]  # one per region, in discovery order (shortest first)
    examples: list[list[str]]  # a few strings of each region, shortest first


class TooLarge(Exception):
    pass


def regions(
    constants: tuple[str, ...],
    tests: list[tuple[str, str]],
    budget: int = MAX_STATES,
    lowercase: bool = False,
) -> Regions:
    """Every combination of the tests' truth values (op, value: `matches` or `startswith`) that
    some string not among the constants gives, with example strings checked by Python itself.
    lowercase: only strings str.lower leaves alone (a fact declared `ignoring case`) count."""
    nfas = [_nfa(op, v) for op, v in tests]
    trie = _Trie(constants)
    charsets = [cs for nfa in nfas for moves in nfa.moves for cs, _ in moves]
    upper = changed_by_lower() if lowercase else ()
    alphabet = _Alphabet(charsets + ([upper] if upper else []), constants)
    dfas = [_Lazy(nfa, alphabet) for nfa in nfas]
    begin, end = alphabet.class_of(BEGIN), alphabet.class_of(END)
    start = (trie.root, *(dfa.step(dfa.start, begin) for dfa in dfas))
    seen = {start: ""}
    queue = deque([start])
    found: dict[tuple, list[str]] = {}
    order: list[tuple] = []
    # a class lies wholly inside or outside `upper` (the alphabet respects it): drop those inside
    real = [
        k
        for k in range(alphabet.size)
        if k not in (begin, end) and not (upper and _member(upper, alphabet.rep[k]))
    ]
    while queue:
        state = queue.popleft()
        text = seen[state]
        node, subsets = state[0], state[1:]
        if not trie.is_word(node, text):
            vec = tuple(dfa.accepts(dfa.step(s, end)) for dfa, s in zip(dfas, subsets))
            got = found.get(vec)
            if got is None:
                found[vec] = [text]
                order.append(vec)
            elif len(got) < EXAMPLES_PER_REGION:
                got.append(text)
        for k in real:
            nxt = (
                trie.step(node, alphabet.rep[k]),
                *(dfa.step(s, k) for dfa, s in zip(dfas, subsets)),
            )
            if nxt not in seen:
                if len(seen) >= budget:
                    raise TooLarge(f"over {budget:,} automaton states")
                seen[nxt] = text + chr(alphabet.rep[k])
                queue.append(nxt)
    for (
        vec
    ) in order:  # Python's own verdict on every example: a mismatch is our bug, never a finding
        for text in found[vec]:
            if tuple(holds(op, text, v) for op, v in tests) != vec:
                raise AssertionError(f"automaton and `re` disagree on {text!r}")
            if lowercase and text.lower() != text:
                raise AssertionError(f"{text!r} is not a lowercased value")
    return Regions(order, [found[v] for v in order])


class _Alphabet:
    """The coarsest partition of the symbols that every charset (and constant) respects."""

    def __init__(self, charsets, constants):
        sets = list(dict.fromkeys(charsets))
        cuts = {0, UNICODE_END, BEGIN, END, END + 1}
        for cs in sets:
            for lo, hi in cs:
                cuts.update((lo, hi))
        for s in constants:
            for ch in s:
                cuts.update((ord(ch), ord(ch) + 1))
        self.cuts = sorted(cuts)
        const_chars = {ord(ch) for s in constants for ch in s}
        signature: dict[tuple, int] = {}
        self.segment_class: list[int] = []
        self.rep: list[int] = []
        for _i, lo in enumerate(self.cuts[:-1]):
            sig = (
                lo if lo in const_chars or lo >= UNICODE_END else -1,
                *(_member(cs, lo) for cs in sets),
            )
            k = signature.get(sig)
            if k is None:
                k = signature[sig] = len(self.rep)
                self.rep.append(lo)
            elif _nicer(lo, self.rep[k]):
                self.rep[k] = lo
            self.segment_class.append(k)
        self.size = len(self.rep)
        self._classes_of: dict[tuple, frozenset] = {}
        self.sets = sets

    def class_of(self, cp: int) -> int:
        return self.segment_class[bisect_right(self.cuts, cp) - 1]

    def classes_in(self, cs: tuple) -> frozenset:
        hit = self._classes_of.get(cs)
        if hit is None:
            ks = set()
            for lo, hi in cs:
                i = bisect_right(self.cuts, lo) - 1
                while i < len(self.cuts) - 1 and self.cuts[i] < hi:
                    ks.add(self.segment_class[i])
                    i += 1
            hit = self._classes_of[cs] = frozenset(ks)
        return hit


def _member(cs: tuple, cp: int) -> bool:
    i = bisect_right(cs, (cp, UNICODE_END + 3)) - 1
    return i >= 0 and cs[i][0] <= cp < cs[i][1]


def _nicer(a: int, b: int) -> bool:
    """Prefer printable ASCII letters and digits, then other printable characters, for examples."""

    def rank(cp: int) -> tuple:
        ch = chr(cp) if cp < UNICODE_END else ""
        return (
            not ch.isascii() or not ch.isalnum(),
            not ch.isprintable() or 0xD800 <= cp < 0xE000,
            cp,
        )

    return rank(a) < rank(b)


class _Lazy:
    """Subset construction on demand: DFA states are frozensets of NFA states."""

    def __init__(self, nfa: _NFA, alphabet: _Alphabet):
        self.nfa = nfa
        self.moves = [[(alphabet.classes_in(cs), t) for cs, t in moves] for moves in nfa.moves]
        self.cache: dict[tuple, frozenset] = {}
        self.start = self.closure({nfa.start})

    def closure(self, states) -> frozenset:
        out, stack = set(states), list(states)
        while stack:
            for t in self.nfa.eps[stack.pop()]:
                if t not in out:
                    out.add(t)
                    stack.append(t)
        return frozenset(out)

    def step(self, subset: frozenset, k: int) -> frozenset:
        key = (subset, k)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self.closure(
                {t for s in subset for ks, t in self.moves[s] if k in ks}
            )
        return hit

    def accepts(self, subset: frozenset) -> bool:
        return self.nfa.accept in subset


class _Trie:
    """Which constant (if any) the text read so far can still become; node -1 is dead."""

    def __init__(self, constants):
        self.children: list[dict[int, int]] = [{}]
        self.words: dict[int, str] = {}
        for s in constants:
            node = 0
            for ch in s:
                nxt = self.children[node].get(ord(ch))
                if nxt is None:
                    nxt = len(self.children)
                    self.children.append({})
                    self.children[node][ord(ch)] = nxt
                node = nxt
            self.words[node] = s
        self.root = 0

    def step(self, node: int, cp: int) -> int:
        return -1 if node < 0 else self.children[node].get(cp, -1)

    def is_word(self, node: int, text: str) -> bool:
        return node >= 0 and self.words.get(node) == text


# ---- one test as a table-driven automaton (for evaluators outside Python) ---------------------
MAX_DFA_STATES = 4_096  # states of one test's deterministic automaton before it is refused


@dataclass(frozen=True)
class SearchDFA:
    """One `matches` or `startswith` test as a minimal deterministic automaton over value END.

    A code point cp falls in segment i when cuts[i] <= cp < cuts[i + 1] (bisect), and its symbol
    class is classes[i]; end is the class of the END marker. The walk starts in state 0 (BEGIN
    already read); the state after a symbol of class k in state q is step[q * width + k].
    verdict[q] is 1 when the test holds whatever follows (re.search has found a match), 2 when it
    can no longer hold, 0 while undecided."""

    cuts: tuple[int, ...]
    classes: tuple[int, ...]
    width: int  # the number of symbol classes
    end: int
    step: tuple[int, ...]
    verdict: tuple[int, ...]


def search_dfa(op: str, value: str, max_states: int = MAX_DFA_STATES) -> SearchDFA:
    """The test `matches value` / `startswith value` as a SearchDFA, from the same automata the
    analysis decides strings with (so with Python's `re` semantics). Unsupported for a pattern
    the automata do not model, TooLarge past max_states."""
    nfa = _nfa(op, value, icase=True)
    alphabet = _Alphabet([cs for moves in nfa.moves for cs, _ in moves], ())
    lazy = _Lazy(nfa, alphabet)
    width = alphabet.size
    begin = alphabet.class_of(BEGIN)
    first = lazy.step(lazy.start, begin)
    states = [first]
    index = {first: 0}
    step: list[int] = []
    at = 0
    while at < len(states):
        subset = states[at]
        at += 1
        for k in range(width):
            # BEGIN comes once, first: after it, its class leads nowhere
            nxt = lazy.step(subset, k) if k != begin else frozenset()
            j = index.get(nxt)
            if j is None:
                if len(states) >= max_states:
                    raise TooLarge(f"over {max_states:,} automaton states")
                j = index[nxt] = len(states)
                states.append(nxt)
            step.append(j)
    # the accepting states keep accepting (the pattern's trailing loop); a state none of them
    # can be reached from is decided too
    accepting = [lazy.accepts(s) for s in states]
    alive = set(q for q, a in enumerate(accepting) if a)
    back: dict[int, set[int]] = {}
    for q in range(len(states)):
        for k in range(width):
            back.setdefault(step[q * width + k], set()).add(q)
    stack = list(alive)
    while stack:
        for p in back.get(stack.pop(), ()):
            if p not in alive:
                alive.add(p)
                stack.append(p)
    verdict = [1 if accepting[q] else 0 if q in alive else 2 for q in range(len(states))]
    block, step = _minimal(verdict, step, width)
    return SearchDFA(
        cuts=tuple(alphabet.cuts[:-1]),
        classes=tuple(alphabet.segment_class),
        width=width,
        end=alphabet.class_of(END),
        step=tuple(step),
        verdict=tuple(block),
    )


def _minimal(verdict: list[int], step: list[int], width: int) -> tuple[list[int], list[int]]:
    """Moore's partition refinement: states with the same verdict and the same blocks after every
    symbol are one state (decided states need no successors: they are merged by verdict alone).
    Returns each new state's verdict and the new step table, state 0 still the start."""
    n = len(verdict)
    block = [v if v else 0 for v in verdict]
    while True:
        sigs: dict[tuple, int] = {}
        new = []
        for q in range(n):
            if verdict[q]:
                sig: tuple = (verdict[q],)
            else:
                sig = (0, block[q], *(block[step[q * width + k]] for k in range(width)))
            new.append(sigs.setdefault(sig, len(sigs)))
        if len(sigs) == len(set(block)):
            break
        block = new
    # renumber in first-seen order so that the start state stays 0
    order: dict[int, int] = {}
    for q in range(n):
        order.setdefault(block[q], len(order))
    first: dict[int, int] = {}
    for q in range(n):
        first.setdefault(order[block[q]], q)
    out_verdict = [verdict[first[b]] for b in range(len(order))]
    out_step = [
        order[block[step[first[b] * width + k]]] for b in range(len(order)) for k in range(width)
    ]
    return out_verdict, out_step


# ---- examples for patterns the automata do not model --------------------------------------------
def examples_for(pattern: str, limit: int = 4) -> list[str]:
    """A few strings that re.search finds the pattern in (checked), built from Python's own parse
    of it: lookarounds and anchors are skipped, backreferences repeat their group. For patterns the
    automata do not model, so that their findings still get examples; may be empty."""
    try:
        parsed = _parse(pattern)
    except (re.error, RecursionError):
        return []
    out = []
    for variant in range(limit):
        groups: dict[int, str] = {}
        try:
            text = _example(list(parsed), variant, groups)
        except (RecursionError, KeyError, ValueError):
            continue
        if text not in out and re.search(pattern, text) is not None:
            out.append(text)
    return out


def _example(items, variant: int, groups: dict[int, str]) -> str:
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.NOT_LITERAL:
            out.append("x" if av != ord("x") else "y")
        elif op is _c.ANY:
            out.append("x")
        elif op is _c.IN:
            chars = _normalize(
                [
                    (a, a + 1) if o is _c.LITERAL else (a[0], a[1] + 1)
                    for o, a in av
                    if o in (_c.LITERAL, _c.RANGE)
                ]
            )
            negate = any(o is _c.NEGATE for o, _ in av)
            cats = [str(a) for o, a in av if o is _c.CATEGORY]
            if negate:
                cs = _complement(chars)
                cp = next((c for c in (120, 48, 65, 33) if _member(cs, c)), cs[0][0] if cs else 120)
            elif chars:
                cp = chars[variant % len(chars)][0]
            else:
                cp = (
                    ord({"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " "}.get(cats[0], "a"))
                    if cats
                    else 120
                )
            out.append(chr(cp))
        elif op is _c.BRANCH:
            alts = av[1]
            out.append(_example(alts[variant % len(alts)], variant, groups))
        elif op is _c.SUBPATTERN:
            text = _example(av[3], variant, groups)
            if av[0] is not None:
                groups[av[0]] = text
            out.append(text)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            count = max(lo, 1 if variant % 2 else lo)
            if hi != _c.MAXREPEAT:
                count = min(count, hi)
            out.append("".join(_example(sub, variant, groups) for _ in range(min(count, 1000))))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            out.append(_example(av, variant, groups))
        elif op is _c.GROUPREF:
            out.append(groups[av])
        # AT, ASSERT, ASSERT_NOT, GROUPREF_EXISTS: nothing (the check by re.search decides)
    return "".join(out)
