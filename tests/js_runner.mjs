// Runs compiled policy modules for the tests (tests/test_js_target.py): one JSON job a line on
// stdin, {"module": PATH, "calls": [[EXPORT, FACTS, LEARNED|null], ...]}, one JSON answer a line
// on stdout, a result per call: {"ok": VALUE} or {"error": {"name", "fact", "message"}}.
// An export that is not a function answers its value.
// Values sent as {"$bigint": "123"} become BigInt, {"$float": "inf" | "-inf" | "nan"} the
// special numbers, {"$set": [...]} a Set; results encode BigInt the same way.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    if ("$bigint" in v) return BigInt(v.$bigint);
    if ("$float" in v) return { inf: Infinity, "-inf": -Infinity, nan: NaN }[v.$float];
    if ("$set" in v) return new Set(v.$set.map(decode));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

function encode(v) {
  if (typeof v === "bigint") return { $bigint: String(v) };
  if (typeof v === "number" && !Number.isFinite(v)) {
    return { $float: v !== v ? "nan" : v > 0 ? "inf" : "-inf" };
  }
  if (typeof v === "number" && Object.is(v, -0)) return { $float: "-0" };
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  }
  return v;
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const job = JSON.parse(line);
  let answer;
  try {
    const mod = await import(pathToFileURL(job.module).href);
    answer = job.calls.map(([fn, facts, learned]) => {
      try {
        const args = [decode(facts)];
        if (learned !== null && learned !== undefined) args.push(decode(learned));
        return { ok: encode(typeof mod[fn] === "function" ? mod[fn](...args) : mod[fn]) };
      } catch (e) {
        return { error: { name: e.name, fact: e.fact === undefined ? "<none>" : e.fact, facts: e.facts,
          message: e.message } };
      }
    });
  } catch (e) {
    answer = { load_error: String(e && e.stack) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
