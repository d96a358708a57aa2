// ---- messages (policylang/compiler/templates/messages.mjs, the same in every module) -------
// A refused fact's message, word for word as Python's: values as json.dumps writes them
// (prelude._show) and "did you mean" as difflib.get_close_matches finds it (did_you_mean).

/** A value as Python's json.dumps writes it (ASCII, ", " and ": "), cut at 60 characters. */
function show(value) {
  // only as much is written as the cut shows: a megabyte value, a list of a million items or
  // a circular one (only JavaScript can pass that) costs no more text than a short one
  const t = typeof value;
  const text = t === "string" ? pyString(value, SHOWN)
    : t === "function" || t === "symbol" ? pyString(String(value), SHOWN) // no JSON: its source
    : pyJson(value, { text: "" });
  return text.length <= 60 ? text : text.slice(0, 57) + "...";
}

const SHOWN = 61; // characters of a value's text that tell whether, and where, it is cut

/** v's text appended to out.text, as Python's json.dumps of what JSON.stringify sends (an
 * object's undefined or function values left out, null for them in a list), up to SHOWN
 * characters; returns out.text. */
function pyJson(v, out) {
  if (out.text.length > SHOWN) return out.text;
  if (v === null || v === undefined || typeof v === "function" || typeof v === "symbol") {
    out.text += "null";
  } else if (v === true) out.text += "true";
  else if (v === false) out.text += "false";
  else if (typeof v === "bigint") out.text += String(v);
  else if (typeof v === "number") out.text += pyNumber(v);
  else if (typeof v === "string") out.text += pyString(v, SHOWN - out.text.length);
  else if (Array.isArray(v) || isSet(v)) {
    out.text += "[";
    let first = true;
    for (const x of v) {
      if (out.text.length > SHOWN) return out.text;
      if (!first) out.text += ", ";
      first = false;
      pyJson(x, out);
    }
    out.text += "]";
  } else {
    out.text += "{";
    let first = true;
    for (const k of Object.keys(v)) {
      if (out.text.length > SHOWN) return out.text;
      const x = v[k];
      if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
      if (!first) out.text += ", ";
      first = false;
      out.text += pyString(k, SHOWN - out.text.length) + ": ";
      pyJson(x, out);
    }
    out.text += "}";
  }
  return out.text;
}

function pyString(s, limit = Infinity) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    if (out.length > limit) return out; // longer than the cut already: the rest is not shown
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/** A number as Python prints it: an integer (up to 2**53) as an int, else float repr. */
function pyNumber(x) {
  if (x !== x) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Number.isInteger(x) && Math.abs(x) <= 2 ** 53) return Object.is(x, -0) ? "-0.0" : String(x);
  const [mantissa, e] = Math.abs(x).toExponential().split("e"); // the shortest round-trip digits
  const digits = mantissa.replace(".", "");
  const point = Number(e) + 1; // x = 0.digits * 10**point
  let text;
  if (point > 16 || point <= -4) {
    const exp = point - 1;
    const rest = digits.length > 1 ? "." + digits.slice(1) : "";
    text = `${digits[0]}${rest}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (point <= 0) {
    text = "0." + "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    text = digits + "0".repeat(point - digits.length) + ".0";
  } else {
    text = digits.slice(0, point) + "." + digits.slice(point);
  }
  return x < 0 ? "-" + text : text;
}

/** "; did you mean `x`?" for the option closest to word (difflib.get_close_matches, n=1,
 * cutoff 0.6, ported), or "". */
function didYouMean(word, options) {
  const b = codePoints(word);
  let matcher = null; // built for the first option of a length that could match (as difflib's
  // real_quick_ratio filter): a megabyte-long word costs no table over its code points
  let best = null;
  let bestScore = -1;
  for (const x of options) {
    const a = codePoints(x);
    if ((2.0 * Math.min(a.length, b.length)) / (a.length + b.length) < 0.6) continue;
    if (matcher === null) matcher = new SequenceMatcher(b);
    const score = matcher.ratioWith(a);
    if (score >= 0.6 && (score > bestScore || (score === bestScore && codePointOrder(x, best) > 0))) {
      best = x;
      bestScore = score;
    }
  }
  return best === null ? "" : `; did you mean \`${best}\`?`;
}

class SequenceMatcher {
  // difflib.SequenceMatcher with seq2 = b fixed, no isjunk, autojunk as Python's
  constructor(b) {
    this.b = b;
    const b2j = new Map();
    b.forEach((c, j) => {
      if (!b2j.has(c)) b2j.set(c, []);
      b2j.get(c).push(j);
    });
    if (b.length >= 200) {
      const limit = Math.floor(b.length / 100) + 1;
      for (const [c, js] of [...b2j]) if (js.length > limit) b2j.delete(c);
    }
    this.b2j = b2j;
    this.counts = new Map();
    for (const c of b) this.counts.set(c, (this.counts.get(c) || 0) + 1);
  }

  ratioWith(a) {
    const b = this.b;
    const total = a.length + b.length;
    if (total === 0) return 1.0;
    if ((2.0 * Math.min(a.length, b.length)) / total < 0.6) return 0; // real_quick_ratio
    const avail = new Map();
    let common = 0;
    for (const c of a) {
      const n = avail.has(c) ? avail.get(c) : this.counts.get(c) || 0;
      avail.set(c, n - 1);
      if (n > 0) common++;
    }
    if ((2.0 * common) / total < 0.6) return 0; // quick_ratio
    let matches = 0;
    const queue = [[0, a.length, 0, b.length]];
    while (queue.length) {
      const [alo, ahi, blo, bhi] = queue.pop();
      const [i, j, k] = this.longest(a, alo, ahi, blo, bhi);
      if (k) {
        matches += k;
        if (alo < i && blo < j) queue.push([alo, i, blo, j]);
        if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
      }
    }
    return (2.0 * matches) / total;
  }

  longest(a, alo, ahi, blo, bhi) {
    const b = this.b;
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map();
    for (let i = alo; i < ahi; i++) {
      const next = new Map();
      for (const j of this.b2j.get(a[i]) || []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) || 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  }
}

