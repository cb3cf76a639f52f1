// A small JSON client over the official client's KubeConfig (TLS material, auth): the kubelet
// needs a handful of calls, some with content types (merge patch) the generated API makes
// awkward, and hundreds of hollow kubelets share one keep-alive agent per process.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(method: string, path: string, code: number, body: string) {
    let message = body;
    let reason = '';
    try { const s = JSON.parse(body) as { message?: string; reason?: string }; message = s.message ?? body; reason = s.reason ?? ''; } catch { /* not a Status */ }
    super(`${method} ${path}: ${code} ${message}`);
    this.name = 'ApiStatusError';
    this.code = code;
    this.reason = reason;
  }
}

export function isNotFound(err: unknown): boolean { return err instanceof ApiStatusError && err.code === 404; }
export function isConflict(err: unknown): boolean { return err instanceof ApiStatusError && err.code === 409; }

export interface RestOptions { body?: unknown; contentType?: string; timeoutMs?: number }

export class RestClient {
  readonly server: string;
  private readonly base: Promise<https.RequestOptions>;
  private readonly agent: https.Agent;

  constructor(kc: KubeConfig, agent?: https.Agent) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.agent = agent ?? new https.Agent({ keepAlive: true, maxSockets: 64 });
    this.base = (async () => { const o: https.RequestOptions = {}; await kc.applyToHTTPSOptions(o); return o; })();
  }

  async request<T>(method: string, path: string, opts: RestOptions = {}): Promise<T> {
    const base = await this.base;
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const url = new URL(this.server + path);
    return new Promise<T>((resolve, reject) => {
      const req = https.request({
        ...base, agent: this.agent, method, hostname: url.hostname, port: url.port, path: url.pathname + url.search,
        headers: {
          ...(base.headers ?? {}), accept: 'application/json',
          ...(body ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': body.length } : {}),
        },
        timeout: opts.timeoutMs ?? 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 300) { reject(new ApiStatusError(method, path, res.statusCode ?? 0, text)); return; }
          try { resolve((text ? JSON.parse(text) : {}) as T); } catch (e) { reject(e as Error); }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path); }
  post<T>(path: string, body: unknown): Promise<T> { return this.request<T>('POST', path, { body }); }
  put<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, { body }); }
  mergePatch<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PATCH', path, { body, contentType: 'application/merge-patch+json' }); }
  strategicPatch<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PATCH', path, { body, contentType: 'application/strategic-merge-patch+json' }); }
  delete<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('DELETE', path, { body }); }
}
