// The CA client certificates on the node API must verify against. --client-ca-file when
// given; otherwise the CA of the cluster in the kubelet's kubeconfig. The real kubelet has
// no default (without clientCAFile it accepts no certificates at all), but every kubeadm
// node sets clientCAFile to that same cluster CA, and Skiff has no kubeadm layer to do so:
// without it the apiserver's kubelet-client certificate would be refused and `kubectl logs`
// and `exec` would fail. Accepting a certificate grants nothing by itself: every request is
// still authorized by a SubjectAccessReview.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

export function clientCaPem(clientCaFile: string | undefined, kc: KubeConfig): Buffer | undefined {
  if (clientCaFile) return readFileSync(clientCaFile);
  const cluster = kc.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64');
  if (cluster?.caFile) return readFileSync(cluster.caFile);
  return undefined;
}
