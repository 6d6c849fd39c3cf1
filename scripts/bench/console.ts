// The console's benches: JavaScript a first load fetches (the entry and its static imports,
// gzipped; screens are lazy chunks), time to the first usable screen in headless Chromium, and the
// inbox's page switch with a million documents in the database (the inbox bench's).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { launchBrowser } from "../../test/support/browser.js";
import { median, percentile, root, signIn, startAppliance } from "./support.js";

type Report = (name: string, value: string, verdict: string) => void;
const dist = path.join(root, "console", "dist");

/** The entry chunk and everything it imports statically (dynamic import() chunks load later). */
export function firstLoadChunks(): string[] {
  const html = readFileSync(path.join(dist, "index.html"), "utf8");
  const entry = /<script type="module" src="\/(assets\/[^"]+)"/.exec(html)![1];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(path.join(dist, file), "utf8");
    // Static imports only: `import{..}from"./x.js"` or `import"./x.js"` (not `import("./x.js")`).
    for (const m of code.matchAll(/import\s*(?:[^"'()]*?from\s*)?["']\.\/([^"']+)["']/g))
      visit(path.posix.join(path.posix.dirname(file), m[1]));
  };
  visit(entry);
  return [...seen];
}

export function consoleBundleBench(report: Report) {
  const gz = (f: string) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
  const first = firstLoadChunks();
  const firstBytes = first.reduce((n, f) => n + gz(f), 0);
  const lazy = readdirSync(path.join(dist, "assets"))
    .map((f) => `assets/${f}`)
    .filter((f) => f.endsWith(".js") && !first.includes(f));
  const largestLazy = Math.max(...lazy.map(gz));
  report(
    "console first-load JavaScript (gzip)",
    `${(firstBytes / 1024).toFixed(1)} KB in ${first.length} file(s); ${lazy.length} lazy chunks, largest ${(largestLazy / 1024).toFixed(1)} KB`,
    `(target ≤ 150 KB: ratio ${(firstBytes / (150 * 1024)).toFixed(2)})`,
  );
}

/**
 * The appliance on the inbox bench's database (a million documents; `target` receives a fifth of
 * them): a clerk of the target's branch signs in through the console and pages through his inbox.
 */
export async function consoleBrowserBench(
  report: Report,
  dataDir: string,
  target: { id: string; branch: string },
  total: number,
) {
  // The seeding's million rows may still be in the page cache's dirty list: flush them first, so
  // the disk's writeback does not land in the middle of what is measured here.
  execFileSync("sync");
  const app = await startAppliance(dataDir);
  const browser = await launchBrowser();
  try {
    const base = `http://127.0.0.1:${app.port}`;
    const admin = await signIn(app);
    const created = await fetch(`${base}/api/v1/users`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({
        login: "inbox.clerk",
        email: "clerk@example.kz",
        fullName: "Inbox Clerk",
        password: "Bench!Passw0rd",
        language: "en",
        roles: [{ role: "clerk", organizationId: target.id, branchId: target.branch }],
      }),
    });
    if (created.status !== 201) throw new Error("clerk not created: " + (await created.text()));

    // First usable screen, cold (a fresh context: no cache, no cookie): the sign-in form ready to type in.
    const coldSignIn: number[] = [];
    for (let i = 0; i < 7; i++) {
      const ctx = await browser.newContext({ locale: "en-GB" });
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(base + "/");
      await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
      coldSignIn.push(performance.now() - t0);
      await ctx.close();
    }
    // Signed in, cold cache: /documents until the first page of the inbox is on screen.
    const ctx = await browser.newContext({ locale: "en-GB" });
    const page = await ctx.newPage();
    await page.goto(base + "/");
    await page.getByLabel("Login or IIN").fill("inbox.clerk");
    await page.getByLabel("Password", { exact: true }).fill("Bench!Passw0rd");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("q-paged-table tbody tr td a").first().waitFor();
    const cookies = await ctx.cookies();
    const coldInbox: number[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await browser.newContext({ locale: "en-GB" });
      await c.addCookies(cookies);
      const pg = await c.newPage();
      const t0 = performance.now();
      await pg.goto(base + "/documents");
      await pg.locator("q-paged-table tbody tr td a").first().waitFor();
      coldInbox.push(performance.now() - t0);
      await c.close();
    }
    report(
      "console first usable screen (headless Chromium, cold)",
      `sign-in form ${median(coldSignIn).toFixed(0)} ms; inbox of ${total.toLocaleString("en")} documents with its first page ${median(coldInbox).toFixed(0)} ms (medians of 7)`,
      `(target ≤ 1000 ms: ratio ${(Math.max(median(coldSignIn), median(coldInbox)) / 1000).toFixed(2)})`,
    );

    await pageSwitches(page, 10); // warm-up: the appliance's and SQLite's caches after a fresh start
    const switches = await pageSwitches(page, 60);
    report(
      `console inbox page switch over ${total.toLocaleString("en")} documents`,
      `p95 ${percentile(switches, 0.95).toFixed(0)} ms (median ${median(switches).toFixed(0)} ms, ${switches.length} switches)`,
      `(target ≤ 200 ms: ratio ${(percentile(switches, 0.95) / 200).toFixed(2)})`,
    );
    await ctx.close();
  } finally {
    await browser.close();
    await app.stop();
  }
}

/** Clicks "Next page" n times (or "Previous page" at the end); each switch lasts from the click until the table fires q-page-show for the new page. */
async function pageSwitches(page: Page, n: number): Promise<number[]> {
  const times: number[] = [];
  await page.evaluate("window.__name = (f) => f"); // tsx (esbuild keepNames) wraps named functions sent to the page
  for (let i = 0; i < n; i++) {
    const ms = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const app = document.querySelector("qujat-app")!.shadowRoot!;
          const screen = app.querySelector("q-documents-page")!.shadowRoot!;
          const table = screen.querySelector("q-paged-table")!;
          const buttons = [...table.shadowRoot!.querySelectorAll("button")];
          // At the last page (a small BENCH_INBOX_DOCUMENTS) it walks back instead.
          const next =
            buttons.find((b) => b.textContent!.trim() === "Next page" && !b.disabled) ??
            buttons.find((b) => b.textContent!.trim() === "Previous page")!;
          const t0 = performance.now();
          table.addEventListener("q-page-show", () => requestAnimationFrame(() => resolve(performance.now() - t0)), {
            once: true,
          });
          next.click();
        }),
    );
    times.push(ms);
  }
  return times;
}

/**
 * Every screen, opened by its address in a signed-in browser (the SPA loads, the screen's chunk
 * and data arrive): time until its heading is on screen and nothing is busy — for the document
 * page, until the PDF preview is drawn. A small appliance of its own (one organization, one
 * document), so what is measured is the console, not a large database.
 */
export async function consoleScreensBench(report: Report, dataDir: string) {
  const { invoiceFields, jsonDocument, renderablePdf } = await import("../../test/support/documents.js");
  const app = await startAppliance(path.join(dataDir, "screens"));
  const browser = await launchBrowser();
  try {
    const base = `http://127.0.0.1:${app.port}`;
    const admin = await signIn(app);
    const call = async (method: string, p: string, body: unknown, token = admin.token) => {
      const r = await fetch(base + "/api/v1" + p, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const org = await call("POST", "/organizations", { name: "Screens LLP", country: "KZ", bin: "990340000014" });
    await call("POST", "/users", {
      login: "screens.head",
      email: "head@screens.kz",
      fullName: "Screens Head",
      password: "Bench!Passw0rd",
      language: "en",
      roles: [{ role: "head", organizationId: org.id, branchId: org.headOfficeId }],
    });
    const head = await (
      await fetch(`${base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "screens.head", password: "Bench!Passw0rd" }),
      })
    ).json();
    const other = await call("POST", "/organizations", { name: "Other JSC", country: "KZ", bin: "990440000038" });
    const doc = await call(
      "POST",
      "/documents",
      jsonDocument(
        { kind: "invoice", recipient: { organizationId: other.id }, fields: invoiceFields({ number: "SCR-1" }) },
        renderablePdf("SCREENS"),
      ),
      head.token,
    );
    const screens: Record<string, string[]> = {
      bench: [
        "/organizations",
        `/organizations/${org.id}`,
        "/staff",
        "/system",
        "/audit",
        "/billing",
        "/compliance",
        "/account",
      ],
      "screens.head": [
        "/documents",
        "/documents?box=approval",
        "/documents/new",
        `/documents/${doc.id}`,
        "/notices",
        "/account",
      ],
    };
    const times: Array<[string, number]> = [];
    for (const [login, paths] of Object.entries(screens)) {
      const ctx = await browser.newContext({ locale: "en-GB" });
      const page = await ctx.newPage();
      await page.goto(base + "/");
      await page.getByLabel("Login or IIN").fill(login);
      await page.getByLabel("Password", { exact: true }).fill("Bench!Passw0rd");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.locator("qujat-app header nav").waitFor({ state: "attached" });
      for (const p of paths) {
        const runs: number[] = [];
        for (let i = 0; i < 4; i++) {
          const t0 = performance.now();
          await page.goto(base + p);
          await page.locator("qujat-app main h1").first().waitFor();
          await page.waitForFunction(() => {
            const appRoot = document.querySelector("qujat-app")?.shadowRoot;
            const main = appRoot?.querySelector("main");
            const screen = main?.lastElementChild?.shadowRoot;
            return (
              Boolean(screen) &&
              !appRoot!.querySelector("[aria-busy=true]") &&
              !screen!.querySelector("[aria-busy=true]")
            );
          });
          if (p.startsWith("/documents/0")) await page.getByRole("img", { name: /Page 1 of/ }).waitFor();
          if (i > 0) runs.push(performance.now() - t0); // the first opening warms the chunk cache
        }
        times.push([p.replace(/[0-9a-f-]{36}/, ":id"), median(runs)]);
      }
      await ctx.close();
    }
    const worst = times.reduce((a, b) => (b[1] > a[1] ? b : a));
    report(
      "console: every screen interactive (headless Chromium)",
      `${times.length} screens, median ${median(times.map((x) => x[1])).toFixed(0)} ms, slowest ${worst[0]} ${worst[1].toFixed(0)} ms`,
      `(target ≤ 1000 ms: ratio ${(worst[1] / 1000).toFixed(2)})`,
    );
  } finally {
    await browser.close();
    await app.stop();
  }
}
