// A node name joins once. A bootstrap token is shared by every worker that joins with it, so
// without this any holder could ask for system:node:<a name already in use> and act as that
// node. A kubelet client CSR from a bootstrap identity is therefore denied when the Node of
// that name exists, or when another bootstrap CSR for the same name came first (approved or
// still waiting) within the last hour, the time kube-controller-manager's CSR cleaner keeps
// approved requests. A node renews its own certificate with its node identity, not this way.
import { parseCsr } from '@skiff/common/bootstrap/csr';
import { BOOTSTRAPPERS_GROUP, csrPem, hasCondition, type CsrObject } from './approver.ts';
import { nodeNameOf } from './node-csr.ts';

export const ISSUED_WINDOW_MS = 60 * 60 * 1000;

export interface Denial {
  reason: string;
  message: string;
}

export interface JoinFacts {
  /** whether a Node of this name is registered (asked of the apiserver, not a cache) */
  nodeExists(name: string): Promise<boolean>;
  /** the CSRs known now */
  csrs(): CsrObject[];
}

export function isBootstrapRequest(csr: CsrObject): boolean {
  return (csr.spec?.groups ?? []).includes(BOOTSTRAPPERS_GROUP);
}

function requestedNode(csr: CsrObject): string | undefined {
  try {
    return nodeNameOf(parseCsr(csrPem(csr)));
  } catch {
    return undefined;
  }
}

function created(csr: CsrObject): number {
  const t = (csr.metadata as { creationTimestamp?: string | Date } | undefined)?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/** `a` was asked for before `b` (creation time, then name, so that exactly one of two comes first). */
function before(a: CsrObject, b: CsrObject): boolean {
  const ta = created(a);
  const tb = created(b);
  return ta !== tb ? ta < tb : (a.metadata?.name ?? '') < (b.metadata?.name ?? '');
}

/** Why this bootstrap CSR for a node client certificate must be denied; undefined when it may be approved. */
export async function joinDenial(csr: CsrObject, facts: JoinFacts, now = Date.now()): Promise<Denial | undefined> {
  if (!isBootstrapRequest(csr)) return undefined;
  const node = requestedNode(csr);
  if (!node) return undefined;
  if (await facts.nodeExists(node)) {
    return {
      reason: 'NodeAlreadyRegistered',
      message: `node "${node}" is already registered: a joining node may not take the name of an existing node (delete the Node first to join again under this name)`,
    };
  }
  const first = facts
    .csrs()
    .filter(
      (other) =>
        other.metadata?.name !== csr.metadata?.name &&
        other.spec?.signerName === csr.spec?.signerName &&
        isBootstrapRequest(other) &&
        !hasCondition(other, 'Denied') &&
        !hasCondition(other, 'Failed') &&
        now - created(other) < ISSUED_WINDOW_MS &&
        // creation times have whole seconds: an approved request came first whatever the
        // names of two asked within the same second say
        (hasCondition(other, 'Approved') || (!hasCondition(csr, 'Approved') && before(other, csr))) &&
        requestedNode(other) === node,
    )
    .sort((a, b) => (before(a, b) ? -1 : 1))[0];
  if (first) {
    return {
      reason: 'NodeNameAlreadyRequested',
      message: `certificate signing request ${first.metadata?.name} already asked for node "${node}" with a bootstrap token: a name joins once (if that join failed, delete ${first.metadata?.name} and join again)`,
    };
  }
  return undefined;
}
