// Fetches every CRL in use again before it runs out, so a signature check rarely waits for a CRL
// download and a CA's revocations reach us within the schedule. A broken, older or emptied
// download never replaces the good cached CRL (see pki/revocation.ts); each refusal is reported.
import type { Config } from "../config/index.js";
import type { RevocationChecker } from "../pki/revocation.js";
import type { JobDefinition } from "./registry.js";

// On several nodes one of them runs it; `share` hands each CRL it replaced to the others (shared blob
// store + cluster bus), which take it under the same rules, so a revocation is known everywhere.
export function crlRefreshJob(
  config: Config,
  revocation: RevocationChecker,
  share: (urls: string[]) => Promise<void> = async () => {},
): JobDefinition {
  return {
    name: "pki.crl_refresh",
    schedule: config.pki.revocation.crlRefreshSchedule,
    async run({ logger }) {
      const results = await revocation.refreshAll();
      for (const r of results)
        if (r.problem) logger.warn({ url: r.url, problem: r.problem }, "CRL refresh: kept the cached CRL");
      await share(results.filter((r) => r.replaced).map((r) => r.url));
      return {
        crls: results.length,
        replaced: results.filter((r) => r.replaced).length,
        problems: results.filter((r) => r.problem).map((r) => `${r.url}: ${r.problem}`),
      };
    },
  };
}
