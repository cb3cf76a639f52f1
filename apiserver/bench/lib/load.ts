// Load helpers the apiserver benchmarks share: wrk for plain GETs, a keep-alive HTTPS agent
// and a fixed number of requests in flight for writes, percentiles, and how a figure is printed.
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { ApiserverHandle, CertPair } from '@skiff/common/testing/index';

export { percentile as pct } from '@skiff/common/testing/index';
export const ms = (n: number) => `${n.toFixed(2)} ms`;
export const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

export function wrk(url: string, seconds = 5, connections = 32): number {
  const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, url], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`could not read wrk output:\n${out}`);
  return Number(m[1]);
}

/** keep-alive connections with a client certificate (the admin's by default) */
export function agentFor(api: ApiserverHandle, maxSockets: number, client: CertPair = api.pki.admin): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    ca: readFileSync(api.pki.caCert),
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  });
}

export function call(
  agent: https.Agent,
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      `${base}${path}`,
      { method, agent, headers: { ...headers, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          // decoded only when read: a timed protobuf LIST must not pay for a UTF-8 decode of binary
          resolve({
            status: res.statusCode ?? 0,
            get body() {
              return bytes.toString();
            },
            contentType: res.headers['content-type'] ?? '',
          });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export const podJson = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: 'bench', tier: 'web' } },
  spec: {
    containers: [
      { name: 'web', image: '127.0.0.1:5000/skiff/web:latest', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } },
    ],
  },
});

/** runs fn(0..total-1) with `concurrency` calls in flight; returns calls per second */
export async function inFlight<T>(total: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}
