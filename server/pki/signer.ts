// The signing seam. The signatures issue supplies the PKCS#11 (HSM) implementation; until then the
// appliance has no system key and says so instead of pretending to sign.
export interface Signer {
  /** Signs data with the appliance's system key (audit checkpoints, receipts, disposition records). */
  signSystem(data: Buffer): Promise<Buffer>;
  status(): Promise<{ available: boolean; detail: string }>;
  close(): Promise<void>;
}

export const noSigner: Signer = {
  async signSystem() {
    throw new Error("no HSM signer configured");
  },
  async status() {
    return { available: false, detail: "no HSM configured" };
  },
  async close() {},
};
