// The trust store (SPEC R3.2): CA certificates from a directory (config/trust/ by default; PEM, one
// or several per file, or DER), reloaded on demand without a restart. Every certificate there is a
// trust anchor — root or intermediate, as national CAs publish them. A chain is built from the
// signer's certificate through the certificates the CMS carries and the store, each link's
// signature checked and each certificate checked for validity at the time given.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type * as Pkijs from "pkijs";
import { certificateBlocks, parseCertificate, type CertificateInfo, type ParsedCertificate } from "./certificates.js";

export interface TrustAnchor extends ParsedCertificate {
  file: string;
}

export interface ChainCheck {
  /** the check that failed, stable: certificate_untrusted, certificate_expired, … */
  check: string;
  detail: string;
}

export interface ChainResult {
  trusted: boolean;
  /** leaf first, up to the anchor when one was reached */
  chain: CertificateInfo[];
  /** the same certificates, parsed (links[1] issued the leaf) */
  links: ParsedCertificate[];
  failures: ChainCheck[];
}

const CERT_FILE = /\.(pem|crt|cer|der)$/i;
const MAX_DEPTH = 8;

export class TrustStore {
  private anchors: TrustAnchor[] = [];
  private problems: Array<{ file: string; error: string }> = [];
  loadedAt: string | null = null;

  constructor(readonly dir: string) {}

  /** Reads the directory again; files that do not parse are reported and skipped, never fatal. */
  async reload(now = new Date()): Promise<{ anchors: number; problems: Array<{ file: string; error: string }> }> {
    const anchors: TrustAnchor[] = [];
    const problems: Array<{ file: string; error: string }> = [];
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [] as string[];
      throw err;
    });
    for (const file of names.filter((n) => CERT_FILE.test(n)).sort()) {
      try {
        for (const der of certificateBlocks(await readFile(path.join(this.dir, file)))) anchors.push({ ...(await parseCertificate(der)), file });
      } catch (err) {
        problems.push({ file, error: (err as Error).message });
      }
    }
    this.anchors = anchors;
    this.problems = problems;
    this.loadedAt = now.toISOString();
    return { anchors: anchors.length, problems };
  }

  /** Loads the directory on first use. */
  async ensureLoaded(): Promise<void> {
    this.loading ??= this.loadedAt ? Promise.resolve() : this.reload().then(() => undefined);
    await this.loading;
  }
  private loading: Promise<void> | null = null;

  list() {
    return { dir: this.dir, loadedAt: this.loadedAt, anchors: this.anchors.map((a) => ({ file: a.file, ...a.info })), problems: this.problems };
  }

  /**
   * Builds and checks the chain of `leaf` at time `at`. `carried` are the other certificates that
   * came with it (from the CMS). Every failure is named; the chain is trusted only when it ends at
   * an anchor with every link's signature valid and every certificate valid at `at`.
   */
  async verifyChain(leaf: ParsedCertificate, carried: ParsedCertificate[], at: Date): Promise<ChainResult> {
    await this.ensureLoaded();
    const failures: ChainCheck[] = [];
    const chain: ParsedCertificate[] = [leaf];
    const validAt = (c: ParsedCertificate, role: string) => {
      if (at < c.cert.notBefore.value) failures.push({ check: "certificate_not_yet_valid", detail: `${role} ${c.info.subject} is valid only from ${c.info.notBefore}` });
      if (at > c.cert.notAfter.value) failures.push({ check: "certificate_expired", detail: `${role} ${c.info.subject} expired at ${c.info.notAfter}` });
    };
    validAt(leaf, "the signer's certificate");
    if (!leaf.info.keyAlgorithm.supported) {
      failures.push({ check: "algorithm_unsupported", detail: `algorithm not supported by the installed providers: ${leaf.info.keyAlgorithm.name}` });
      return { trusted: false, chain: chain.map((c) => c.info), links: chain, failures };
    }
    let current = leaf;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const anchor = await this.issuerAmong(current, this.anchors);
      if (anchor) {
        if (anchor.info.fingerprint !== current.info.fingerprint) chain.push(anchor);
        validAt(anchor, "the trusted CA");
        return { trusted: failures.length === 0, chain: chain.map((c) => c.info), links: chain, failures };
      }
      const next = await this.issuerAmong(current, carried.filter((c) => c.info.isCa && !chain.some((x) => x.info.fingerprint === c.info.fingerprint)));
      if (!next) break;
      validAt(next, "the intermediate CA");
      chain.push(next);
      current = next;
    }
    failures.push({ check: "certificate_untrusted", detail: `no chain from ${leaf.info.subject} to a trusted CA (issuer ${current.info.issuer})` });
    return { trusted: false, chain: chain.map((c) => c.info), links: chain, failures };
  }

  /** The certificate among `candidates` that issued `c`: same name, and its key verifies c's signature. */
  private async issuerAmong(c: ParsedCertificate, candidates: ParsedCertificate[]): Promise<ParsedCertificate | null> {
    for (const cand of candidates) {
      if (!cand.cert.subject.isEqual(c.cert.issuer) || !cand.info.keyAlgorithm.supported) continue;
      if (await verifiesSignature(c.cert, cand.cert)) return cand;
    }
    return null;
  }
}

async function verifiesSignature(cert: Pkijs.Certificate, issuer: Pkijs.Certificate): Promise<boolean> {
  try {
    return await cert.verify(issuer);
  } catch {
    return false;
  }
}
