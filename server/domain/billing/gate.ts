// The one question every outgoing action asks billing (SPEC R4.4): may this branch send, sign and
// create internal documents now? The billing issue answers it from invoices and blocks; until then
// every active branch may. Incoming documents never ask: they stay readable whatever the answer.
import { ConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";

export interface GateAnswer { allowed: boolean; reason?: string }

export async function canSendOutgoing(_tx: Tx, _organizationId: string, _branchId: string): Promise<GateAnswer> {
  return { allowed: true };
}

export async function assertCanSendOutgoing(tx: Tx, organizationId: string, branchId: string): Promise<void> {
  const answer = await canSendOutgoing(tx, organizationId, branchId);
  if (!answer.allowed) {
    throw new ConflictError("outgoing_blocked", answer.reason ?? "Outgoing work of this branch is blocked by billing", { organizationId, branchId });
  }
}
