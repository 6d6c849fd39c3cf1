// The HSM (SPEC R3.1): a PKCS#11 token reached through node-webcrypto-p11. Keys are found by label
// and never leave the token; the appliance signs with them in `lanes` sessions at once.
//
// Measured on these machines, and why the code looks like this:
//  - C_Initialize is called by us, with CKF_OS_LOCKING_OK, before any session: without it,
//    concurrent signing crashes the process. node-webcrypto-p11 is then handed ready sessions.
//  - One session per concurrent lane (a PKCS#11 session runs one operation at a time).
//  - The token is found by its label, never by slot index (indexes change as tokens come and go).
//  - The module is finalized once, when the last user closes it (C_Finalize ends every session of
//    the process).
import "reflect-metadata";
import { createHash, type webcrypto } from "node:crypto";
import type * as Graphene from "graphene-pk11";
import type { Crypto as P11Crypto, CryptoKey as P11CryptoKey } from "node-webcrypto-p11";
import { UnavailableError } from "../errors.js";
import { parseCertificate } from "./certificates.js";
import { CmsTemplate } from "./cmsBuilder.js";
import type { Signer } from "./signer.js";

export interface HsmOptions {
  /** path of the PKCS#11 module (libsofthsm2.so, a vendor's library) */
  module: string;
  tokenLabel: string;
  pin: string;
  lanes: number;
}

/** A signing key on the token with the certificate stored beside it (same label). */
export interface HsmKey {
  label: string;
  id: string;
  algorithm: string;
  certificate: Buffer | null;
  template: CmsTemplate | null;
  /** the key as node-webcrypto-p11 sees it (usable from every lane: token object handles are per application) */
  key: P11CryptoKey;
}

// CKM_SHA256_RSA_PKCS and CKM_ECDSA (the digest is made here for ECDSA: tokens differ in which hashing ECDSA mechanisms they have).
const MECHANISM_RSA = { mechanism: 0x40 };
const MECHANISM_ECDSA = { mechanism: 0x1041 };

const gone = (err: unknown) =>
  new UnavailableError("hsm_unavailable", `The HSM cannot sign now: ${(err as Error).message}`);

// One loaded module per library path for the whole process.
const modules = new Map<string, { module: Graphene.Module; users: number; flags: number }>();

/** The flags C_Initialize was called with for a loaded module (CKF_OS_LOCKING_OK), for diagnostics and tests. */
export const initializeFlags = (module: string) => modules.get(module)?.flags ?? null;

export class Hsm {
  private free: P11Crypto[] = [];
  private waiting: Array<(c: P11Crypto) => void> = [];
  private keys = new Map<string, HsmKey>();
  private closed = false;
  readonly token: { label: string; manufacturer: string; model: string; serialNumber: string };

  private constructor(
    readonly options: Omit<HsmOptions, "pin">,
    private readonly graphene: typeof Graphene,
    private readonly sessions: Graphene.Session[],
    lanes: P11Crypto[],
    token: Graphene.Token,
  ) {
    this.free = [...lanes];
    this.token = {
      label: token.label.trim(),
      manufacturer: token.manufacturerID.trim(),
      model: token.model.trim(),
      serialNumber: token.serialNumber.trim(),
    };
  }

  static async open(o: HsmOptions): Promise<Hsm> {
    const graphene = await import("graphene-pk11");
    // pkcs11js is CommonJS: its constants are on the default export (a named import would be undefined).
    const pkcs11 = (await import("pkcs11js")).default;
    const { Crypto } = await import("node-webcrypto-p11");
    let entry = modules.get(o.module);
    if (!entry) {
      const module = graphene.Module.load(o.module, "qujat-hsm");
      const flags = pkcs11.CKF_OS_LOCKING_OK;
      if (typeof flags !== "number") throw new Error("pkcs11js has no CKF_OS_LOCKING_OK");
      module.initialize({ flags });
      entry = { module, users: 0, flags };
      modules.set(o.module, entry);
    }
    entry.users++;
    try {
      const slots = entry.module.getSlots(true);
      let slot: Graphene.Slot | null = null;
      const labels: string[] = [];
      for (let i = 0; i < slots.length; i++) {
        const s = slots.items(i);
        const label = s.getToken().label.trim();
        labels.push(label);
        if (label === o.tokenLabel) slot = s;
      }
      if (!slot)
        throw new Error(
          `no token labelled "${o.tokenLabel}" (tokens present: ${labels.map((l) => `"${l}"`).join(", ") || "none"})`,
        );
      const sessions: Graphene.Session[] = [];
      const lanes: P11Crypto[] = [];
      for (let i = 0; i < o.lanes; i++) {
        const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
        // Login is per application: the first session's login covers them all.
        if (i === 0) {
          try {
            session.login(o.pin, graphene.UserType.USER);
          } catch (err) {
            if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message))
              throw new Error(`login to token "${o.tokenLabel}" failed: ${(err as Error).message.split(":")[0]}`, {
                cause: err,
              });
          }
        }
        sessions.push(session);
        lanes.push(new Crypto({ session }));
      }
      const hsm = new Hsm(
        { module: o.module, tokenLabel: o.tokenLabel, lanes: o.lanes },
        graphene,
        sessions,
        lanes,
        slot.getToken(),
      );
      await hsm.loadKeys();
      return hsm;
    } catch (err) {
      release(o.module);
      throw err;
    }
  }

  /** Finds every private key on the token and its certificate (same label). */
  private async loadKeys(): Promise<void> {
    const g = this.graphene;
    const lane = await this.lane();
    try {
      const certs = new Map<string, Buffer>();
      const found = lane.session.find({ class: g.ObjectClass.CERTIFICATE });
      for (let i = 0; i < found.length; i++) {
        const c = found.items(i).toType<Graphene.X509Certificate>();
        certs.set(c.label, c.value);
      }
      const indexes = await lane.keyStorage.keys();
      for (const index of indexes.filter((k) => k.startsWith("private-"))) {
        const probe = await lane.keyStorage.getItem(index);
        const obj = probe.p11Object as Graphene.PrivateKey;
        const label = obj.label;
        const isEc = obj.type === g.KeyType.EC;
        const described = probe.algorithm as { namedCurve?: string; modulusLength?: number };
        const algorithm = isEc
          ? { name: "ECDSA", namedCurve: described.namedCurve ?? "P-256" }
          : { name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } };
        const key = await lane.keyStorage.getItem(index, algorithm, false, ["sign"]);
        const certificate = certs.get(label) ?? null;
        this.keys.set(label, {
          label,
          id: obj.id.toString("hex"),
          algorithm: isEc
            ? `ECDSA ${algorithm.namedCurve}`
            : `RSA${described.modulusLength ? ` ${described.modulusLength}` : ""}`,
          certificate,
          template: certificate ? await CmsTemplate.forCertificate(certificate) : null,
          key,
        });
      }
    } finally {
      this.release(lane);
    }
  }

  listKeys(): Array<Omit<HsmKey, "key" | "template" | "certificate"> & { certificate: { sha256: string } | null }> {
    return [...this.keys.values()].map((k) => ({
      label: k.label,
      id: k.id,
      algorithm: k.algorithm,
      certificate: k.certificate ? { sha256: createHash("sha256").update(k.certificate).digest("hex") } : null,
    }));
  }

  key(label: string): HsmKey {
    const k = this.keys.get(label);
    if (!k)
      throw new UnavailableError(
        "hsm_key_missing",
        `The HSM token "${this.options.tokenLabel}" has no key labelled "${label}"`,
      );
    return k;
  }

  private lane(): Promise<P11Crypto> {
    if (this.closed) return Promise.reject(gone(new Error("the HSM is closed")));
    const c = this.free.pop();
    return c ? Promise.resolve(c) : new Promise((resolve) => this.waiting.push(resolve));
  }
  private release(c: P11Crypto) {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.free.push(c);
  }

  /**
   * Signs `data` with the key (RSA PKCS#1 v1.5 / ECDSA, SHA-256) in the next free lane. The key was
   * found through node-webcrypto-p11; the operation goes straight to the lane's PKCS#11 session
   * (C_SignInit, then C_Sign on libuv's thread pool) — the WebCrypto layers in between cost more
   * main-thread time per signature than the RSA operation itself leaves to spare (scripts/bench).
   */
  async sign(label: string, data: Buffer): Promise<Buffer> {
    const k = this.key(label);
    const lane = await this.lane();
    try {
      const ec = (k.key.algorithm as { name?: string }).name === "ECDSA";
      const input = ec ? createHash("sha256").update(data).digest() : data;
      const session = lane.session;
      const lib = session.lib;
      lib.C_SignInit(session.handle, ec ? MECHANISM_ECDSA : MECHANISM_RSA, k.key.key.handle);
      return await new Promise<Buffer>((resolve, reject) =>
        lib.C_Sign(session.handle, input, Buffer.allocUnsafe(ec ? 132 : 512), (err, sig) =>
          err ? reject(err) : resolve(sig),
        ),
      );
    } catch (err) {
      throw gone(err);
    } finally {
      this.release(lane);
    }
  }

  /** A detached CMS (CAdES-BES) over content whose SHA-256 is `digest`, by the key `label`. */
  async signCms(
    label: string,
    digest: Buffer,
    at: Date,
    unsigned?: (signature: Buffer) => Promise<Buffer[]>,
  ): Promise<Buffer> {
    const k = this.key(label);
    if (!k.template)
      throw new UnavailableError(
        "hsm_certificate_missing",
        `The HSM key "${label}" has no certificate on the token (import it with \`npx qujat hsm:import-cert\`)`,
      );
    const attrs = k.template.signedAttributes(digest, at);
    const signature = await this.sign(label, attrs);
    return k.template.assemble(attrs, signature, unsigned ? await unsigned(signature) : undefined);
  }

  /**
   * Generates a key pair inside the token (never extractable) and returns a PKCS#10 request for it,
   * signed by the new key, for the CA to certify. `subject` like "CN=Qujat, O=Org, C=KZ".
   */
  async generateKey(label: string, kind: "rsa" | "ec", subject: string): Promise<string> {
    if (this.keys.has(label)) throw new Error(`the token already has a key labelled "${label}"`);
    const x509 = await import("@peculiar/x509");
    const lane = await this.lane();
    try {
      const id = createHash("sha1").update(label).digest().subarray(0, 8);
      const algorithm =
        kind === "rsa"
          ? {
              name: "RSASSA-PKCS1-v1_5",
              hash: "SHA-256",
              publicExponent: new Uint8Array([1, 0, 1]),
              modulusLength: 2048,
            }
          : { name: "ECDSA", namedCurve: "P-256" };
      const keys = (await lane.subtle.generateKey(
        { ...algorithm, token: true, label, id, sensitive: true, extractable: false } as any,
        false,
        ["sign", "verify"],
      )) as webcrypto.CryptoKeyPair;
      const csr = await x509.Pkcs10CertificateRequestGenerator.create(
        {
          name: subject,
          keys,
          signingAlgorithm:
            kind === "rsa" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", hash: "SHA-256" },
        },
        lane as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1],
      );
      return csr.toString("pem");
    } finally {
      this.release(lane);
      await this.reloadKeys();
    }
  }

  /** Stores a certificate (DER) on the token beside the key with the same label, replacing any there. */
  async importCertificate(label: string, der: Buffer): Promise<void> {
    const g = this.graphene;
    const k = this.key(label);
    const subject = Buffer.from((await parseCertificate(der)).cert.subject.toSchema().toBER(false));
    // In a lane's own session: a session runs one operation at a time, and the others may be signing.
    const lane = await this.lane();
    try {
      const existing = lane.session.find({ class: g.ObjectClass.CERTIFICATE, label });
      for (let i = 0; i < existing.length; i++) existing.items(i).destroy();
      lane.session.create({
        class: g.ObjectClass.CERTIFICATE,
        certType: g.CertificateType.X_509,
        token: true,
        private: false,
        label,
        id: Buffer.from(k.id, "hex"),
        subject,
        value: der,
      });
    } finally {
      this.release(lane);
    }
  }

  async reloadKeys(): Promise<void> {
    const before = this.keys;
    this.keys = new Map();
    try {
      await this.loadKeys();
    } catch (err) {
      this.keys = before;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions) {
      try {
        s.close();
      } catch {
        /* the token may be gone already */
      }
    }
    release(this.options.module);
  }
}

function release(module: string) {
  const entry = modules.get(module);
  if (!entry) return;
  if (--entry.users > 0) return;
  modules.delete(module);
  try {
    entry.module.finalize();
  } catch {
    /* already finalized */
  }
}

/** The appliance's system signer backed by the HSM: CMS by the system key. */
export class HsmSigner implements Signer {
  constructor(
    readonly hsm: Hsm,
    readonly systemKeyLabel: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async signSystem(data: Buffer): Promise<Buffer> {
    return this.signSystemDigest(createHash("sha256").update(data).digest());
  }

  async signSystemDigest(sha256: Buffer): Promise<Buffer> {
    return this.hsm.signCms(this.systemKeyLabel, sha256, this.now());
  }

  async status() {
    try {
      const k = this.hsm.key(this.systemKeyLabel);
      const probe = Buffer.from(`qujat readiness ${Date.now()}`);
      await this.hsm.sign(this.systemKeyLabel, probe);
      return {
        available: true,
        detail: `token "${this.hsm.token.label}", system key "${k.label}" (${k.algorithm}) signs${k.certificate ? "" : "; no certificate on the token"}`,
      };
    } catch (err) {
      return { available: false, detail: (err as Error).message };
    }
  }

  async close() {
    await this.hsm.close();
  }
}
