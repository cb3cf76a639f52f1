// A few JSON calls over HTTPS with a kubeconfig's credentials (CA, client cert, bearer token):
// all that TLS bootstrap needs, without pulling a typed client into the join path.
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class HttpStatusError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    let message = body.slice(0, 300);
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    super(`${method} ${path}: ${status} ${message}`);
    this.status = status;
    this.body = body;
  }
}

export async function callJson<T>(kc: KubeConfig, method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  return JSON.parse(await callText(kc, method, path, body, timeoutMs, 'application/json')) as T;
}

/** The body of a call as text (a non-2xx answer is an HttpStatusError). */
export async function callText(kc: KubeConfig, method: string, path: string, body?: unknown, timeoutMs = 30_000, accept = '*/*'): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: RequestOptions = { method, headers: { accept }, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload) Object.assign(opts.headers!, { 'content-type': 'application/json', 'content-length': String(payload.length) });
  return new Promise<string>((resolve, reject) => {
    const req = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) reject(new HttpStatusError(method, path, status, text));
        else resolve(text);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
