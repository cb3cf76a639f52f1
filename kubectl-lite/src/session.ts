// What every command that talks to the cluster shares: the parsed global flags, the
// client, discovery and the namespace to use.
import type { ParsedArgs } from './args.ts';
import { ApiClient } from './client.ts';
import { Discovery } from './discovery.ts';
import type { CliIO } from './io.ts';
import { loadTarget } from './kubeconfig.ts';

export interface Session {
  io: CliIO;
  client: ApiClient;
  discovery: Discovery;
  /** -n, else the context's namespace */
  namespace: string;
  /** true when -n was given explicitly */
  namespaceExplicit: boolean;
}

export function openSession(args: ParsedArgs, io: CliIO): Session {
  const target = loadTarget({
    kubeconfig: args.strings.get('kubeconfig'),
    context: args.strings.get('context'),
    env: io.env ?? process.env,
    cwd: io.cwd,
  });
  const client = new ApiClient(target);
  const explicit = args.strings.get('namespace');
  return { io, client, discovery: new Discovery(client), namespace: explicit || target.namespace, namespaceExplicit: Boolean(explicit) };
}

export function out(s: Session, text: string): void {
  s.io.stdout.write(text);
}
