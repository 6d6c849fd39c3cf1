// The trust store (SPEC R3.2): CA certificates from a directory (config/trust/ by default; PEM, one
// or several per file, or DER), reloaded on demand without a restart. Every certificate there is a
// trust anchor — root or intermediate, as national CAs publish them. A chain is built from the
// signer's certificate through the certificates the CMS carries and the store, each link's
// signature checked and each certificate checked for validity at the time given.
import type { SignatureCheck } from "../problemCodes.js";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  certificateBlocks,
  issuedBy,
  parseCertificate,
  type CertificateInfo,
  type ParsedCertificate,
} from "./certificates.js";

export interface TrustAnchor extends ParsedCertificate {
  file: string;
}

export interface ChainCheck {
  /** the check that failed, stable: certificate_untrusted, certificate_expired, … */
  check: SignatureCheck;
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
  /** bumped by every reload: cached paths of an earlier trust store are not used */
  private generation = 0;

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
        for (const der of certificateBlocks(await readFile(path.join(this.dir, file))))
          anchors.push({ ...(await parseCertificate(der)), file });
      } catch (err) {
        problems.push({ file, error: (err as Error).message });
      }
    }
    this.anchors = anchors;
    this.problems = problems;
    this.paths.clear();
    this.generation++;
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
    return {
      dir: this.dir,
      loadedAt: this.loadedAt,
      anchors: this.anchors.map((a) => ({ file: a.file, ...a.info })),
      problems: this.problems,
    };
  }

  /**
   * Builds and checks the chain of `leaf` at time `at`. `carried` are the other certificates that
   * came with it (from the CMS). Every failure is named; the chain is trusted only when it ends at
   * an anchor with every link's signature valid and every certificate valid at `at`.
   */
  async verifyChain(leaf: ParsedCertificate, carried: ParsedCertificate[], at: Date): Promise<ChainResult> {
    await this.ensureLoaded();
    const path = await this.pathOf(leaf, carried);
    const failures: ChainCheck[] = [];
    path.links.forEach((c, i) => {
      const role =
        i === 0
          ? "the signer's certificate"
          : path.anchored && i === path.links.length - 1
            ? "the trusted CA"
            : "the intermediate CA";
      if (at < c.cert.notBefore.value)
        failures.push({
          check: "certificate_not_yet_valid",
          detail: `${role} ${c.info.subject} is valid only from ${c.info.notBefore}`,
        });
      if (at > c.cert.notAfter.value)
        failures.push({
          check: "certificate_expired",
          detail: `${role} ${c.info.subject} expired at ${c.info.notAfter}`,
        });
    });
    if (path.unsupported)
      failures.push({
        check: "algorithm_unsupported",
        detail: `algorithm not supported by the installed providers: ${leaf.info.keyAlgorithm.name}`,
      });
    else if (!path.anchored)
      failures.push({
        check: "certificate_untrusted",
        detail: `no chain from ${leaf.info.subject} to a trusted CA (issuer ${path.links.at(-1)!.info.issuer})`,
      });
    return {
      trusted: path.anchored && failures.length === 0,
      chain: path.links.map((c) => c.info),
      links: path.links,
      failures,
    };
  }

  // Paths found, by the certificates involved and the trust store's generation: finding one checks
  // a signature per link, while the time checks above are cheap and made for every call.
  private paths = new Map<string, { links: ParsedCertificate[]; anchored: boolean; unsupported: boolean }>();

  private async pathOf(leaf: ParsedCertificate, carried: ParsedCertificate[]) {
    const key = `${this.generation}|${leaf.info.fingerprint}|${carried
      .map((c) => c.info.fingerprint)
      .sort()
      .join(",")}`;
    const hit = this.paths.get(key);
    if (hit) return hit;
    const links: ParsedCertificate[] = [leaf];
    let result = { links, anchored: false, unsupported: !leaf.info.keyAlgorithm.supported };
    if (!result.unsupported) {
      let current = leaf;
      for (let depth = 0; depth < MAX_DEPTH; depth++) {
        const anchor = await this.issuerAmong(current, this.anchors);
        if (anchor) {
          if (anchor.info.fingerprint !== current.info.fingerprint) links.push(anchor);
          result = { links, anchored: true, unsupported: false };
          break;
        }
        const next = await this.issuerAmong(
          current,
          carried.filter((c) => c.info.isCa && !links.some((x) => x.info.fingerprint === c.info.fingerprint)),
        );
        if (!next) break;
        links.push(next);
        current = next;
      }
    }
    if (this.paths.size >= 5000) this.paths.delete(this.paths.keys().next().value!);
    this.paths.set(key, result);
    return result;
  }

  /** The certificate among `candidates` that issued `c`: same name, and its key verifies c's signature. */
  private async issuerAmong(c: ParsedCertificate, candidates: ParsedCertificate[]): Promise<ParsedCertificate | null> {
    for (const cand of candidates) {
      if (!cand.cert.subject.isEqual(c.cert.issuer) || !cand.info.keyAlgorithm.supported) continue;
      if (await issuedBy(c.cert, cand.cert).catch(() => false)) return cand;
    }
    return null;
  }
}
