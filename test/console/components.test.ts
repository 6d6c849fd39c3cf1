// The console's tricky components, tested from their source (bundled on the fly by esbuild, not the
// built console) in headless Chromium: the keyset-paged table, the upload zone, the approval-route
// editor. Each is mounted alone on a blank page and driven like a person would.
import { expect } from "chai";
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { projectRoot } from "../../server/config/index.js";
import { launchBrowser } from "../support/browser.js";
import { opensslVerifies, removeSigner, testSigner } from "../support/pki.js";

/** `entry` (module code, resolved from console/src) bundled from source for the browser. */
async function bundle(entry: string): Promise<string> {
  const out = await build({
    stdin: { contents: entry, resolveDir: path.join(projectRoot, "console", "src"), loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    target: "es2022",
    tsconfig: path.join(projectRoot, "console", "tsconfig.json"),
  });
  return out.outputFiles[0].text;
}

/** A blank page with the component's source module loaded (messages in English, the fallback). */
async function mount(browser: Browser, component: string): Promise<Page> {
  const code = await bundle(`import "./components/${component}/${component}.ts";`);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.setContent("<!doctype html><html lang='en'><body></body></html>");
  // The test loader (esbuild, keepNames) wraps named functions in __name(); the callbacks sent to the page need it too.
  await page.evaluate("window.__name = (f) => f");
  await page.addScriptTag({ content: code, type: "module" });
  await page.waitForFunction((tag) => Boolean(customElements.get(tag)), component);
  (page as unknown as { errors: string[] }).errors = errors;
  return page;
}

describe("console components (source, in Chromium)", function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  describe("<q-paged-table>", () => {
    let page: Page;
    beforeEach(async () => {
      page = await mount(browser, "q-paged-table");
      // 120 rows served in keyset pages of 50, newest first, like the API; every request is logged.
      await page.evaluate(() => {
        const w = window as any;
        w.requests = [];
        w.rows = Array.from({ length: 120 }, (_, i) => ({ id: 120 - i, name: `Row ${120 - i}` }));
        w.source =
          (rows: any[], delays: Record<string, number> = {}) =>
          async (cursor: string | null) => {
            w.requests.push(cursor);
            await new Promise((r) => setTimeout(r, delays[String(cursor)] ?? 0));
            const from = cursor === null ? 0 : rows.findIndex((r) => r.id === Number(cursor)) + 1;
            const items = rows.slice(from, from + 50);
            return { items, next: items.length === 50 && from + 50 < rows.length ? String(items[49].id) : null };
          };
        const table = document.createElement("q-paged-table") as any;
        table.columns = [
          { label: "Id", render: (r: any) => r.id },
          { label: "Name", render: (r: any) => r.name },
        ];
        w.shown = [];
        table.addEventListener("q-page-show", (e: any) => w.shown.push([e.page, e.rows]));
        document.body.append(table);
        table.fetchPage = w.source(w.rows);
        w.table = table;
      });
    });
    afterEach(async () => {
      expect((page as any).errors).to.deep.equal([]);
      await page.close();
    });

    const firstCell = () => page.locator("q-paged-table tbody tr").first().locator("td").first().textContent();

    it("walks forward and back by cursors, never by offsets, and stops at the end", async () => {
      await page.getByText("Page 1").waitFor();
      expect(await firstCell()).to.equal("120");
      expect(await page.getByRole("button", { name: "Previous page" }).isDisabled()).to.equal(true);
      await page.getByRole("button", { name: "Next page" }).click();
      await page.getByText("Page 2").waitFor();
      expect(await firstCell()).to.equal("70");
      await page.getByRole("button", { name: "Next page" }).click();
      await page.getByText("Page 3").waitFor();
      expect(await page.locator("q-paged-table tbody tr").count()).to.equal(20);
      expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).to.equal(true);
      await page.getByRole("button", { name: "Previous page" }).click();
      await page.getByText("Page 2").waitFor();
      expect(await firstCell()).to.equal("70");
      expect(await page.evaluate(() => (window as any).requests)).to.deep.equal([null, "71", "21", "71"]);
      expect(await page.evaluate(() => (window as any).shown)).to.deep.equal([
        [1, 50],
        [2, 50],
        [3, 20],
        [2, 50],
      ]);
    });

    it("starts again from the first page when the filters (fetchPage) change, and shows the empty state", async () => {
      await page.getByRole("button", { name: "Next page" }).click();
      await page.getByText("Page 2").waitFor();
      await page.evaluate(() => {
        const w = window as any;
        w.table.fetchPage = w.source([]);
      });
      await page.getByText("Page 1").waitFor();
      await page.getByText("Nothing here yet.").waitFor();
    });

    it("ignores a slower answer to an earlier request (the later filter wins)", async () => {
      await page.getByText("Page 1").waitFor();
      await page.evaluate(() => {
        const w = window as any;
        w.table.fetchPage = w.source(w.rows.slice(0, 10), { null: 400 }); // slow
        w.table.fetchPage = w.source(w.rows.slice(100)); // fast, asked later
      });
      await page.waitForTimeout(600);
      expect(await firstCell()).to.equal("20");
      expect(await page.locator("q-paged-table tbody tr").count()).to.equal(20);
    });

    it("shows the API's problem instead of rows when a page fails", async () => {
      await page.evaluate(() => {
        const w = window as any;
        w.table.fetchPage = async () => {
          throw Object.assign(new Error("x"), { problem: undefined });
        };
      });
      await page.getByRole("alert").waitFor();
      expect((await page.locator("q-paged-table tbody tr td").first().textContent())?.trim()).to.equal(
        "Nothing here yet.",
      );
    });
  });

  describe("<q-upload>", () => {
    let page: Page;
    beforeEach(async () => {
      page = await mount(browser, "q-upload");
      await page.evaluate(() => {
        const w = window as any;
        const u = document.createElement("q-upload") as any;
        u.label = "Attachments";
        u.multiple = true;
        u.maxBytes = 1000;
        w.changes = [];
        u.addEventListener("q-files-change", (e: any) => w.changes.push(e.files.map((f: File) => f.name)));
        document.body.append(u);
        w.upload = u;
      });
    });
    afterEach(async () => {
      expect((page as any).errors).to.deep.equal([]);
      await page.close();
    });

    it("adds files chosen with the keyboard-reachable input, lists them, removes one, and refuses more than the limit", async () => {
      const input = page.getByLabel("Attachments");
      await input.setInputFiles([
        { name: "a.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(400) },
        { name: "b.png", mimeType: "image/png", buffer: Buffer.alloc(300) },
      ]);
      await page.getByText("a.pdf").waitFor();
      expect(await page.getByRole("alert").count()).to.equal(0);
      await input.setInputFiles([{ name: "c.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(400) }]); // 1100 bytes in all
      await page.getByRole("alert").filter({ hasText: "Too large" }).waitFor();
      expect(await page.evaluate(() => (window as any).upload.valid)).to.equal(false);
      await page.getByRole("button", { name: "Remove b.png" }).click();
      expect(await page.getByRole("alert").count()).to.equal(0);
      expect(await page.evaluate(() => (window as any).upload.valid)).to.equal(true);
      expect(await page.evaluate(() => (window as any).changes)).to.deep.equal([
        ["a.pdf", "b.png"],
        ["a.pdf", "b.png", "c.pdf"],
        ["a.pdf", "c.pdf"],
      ]);
    });

    it("takes files dropped on the zone and shows the upload's progress", async () => {
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["x".repeat(10)], "dropped.txt"));
        const zone = (window as any).upload.shadowRoot.querySelector(".zone");
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await page.getByText("dropped.txt").waitFor();
      await page.evaluate(() => {
        (window as any).upload.progress = 0.42;
      });
      await page.getByText("42 %").waitFor();
      expect(
        await page.evaluate(() => (window as any).upload.shadowRoot.querySelector("progress").value),
      ).to.be.closeTo(0.42, 1e-9);
    });
  });

  describe("<q-route-editor>", () => {
    let page: Page;
    beforeEach(async () => {
      page = await mount(browser, "q-route-editor");
      await page.evaluate(() => {
        const w = window as any;
        const r = document.createElement("q-route-editor") as any;
        r.candidates = [
          { id: "u1", name: "Aigerim" },
          { id: "u2", name: "Bolat" },
          { id: "u3", name: "Dana" },
        ];
        w.routes = [];
        r.addEventListener("q-route-change", (e: any) => w.routes.push(JSON.parse(JSON.stringify(e.steps))));
        document.body.append(r);
        w.editor = r;
      });
    });
    afterEach(async () => {
      expect((page as any).errors).to.deep.equal([]);
      await page.close();
    });

    const steps = () => page.evaluate(() => (window as any).editor.steps);

    it("builds ordered steps of approvers with any/all, moves and removes them, and is invalid while a step has nobody", async () => {
      expect(await page.evaluate(() => (window as any).editor.valid)).to.equal(false);
      const step = (n: number) => page.getByRole("listitem", { name: `Step ${n}` });
      await step(1).getByLabel("Aigerim").check();
      await step(1).getByLabel("Bolat").check();
      await page.getByRole("button", { name: "Add a step" }).click();
      expect(await page.evaluate(() => (window as any).editor.valid)).to.equal(false);
      await step(2).getByLabel("Dana").check();
      await step(2).getByLabel("Who must approve").selectOption("any");
      expect(await steps()).to.deep.equal([
        { approvers: ["u1", "u2"], mode: "all" },
        { approvers: ["u3"], mode: "any" },
      ]);
      expect(await page.evaluate(() => (window as any).editor.valid)).to.equal(true);
      await page.getByRole("button", { name: "Move step 2 up" }).click();
      expect(await steps()).to.deep.equal([
        { approvers: ["u3"], mode: "any" },
        { approvers: ["u1", "u2"], mode: "all" },
      ]);
      expect(await page.getByRole("button", { name: "Move step 1 up" }).isDisabled()).to.equal(true);
      await step(1).getByLabel("Dana").uncheck();
      await step(1).getByText("Choose at least one approver.").waitFor();
      await step(1).getByRole("button", { name: "Remove step" }).click();
      expect(await steps()).to.deep.equal([{ approvers: ["u1", "u2"], mode: "all" }]);
      expect(await page.getByRole("button", { name: "Remove step" }).isDisabled()).to.equal(true); // the last step stays
      const events = await page.evaluate(() => (window as any).routes);
      expect(events.at(-1)).to.deep.equal([{ approvers: ["u1", "u2"], mode: "all" }]);
      expect(events.length).to.equal(8);
    });
  });

  describe("key-file signer (PEM key and certificate, WebCrypto)", () => {
    // WebCrypto's subtle API exists only in secure contexts: a page from http://127.0.0.1 is one.
    let server: Server;
    let origin = "";
    before(async () => {
      server = createServer((_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end("<!doctype html><title>blank</title>");
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    after(() => new Promise((r) => server.close(r)));
    for (const kind of ["rsa", "ec"] as const) {
      it(`makes a detached CMS (${kind === "rsa" ? "RSA" : "ECDSA P-256"}) that OpenSSL verifies over the content, and that fails over other content`, async () => {
        const signer = testSigner({ key: kind, cn: "Key File Person" });
        const code = await bundle(
          `import { openKeyFiles } from "./signing/containers.ts";
           import { fileSigner } from "./signing/fileSigner.ts";
           const enc = new TextEncoder();
           window.keyFileSigner = async (key, cert) => {
             const [choice] = await openKeyFiles([{ name: "key.pem", bytes: enc.encode(key) }, { name: "cert.pem", bytes: enc.encode(cert) }], "");
             return fileSigner(choice, "key.pem");
           };`,
        );
        const page = await browser.newPage();
        try {
          await page.goto(origin);
          await page.addScriptTag({ content: code, type: "module" });
          await page.waitForFunction(() => "keyFileSigner" in window);
          const content = Buffer.from(`%PDF-1.4 content to sign ${kind} ${Date.now()}`);
          const cms = Buffer.from(
            (await page.evaluate(`window.keyFileSigner(${JSON.stringify(readFileSync(path.join(signer.dir, "key.pem"), "utf8"))}, ${JSON.stringify(signer.certPem)})
            .then((s) => s.sign(${JSON.stringify(content.toString("base64"))}, "sign"))`)) as string,
            "base64",
          );
          expect(opensslVerifies(signer, cms, content)).to.equal(true);
          expect(opensslVerifies(signer, cms, Buffer.concat([content, Buffer.from("!")]))).to.equal(false);
        } finally {
          await page.close();
          removeSigner(signer);
        }
      });
    }
  });
});
