// What the apiserver benchmarks share: an HTTPS agent with the admin certificate, one request,
// N requests with a fixed number in flight, percentiles and aligned output lines.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { ApiserverHandle } from '@skiff/common/testing/index';

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const ms = (n: number) => `${n.toFixed(2)} ms`;
export const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

export function agentFor(api: ApiserverHandle, maxSockets: number): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    ca: readFileSync(api.pki.caCert),
    cert: readFileSync(api.pki.admin.cert),
    key: readFileSync(api.pki.admin.key),
  });
}

export function call(agent: https.Agent, base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      `${base}${path}`,
      { method, agent, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** `total` calls of fn, `concurrency` at a time; returns calls per second. */
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
