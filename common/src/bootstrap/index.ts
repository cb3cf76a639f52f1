// Node join: TLS bootstrap with a bootstrap token, CSRs, CA discovery. Import from
// '@skiff/common/bootstrap/index'.
export { tlsBootstrap, requestCertificate, requestKubeletServingCertificate, writeBootstrapKubeconfig } from './tls-bootstrap.ts';
export type { TlsBootstrapOptions } from './tls-bootstrap.ts';
export { createNodeCsr, parseCsr, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, NODES_GROUP, NODE_USER_PREFIX } from './csr.ts';
export type { NodeCsr, ParsedCsr } from './csr.ts';
export { caHashOf, clusterInfoKubeconfig, discoverClusterCa, CLUSTER_INFO_PATH } from './discovery.ts';
export { kubeconfigYaml, writeFileAtomic } from './kubeconfig-file.ts';
