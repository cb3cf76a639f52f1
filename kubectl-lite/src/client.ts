// A thin HTTPS client for the apiserver, built on node:https and the kubeconfig's TLS
// material. Our own rather than the generated one because kubectl-lite needs what the
// generated client hides: Accept headers for Tables, any resource by path, raw streams
// for logs and watches, and the Status body of every error.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ApiStatusError, type ApiStatus } from './errors.ts';
import type { ClusterTarget } from './kubeconfig.ts';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function statusFrom(code: number, text: string): ApiStatus {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') return parsed;
  } catch {
    /* not JSON: fall through */
  }
  return { message: text.trim() || `the server answered HTTP ${code}`, code };
}

export class ApiClient {
  readonly target: ClusterTarget;
  private tlsOptions: Promise<RequestOptions> | undefined;

  constructor(target: ClusterTarget) {
    this.target = target;
  }

  /** ca/cert/key/token headers from the kubeconfig, the same for https and WebSocket calls. */
  connectionOptions(): Promise<RequestOptions> {
    this.tlsOptions ??= (async () => {
      const opts: RequestOptions = {};
      await this.target.kc.applyToHTTPSOptions(opts);
      return opts;
    })();
    return this.tlsOptions;
  }

  /** Sends a request and hands back the response stream, failing with the Status on non-2xx. */
  async open(method: string, path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const url = new URL(this.target.server + withQuery(path, opts.query));
    const base = await this.connectionOptions();
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    }
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string> | undefined),
      accept: opts.accept ?? 'application/json',
      'user-agent': 'kubectl-lite/0.1',
    };
    if (payload) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { ...base, method, headers, signal: opts.signal }, resolve);
      req.on('error', (err) => reject(connectionError(err, this.target.server)));
      req.end(payload);
    });
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw new ApiStatusError(code, statusFrom(code, await readAll(res)));
    return res;
  }

  /** A JSON request; answers the decoded body (and the HTTP code). */
  async call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<{ code: number; body: T }> {
    const res = await this.open(method, path, opts);
    const text = await readAll(res);
    return { code: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async get<T = any>(path: string, opts: CallOptions = {}): Promise<T> {
    return (await this.call<T>('GET', path, opts)).body;
  }

  /** Streams watch events until the server ends the watch or `signal` aborts it. */
  async watch<T = any>(
    path: string,
    query: Query,
    onEvent: (ev: WatchEvent<T>) => void | boolean | Promise<void | boolean>,
    opts: { accept?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.open('GET', path, { query: { ...query, watch: 'true' }, accept: opts.accept, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as WatchEvent<T>;
          if (ev.type === 'ERROR') throw new ApiStatusError((ev.object as ApiStatus).code ?? 500, ev.object as ApiStatus);
          // a handler answering true has seen what it waited for
          if ((await onEvent(ev)) === true) {
            res.destroy();
            return;
          }
        }
      }
    } catch (err) {
      if (opts.signal?.aborted || (err as { code?: string }).code === 'ABORT_ERR') return;
      throw err;
    }
  }
}

function connectionError(err: Error, server: string): Error {
  if ((err as { code?: string }).code === 'ABORT_ERR' || err.name === 'AbortError') return err;
  return new Error(`cannot reach the server at ${server}: ${err.message}`);
}
