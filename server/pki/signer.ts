// The signing seam for the appliance's own keys: the system key (audit checkpoints, receipts,
// disposition records). With an HSM configured (hsm.module) it is the PKCS#11 HsmSigner; without
// one the appliance has no system key and says so instead of pretending to sign.
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import { Hsm, HsmSigner } from "./hsm.js";

export interface Signer {
  /** A detached CMS (DER) over `data` by the appliance's system key. */
  signSystem(data: Buffer): Promise<Buffer>;
  /** The same over content whose SHA-256 the caller computed (a large body hashed a page at a time). */
  signSystemDigest(sha256: Buffer): Promise<Buffer>;
  status(): Promise<{ available: boolean; detail: string }>;
  close(): Promise<void>;
  /** the HSM behind it, when there is one */
  readonly hsm?: Hsm;
}

export const noSigner: Signer = {
  async signSystem() {
    throw new Error("no HSM signer configured");
  },
  async signSystemDigest() {
    throw new Error("no HSM signer configured");
  },
  async status() {
    return { available: false, detail: "no HSM configured" };
  },
  async close() {},
};

/** The configured signer: the HSM when hsm.module is set (a token that cannot be opened leaves a signer that says why). */
export async function openSigner(config: Config, logger: Logger): Promise<Signer> {
  if (!config.hsm.module) return noSigner;
  const { module, tokenLabel, pin, lanes, systemKeyLabel } = config.hsm;
  try {
    const hsm = await Hsm.open({ module, tokenLabel, pin, lanes });
    logger.info({ module, token: hsm.token.label, keys: hsm.listKeys().map((k) => k.label), lanes }, "HSM open");
    return new HsmSigner(hsm, systemKeyLabel);
  } catch (err) {
    const detail = `HSM ${module}, token "${tokenLabel}": ${(err as Error).message}`;
    logger.error(
      { module, token: tokenLabel, error: (err as Error).message },
      "HSM cannot be opened; signing with the system key is unavailable",
    );
    return {
      async signSystem() {
        throw new Error(detail);
      },
      async signSystemDigest() {
        throw new Error(detail);
      },
      async status() {
        return { available: false, detail };
      },
      async close() {},
    };
  }
}
