// The current context of a kubeconfig file, read without @kubernetes/client-node: that
// package costs this process about 70 MiB of resident memory, half of what the metrics
// server may use (issue 18 asks < 150 MiB at 5,000 pods). Certificates and keys inline
// (*-data) or as files relative to the kubeconfig, a token or tokenFile; no exec or auth
// plugins (Skiff's components use certificates).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';

export interface Credentials {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

interface Named<T> {
  name: string;
  [key: string]: T | string;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Named<{ cluster?: string; user?: string }>[];
  clusters?: Named<{ server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean }>[];
  users?: Named<{
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    token?: string;
    tokenFile?: string;
  }>[];
}

export function loadCredentials(path?: string): Credentials {
  const file = path || process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
  const doc = yaml.load(readFileSync(file, 'utf8')) as KubeconfigFile;
  const pick = <T>(list: Named<T>[] | undefined, name: string | undefined, what: string): T => {
    const entry = list?.find((e) => e.name === name)?.[what];
    if (!entry || typeof entry === 'string') throw new Error(`${file}: no ${what} "${name}"`);
    return entry;
  };
  const context = pick(doc.contexts, doc['current-context'], 'context');
  const cluster = pick(doc.clusters, context.cluster, 'cluster');
  const user = context.user ? pick(doc.users, context.user, 'user') : {};
  const fromFile = (p: string | undefined) => (p ? readFileSync(isAbsolute(p) ? p : join(dirname(file), p)) : undefined);
  const fromData = (d: string | undefined) => (d ? Buffer.from(d, 'base64') : undefined);
  if (!cluster.server) throw new Error(`${file}: cluster "${context.cluster}" has no server`);
  return {
    server: new URL(cluster.server),
    ca: fromData(cluster['certificate-authority-data']) ?? fromFile(cluster['certificate-authority']),
    cert: fromData(user['client-certificate-data']) ?? fromFile(user['client-certificate']),
    key: fromData(user['client-key-data']) ?? fromFile(user['client-key']),
    token: user.token ?? fromFile(user.tokenFile)?.toString().trim(),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}
