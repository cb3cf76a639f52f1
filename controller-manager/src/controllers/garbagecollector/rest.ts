// DEPRECATED: a small hand-written JSON client for any resource path. Every controller in
// this folder's group now talks through client-node (context.ts apisFor, api-errors.ts);
// this file stays only because certificates/ still imports it. Delete it with restClientFor
// once certificates/ has moved to client-node.
import { request as httpsRequest, Agent } from 'node:https';
import type { RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export type PatchType = 'merge' | 'strategic' | 'json';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** A non-2xx answer; `code` is the HTTP status, `reason` the Status reason. */
export class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  constructor(method: string, path: string, code: number, body: string) {
    let reason: string | undefined;
    let message = body.slice(0, 300);
    try {
      const status = JSON.parse(body) as { reason?: string; message?: string };
      reason = status.reason;
      message = status.message ?? message;
    } catch { /* not a Status object */ }
    super(`${method} ${path}: ${code} ${message}`);
    this.code = code;
    this.reason = reason;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 409 && e.reason === 'AlreadyExists';

export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** /api/v1/namespaces/NS/pods/NAME/status and friends. */
export function resourcePath(r: ResourceRef): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespace) p += `/namespaces/${encodeURIComponent(r.namespace)}`;
  p += `/${r.resource}`;
  if (r.name) p += `/${encodeURIComponent(r.name)}`;
  if (r.subresource) p += `/${r.subresource}`;
  return p;
}

export class RestClient {
  private readonly kubeConfig: KubeConfig;
  private base?: Promise<{ url: URL; options: RequestOptions }>;

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
  }

  get<T = any>(path: string): Promise<T> { return this.call('GET', path); }

  async getIfExists<T = any>(path: string): Promise<T | undefined> {
    try { return await this.get<T>(path); } catch (e) { if (isNotFound(e)) return undefined; throw e; }
  }

  create<T = any>(path: string, obj: unknown): Promise<T> { return this.call('POST', path, obj); }
  update<T = any>(path: string, obj: unknown): Promise<T> { return this.call('PUT', path, obj); }
  patch<T = any>(path: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.call('PATCH', path, patch, patchContentTypes[type]);
  }

  /** DELETE with DeleteOptions (propagationPolicy, preconditions, gracePeriodSeconds). */
  delete<T = any>(path: string, options?: Record<string, unknown>): Promise<T> {
    return this.call('DELETE', path, options ? { kind: 'DeleteOptions', apiVersion: 'v1', ...options } : undefined);
  }

  async call<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const { url, options } = await this.connection();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const target = new URL(path, url);
    const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined), accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(target, { ...options, method, headers, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) { reject(new ApiStatusError(method, path, code, text)); return; }
          try { resolve((text ? JSON.parse(text) : undefined) as T); } catch (e) { reject(e); }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private connection(): Promise<{ url: URL; options: RequestOptions }> {
    this.base ??= (async () => {
      const cluster = this.kubeConfig.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      const opts: RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(opts);
      // One keep-alive agent for every call instead of the fresh one the client builds each time.
      const agent = new Agent({ keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized ?? true });
      const { ca, cert, key, agent: _unused, ...rest } = opts;
      return { url: new URL(cluster.server), options: { ...rest, agent } };
    })();
    return this.base;
  }
}
