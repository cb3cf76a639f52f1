// Every --metric-resolution, one GET of /metrics/resource from each node's kubelet (all nodes
// at once, up to a concurrency limit), with this server's own identity (the client
// certificate or token of its kubeconfig; RBAC's system:metrics-server lets it get
// nodes/metrics). The kubelet is reached at the node's first address of a preferred type and
// its daemonEndpoints port. A node that does not answer within the timeout is left out of
// that cycle (and so out of the metrics until it answers twice again); the next cycle tries
// it afresh, so a kubelet that comes back is picked up without any other retry.
import https from 'node:https';
import tls from 'node:tls';
import type { Logger } from '@skiff/common/log';
import client from 'prom-client';
import { decodeResourceMetrics, type NodeScrape } from './decode.ts';
import type { Credentials } from './kubeconfig.ts';
import type { NodeInfo } from './node-watcher.ts';
import type { MetricsStorage } from './storage.ts';

export interface ScraperOptions {
  /** this server's identity (its kubeconfig's certificate or token) and the cluster CA */
  credentials: Credentials;
  nodes: () => readonly NodeInfo[];
  storage: MetricsStorage;
  resolutionMs: number;
  requestTimeoutMs: number;
  /** address types in order of preference (--kubelet-preferred-address-types) */
  addressTypes: string[];
  /** do not verify kubelets' serving certificates (--kubelet-insecure-tls) */
  insecureTLS: boolean;
  /** CA for kubelets' serving certificates; default: the kubeconfig's cluster CA */
  kubeletCA?: Buffer;
  /** used instead of the node's daemonEndpoints port when set (--kubelet-port) */
  kubeletPort?: number;
  concurrency?: number;
  registry: client.Registry;
  log: Logger;
}

export interface CycleResult {
  scraped: number;
  failed: number;
  durationMs: number;
}

export function kubeletAddress(node: NodeInfo, types: string[], portOverride?: number): { host: string; port: number } | undefined {
  for (const t of types) {
    const a = node.addresses.find((x) => x.type === t && x.address);
    if (a) return { host: a.address, port: portOverride || node.kubeletPort || 10250 };
  }
  return undefined;
}

export class Scraper {
  private readonly o: ScraperOptions;
  private readonly agent: https.Agent;
  private readonly tls: https.RequestOptions & { secureContext: tls.SecureContext };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private cycles = 0;
  private readonly duration: client.Histogram;
  private readonly failures: client.Counter<'node'>;
  private readonly lastCycle: client.Gauge;
  private readonly lastDuration: client.Gauge;

  constructor(o: ScraperOptions) {
    this.o = o;
    const c = o.credentials;
    this.tls = {
      // one context for every kubelet: without it each new connection parses the CA,
      // certificate and key again (tls.connect builds a context from the options)
      secureContext: tls.createSecureContext({ cert: c.cert, key: c.key, ca: o.kubeletCA ?? c.ca }),
      rejectUnauthorized: !o.insecureTLS,
      headers: c.token ? { Authorization: `Bearer ${c.token}` } : {},
    };
    this.agent = new https.Agent({ keepAlive: true, maxSockets: o.concurrency ?? 100, maxFreeSockets: o.concurrency ?? 100 });
    this.duration = new client.Histogram({
      name: 'metrics_server_manager_tick_duration_seconds',
      help: 'The total time spent collecting and storing metrics in seconds',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
      registers: [o.registry],
    });
    this.failures = new client.Counter({
      name: 'metrics_server_kubelet_scrape_failures_total',
      help: 'Scrapes of a kubelet that failed, by node',
      labelNames: ['node'],
      registers: [o.registry],
    });
    this.lastDuration = new client.Gauge({
      name: 'metrics_server_last_cycle_duration_seconds',
      help: 'How long the last scrape cycle took, all nodes',
      registers: [o.registry],
    });
    this.lastCycle = new client.Gauge({
      name: 'metrics_server_last_cycle_nodes',
      help: 'Nodes scraped successfully in the last cycle',
      registers: [o.registry],
    });
  }

  async start(): Promise<void> {
    const loop = async () => {
      if (this.stopped) return;
      const started = Date.now();
      try {
        await this.cycle();
      } catch (e) {
        this.o.log.error('scrape cycle failed', { err: e as Error });
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), Math.max(0, this.o.resolutionMs - (Date.now() - started)));
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.agent.destroy();
  }

  /** Has at least one cycle run (so /readyz can tell a server with data from one without). */
  get ran(): boolean {
    return this.cycles > 0;
  }

  async cycle(): Promise<CycleResult> {
    const started = performance.now();
    const nodes = [...this.o.nodes()];
    const ok = new Set<string>();
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) {
        const node = nodes[next++]!;
        const name = node.name;
        try {
          const scrape = await this.scrapeNode(node);
          this.o.storage.store(name, scrape);
          ok.add(name);
        } catch (e) {
          failed++;
          this.failures.inc({ node: name });
          this.o.log.warn('scraping a kubelet failed', { node: name, err: (e as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 100, nodes.length) }, worker));
    this.o.storage.retainNodes(ok);
    const durationMs = performance.now() - started;
    this.duration.observe(durationMs / 1000);
    this.lastCycle.set(ok.size);
    this.lastDuration.set(durationMs / 1000);
    this.cycles++;
    this.o.log.debug('scrape cycle', { nodes: nodes.length, scraped: ok.size, failed, durationMs: Math.round(durationMs) });
    return { scraped: ok.size, failed, durationMs };
  }

  scrapeNode(node: NodeInfo): Promise<NodeScrape> {
    const addr = kubeletAddress(node, this.o.addressTypes, this.o.kubeletPort);
    if (!addr) return Promise.reject(new Error(`node has no address of the types ${this.o.addressTypes.join(',')}`));
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          ...this.tls,
          agent: this.agent,
          host: addr.host,
          port: addr.port,
          path: '/metrics/resource',
          method: 'GET',
          servername: addr.host.match(/^[\d.]+$|:/) ? undefined : addr.host,
          timeout: this.o.requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) reject(new Error(`${addr.host}:${addr.port} answered ${res.statusCode}: ${body.slice(0, 200).trim()}`));
            else resolve(decodeResourceMetrics(body, Date.now()));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${addr.host}:${addr.port} within ${this.o.requestTimeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
