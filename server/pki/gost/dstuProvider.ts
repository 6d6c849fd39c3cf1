import type { SignatureProvider } from "../provider.js";
export const dstuProvider: SignatureProvider = { name: "UA DSTU 4145", supports: () => false, digest: () => null, verify: () => false };
export function dstuAlgorithmLabel(oid: string): string | null { return oid.startsWith("1.2.804.2.1.1.1.1.3.1") ? "DSTU 4145" : null; }
