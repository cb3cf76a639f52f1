// apiserver flags (and SKIFF_APISERVER_* environment variables).
import { parseFlags } from '@skiff/common';

export const apiserverFlags = {
  'etcd-servers': { type: 'list', default: ['http://127.0.0.1:2379'], description: 'etcd client URLs' },
  'etcd-prefix': { default: '/registry', description: 'key prefix in etcd; several clusters (or tests) can share one etcd' },
  'bind-address': { default: '0.0.0.0', description: 'address to listen on' },
  'secure-port': { type: 'number', default: 6443, description: 'HTTPS port' },
  'tls-cert-file': { default: '', description: 'serving certificate (PEM)' },
  'tls-private-key-file': { default: '', description: 'serving key (PEM)' },
  'client-ca-file': { default: '', description: 'CA that signs client certificates (user = CN, groups = O)' },
  'service-cluster-ip-range': { default: '10.96.0.0/12', description: 'CIDR for Service ClusterIPs' },
  'service-node-port-range': { default: '30000-32767', description: 'range for NodePorts' },
  'advertise-address': { default: '', description: 'address of this apiserver for the kubernetes Service endpoints' },
  'watch-cache': { type: 'boolean', default: true, description: 'serve list and watch from memory' },
  'compaction-interval-seconds': { type: 'number', default: 300, description: 'etcd compaction interval; 0 disables' },
  'kubernetes-minor-version': { default: '32', description: 'the minor version /version reports (kubectl picks its binary by it)' },
} as const;

export type ApiserverConfig = {
  etcdServers: string[]; etcdPrefix: string; bindAddress: string; securePort: number;
  tlsCertFile: string; tlsPrivateKeyFile: string; clientCaFile: string;
  serviceClusterIPRange: string; serviceNodePortRange: string; advertiseAddress: string;
  watchCache: boolean; compactionIntervalSeconds: number; kubernetesMinorVersion: string;
};

export function loadConfig(argv = process.argv.slice(2)): ApiserverConfig {
  const f = parseFlags('apiserver', apiserverFlags, argv);
  return {
    etcdServers: f['etcd-servers'], etcdPrefix: f['etcd-prefix'], bindAddress: f['bind-address'], securePort: f['secure-port'],
    tlsCertFile: f['tls-cert-file'], tlsPrivateKeyFile: f['tls-private-key-file'], clientCaFile: f['client-ca-file'],
    serviceClusterIPRange: f['service-cluster-ip-range'], serviceNodePortRange: f['service-node-port-range'],
    advertiseAddress: f['advertise-address'], watchCache: f['watch-cache'], compactionIntervalSeconds: f['compaction-interval-seconds'],
    kubernetesMinorVersion: String(f['kubernetes-minor-version']),
  };
}
