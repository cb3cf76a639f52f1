// Who is asking, as a delegating extension apiserver decides it (k8s.io/apiserver's
// DelegatingAuthenticator), from the `extension-apiserver-authentication` ConfigMap in
// kube-system that the apiserver publishes:
//   1. requestheader: a client certificate signed by requestheader-client-ca-file (and, when
//      requestheader-allowed-names is not empty, with one of those common names) is the
//      apiserver's front proxy; the user is in the first non-empty requestheader-username-
//      headers header (X-Remote-User), groups in requestheader-group-headers (X-Remote-Group),
//      extras under requestheader-extra-headers-prefix (X-Remote-Extra-<key>).
//   2. a client certificate signed by client-ca-file: the user is its CN, the groups its Os.
//   3. a bearer token, checked by a TokenReview.
// Anything else is refused (401).
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface AuthenticationConfig {
  clientCA: X509Certificate[];
  requestHeaderCA: X509Certificate[];
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export type TokenReviewer = (token: string) => Promise<UserInfo | undefined>;

/** Every certificate of a PEM bundle. */
export function parseCertificates(pem: string | undefined): X509Certificate[] {
  if (!pem) return [];
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
}

const jsonList = (v: string | undefined): string[] => {
  if (!v) return [];
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
};

/** The ConfigMap's data as an authentication config. */
export function configFromConfigMap(data: Record<string, string>): AuthenticationConfig {
  return {
    clientCA: parseCertificates(data['client-ca-file']),
    requestHeaderCA: parseCertificates(data['requestheader-client-ca-file']),
    allowedNames: jsonList(data['requestheader-allowed-names']),
    usernameHeaders: jsonList(data['requestheader-username-headers']),
    uidHeaders: jsonList(data['requestheader-uid-headers']),
    groupHeaders: jsonList(data['requestheader-group-headers']),
    extraHeaderPrefixes: jsonList(data['requestheader-extra-headers-prefix']),
  };
}

/** The client certificate verifies against one of `cas`: issued by it, signed by its key, and within its validity. */
function issuedBy(cert: X509Certificate, cas: X509Certificate[], now = new Date()): boolean {
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return false;
  return cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

const headerValues = (req: IncomingMessage, name: string): string[] => {
  const v = req.headers[name.toLowerCase()];
  return v === undefined
    ? []
    : (Array.isArray(v) ? v : [v])
        .flatMap((x) => x.split(','))
        .map((x) => x.trim())
        .filter(Boolean);
};

const subjectField = (subject: string, key: string): string[] =>
  subject
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

export type AuthenticationResult = { ok: true; user: UserInfo; via: 'requestheader' | 'x509' | 'token' } | { ok: false; message: string };

export async function authenticate(req: IncomingMessage, config: AuthenticationConfig, reviewToken: TokenReviewer): Promise<AuthenticationResult> {
  const socket = req.socket as TLSSocket;
  const peer = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
  if (peer && issuedBy(peer, config.requestHeaderCA)) {
    const cn = subjectField(peer.subject, 'CN')[0] ?? '';
    if (config.allowedNames.length && !config.allowedNames.includes(cn)) {
      return { ok: false, message: `front-proxy certificate CN "${cn}" is not among requestheader-allowed-names` };
    }
    const name = config.usernameHeaders.map((h) => headerValues(req, h)[0]).find(Boolean);
    if (name) {
      const groups = config.groupHeaders.flatMap((h) => headerValues(req, h));
      const uid = config.uidHeaders.map((h) => headerValues(req, h)[0]).find(Boolean);
      const extra: Record<string, string[]> = {};
      for (const prefix of config.extraHeaderPrefixes) {
        for (const [h, v] of Object.entries(req.headers)) {
          if (!h.startsWith(prefix.toLowerCase()) || v === undefined) continue;
          const key = decodeURIComponent(h.slice(prefix.length));
          extra[key] = [...(extra[key] ?? []), ...(Array.isArray(v) ? v : [v])];
        }
      }
      return { ok: true, via: 'requestheader', user: { name, groups, ...(uid ? { uid } : {}), ...(Object.keys(extra).length ? { extra } : {}) } };
    }
  }
  if (peer && issuedBy(peer, config.clientCA)) {
    const name = subjectField(peer.subject, 'CN')[0];
    if (name) return { ok: true, via: 'x509', user: { name, groups: [...subjectField(peer.subject, 'O'), 'system:authenticated'] } };
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const user = await reviewToken(auth.slice(7).trim());
    if (user) return { ok: true, via: 'token', user };
    return { ok: false, message: 'invalid bearer token' };
  }
  return { ok: false, message: 'no credentials: a client certificate of the front proxy or the cluster CA, or a bearer token, is required' };
}
