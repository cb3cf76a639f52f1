// The worker half of `make join`: discover the cluster CA (pinned by CA_HASH) and write the
// bootstrap kubeconfig the kubelet starts with (--bootstrap-kubeconfig).
//   node --conditions=source common/src/bootstrap/join-cli.ts --server URL --token ID.SECRET \
//        --ca-hash sha256:HEX --out /var/lib/skiff/bootstrap-kubeconfig [--ca-out ca.crt]
import { FlagError, parseFlags } from '../flags.ts';
import { writeBootstrapKubeconfig } from './tls-bootstrap.ts';

const flags = {
  server: { default: '', description: 'https://IP:6443 of the apiserver' },
  token: { default: '', description: 'bootstrap token id.secret' },
  'ca-hash': { default: '', description: 'sha256:<hex> of the cluster CA public key' },
  out: { default: '', description: 'where to write the bootstrap kubeconfig' },
  'ca-out': { default: '', description: "also write the verified cluster CA here (the kubelet's --client-ca-file)" },
} as const;

try {
  const f = parseFlags('join', flags);
  for (const k of ['server', 'token', 'ca-hash', 'out'] as const) if (!f[k]) throw new FlagError(`--${k} is required`);
  const path = await writeBootstrapKubeconfig({ server: f.server, token: f.token, caHash: f['ca-hash'], path: f.out, caPath: f['ca-out'] || undefined });
  process.stdout.write(`${path}\n`);
} catch (e) {
  process.stderr.write(`join: ${(e as Error).message}\n`);
  process.exit(e instanceof FlagError ? 2 : 1);
}
