// Debian's Chromium, headless, driven by playwright-core — the console's tests run in a real browser
// against a real appliance. Also: the software key that stands in for a signing token (exposed to
// the page as window.qujatSigner), axe-core accessibility checks, and screenshots of each screen.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { projectRoot } from "../../server/config/index.js";
import type { TestSigner } from "./pki.js";

export const SCREENSHOTS = path.join(projectRoot, "test", "output", "console");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.QUJAT_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * A browser context (own cookies) whose pages carry a software signer. `key()` names the key that
 * signs now; it signs with `openssl cms -sign` (detached, DER) like a token's middleware would.
 */
export async function signerContext(
  browser: Browser,
  key: () => TestSigner | null,
  viewport = { width: 1280, height: 900 },
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: "en-GB" });
  await context.exposeBinding("qujatTestSign", (_source, dataBase64: string) => {
    const k = key();
    if (!k) throw new Error("no key in the test signer");
    return k.sign(Buffer.from(dataBase64, "base64")).toString("base64");
  });
  // A string, not a function: the test loader's transforms must not reach into the page.
  await context.addInitScript(
    `window.qujatSigner = { name: "Test software key", sign: (data, purpose) => window.qujatTestSign(data, purpose) };`,
  );
  return context;
}

/**
 * Signs in through the console's own form, whatever its language (fields by name, not by label),
 * and waits until the shell shows its menu.
 */
export async function signInThroughForm(page: Page, baseUrl: string, login: string, password: string) {
  await page.goto(baseUrl + "/");
  const form = page.locator("form:has(input[name=login])");
  await form.locator("input[name=login]").fill(login);
  await form.locator("input[name=password]").fill(password);
  await form.locator("button[type=submit]").click();
  await page.locator("qujat-app header nav").waitFor({ state: "attached" });
}

/** A page that fails the test on any uncaught error or console error (a 4xx the page handles is not one). */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** axe-core over the page (shadow roots included): every violation, of any impact. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: unknown,
            o: unknown,
          ): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }> }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return result;
}

/** Saves a screenshot as test/output/console/<name>.png: the whole page, or only what the viewport shows. */
export async function screenshot(page: Page, name: string, fullPage = true) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}
