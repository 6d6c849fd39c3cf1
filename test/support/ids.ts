// Valid national identifiers for tests, built with the real check-digit rules.
import { edrpouCheckDigit, kzCheckDigit, rnokppCheckDigit } from "../../server/domain/identity/ids.js";

let counter = Math.floor(Math.random() * 50_000);

function kz(prefix6: string, seventh: string): string {
  for (;;) {
    const serial = String(counter++ % 100_000)
      .padStart(4, "0")
      .slice(-4);
    const first11 = prefix6 + seventh + serial;
    const c = kzCheckDigit(first11);
    if (c !== null) return first11 + c;
  }
}

/** An IIN of someone born 1985-03-14. */
export const validIin = () => kz("850314", "3");
/** A BIN registered 2024-05 by a resident legal entity (type digit 4). */
export const validBin = () => kz("240540", "0");
export function validEdrpou(): string {
  const first7 = String(1_000_000 + (counter++ % 1_900_000)).padStart(7, "0");
  return first7 + edrpouCheckDigit(first7);
}
/** An RNOKPP of someone born in 1985 (the first five digits count days from 1899-12-31). */
export function validRnokpp(): string {
  const first9 = "31" + String(100_000 + (counter++ % 800_000)).padStart(7, "0");
  return first9 + rnokppCheckDigit(first9);
}
export const breakCheckDigit = (v: string) => v.slice(0, -1) + String((Number(v.at(-1)) + 1) % 10);

/** A time-ordered row id (UUID version 7, RFC variant). */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The milliseconds since the epoch in a version 7 UUID's first 48 bits. */
export const uuidV7Time = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
