// How the apiserver reaches etcd: TLS with a client certificate (kube-apiserver's --etcd-cafile,
// --etcd-certfile, --etcd-keyfile). Plain http:// is refused unless --etcd-allow-insecure says
// so, because etcd holds every Secret and a plain connection gives them to anyone on the path.
import { readFileSync } from 'node:fs';

export interface EtcdTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** What etcd3's client takes as `credentials`. */
export interface EtcdCredentials {
  /** null: the system's roots (grpc-js reads null so) */
  rootCertificate: Buffer | null;
  privateKey?: Buffer;
  certChain?: Buffer;
}

/** A one-line reason the flags do not make a usable etcd connection, or undefined. */
export function etcdTransportProblem(servers: readonly string[], tls: EtcdTlsFiles, allowInsecure: boolean): string | undefined {
  if (servers.length === 0) return '--etcd-servers: at least one etcd URL is required';
  for (const url of servers) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
    if (scheme === 'https') continue;
    if (scheme === 'http') {
      if (allowInsecure) continue;
      return `--etcd-servers: ${url} is plain HTTP; use https:// with --etcd-cafile, --etcd-certfile and --etcd-keyfile, or pass --etcd-allow-insecure to accept an unencrypted, unauthenticated etcd connection`;
    }
    return `--etcd-servers: ${url} must start with https:// (or http:// with --etcd-allow-insecure)`;
  }
  if (!!tls.certFile !== !!tls.keyFile) return '--etcd-certfile and --etcd-keyfile go together: give both or neither';
  for (const [flag, file] of [
    ['etcd-cafile', tls.caFile],
    ['etcd-certfile', tls.certFile],
    ['etcd-keyfile', tls.keyFile],
  ] as const) {
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (e) {
      return `--${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  return undefined;
}

/**
 * The client credentials for https:// endpoints; undefined for plain ones. Without --etcd-cafile
 * the system's roots verify etcd's certificate, as Go's client does.
 */
export function etcdCredentials(servers: readonly string[], tls: EtcdTlsFiles): EtcdCredentials | undefined {
  if (!servers.some((u) => u.toLowerCase().startsWith('https://'))) return undefined;
  if (!tls.caFile && !tls.certFile) return undefined;
  const credentials: EtcdCredentials = { rootCertificate: tls.caFile ? readFileSync(tls.caFile) : null };
  if (tls.certFile) {
    credentials.certChain = readFileSync(tls.certFile);
    credentials.privateKey = readFileSync(tls.keyFile);
  }
  return credentials;
}
