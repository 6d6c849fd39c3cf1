// Test certificates and CMS signatures made by OpenSSL — an independent implementation, so our
// CMS check is tested against what real signing tools produce, not against itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestSigner {
  /** detached CMS, DER, made by `openssl cms -sign` */
  sign(content: Buffer, o?: { md?: string; noattr?: boolean; attached?: boolean; pem?: boolean; nocerts?: boolean }): Buffer;
  certPem: string;
  dir: string;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** A self-signed signing certificate (RSA 2048 or EC P-256) whose subject carries an IIN and a BIN. */
export function testSigner(o: { key?: "rsa" | "ec"; cn?: string; iin?: string; bin?: string } = {}): TestSigner {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-pki-"));
  const keyArgs = o.key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  const subj = `/CN=${o.cn ?? "Test Signer"}/serialNumber=IIN${o.iin ?? "000000000000"}/OU=BIN${o.bin ?? "000000000000"}/O=Test/C=KZ`;
  openssl(["req", "-x509", ...keyArgs, "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "30", "-subj", subj,
    "-addext", "keyUsage=critical,digitalSignature,nonRepudiation"], dir);
  let n = 0;
  return {
    dir,
    certPem: readFileSync(path.join(dir, "cert.pem"), "utf8"),
    sign(content, s = {}) {
      const name = `c${++n}`;
      writeFileSync(path.join(dir, name), content);
      const args = ["cms", "-sign", "-binary", "-in", name, "-signer", "cert.pem", "-inkey", "key.pem", "-outform", s.pem ? "PEM" : "DER", "-out", name + ".p7s"];
      args.push("-md", s.md ?? "sha256");
      if (s.attached) args.push("-nodetach");
      if (s.noattr) args.push("-noattr");
      if (s.nocerts) args.push("-nocerts");
      openssl(args, dir);
      return readFileSync(path.join(dir, name + ".p7s"));
    },
  };
}

/** `openssl cms -verify` of a detached CMS against content, trusting the signer's own certificate. */
export function opensslVerifies(signer: TestSigner, cms: Buffer, content: Buffer): boolean {
  const dir = signer.dir;
  writeFileSync(path.join(dir, "v.p7s"), cms);
  writeFileSync(path.join(dir, "v.bin"), content);
  try {
    openssl(["cms", "-verify", "-binary", "-inform", "DER", "-in", "v.p7s", "-content", "v.bin", "-CAfile", "cert.pem", "-purpose", "any", "-out", "/dev/null"], dir);
    return true;
  } catch {
    return false;
  }
}

export const removeSigner = (s: TestSigner) => rmSync(s.dir, { recursive: true, force: true });
