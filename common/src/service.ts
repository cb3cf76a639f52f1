// What every long-running Skiff service shares: /healthz, /readyz, /metrics on a small HTTP
// listener, and a clean shutdown on SIGTERM/SIGINT.
import http from 'node:http';
import client from 'prom-client';
import { collectProcessMetrics } from './process-metrics.ts';
import type { Logger } from './log.ts';

export interface ServiceCheck {
  name: string;
  check(): boolean | Promise<boolean>;
}

export interface ServiceEndpoints {
  registry: client.Registry;
  server: http.Server;
  close(): Promise<void>;
}

export function startServiceEndpoints(o: {
  port: number;
  bindAddress?: string;
  log: Logger;
  checks?: ServiceCheck[];
  ready?: () => boolean;
  registry?: client.Registry;
}): Promise<ServiceEndpoints> {
  const registry = o.registry ?? new client.Registry();
  collectProcessMetrics(registry);
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      let ok = true;
      const lines: string[] = [];
      for (const c of o.checks ?? []) {
        let good = false;
        try {
          good = await c.check();
        } catch {
          good = false;
        }
        ok &&= good;
        lines.push(`[${good ? '+' : '-'}]${c.name} ${good ? 'ok' : 'failed'}`);
      }
      if (path === '/readyz' && o.ready && !o.ready()) {
        ok = false;
        lines.push('[-]ready failed');
      }
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
      res.end(ok && !(req.url ?? '').includes('verbose') ? 'ok' : `${lines.join('\n')}\n${path.slice(1)} check ${ok ? 'passed' : 'failed'}\n`);
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bindAddress ?? '127.0.0.1', () => {
      o.log.info('serving health and metrics', { port: (server.address() as any).port });
      resolve({ registry, server, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

export interface ShutdownOptions {
  /**
   * Work done on the first signal before `stop`, which may take long (the kubelet's drain on
   * shutdown) and so is not under the 10 s limit: it ends itself, or a second signal aborts
   * it (its AbortSignal) and `stop` follows once it returns, or after 5 s. A third signal exits.
   */
  prepare?: (abort: AbortSignal) => Promise<void>;
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits; a second signal or a 10 s hang forces exit. */
export function onShutdown(log: Logger, stop: () => Promise<void>, o: ShutdownOptions = {}): void {
  let stopping = false;
  let preparing = false;
  const abort = new AbortController();
  const finish = () => {
    preparing = false;
    stopping = true;
    const t = setTimeout(() => process.exit(1), 10_000);
    t.unref();
    stop().then(
      () => process.exit(0),
      (e) => {
        log.error('shutdown failed', { err: e as Error });
        process.exit(1);
      },
    );
  };
  const handler = (sig: string) => {
    if (stopping || abort.signal.aborted) process.exit(1);
    if (preparing) {
      log.warn('second signal: cutting the shutdown work short', { signal: sig });
      abort.abort();
      const t = setTimeout(() => {
        if (!stopping) finish();
      }, 5000);
      t.unref();
      return;
    }
    log.info('shutting down', { signal: sig });
    if (!o.prepare) return finish();
    preparing = true;
    o.prepare(abort.signal)
      .catch((e: unknown) => log.error('shutdown work failed', { err: e as Error }))
      .finally(() => {
        if (!stopping) finish();
      });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}
