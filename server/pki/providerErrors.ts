// The providers' two refusals, apart from the seam so the pure curve code (which the console bundles
// to sign in the browser) imports nothing that needs Node.
export class UnsupportedAlgorithmError extends Error {}

/** A signature or key whose bytes cannot be what the algorithm needs (a wrong length, a point off the curve). */
export class SignatureFormatError extends Error {}
