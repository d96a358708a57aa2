// ---- the evaluator (policylang/compiler/templates/runtime.mjs, the same in every module) ----
// It reads the policy's data above (P) and decides exactly as the Python reference does:
// facts are validated as prelude.check_facts validates them, `ignoring case` folds with
// Python's str.lower (tables from the compiling Python), `matches`/`startswith` run as
// automata built from Python's own regex parse, integers compare exactly (BigInt beside
// Number), and constraints, `by value` order and learned scores follow prelude.constrain.

/** A request's facts do not fit the policy's declarations: `fact` names the first bad one
 * (null: the facts object itself is wrong), `facts` every one, as prelude.FactError. */
export class FactError extends Error {
  constructor(fact, message, facts) {
    super(message);
    this.name = "FactError";
    this.fact = fact;
    this.facts = facts === undefined ? [fact] : facts;
  }
}

const MISSING = Symbol("missing");
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const KIND_WORDS = {
  int: "an integer",
  float: "a number",
  string: "a string",
  bool: "true or false",
  set: "a list of strings",
};

// ---- facts -------------------------------------------------------------------------------
const FACT_INDEX = new Map();
const DEFAULTS = [];
for (let i = 0; i < P.facts.length; i++) {
  const f = P.facts[i];
  FACT_INDEX.set(f[0], i);
  const d = f[3];
  DEFAULTS.push(d === null ? MISSING : f[1] === "set" ? new Set(d) : d);
}

function refuse(name, kind, value) {
  return new FactError(name, `fact \`${name}\` must be ${KIND_WORDS[kind]}; got ${show(value)}`);
}

/** The value of fact i normalized for evaluation (as prelude.check_value), or FactError. */
function checkValue(i, value) {
  const f = P.facts[i];
  const name = f[0];
  const kind = f[1];
  if (typeof value === "string" && f[4]) value = pyLower(value);
  switch (kind) {
    case "int":
      if (typeof value === "number") {
        if (!Number.isInteger(value)) break;
        if (value > MAX_SAFE || value < -MAX_SAFE) {
          throw new FactError(
            name,
            `fact \`${name}\` is ${show(value)}, an integer beyond 2**53 that a JavaScript ` +
              "number cannot hold exactly: pass it as a BigInt",
          );
        }
        return value === 0 ? 0 : value; // -0 is the integer 0
      }
      if (typeof value === "bigint") return value;
      break;
    case "float":
      if (typeof value === "number") {
        if (value !== value) throw new FactError(name, `fact \`${name}\` must be a number, got NaN`);
        return value;
      }
      if (typeof value === "bigint") {
        const x = Number(value); // rounds half to even, as Python's float(int)
        if (x === Infinity || x === -Infinity) {
          throw new FactError(name, `fact \`${name}\` is out of range: ${show(value)}`);
        }
        return x;
      }
      break;
    case "string":
      if (typeof value === "string") return value;
      break;
    case "bool":
      if (typeof value === "boolean") return value;
      break;
    case "enum": {
      if (typeof value === "string" && f[2].includes(value)) return value;
      const hint = typeof value === "string" ? didYouMean(value, f[2]) : "";
      throw new FactError(name, `fact \`${name}\` must be one of ${f[2].join(", ")}; got ${show(value)}${hint}`);
    }
    case "set": {
      const items = Array.isArray(value) ? value : isSet(value) ? [...value] : null;
      if (items === null) break;
      // a loop, not every(): every() skips an array's holes, which are no strings
      let strings = true;
      for (let j = 0; j < items.length && strings; j++) if (typeof items[j] !== "string") strings = false;
      if (strings) return new Set(items);
      break;
    }
  }
  throw refuse(name, kind, value);
}

/** checkValue's FactError for the value of enum fact i that is none of its members. */
function notMember(i, value) {
  checkValue(i, value);
  throw new Error(`${show(value)} is a member of \`${P.facts[i][0]}\` after all`); // never
}

/** Every fact given, validated, with each absent one's default: an array by fact number. */
function validated(facts) {
  if (typeof facts !== "object" || facts === null || Array.isArray(facts)) {
    const got = facts === null ? "NoneType" : Array.isArray(facts) ? "list"
      : { string: "str", boolean: "bool", bigint: "int", undefined: "NoneType" }[typeof facts]
      || (typeof facts === "number" ? (Number.isInteger(facts) ? "int" : "float") : typeof facts);
    throw new FactError(null, `facts must be an object mapping fact names to values; got ${got}`);
  }
  if (!isPlain(facts)) {
    // a Map, a Date, a class instance, an object inheriting properties: its entries or fields
    // would be silently left unread, so it is refused, as Python refuses what is not a dict
    throw new FactError(
      null,
      `facts must be a plain object mapping fact names to values; got ${typeName(facts)}` +
        (isMap(facts) ? " (Object.fromEntries(map) makes one)" : " (copy it: {...facts})"),
    );
  }
  const vals = DEFAULTS.slice();
  const keys = Object.keys(facts);
  const bad = [];
  for (let k = 0; k < keys.length; k++) {
    const name = keys[k];
    const value = facts[name];
    if (value === undefined) continue; // as JSON.stringify drops it: absent
    const i = FACT_INDEX.get(name);
    try {
      if (i === undefined) {
        throw new FactError(name, `unknown fact \`${name}\`${didYouMean(name, FACT_INDEX.keys())}`);
      }
      vals[i] = checkValue(i, value);
    } catch (e) {
      if (!(e instanceof FactError)) throw e;
      bad.push(e);
    }
  }
  if (bad.length === 1) throw bad[0];
  if (bad.length > 1) {
    // every bad fact named, not only the first: one round trip fixes them all
    throw new FactError(bad[0].fact, bad.map((e) => e.message).join("; "), bad.map((e) => e.fact));
  }
  return vals;
}

const SET_SIZE = Object.getOwnPropertyDescriptor(Set.prototype, "size").get;
const MAP_SIZE = Object.getOwnPropertyDescriptor(Map.prototype, "size").get;

/** Whether v is a Set (or a Map), from this realm or another (node:vm, an iframe), where
 * instanceof says no: the size getter throws for anything else. */
function isSet(v) {
  return v instanceof Set || (typeof v === "object" && v !== null && hasSlot(SET_SIZE, v));
}

function isMap(v) {
  return v instanceof Map || (typeof v === "object" && v !== null && hasSlot(MAP_SIZE, v));
}

function hasSlot(getter, v) {
  try {
    getter.call(v);
    return true;
  } catch {
    return false;
  }
}

/** Whether o is a plain object: {...}, JSON.parse's, Object.create(null), from any realm. */
function isPlain(o) {
  const proto = Object.getPrototypeOf(o);
  if (proto === null || proto === PLAIN) return true;
  // another realm's Object.prototype (node:vm, an iframe), not any object with no prototype:
  // Object.create(Object.create(null)) may inherit facts this would silently leave unread
  if (Object.getPrototypeOf(proto) !== null || !hasOwn(proto, "constructor")) return false;
  const c = proto.constructor;
  return typeof c === "function" && c.name === "Object" && c.prototype === proto;
}

function typeName(o) {
  const proto = Object.getPrototypeOf(o);
  const c = proto !== null && hasOwn(proto, "constructor") ? proto.constructor : null;
  return typeof c === "function" && c.name ? c.name : "an object inheriting properties";
}

/** The facts validated and normalized (lowercased where `ignoring case`, sets as sorted
 * arrays), defaults not filled in; FactError when one is wrong or unknown. */
export function checkFacts(facts) {
  validated(facts);
  const out = [];
  for (const name of Object.keys(facts)) {
    if (facts[name] === undefined) continue;
    const v = checkValue(FACT_INDEX.get(name), facts[name]);
    out.push([name, v instanceof Set ? [...v].sort(codePointOrder) : v]);
  }
  return Object.fromEntries(out); // own properties, even one named __proto__
}

function codePointOrder(a, b) {
  // Python sorts strings by code point; JavaScript's default sort compares UTF-16 units
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

// ---- Python's str.lower ------------------------------------------------------------------
function inRanges(ranges, cp) {
  let lo = 0;
  let hi = ranges.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]) hi = mid;
    else if (cp >= ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

function lowerOf(cp) {
  // P.lower.runs: start, count, stride, delta (flat, by start)
  const runs = P.lower.runs;
  let lo = 0;
  let hi = runs.length / 4;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cp < runs[4 * mid]) hi = mid;
    else lo = mid + 1;
  }
  if (lo === 0) return cp;
  const r = 4 * (lo - 1);
  const off = cp - runs[r];
  if (off % runs[r + 2] === 0 && off / runs[r + 2] < runs[r + 1]) return cp + runs[r + 3];
  return cp;
}

function finalSigma(cps, i) {
  // CPython's handle_capital_sigma: cased, case-ignorable*, SIGMA, not (case-ignorable*, cased)
  let j = i - 1;
  while (j >= 0 && inRanges(P.lower.ignorable, cps[j])) j--;
  if (j < 0 || !inRanges(P.lower.cased, cps[j])) return false;
  j = i + 1;
  while (j < cps.length && inRanges(P.lower.ignorable, cps[j])) j++;
  return j === cps.length || !inRanges(P.lower.cased, cps[j]);
}

function codePoints(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

function fromCodePoints(cps) {
  let out = "";
  for (let i = 0; i < cps.length; i += 4096) {
    out += String.fromCodePoint(...cps.slice(i, i + 4096));
  }
  return out;
}

/** Python's str.lower, exactly (the compiling Python's Unicode tables). */
function pyLower(s) {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  const cps = codePoints(s);
  const out = [];
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i];
    if (cp === 0x3a3) out.push(finalSigma(cps, i) ? 0x3c2 : 0x3c3);
    else {
      const special = P.lower.special[cp];
      if (special !== undefined) out.push(...special);
      else out.push(lowerOf(cp));
    }
  }
  return fromCodePoints(out);
}

// ---- patterns ----------------------------------------------------------------------------
/** Whether Python's re.search (or startswith) finds automaton `a` in s. */
function search(a, s) {
  const step = a.step;
  const verdict = a.verdict;
  const width = a.width;
  let q = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    q = step[q * width + symbolClass(a, cp)];
    const v = verdict[q];
    if (v !== 0) return v === 1;
  }
  q = step[q * width + a.end];
  return verdict[q] === 1;
}

function symbolClass(a, cp) {
  if (cp < 128) return a.ascii[cp];
  const cuts = a.cuts;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cp < cuts[mid]) hi = mid;
    else lo = mid + 1;
  }
  return a.classes[lo - 1];
}

const AUTOMATA = P.automata.map(([cuts, classes, width, end, step, verdict]) => {
  const a = { cuts, classes, width, end, step, verdict, ascii: null };
  a.ascii = [];
  for (let cp = 0; cp < 128; cp++) {
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cp < cuts[mid]) hi = mid;
      else lo = mid + 1;
    }
    a.ascii.push(classes[lo - 1]);
  }
  return a;
});

// ---- tests and conditions (prelude.holds) ------------------------------------------------
// OPERATORS (generated from policylang/operators.py): per operator, [its value on a missing
// fact, its test of a present value]
function holds(op, v, c) {
  const o = OPERATORS.get(op);
  if (o === undefined) throw new Error(`unknown operator ${op}`);
  return v === MISSING ? o[0] : o[1](v, c);
}

function equal(v, c) {
  // numbers: an integer as a Number or a BigInt is equal by value (== compares them exactly)
  const t = typeof v;
  if (t === "number" || t === "bigint") {
    const u = typeof c;
    return (u === "number" || u === "bigint") && v == c; // eslint-disable-line eqeqeq
  }
  return v === c;
}

function condHolds(cond, vals) {
  switch (cond[0]) {
    case "test":
      return holds(cond[2], vals[cond[1]], cond[3]);
    case "all":
      for (let i = 1; i < cond.length; i++) if (!condHolds(cond[i], vals)) return false;
      return true;
    case "any":
      for (let i = 1; i < cond.length; i++) if (condHolds(cond[i], vals)) return true;
      return false;
    case "not":
      return !condHolds(cond[1], vals);
  }
  throw new Error(`unknown condition ${cond[0]}`);
}

// ---- the decision diagrams (compiler/jsatoms.py) ----------------------------------------
// A slot is a fact's atoms (its constants, the intervals between its thresholds, missing) or
// an element or pattern test's two; the generated readFacts writes each fact's atom to A[slot]
// and each test's slot -1, computed here on first use. P.tree holds every diagram: a node is
// its slot s then a child per atom, or ~s, m runs, m - 1 cuts and m children; a child is a
// node's offset, -1 no rule or -(r + 2) rule r.
const ENUM = 0;
const STRING = 1;
const NUMBER = 2;
const BOOL = 3;
const PRESENT = 4;
const ELEMENT = 5;
const MATCHES = 6;
const STARTSWITH = 7;
const SLOT_KIND = { enum: ENUM, string: STRING, int: NUMBER, float: NUMBER, bool: BOOL,
  set: PRESENT, element: ELEMENT, regex: MATCHES, prefix: STARTSWITH };
const SLOTS = P.slots.map(([kind, f, missing, x]) => {
  const k = SLOT_KIND[kind];
  const slot = { k, f, missing, other: -1, map: null, x: null };
  if (k === ENUM || k === STRING) {
    slot.map = new Map(x.map((m, a) => [m, a]));
    slot.other = x.length; // a string none of the constants
  } else if (k === ELEMENT) slot.x = x[0];
  else if (k === MATCHES) slot.x = AUTOMATA[x];
  else slot.x = x; // thresholds, or the prefix
  return slot;
});
const TREE = P.tree;

/** The atom of value v (validated) in slot s, as analysis/atoms.Dim.atom_of numbers them. */
function atomOf(s, v) {
  const d = SLOTS[s];
  if (v === MISSING) return d.missing;
  switch (d.k) {
    case ENUM:
    case STRING: {
      const a = d.map.get(v);
      return a === undefined ? d.other : a;
    }
    case NUMBER:
      return bisectRight(d.x, v);
    case BOOL:
      return v ? 0 : 1;
    case PRESENT:
      return 0;
    case ELEMENT:
      return v.has(d.x) ? 0 : 1;
    case MATCHES:
      return search(d.x, v) ? 1 : 0;
    default: // STARTSWITH
      return v.startsWith(d.x) ? 1 : 0;
  }
}

/** The facts read the long way (`validated`, which names every bad one), and their atoms. */
function slowRead(facts, A) {
  const vals = validated(facts);
  for (let s = 0; s < SLOTS.length; s++) A[s] = s < P.eager ? atomOf(s, vals[SLOTS[s].f]) : -1;
  return vals;
}

function bisectRight(bounds, v) {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < bounds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The leaf the diagram at offset n reaches: -1 (no rule) or -(r + 2). */
function walk(n, vals, A) {
  const T = TREE;
  while (n >= 0) {
    const s = T[n];
    if (s >= 0) {
      let a = A[s];
      if (a < 0) a = A[s] = atomOf(s, vals[SLOTS[s].f]);
      n = T[n + 1 + a];
    } else {
      const a = A[~s];
      const m = T[n + 1];
      let lo = 0;
      let hi = m - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (a < T[n + 2 + mid]) hi = mid;
        else lo = mid + 1;
      }
      n = T[n + 1 + m + lo];
    }
  }
  return n;
}

/** The first rule of block b (its rules tested directly) whose condition holds, or -1. The
 * diagrams' blocks are walked by firstRule, generated for the policy after this runtime. */
function tested(b, vals) {
  const rules = P.blocks[b].rules;
  for (let i = 0; i < rules.length; i += 2) if (condHolds(rules[i + 1], vals)) return rules[i];
  return -1;
}

// ---- decisions and constraints (prelude.constrain) ---------------------------------------
const freeze = (d) => {
  Object.freeze(d.fallback);
  Object.freeze(d.candidates);
  d.removed.forEach(Object.freeze);
  Object.freeze(d.removed);
  return Object.freeze(d);
};
const NO_ROUTE = freeze({ rule: null, line: null, target: null, fallback: [], candidates: [], removed: [] });
const DECISIONS = P.decisions.map(([rule, line, target, fallback, candidates]) =>
  freeze({ rule, line, target, fallback, candidates, removed: [] }),
);
const CONSTRAINED = new Map(P.constrained);
// per rule, its decision when nothing can change it (null: constraints or `by value` may)
const FIXED = DECISIONS.map((d, r) => (CONSTRAINED.has(r) ? null : d));
const VALUE_ORDER = new Map(P.valueOrder);

function scoreOf(candidate, quality, vals, learned) {
  if (quality === null) return null;
  const value = vals[quality[0]];
  if (value === MISSING) return null;
  if (learned) {
    const mine = hasOwn(learned, candidate) ? learned[candidate] : undefined;
    if (mine && hasOwn(mine, value)) {
      const score = mine[value];
      if (typeof score !== "number") {
        throw new TypeError(`learned score of ${candidate} for ${value} must be a number`);
      }
      return score;
    }
  }
  const scores = quality[1];
  for (let i = 0; i < scores.length; i++) if (scores[i][0] === value) return scores[i][1];
  return null;
}

const CANDIDATE_NAMES = new Set(P.decisions.flatMap((d) => d[4]));

/** Learned scores as decide takes them, or TypeError: what scoreOf could never read (a Map, a
 * model's name where a "provider/model" candidate belongs, a score that is not a number) is
 * refused rather than silently left for the declared score. A candidate or value the policy
 * does not have is passed over, as the Python evaluator does: a table learned under an earlier
 * version of the policy still serves. */
function checkLearned(learned) {
  const where = "decide's learned scores";
  if (typeof learned !== "object" || !isPlain(learned)) {
    throw new TypeError(`${where} must be a plain object {"provider/model": {value: score}}; ` +
      `got ${typeof learned === "object" ? typeName(learned) : typeof learned}`);
  }
  for (const candidate of Object.keys(learned)) {
    if (!CANDIDATE_NAMES.has(candidate) && !candidate.includes("/")) {
      throw new TypeError(`${where} name ${show(candidate)}, not a candidate ("provider/model")` +
        didYouMean(candidate, CANDIDATE_NAMES));
    }
    const mine = learned[candidate];
    if (typeof mine !== "object" || mine === null || !isPlain(mine)) {
      throw new TypeError(`${where} for ${candidate} must be a plain object {value: score}; got ` +
        `${typeof mine === "object" && mine !== null ? typeName(mine) : show(mine)}`);
    }
    for (const value of Object.keys(mine)) {
      const score = mine[value];
      if (typeof score !== "number" || score !== score) {
        throw new TypeError(`learned score of ${candidate} for ${value} must be a number; got ` +
          show(score));
      }
    }
  }
}

function estimatedCost(tokens, input, output) {
  // (tokens x input + 500 x output) / 1e6 in float arithmetic, as prelude.estimated_cost: a
  // count too large for a float saturates the product (a free input price keeps it 0)
  const t = typeof tokens === "bigint" ? Number(tokens) : tokens;
  let spend;
  if (t === Infinity || t === -Infinity) spend = input === 0 ? 0 : t > 0 ? Infinity : -Infinity;
  else spend = t * input;
  return (spend + P.outputTokens * output) / 1e6;
}

function violated(candidate, attributes, constraints, vals, learned) {
  const [regions, input, output, context, quality] = attributes;
  for (let i = 0; i < constraints.length; i++) {
    const [attribute, op, isFact, operand, text] = constraints[i];
    const bound = isFact ? vals[operand] : operand;
    if (bound === MISSING) continue;
    let ok;
    if (attribute === "hosted") {
      ok = regions !== null && (isFact ? regions.includes(bound) : bound.some((r) => regions.includes(r)));
    } else if (attribute === "cost") {
      const tokens = P.tokens >= 0 && P.facts[P.tokens][1] === "int" ? vals[P.tokens] : MISSING;
      if (tokens === MISSING) continue;
      ok = input !== null && output !== null && holds(op, estimatedCost(tokens, input, output), bound);
    } else if (attribute === "quality") {
      if (vals[quality[0]] === MISSING) continue;
      const score = scoreOf(candidate, quality, vals, learned);
      ok = score !== null && holds(op, score, bound);
    } else {
      ok = context === null || holds(op, context, bound);
    }
    if (!ok) return text;
  }
  return null;
}

function valueKey(candidate, attributes, trade, vals, learned) {
  const input = attributes[1];
  const output = attributes[2];
  const score = scoreOf(candidate, attributes[4], vals, learned);
  if (score === null || input === null || output === null) return [1, 0];
  const price = (3 * input + output) / 4;
  return [0, -(100 * score - price / trade)];
}

function constrain(r, vals, learned) {
  const d = DECISIONS[r];
  const spec = CONSTRAINED.get(r);
  const kept = [];
  const removed = [];
  const attributesOf = new Map();
  for (let i = 0; i < spec.length; i++) {
    const [candidate, attributes, constraints] = spec[i];
    attributesOf.set(candidate, attributes);
    const why = violated(candidate, attributes, constraints, vals, learned);
    if (why === null) kept.push(candidate);
    else removed.push({ candidate, constraint: why });
  }
  let moved = false;
  const order = VALUE_ORDER.get(r);
  if (order !== undefined) {
    for (const [trade, group] of order) {
      const places = [];
      for (let i = 0; i < kept.length; i++) if (group.includes(kept[i])) places.push(i);
      const ranked = places
        .map((i) => [kept[i], valueKey(kept[i], attributesOf.get(kept[i]), trade, vals, learned)])
        .sort((x, y) => x[1][0] - y[1][0] || (x[1][1] < y[1][1] ? -1 : x[1][1] > y[1][1] ? 1 : 0));
      for (let j = 0; j < places.length; j++) {
        if (kept[places[j]] !== ranked[j][0]) moved = true;
        kept[places[j]] = ranked[j][0];
      }
    }
  }
  if (removed.length === 0 && !moved) return d;
  return freeze({ rule: d.rule, line: d.line, target: d.target, fallback: d.fallback.slice(),
    candidates: kept, removed });
}

/** The decision for a request's facts, as `policylang route --format json` prints it: every
 * fact given is validated first (FactError names a bad one). learned, optional, maps a
 * candidate ("provider/model") to {value of the `quality by` fact: score}, replacing declared
 * scores as the Python Router's learned quality does. The result is frozen. */
export function decide(facts, learned) {
  if (learned !== undefined && learned !== null) checkLearned(learned);
  if (busy) {
    // a getter deciding meanwhile
    return decideIn(facts, learned, DEFAULTS.slice(), new Int32Array(SLOTS.length));
  }
  busy = true;
  try {
    return decideIn(facts, learned, VALS, ATOMS);
  } finally {
    busy = false;
  }
}

function decideIn(facts, learned, into, A) {
  let vals;
  try {
    vals = readFacts(facts, into, A); // generated after this runtime: as `validated`, faster
  } catch {
    // read again the long way, which names every bad fact, not only the first. readFacts reads
    // each declared fact by name, so it also reads what JSON.stringify would not send: a fact
    // that is no own enumerable property (enumerable: false, a Proxy's get trap) with a wrong
    // value or a getter that throws, or a getter of what is no plain object (it reads a fact
    // before it looks at the prototype). The long way reads own enumerable keys only: it
    // decides without such a fact, as Python given the JSON does, or refuses that object
    vals = slowRead(facts, A);
  }
  const r = firstRule(vals, A);
  if (r < 0) return NO_ROUTE;
  const d = FIXED[r];
  return d !== null ? d : constrain(r, vals, learned);
}

// the fast reader's arrays: decide is synchronous, so one pair serves every call
const VALS = DEFAULTS.slice();
const ATOMS = new Int32Array(SLOTS.length);
let busy = false;
const PLAIN = Object.prototype;
const NOTHING = {}; // a plain object with no keys: for…in over it sees what PLAIN has been given
