// The console's first load stays small (≤ 150 KB gzip) and carries no signing code: the curve code,
// the key-file readers and the NCALayer client load as their own chunks, only when a person asks to
// sign (SPEC R3.4); PDF.js, only when a document is previewed. Reads the built console (console/dist, made by `make` before the suite).
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { projectRoot } from "../../server/config/index.js";

const dist = path.join(projectRoot, "console", "dist");
const chunk = (name: string) => readFileSync(path.join(dist, "assets", name), "utf8");

/** The entry chunk and every chunk it imports statically (what the browser loads before anything is asked for). */
function firstLoad(): string[] {
  const entry = /src="\/assets\/([^"]+)"/.exec(readFileSync(path.join(dist, "index.html"), "utf8"))![1];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const m of chunk(name).matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) visit(m[1]);
  };
  visit(entry);
  return [...seen];
}

describe("console bundle", () => {
  it("loads at most 150 KB gzip at first, without the signing code or PDF.js, which lazy chunks hold", () => {
    const names = firstLoad();
    const gzip = names.reduce((n, name) => n + gzipSync(chunk(name), { level: 9 }).length, 0);
    expect(gzip, names.join(", ")).to.be.at.most(150 * 1024);
    // The standard DKE (DSTU key handling) and the NCALayer client's module name mark the signing
    // chunks; PDF.js's own message about its worker marks the preview's.
    const marks = ["A9D6EB45F13C7082", "kz.gov.pki.knca.basics", "fake worker"];
    for (const name of names) for (const m of marks) expect(chunk(name), `${name} has ${m}`).to.not.include(m);
    // …and they are in the build, in chunks loaded later.
    const later = readdirSync(path.join(dist, "assets")).filter((n) => n.endsWith(".js") && !names.includes(n));
    for (const m of marks)
      expect(
        later.some((n) => chunk(n).includes(m)),
        m,
      ).to.equal(true);
  });
});
