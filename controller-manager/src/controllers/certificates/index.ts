export { name, start, syncCsr } from './controller.ts';
export type { CertificatesConfig, SyncOptions } from './controller.ts';
export { approvalDecision } from './approver.ts';
export { ClusterSigner } from './signer.ts';
export { kubeletClientProblems, kubeletServingProblems, problemsForSigner } from './node-csr.ts';
