// How reports and the signature protocol name the national algorithms ("GOST 34.10-2015, 512 bit").
import { dstuAlgorithmLabel } from "./dstuProvider.js";
import { kzAlgorithmLabel } from "./kzProvider.js";

export function nationalAlgorithmLabel(oid: string): string | null {
  return kzAlgorithmLabel(oid) ?? dstuAlgorithmLabel(oid);
}
