// The chaos driver's own HTTPS client for the lab's apiservers: one request to one named
// apiserver (fresh connection, admin client certificate), so every write is known to have gone
// through exactly that apiserver and its answer is what the ledger records.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ApiAnswer {
  /** HTTP status; 0 when no answer came (refused, reset, timed out) */
  status: number;
  body: string;
  error?: string;
}

export interface ApiClient {
  servers: string[];
  /** METHOD PATH on SERVER (https://IP:6443) with a JSON body */
  call(server: string, method: string, path: string, body?: unknown, contentType?: string): Promise<ApiAnswer>;
  /** the next server in turn (round robin over every apiserver) */
  next(): string;
  /** like call, on each server in turn from next() until one answers below 500 (for the workload's own reads and patches) */
  any(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiAnswer>;
}

export function apiClient(pkiDir: string, servers: string[], timeoutMs = 5000): ApiClient {
  const tls = {
    ca: readFileSync(join(pkiDir, 'ca.crt')),
    cert: readFileSync(join(pkiDir, 'admin.crt')),
    key: readFileSync(join(pkiDir, 'admin.key')),
  };
  let turn = 0;
  const call = (server: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer> =>
    new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, server),
        {
          method,
          ...tls,
          agent: false,
          timeout: timeoutMs,
          headers: { accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', (e) => resolve({ status: 0, body: text, error: e.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
      req.end(payload);
    });
  const next = () => servers[turn++ % servers.length]!;
  return {
    servers,
    call,
    next,
    async any(method, path, body, contentType) {
      let last: ApiAnswer = { status: 0, body: '', error: 'no server' };
      for (let i = 0; i < servers.length; i++) {
        last = await call(next(), method, path, body, contentType);
        if (last.status > 0 && last.status < 500) return last;
      }
      return last;
    },
  };
}

/** body parsed as JSON, or undefined */
export function json<T>(a: ApiAnswer): T | undefined {
  try {
    return JSON.parse(a.body) as T;
  } catch {
    return undefined;
  }
}
