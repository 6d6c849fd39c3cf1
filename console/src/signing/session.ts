// The signer a person chose in this tab — a key file opened with its password, or NCALayer — kept in
// memory across pages until he signs out or leaves it unused for 15 minutes (SPEC R3.4). Nothing of
// it is stored or sent anywhere; a token bridge's window.qujatSigner is used when none is chosen.
import type { BrowserSigner } from "../signer.js";

export const IDLE_MS = 15 * 60 * 1000;

let current: BrowserSigner | null = null;
let lastUse = 0;
const listeners = new Set<() => void>();

export function chooseSigner(signer: BrowserSigner): void {
  current = signer;
  lastUse = Date.now();
  listeners.forEach((l) => l());
}

export function forgetSigner(): void {
  current = null;
  listeners.forEach((l) => l());
}

/** The chosen signer, unless idle too long (then forgotten). */
export function chosenSigner(): BrowserSigner | null {
  if (current && Date.now() - lastUse > IDLE_MS) forgetSigner();
  return current;
}

/** Counts as use: the idle time starts again. */
export function touchSigner(): void {
  if (current) lastUse = Date.now();
}

export function onSignerChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
