// The baseline for the registration benchmark: a bare Koa endpoint that streams the request body to
// a file while hashing it (no parsing, no database), in a process of its own like the appliance.
// The file is removed again so a long run does not fill the disk.
import Koa from "koa";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";

/** DURABLE=1: also fdatasync each file, as the appliance must before it keeps a document. */
const durable = process.env.DURABLE === "1";
const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-stream-"));
const app = new Koa();
app.silent = true; // autocannon ends its connections mid-request when the time is up
app.use(async (ctx) => {
  const hash = createHash("sha256");
  const file = path.join(dir, randomUUID());
  const fh = await open(file, "wx");
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      await fh.write(chunk);
    }
    if (durable) await fh.datasync();
  } finally {
    await fh.close();
    rmSync(file);
  }
  ctx.status = 201;
  ctx.body = { sha256: hash.digest("hex") };
});
process.on("SIGTERM", () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
createServer(app.callback()).listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("ready\n"));
