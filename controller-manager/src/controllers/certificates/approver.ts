// Which CSRs are approved without a human: kubelet client certificates asked for with a
// bootstrap token (a joining node) or by the node itself (renewal), and a node's serving
// certificate asked for by that node for the names and addresses its Node reports (a serving
// request naming anything else is denied; one whose Node is not registered yet waits).
// Anything else waits for `kubectl certificate approve`, except what a bootstrap token asks
// beyond a node client certificate: that is denied, since a token shared by joining workers is
// good for nothing else (join-once.ts adds: once per name).
import { KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, NODES_GROUP, NODE_USER_PREFIX, parseCsr } from '@skiff/common/bootstrap/csr';
import { kubeletClientProblems, kubeletServingProblems, kubeletServingSanProblems, nodeNameOf, type NodeAddressesView } from './node-csr.ts';

export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

/** The fields of a CertificateSigningRequest the approver reads (client-node's V1CertificateSigningRequest fits). */
export interface CsrObject {
  metadata?: { name?: string };
  spec?: { request?: string; signerName?: string; usages?: string[]; username?: string; groups?: string[]; expirationSeconds?: number };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; certificate?: string };
}

/** Not approved: `why` is for the log; `deny` (reason and message of a Denied condition) when it never will be. */
export type ApprovalDecision = { approve: true; reason: string; message: string } | { approve: false; why: string; deny?: { reason: string; message: string } };

export interface ApprovalOptions {
  approveKubeletServing: boolean;
  /** the Node of that name, when registered (a kubelet-serving request waits for it) */
  node?: (name: string) => NodeAddressesView | undefined;
}

export function hasCondition(csr: CsrObject, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export function decided(csr: CsrObject): boolean {
  return hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied');
}

export function csrPem(csr: CsrObject): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

/** Whether to approve `csr` now; `why` says why not (for the log). */
export function approvalDecision(csr: CsrObject, opts: ApprovalOptions): ApprovalDecision {
  if (decided(csr)) return { approve: false, why: 'already decided' };
  const signer = csr.spec?.signerName ?? '';
  const fromBootstrapToken = (csr.spec?.groups ?? []).includes(BOOTSTRAPPERS_GROUP);
  // other signers than Kubernetes' own are another approver's to judge
  if (fromBootstrapToken && signer !== KUBELET_CLIENT_SIGNER && signer.startsWith('kubernetes.io/')) {
    const message = `a bootstrap token may only ask for a kubelet client certificate (signer ${KUBELET_CLIENT_SIGNER}), not for signer ${signer}`;
    return { approve: false, why: message, deny: { reason: 'NotANodeClientRequest', message } };
  }
  if (signer !== KUBELET_CLIENT_SIGNER && (signer !== KUBELET_SERVING_SIGNER || !opts.approveKubeletServing)) {
    return { approve: false, why: `signer ${signer} is not auto-approved` };
  }
  let parsed;
  try {
    parsed = parseCsr(csrPem(csr));
  } catch (e) {
    const why = `unreadable request: ${(e as Error).message}`;
    return fromBootstrapToken ? { approve: false, why, deny: { reason: 'NotANodeClientRequest', message: why } } : { approve: false, why };
  }
  const usages = csr.spec?.usages ?? [];
  const username = csr.spec?.username ?? '';
  const groups = csr.spec?.groups ?? [];
  const node = nodeNameOf(parsed);
  const selfRequest = node !== undefined && username === `${NODE_USER_PREFIX}${node}` && groups.includes(NODES_GROUP);
  if (signer === KUBELET_CLIENT_SIGNER) {
    const problems = kubeletClientProblems(parsed, usages);
    if (problems.length && fromBootstrapToken) {
      const message = `a bootstrap token may only ask for a client certificate of system:node:<name> in system:nodes: ${problems.join('; ')}`;
      return { approve: false, why: message, deny: { reason: 'NotANodeClientRequest', message } };
    }
    if (problems.length) return { approve: false, why: problems.join('; ') };
    if (groups.includes(BOOTSTRAPPERS_GROUP)) {
      return { approve: true, reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' };
    }
    if (selfRequest) {
      return { approve: true, reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' };
    }
    return { approve: false, why: `requester ${username} is neither a bootstrapper nor node ${node}` };
  }
  const problems = kubeletServingProblems(parsed, usages);
  if (problems.length) return { approve: false, why: problems.join('; ') };
  if (!selfRequest) return { approve: false, why: `a serving certificate for node ${node} must be asked for by that node, not ${username}` };
  const registered = opts.node?.(node);
  if (!registered) return { approve: false, why: `node ${node} is not registered yet: its addresses are unknown` };
  const foreign = kubeletServingSanProblems(parsed, registered);
  if (foreign.length) {
    const message = `kubelet serving certificate names more than node ${node} reports: ${foreign.join('; ')}`;
    return { approve: false, why: message, deny: { reason: 'SubjectAltNamesNotOwned', message } };
  }
  return { approve: true, reason: 'AutoApproved', message: 'Auto approving kubelet serving certificate requested by the node itself.' };
}
