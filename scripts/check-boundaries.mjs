#!/usr/bin/env node
// The import boundaries (README "Layout"): every server file belongs to a unit with a rank, and an
// import may only reach a unit of lower rank or its own. Within server/domain the capabilities are
// ranked too, so a cycle between capability folders — or any upward import — fails `make test`.
// HTTP routes may not import Knex or run a query: they call commands and queries.
//
// Run: node scripts/check-boundaries.mjs  (exit 1 listing every violation)
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

// Lowest first. Units of the same rank may not import each other.
const RANKS = [
  ["base", 0], // config, clock, errors and their codes, log: what everything may use
  ["storage", 1],
  ["pki", 1],
  ["mail", 2],
  ["domain/shared", 3], // pure rules several capabilities share: days, kinds, money
  ["domain/audit", 4],
  ["domain/signatures", 4],
  ["domain/identity", 5],
  ["domain/retention", 6],
  ["domain/billing", 7],
  ["domain/documents", 8],
  ["domain/processes", 9],
  ["domain/operations", 9],
  ["jobs", 10],
  ["deps", 11], // server/deps.ts: the types of what the running appliance is handed
  ["http", 12],
  ["app", 13], // app.ts wires everything; main.ts, cli.ts start it
];
const RANK = new Map(RANKS);

/** The unit a server file belongs to. */
function unitOf(rel) {
  const p = rel.split(path.sep).join("/");
  if (p === "server/domain/context.ts") return "domain/identity"; // the command context: who acts (identity's Actor) and its audit entry
  if (p === "server/deps.ts" || p === "server/tables.ts") return "deps";
  let m = /^server\/domain\/([^/]+)\//.exec(p);
  if (m) return `domain/${m[1]}`;
  m = /^server\/(storage|pki|mail|jobs|http)\//.exec(p);
  if (m) return m[1];
  if (/^server\/(config\/|clock\.ts|errors\.ts|problemCodes\.ts|log\.ts)/.test(p)) return "base";
  if (/^server\/[^/]+\.(ts|cjs|mjs)$/.test(p)) return "app";
  return null;
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === "dist" || name === "node_modules") continue;
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|mts|cts)$/.test(name)) out.push(full);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

const problems = [];
/** Every server file once: its path relative to the root, its unit and its text. */
const serverFiles = walk(path.join(root, "server")).map((file) => {
  const rel = path.relative(root, file);
  return { file, rel, unit: unitOf(rel), text: readFileSync(file, "utf8") };
});
const edges = new Map(); // unit → Set(unit), runtime and type imports alike

for (const { file, rel, unit, text } of serverFiles) {
  if (!unit) continue;
  if (!RANK.has(unit)) {
    problems.push(`${rel}: unit ${unit} has no rank (add it to RANKS in scripts/check-boundaries.mjs)`);
    continue;
  }
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    if (!spec) continue;
    if (spec === "knex" && rel.startsWith(`server${path.sep}http`))
      problems.push(`${rel}: an HTTP file imports knex (call a command or query instead)`);
    if (!spec.startsWith(".")) continue;
    const target = path.relative(root, path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
    const to = unitOf(target);
    if (!to || to === unit) continue;
    if (!RANK.has(to)) continue;
    if (!edges.has(unit)) edges.set(unit, new Set());
    edges.get(unit).add(to);
    if (RANK.get(to) >= RANK.get(unit))
      problems.push(
        `${rel}: imports ${spec} — ${unit} (rank ${RANK.get(unit)}) may not import ${to} (rank ${RANK.get(to)})`,
      );
  }
  // Routes run no queries: no transaction or table calls of their own.
  if (/^server[\\/]http[\\/]routes[\\/]/.test(rel)) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (
        /\b(?:tx|trx|db|reader)\s*\(\s*["'`]/.test(line) ||
        /\.(?:db|reader)\s*\(\s*["'`]/.test(line) ||
        /\b(?:deps|ctx\.state)\.(?:db|reader)\.(?:raw|select|from)\b/.test(line)
      ) {
        problems.push(`${rel}:${i + 1}: a route runs a query — move it into its capability's queries or commands`);
      }
    });
  }
}

// The console shares only server/domain/shared/ (pure rules and constants) with the server, the
// list of codes the API answers with (server/problemCodes.ts: it has a sentence for each), and the
// national curve code it signs key files with (server/pki/gost/, pure: it may import only its own
// files and the providers' error classes, never Node).
const CONSOLE_SHARES = ["server/domain/shared/", "server/problemCodes.ts", "server/pki/gost/"];
const GOST_PURE = ["primeCurve", "kzGost", "dstu4145", "gost94", "gost28147", "streebog", "words"];
for (const file of walk(path.join(root, "console", "src"))) {
  const rel = path.relative(root, file);
  for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    if (!spec?.startsWith(".")) continue;
    const target = path
      .relative(root, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join("/");
    const gostPure = GOST_PURE.some((n) => target === `server/pki/gost/${n}.js`);
    const codes = target === "server/problemCodes.js";
    if (target.startsWith("server/") && !target.startsWith("server/domain/shared/") && !gostPure && !codes)
      problems.push(`${rel}: imports ${spec} — the console may share only ${CONSOLE_SHARES.join(" and pure ")}`);
  }
}
for (const n of GOST_PURE) {
  const file = path.join(root, "server", "pki", "gost", `${n}.ts`);
  for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    const pure = spec && (GOST_PURE.some((p) => spec === `./${p}.js`) || spec === "../providerErrors.js");
    if (!pure)
      problems.push(`server/pki/gost/${n}.ts: imports ${spec} — the console bundles this file: pure code only`);
  }
}
for (const file of walk(path.join(root, "server", "domain", "shared"))) {
  for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    if (spec?.startsWith(".") && !spec.startsWith("./") && !/^\.\.\/\.\.\/(errors|clock)\.js$/.test(spec)) {
      problems.push(
        `${path.relative(root, file)}: imports ${spec} — shared rules import nothing but errors and the clock's constants`,
      );
    }
  }
}

// One owner per table: each capability's CONTEXT.md names its tables after "**Owns**:"; the units
// outside domain/ own a few more. A write (insert, update, delete…) on a table by any other unit
// fails. Writes through a table name held in a variable are not seen by this pattern.
const OWNERS = new Map([
  ["outbox", "mail"],
  ["notice_views", "mail"],
  ["idempotency_keys", "storage"],
  ["jobs", "jobs"],
  ["job_runs", "jobs"],
]);
for (const name of readdirSync(path.join(root, "server/domain"))) {
  const ctx = path.join(root, "server/domain", name, "CONTEXT.md");
  let text;
  try {
    text = readFileSync(ctx, "utf8");
  } catch {
    continue;
  }
  const owns = /\*\*Owns\*\*:?([\s\S]*?)(?:\n\*\*|\n\n)/.exec(text);
  for (const m of (owns?.[1] ?? "").matchAll(/`([a-z_]+)`/g)) {
    if (OWNERS.has(m[1]))
      problems.push(`server/domain/${name}/CONTEXT.md: table ${m[1]} is also claimed by ${OWNERS.get(m[1])}`);
    OWNERS.set(m[1], `domain/${name}`);
  }
}
const WRITE =
  /\(\s*"([a-z_]+)(?:\s+as\s+\w+)?"\s*\)(?:[^;]{0,300}?)\.(?:insert|update|del|delete|increment|decrement|merge)\(|\b(?:insert\s+into|delete\s+from)\s+"?([a-z_]+)"?|\bupdate\s+"?([a-z_]+)"?\s+set\b/gi;
for (const { rel, unit, text } of serverFiles) {
  if (!unit || unit === "app") continue;
  for (const m of text.matchAll(WRITE)) {
    const table = (m[1] ?? m[2] ?? m[3]).toLowerCase();
    const owner = OWNERS.get(table);
    if (owner && owner !== unit) problems.push(`${rel}: writes ${table}, which ${owner} owns`);
  }
}

// Cycles between units (ranks forbid them already; this names them when a rank table is wrong).
const seen = new Set();
function cycleFrom(start, node = start, trail = [start]) {
  for (const next of edges.get(node) ?? []) {
    if (next === start) return [...trail, start];
    if (trail.includes(next) || seen.has(`${start}>${next}`)) continue;
    seen.add(`${start}>${next}`);
    const c = cycleFrom(start, next, [...trail, next]);
    if (c) return c;
  }
  return null;
}
for (const unit of edges.keys()) {
  const c = cycleFrom(unit);
  if (c) problems.push(`cycle: ${c.join(" → ")}`);
}

if (problems.length) {
  console.error(
    `import boundaries: ${problems.length} problem(s)\n` + [...new Set(problems)].map((p) => `  ${p}`).join("\n"),
  );
  process.exit(1);
}
console.log(
  `import boundaries: ${edges.size} units, every import downward, no route runs a query; ${OWNERS.size} tables, each written by its owner only`,
);
