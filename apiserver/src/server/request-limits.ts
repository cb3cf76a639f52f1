// Limits on requests as kube-apiserver sets them: how many may be in flight (read-only and
// mutating apart, 429 beyond), how long a short request may take (504), and how long a
// watch lasts. Watches and other long-running requests are neither counted nor timed here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseGoDurationSeconds } from '@skiff/common/go-duration';
import { errors } from '../errors.ts';
import { writeError, writeJson } from './http-util.ts';
import { parseRequestInfo } from './request-info.ts';

export interface RequestLimitsConfig {
  /** --max-requests-inflight: read-only requests at once; 0 for no limit */
  maxRequestsInflight: number;
  /** --max-mutating-requests-inflight: mutating requests at once; 0 for no limit */
  maxMutatingRequestsInflight: number;
  /** --request-timeout: how long a non-long-running request may take */
  requestTimeoutSeconds: number;
}

/** Paths the probes use: answered even when the server is saturated. */
const exemptPaths = new Set(['/healthz', '/readyz', '/livez']);
const longRunningSubresources = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);
const readOnlyMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Made once: a saturated server answers thousands of these a second, and an error made per
 * refusal (its stack trace captured) was a tenth of a 5,000-node density run's apiserver, its
 * JSON another 7%.
 */
const TOO_MANY_REQUESTS = JSON.stringify(errors.tooManyRequests('Too many requests, please try again later.', 1).toStatus());

export function isLongRunning(req: IncomingMessage, path: string, query: URLSearchParams): boolean {
  try {
    const info = parseRequestInfo(req.method ?? 'GET', path, query);
    // kube-apiserver's LongRunningRequestCheck: the watch and proxy verbs, these subresources
    return info.verb === 'watch' || info.verb === 'proxy' || (!!info.subresource && longRunningSubresources.has(info.subresource));
  } catch {
    return false; // a path that does not parse is refused quickly later on
  }
}

export interface RequestLimiter {
  /** Counts the request and arms its timeout; false when it was refused (429 or 400 written). */
  admit(req: IncomingMessage, res: ServerResponse): boolean;
  readonly inflight: { readOnly: number; mutating: number };
}

export function createRequestLimiter(cfg: RequestLimitsConfig): RequestLimiter {
  const inflight = { readOnly: 0, mutating: 0 };
  return {
    inflight,
    admit(req, res) {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const path = q < 0 ? raw : raw.slice(0, q);
      if (exemptPaths.has(`/${path.split('/')[1]}`)) return true; // and their /readyz/etcd checks
      const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
      if (isLongRunning(req, path, query)) return true;

      let timeoutSeconds = cfg.requestTimeoutSeconds;
      const asked = query.get('timeout');
      if (asked) {
        const s = parseGoDurationSeconds(asked);
        if (s === undefined || s < 0) {
          writeError(res, errors.badRequest(`invalid timeout specified in the request URL: ${asked.slice(0, 64)}`));
          return false;
        }
        // a shorter deadline than the server's is honoured, a longer one is not
        if (s > 0 && s < timeoutSeconds) timeoutSeconds = s;
      }

      const kind = readOnlyMethods.has(req.method ?? 'GET') ? 'readOnly' : 'mutating';
      const max = kind === 'readOnly' ? cfg.maxRequestsInflight : cfg.maxMutatingRequestsInflight;
      if (max > 0 && inflight[kind] >= max) {
        res.setHeader('Retry-After', '1');
        writeJson(res, 429, TOO_MANY_REQUESTS);
        return false;
      }
      inflight[kind]++;
      const timer =
        timeoutSeconds > 0
          ? setTimeout(() => {
              if (!res.headersSent) writeError(res, errors.timeout('Timeout: request did not complete within requested timeout - context deadline exceeded'));
            }, timeoutSeconds * 1000)
          : undefined;
      let released = false;
      res.once('close', () => {
        if (released) return;
        released = true;
        inflight[kind]--;
        clearTimeout(timer);
      });
      return true;
    },
  };
}

/** The longest timer node keeps (about 24.8 days); longer ones would fire at once. */
const maxTimerSeconds = 2_147_483;

/**
 * How long a watch lasts: timeoutSeconds when given (0 or absent: the default), else
 * --min-request-timeout jittered by a factor in [1, 2), as kube-apiserver spreads watches.
 */
export function watchTimeoutSeconds(raw: string | null, minRequestTimeoutSeconds: number): number {
  if (raw !== null && raw !== '') {
    if (!/^\d+$/.test(raw)) throw errors.badRequest(`invalid timeoutSeconds: ${raw.slice(0, 64)}: must be a non-negative integer`);
    const n = Number(raw);
    if (n > 0) return Math.min(n, maxTimerSeconds);
  }
  return Math.min(minRequestTimeoutSeconds * (1 + Math.random()), maxTimerSeconds);
}
