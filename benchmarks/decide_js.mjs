// Node side of benchmarks/decide_js.py: times one compiled module's decide() against reading the
// same facts out of the object, in the same process.
//   node decide_js.mjs MODULE FACTS.json [--load-only]
// prints one JSON line: {load_ms, decide_ns, read_ns, read_keyed_ns, read_checked_ns, checksum}; with
// --load-only
// {load_ms, load_cpu_ms}
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, factsPath, mode] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(pathToFileURL(modulePath).href);
const loadMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
if (mode === "--load-only") {
  // wall time, and the CPU time the import took (on a machine shared by many processes the
  // wall time also counts the time spent waiting for a core)
  console.log(JSON.stringify({ load_ms: loadMs, load_cpu_ms: (cpu.user + cpu.system) / 1000 }));
  process.exit(0);
}
const samples = JSON.parse(readFileSync(factsPath, "utf-8"));
const NAMES = ["task", "tokens", "language", "tier", "region", "stream"];

// the baselines: the six facts read out of the object, by name as written, and by a key in a
// variable (what a generic reader does); each folded into a checksum so that nothing is skipped
function readSix(f) {
  return (f.task.length + f.tokens + f.language.length + f.tier.length + f.region.length + (f.stream ? 1 : 0)) | 0;
}
function readKeyed(f) {
  let acc = 0;
  for (let i = 0; i < NAMES.length; i++) {
    const v = f[NAMES[i]];
    acc += typeof v === "string" ? v.length : v === true ? 1 : v | 0;
  }
  return acc | 0;
}
// a third, for scale: what any exact validator of these facts does before it decides anything,
// generated from the module's FACTS so that each name is a constant: every declared fact read by
// name and its type checked, and the object's keys counted (an unknown name is an error). It
// checks no enum's membership and computes no atom.
const TYPE_TEST = { int: 'typeof v === "number"', float: 'typeof v === "number"', string:
  'typeof v === "string"', enum: 'typeof v === "string"', bool: 'typeof v === "boolean"',
  set: "Array.isArray(v)" };
const readChecked = new Function("f", `let seen = 0;
  let acc = 0;
  let v;
  ${Object.entries(mod.FACTS).map(([name, d]) => `v = f[${JSON.stringify(name)}];
  if (v !== undefined) {
    seen++;
    if (!(${TYPE_TEST[d.kind]})) return -1;
    acc += ${d.kind === "bool" ? "v ? 1 : 0" : d.kind === "set" ? "v.length" : d.kind === "int" || d.kind === "float" ? "v" : "v.length"};
  }`).join("\n  ")}
  let keys = 0;
  for (const k in f) keys++;
  return keys === seen ? acc | 0 : -1;`);
function decideOne(f) {
  return mod.decide(f).line | 0;
}

let batches = 0;
/** The median ns per call over batches of the samples (the best of 5 rounds: noise only adds).
 * Each function measured gets a batch loop of its own, compiled from fresh source text: one
 * loop shared by every function saw its call site turn megamorphic after the first (which
 * alone was inlined) and deoptimized inside the timed batches, so the baseline moved between
 * 5 and 36 ns from run to run. Each loop is warmed until optimized before it is timed. */
function time(fn) {
  const batch = new Function("fn", "samples", `// batch ${batches++}
    let sink = 0;
    for (let i = 0; i < samples.length; i++) sink = (sink + fn(samples[i])) | 0;
    return sink;`);
  let sink = 0;
  for (let w = 0; w < 300; w++) sink = (sink + batch(fn, samples)) | 0; // warm up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const per = [];
    for (let b = 0; b < 40; b++) {
      const start = process.hrtime.bigint();
      sink = (sink + batch(fn, samples)) | 0;
      per.push(Number(process.hrtime.bigint() - start) / samples.length);
    }
    per.sort((a, b) => a - b);
    best = Math.min(best, per[per.length >> 1]);
  }
  return [best, sink];
}

const [readNs, s1] = time(readSix);
const [keyedNs, s2] = time(readKeyed);
const [checkedNs, s4] = time(readChecked);
const [decideNs, s3] = time(decideOne);
console.log(JSON.stringify({ load_ms: loadMs, decide_ns: decideNs, read_ns: readNs, read_keyed_ns: keyedNs,
  read_checked_ns: checkedNs, checksum: (s1 + s2 + s3 + s4) % 1000 }));
