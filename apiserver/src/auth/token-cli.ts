// make token: node --conditions=source apiserver/src/auth/token-cli.ts --kubeconfig FILE
//   [--server https://IP:6443] [--ttl 24h] [--groups system:bootstrappers:worker]
// Prints the join command for a worker on stdout (details on stderr): `make join ...` for a
// machine with a clone, then, when the apiserver serves a release (make dist), the one-line
// install for a machine without one.
import { FlagError, loadKubeConfig, parseFlags } from '@skiff/common';
import { createJoinToken, parseTtl } from './join-token.ts';

const flags = {
  kubeconfig: { default: '', description: 'admin kubeconfig (else $KUBECONFIG)' },
  server: { default: '', description: "apiserver address the workers use (default: the kubeconfig's)" },
  ttl: { default: '24h', description: 'how long the token is valid' },
  groups: { type: 'list', default: ['system:bootstrappers:worker'], description: 'extra groups of the token user' },
  description: { default: '', description: 'free text stored with the token' },
} as const;

async function main(): Promise<void> {
  let f;
  try {
    f = parseFlags('token', flags);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`token: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const kc = loadKubeConfig(f.kubeconfig || undefined);
  const made = await createJoinToken(kc, {
    server: f.server || undefined,
    ttlSeconds: parseTtl(String(f.ttl)),
    extraGroups: [...f.groups],
    description: f.description || undefined,
  });
  process.stderr.write(`bootstrap token ${made.token.split('.')[0]} valid until ${made.expiration.toISOString()}\n`);
  process.stderr.write('# on a worker with a clone of the repository:\n');
  process.stdout.write(`${made.command}\n`);
  if (made.installCommand) {
    process.stderr.write('# on a fresh Debian 12 worker, as root, without a clone (add --node NAME --node-ip IP to choose them):\n');
    process.stdout.write(`${made.installCommand}\n`);
  } else {
    process.stderr.write('# (no release served: `make dist` on the control plane adds the one-line install without a clone)\n');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`token: ${(e as Error).message}\n`);
  process.exit(1);
});
