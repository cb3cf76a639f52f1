// The continue token of a paged list, in kube-apiserver's format: base64 of
// {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<next key, relative to the list prefix>"}.
import { errors } from '../errors.ts';

const TOKEN_VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  /** the revision the first page was read at; every page reads at it */
  rv: number;
  /** the next key to read, relative to the listed prefix */
  start: string;
}

export function encodeContinue(nextKey: string, prefix: string, rv: number): string {
  const start = nextKey.startsWith(prefix) ? nextKey.slice(prefix.length) : nextKey;
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv, start })).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): { rv: number; startKey: string } {
  const invalid = (why: string) => errors.badRequest(`continue key is not valid: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (!p || p.v !== TOKEN_VERSION) throw invalid('server does not recognize this encoded key');
  if (typeof p.rv !== 'number' || !Number.isSafeInteger(p.rv) || p.rv <= 0) {
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof p.start !== 'string' || p.start === '') throw invalid('encoded start key empty');
  // the token comes from the client: it must not reach outside the listed prefix
  if (p.start.startsWith('/') || p.start.split('/').includes('..')) throw invalid('path traversal attempt detected');
  return { rv: p.rv, startKey: prefix + p.start };
}
