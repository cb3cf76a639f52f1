// The certificates controller: auto-approves node CSRs (approver.ts) and signs approved
// kubelet CSRs with the cluster CA (signer.ts). One queue keyed by CSR name; a CSR is done
// once it has a certificate, a Denied or a Failed condition.
import { EventRecorder, WorkQueue, runController } from '@skiff/common';
import { KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, parseCsr } from '@skiff/common/bootstrap/csr';
import type { CertificatesV1Api, V1CertificateSigningRequest, V1CertificateSigningRequestCondition, V1Node } from '@kubernetes/client-node';
import { InformerSet, apisFor, loggerFor, runnerDeps } from '../garbagecollector/context.ts';
import type { ControllerDeps, Stop } from '../garbagecollector/context.ts';
import { isConflict, isNotFound } from '../../lib/api-errors.ts';
import { eventRef, FLUSH_TIMEOUT_MS } from '../../lib/events.ts';
import { approvalDecision, csrPem, decided, hasCondition, type ApprovalDecision } from './approver.ts';
import { joinDenial, type JoinFacts } from './join-once.ts';
import { nodeNameOf, problemsForSigner, type NodeAddressesView } from './node-csr.ts';
import { ClusterSigner } from './signer.ts';

export const name = 'csrsigning';

export interface CertificatesConfig {
  /** --cluster-signing-cert-file / --cluster-signing-key-file: without both, nothing is signed */
  clusterSigningCertFile: string;
  clusterSigningKeyFile: string;
  /** --cluster-signing-duration in seconds (default one year) */
  clusterSigningDurationSeconds: number;
  /** approve a node's own kubelet-serving CSR (default true: the lab has no human approver) */
  approveKubeletServing: boolean;
  concurrentCsrSyncs: number;
}

const CSR_COLLECTION = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const SIGNERS = [KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER];

export async function start(ctx: ControllerDeps<CertificatesConfig>): Promise<Stop> {
  const log = loggerFor(ctx, name);
  const api = apisFor(ctx).certificates;
  const cfg = ctx.config ?? {};
  const signer =
    cfg.clusterSigningCertFile && cfg.clusterSigningKeyFile
      ? await ClusterSigner.fromFiles(cfg.clusterSigningCertFile, cfg.clusterSigningKeyFile, cfg.clusterSigningDurationSeconds)
      : undefined;
  if (!signer) log.warn('no --cluster-signing-cert-file/--cluster-signing-key-file: approved CSRs will not be signed');
  const informers = new InformerSet(ctx, log);
  const csrs = informers.on<V1CertificateSigningRequest>(CSR_COLLECTION, () => api.listCertificateSigningRequest());
  const core = apisFor(ctx).core;
  // a kubelet-serving request is judged against its Node's addresses
  const nodes = informers.on<V1Node>('/api/v1/nodes', () => core.listNode());
  const events = EventRecorder.forKubeConfig(ctx.kubeConfig, { component: 'certificatesigningrequest-approving-controller', log });
  const join: JoinFacts = {
    async nodeExists(node) {
      try {
        await core.readNode({ name: node });
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
    csrs: () => [...csrs.list()],
  };
  const queue = new WorkQueue<string>();
  const enqueue = (o: V1CertificateSigningRequest) => {
    if (o.metadata?.name) queue.add(o.metadata.name);
  };
  csrs.on({ add: enqueue, update: enqueue });
  // a serving request that waited for its Node is looked at again once the Node shows up
  const pendingServingOf = (n: V1Node) => {
    for (const csr of csrs.list()) {
      if (csr.spec?.signerName !== KUBELET_SERVING_SIGNER || decided(csr)) continue;
      try {
        if (nodeNameOf(parseCsr(csrPem(csr))) === n.metadata?.name) enqueue(csr);
      } catch {
        /* unreadable: the approver says so when it gets to it */
      }
    }
  };
  nodes.on({ add: pendingServingOf, update: pendingServingOf });
  const stop = await runController({
    ...runnerDeps(ctx, informers),
    name,
    log,
    queue,
    workers: cfg.concurrentCsrSyncs ?? 2,
    reconcile: async (csrName) => {
      const csr = csrs.get(csrName);
      if (!csr) return;
      await syncCsr(api, csr, { signer, approveKubeletServing: cfg.approveKubeletServing ?? true, node: (n) => nodes.get(n), log, join, events });
    },
  });
  return async () => {
    await stop();
    await events.flush(FLUSH_TIMEOUT_MS);
  };
}

export interface SyncOptions {
  signer?: ClusterSigner;
  approveKubeletServing: boolean;
  node?: (name: string) => NodeAddressesView | undefined;
  log?: { info(msg: string, f?: object): void; warn(msg: string, f?: object): void };
  /** what the once-per-name rule for bootstrap joins asks (join-once.ts) */
  join: JoinFacts;
  /** where denials are told as Warning events */
  events?: EventRecorder;
}

/** One step for one CSR: approve it, or sign it, or mark it Failed; done when nothing is left. */
export async function syncCsr(api: CertificatesV1Api, csr: V1CertificateSigningRequest, o: SyncOptions): Promise<void> {
  const csrName = csr.metadata?.name;
  if (!csrName) return;
  if (csr.status?.certificate || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed')) return;
  if (!decided(csr)) {
    let d: ApprovalDecision = approvalDecision(csr, { approveKubeletServing: o.approveKubeletServing, node: o.node });
    if (d.approve) {
      const denial = await joinDenial(csr, o.join);
      if (denial) d = { approve: false, why: denial.message, deny: denial };
    }
    if (!d.approve) {
      if (d.deny) await deny(api, csr, d.deny, o);
      return;
    }
    const approved = structuredClone(csr);
    approved.status = withCondition(approved, { type: 'Approved', status: 'True', reason: d.reason, message: d.message });
    try {
      const out = await api.replaceCertificateSigningRequestApproval({ name: csrName, body: approved });
      o.log?.info('approved CSR', { csr: csrName, requester: csr.spec?.username });
      csr = out; // sign at once rather than after the watch comes back
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return; // the informer brings the newer version
      throw e;
    }
  }
  if (!hasCondition(csr, 'Approved') || !o.signer) return;
  const signerName = csr.spec?.signerName ?? '';
  if (!SIGNERS.includes(signerName)) return; // another signer's job
  const usages = csr.spec?.usages ?? [];
  let problems: string[];
  let parsed;
  try {
    parsed = parseCsr(csrPem(csr));
    problems = problemsForSigner(signerName, parsed, usages) ?? [];
  } catch (e) {
    problems = [`unreadable request: ${(e as Error).message}`];
  }
  const withStatus = structuredClone(csr);
  if (problems.length || !parsed) {
    withStatus.status = withCondition(withStatus, { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problems.join('; ') });
    o.log?.warn('CSR failed signer validation', { csr: csrName, problems });
  } else {
    const pem = await o.signer.sign({ csr: parsed, usages, expirationSeconds: csr.spec?.expirationSeconds });
    withStatus.status = { ...(withStatus.status ?? {}), certificate: Buffer.from(pem).toString('base64') };
  }
  try {
    await api.replaceCertificateSigningRequestStatus({ name: csrName, body: withStatus });
    if (!problems.length) o.log?.info('signed CSR', { csr: csrName, signer: signerName });
  } catch (e) {
    if (isConflict(e) || isNotFound(e)) return;
    throw e;
  }
}

/** A Denied condition users read in `kubectl get csr` and `describe`, and a Warning event beside it. */
async function deny(api: CertificatesV1Api, csr: V1CertificateSigningRequest, d: { reason: string; message: string }, o: SyncOptions): Promise<void> {
  const denied = structuredClone(csr);
  denied.status = withCondition(denied, { type: 'Denied', status: 'True', reason: d.reason, message: d.message });
  try {
    await api.replaceCertificateSigningRequestApproval({ name: csr.metadata!.name!, body: denied });
  } catch (e) {
    if (isConflict(e) || isNotFound(e)) return;
    throw e;
  }
  o.log?.warn('denied CSR', { csr: csr.metadata?.name, requester: csr.spec?.username, reason: d.reason, message: d.message });
  o.events?.event(eventRef(csr, 'certificates.k8s.io/v1', 'CertificateSigningRequest'), 'Warning', d.reason, d.message);
}

function withCondition(csr: V1CertificateSigningRequest, c: V1CertificateSigningRequestCondition): NonNullable<V1CertificateSigningRequest['status']> {
  const status = csr.status ?? {};
  return { ...status, conditions: [...(status.conditions ?? []), { ...c, lastUpdateTime: new Date() }] };
}
