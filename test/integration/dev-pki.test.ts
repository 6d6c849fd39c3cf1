// The development PKI a newcomer's first steps use (README, "First steps"): one script makes a CA,
// two signers in two organizations, the HSM token — and starts the OCSP responder itself. Checked
// with OpenSSL: each person's PKCS#12 opens with the documented password and names his IIN and
// BIN, and the responder the script started answers "good" for both.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../../server/config/index.js";
import { onPostgres } from "../support/app.js";
import { freePort } from "../support/net.js";

describe("the development PKI (scripts/dev-pki/setup.sh)", function () {
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-dev-pki-"));
  let port: number;

  before(async function () {
    if (onPostgres()) return this.skip(); // no database in it: one pass is enough
    port = await freePort();
    execFileSync("bash", ["scripts/dev-pki/setup.sh"], {
      cwd: projectRoot,
      env: { ...process.env, QUJAT_DEV_PKI_DIR: dir, QUJAT_DEV_OCSP_PORT: String(port) },
      stdio: "pipe",
    });
  });
  after(() => {
    const pid = path.join(dir, "ocsp.pid");
    if (existsSync(pid)) {
      try {
        process.kill(Number(readFileSync(pid, "utf8")));
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const subjectOf = (p12: string) =>
    execFileSync(
      "bash",
      ["-c", `openssl pkcs12 -in "${p12}" -passin pass:test -nokeys -clcerts | openssl x509 -noout -subject`],
      { encoding: "utf8" },
    );
  const ocsp = (pem: string) =>
    execFileSync(
      "openssl",
      [
        "ocsp",
        "-issuer",
        path.join(dir, "ca", "ca.pem"),
        "-cert",
        pem,
        "-url",
        `http://127.0.0.1:${port}/`,
        "-CAfile",
        path.join(dir, "ca", "ca.pem"),
        "-no_nonce",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );

  it("makes a sender and a counterparty, each with a signing and an AUTH key file, in two organizations", () => {
    for (const [name, iin, bin] of [
      ["sign", "880101300123", "990340000014"],
      ["auth", "880101300123", "990340000014"],
      ["counterparty-sign", "870202400512", "990440000038"],
      ["counterparty-auth", "870202400512", "990440000038"],
    ]) {
      const subject = subjectOf(path.join(dir, "people", `${name}.p12`));
      expect(subject, name).to.include(`IIN${iin}`).and.include(`BIN${bin}`);
    }
    expect(() =>
      execFileSync(
        "openssl",
        ["pkcs12", "-in", path.join(dir, "people", "sign.p12"), "-passin", "pass:wrong", "-noout"],
        { stdio: "pipe" },
      ),
    ).to.throw();
  });

  it("has started the OCSP responder, which answers good for both signers", () => {
    for (const name of ["sign", "counterparty-sign"]) {
      const answer = ocsp(path.join(dir, "people", `${name}.pem`));
      expect(answer, name).to.match(/: good/);
    }
  });
});
