// The kubelet's own credentials before anything else starts: its client kubeconfig (from a
// bootstrap token through a CSR when --kubeconfig does not hold a good certificate yet, as the
// real kubelet's --bootstrap-kubeconfig) and, with --rotate-server-certificates, a serving
// certificate for :10250 signed by the cluster (kubernetes.io/kubelet-serving) so that the
// apiserver can verify the node it connects to. That one is asked for only once the Node is
// registered: the approver signs only the addresses the Node reports.
import { join } from 'node:path';
import type { Logger } from '@skiff/common';
import { requestKubeletServingCertificate, tlsBootstrap } from '@skiff/common/bootstrap/index';

export interface CredentialOptions {
  kubeconfig: string;
  bootstrapKubeconfig?: string;
  nodeName: string;
  nodeIP: string;
  /** where bootstrapped keys and certificates live (--cert-dir) */
  certDir: string;
  serverTLSBootstrap: boolean;
  /** an operator-provided serving certificate wins over a requested one */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  timeoutMs?: number;
  log: Logger;
}

export interface NodeCredentials {
  kubeconfig: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** with --rotate-server-certificates: the kubelet calls it after registering its Node */
  requestServingCertificate?: () => Promise<{ certFile: string; keyFile: string }>;
}

export async function ensureCredentials(o: CredentialOptions): Promise<NodeCredentials> {
  const kubeconfig = o.bootstrapKubeconfig
    ? await tlsBootstrap({
        bootstrapKubeconfig: o.bootstrapKubeconfig,
        nodeName: o.nodeName,
        outDir: o.certDir,
        kubeconfigPath: o.kubeconfig,
        timeoutMs: o.timeoutMs,
        log: o.log,
      })
    : o.kubeconfig;
  if (o.tlsCertFile || !o.serverTLSBootstrap) return { kubeconfig, tlsCertFile: o.tlsCertFile, tlsPrivateKeyFile: o.tlsPrivateKeyFile };
  const requestServingCertificate = async () => {
    const serving = await requestKubeletServingCertificate({
      kubeconfig,
      nodeName: o.nodeName,
      outDir: o.certDir,
      ipAddresses: [o.nodeIP],
      dnsNames: [o.nodeName],
      timeoutMs: o.timeoutMs,
      log: o.log,
    });
    o.log.info('serving certificate signed by the cluster', { cert: serving.certFile });
    return serving;
  };
  return { kubeconfig, requestServingCertificate };
}

export const defaultCertDir = (rootDir: string): string => join(rootDir, 'pki');
