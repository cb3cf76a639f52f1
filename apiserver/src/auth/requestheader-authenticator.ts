// Request-header authentication (--requestheader-*), as kube-apiserver's: a front proxy (the
// aggregator of another apiserver, an authenticating proxy) shows a client certificate from
// the requestheader CA, with a CN among the allowed names, and names the user in headers.
// The certificate is checked here against that CA only, so that a front-proxy certificate is
// never taken for a user by the x509 authenticator (which trusts --client-ca-file).
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { perRequestAuthenticator, type Authenticator } from '../server/authn.ts';
import type { UserInfo } from '../registry/store.ts';

export interface RequestHeaderConfig {
  /** PEM text of the requestheader CA bundle */
  caPem: string;
  /** CNs a front-proxy certificate may have; empty: any certificate of the CA */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

const clientAuthOid = '1.3.6.1.5.5.7.3.2';

/** Every certificate of a PEM bundle. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

function currentlyValid(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom) <= now && now <= new Date(c.validTo);
}

/**
 * Whether the peer's certificate chains to one of the roots: the leaf, or an intermediate the
 * peer sent, issued and signed by a root; every link within its validity.
 */
export function chainsTo(peer: import('node:tls').DetailedPeerCertificate, roots: X509Certificate[], now = new Date()): X509Certificate | undefined {
  let current: import('node:tls').DetailedPeerCertificate | undefined = peer;
  let leaf: X509Certificate | undefined;
  const seen = new Set<string>();
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    const cert = new X509Certificate(current.raw);
    if (!currentlyValid(cert, now)) return undefined;
    leaf ??= cert;
    if (roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey) && currentlyValid(root, now))) return leaf;
    const issuer: import('node:tls').DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (!issuer || issuer === current) return undefined;
    const issuerCert = new X509Certificate(issuer.raw);
    if (!issuerCert.ca || !(cert.checkIssued(issuerCert) && cert.verify(issuerCert.publicKey))) return undefined;
    current = issuer;
  }
  return undefined;
}

function commonName(cert: X509Certificate): string {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headersDistinct[name.toLowerCase()];
  return (v ?? []).filter((s) => s !== '');
}

/** Extra keys arrive path-escaped (X-Remote-Extra-Scopes%2Fa) and case-insensitive: lower-cased, unescaped. */
function extraKey(suffix: string): string {
  try {
    return decodeURIComponent(suffix.toLowerCase());
  } catch {
    return suffix.toLowerCase();
  }
}

export function createRequestHeaderAuthenticator(cfg: RequestHeaderConfig): Authenticator {
  const roots = parsePemBundle(cfg.caPem);
  if (!roots.length) throw new Error('--requestheader-client-ca-file holds no certificate');
  const prefixes = cfg.extraHeaderPrefixes.map((p) => p.toLowerCase());
  // the certificate is the connection's: verified once per connection
  const frontProxySockets = new WeakMap<object, boolean>();
  const isFrontProxy = (socket: TLSSocket): boolean => {
    let known = frontProxySockets.get(socket);
    if (known !== undefined) return known;
    const peer = socket.getPeerCertificate(true);
    const leaf = peer?.raw ? chainsTo(peer, roots) : undefined;
    known =
      !!leaf &&
      !leaf.ca &&
      (!leaf.keyUsage || leaf.keyUsage.includes(clientAuthOid)) &&
      (!cfg.allowedNames.length || cfg.allowedNames.includes(commonName(leaf)));
    frontProxySockets.set(socket, known);
    return known;
  };
  return perRequestAuthenticator((req) => {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function' || !isFrontProxy(socket)) return undefined;
    const name = cfg.usernameHeaders.map((h) => headerValues(req, h)[0]).find((v) => v !== undefined);
    if (!name) return undefined;
    const groups = cfg.groupHeaders.flatMap((h) => headerValues(req, h));
    // kube's authenticated-group adder: every authenticated user is in system:authenticated
    if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
    const extra: Record<string, string[]> = {};
    for (const [header, values] of Object.entries(req.headersDistinct)) {
      const prefix = prefixes.find((p) => header.startsWith(p));
      if (!prefix || !values) continue;
      const key = extraKey(header.slice(prefix.length));
      extra[key] = [...(extra[key] ?? []), ...values];
    }
    const user: UserInfo = { name, groups };
    if (Object.keys(extra).length) user.extra = extra;
    return user;
  });
}
