// The health-check node ports of LoadBalancer Services with externalTrafficPolicy Local, as
// kube-proxy serves them (pkg/proxy/healthcheck): one HTTP listener per spec.healthCheckNodePort
// on every node, answering any path with 200 when this node has ready endpoints of the Service
// and 503 otherwise, so an external balancer sends traffic only to nodes that serve it.
import http from 'node:http';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Logger } from '@skiff/common';
import { isPortNumber, serviceProblem } from './edge.ts';
import { SERVICE_NAME_LABEL } from './model.ts';

export interface HealthCheck {
  namespace: string;
  name: string;
  localEndpoints: number;
}

/** health-check port -> what it reports, for every Service that needs one. */
export function wantedHealthChecks(services: readonly V1Service[], slices: readonly V1EndpointSlice[], nodeName: string): Map<number, HealthCheck> {
  const local = new Map<string, Set<string>>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false || e.nodeName !== nodeName) continue;
      let ips = local.get(key);
      if (!ips) local.set(key, (ips = new Set()));
      for (const ip of e.addresses ?? []) ips.add(ip);
    }
  }
  const out = new Map<number, HealthCheck>();
  for (const svc of services) {
    const spec = svc.spec;
    if (spec?.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local' || serviceProblem(svc) !== undefined) continue;
    if (!isPortNumber(spec.healthCheckNodePort)) continue;
    const namespace = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    out.set(spec.healthCheckNodePort, { namespace, name, localEndpoints: local.get(`${namespace}/${name}`)?.size ?? 0 });
  }
  return out;
}

/** The answer kube-proxy gives (its JSON body, headers and codes). */
export function healthCheckAnswer(hc: HealthCheck): { status: number; body: string; headers: Record<string, string> } {
  return {
    status: hc.localEndpoints > 0 ? 200 : 503,
    body: JSON.stringify({ service: { namespace: hc.namespace, name: hc.name }, localEndpoints: hc.localEndpoints, serviceProxyHealthy: true }),
    headers: {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'X-Load-Balancing-Endpoint-Weight': String(hc.localEndpoints),
    },
  };
}

export class HealthCheckServers {
  private readonly servers = new Map<number, { server: http.Server; current: HealthCheck }>();
  private readonly log: Logger;
  private readonly bindAddress: string;

  constructor(log: Logger, bindAddress = '0.0.0.0') {
    this.log = log;
    this.bindAddress = bindAddress;
  }

  /** Opens listeners for new ports, updates the others' answers, closes those no longer wanted. */
  async sync(wanted: Map<number, HealthCheck>): Promise<void> {
    for (const [port, entry] of this.servers) {
      if (wanted.has(port)) continue;
      this.servers.delete(port);
      await new Promise<void>((resolve) => entry.server.close(() => resolve()));
      this.log.info('health-check node port closed', { port, service: `${entry.current.namespace}/${entry.current.name}` });
    }
    for (const [port, hc] of wanted) {
      const existing = this.servers.get(port);
      if (existing) {
        existing.current = hc;
        continue;
      }
      const entry = { server: http.createServer(), current: hc };
      entry.server.on('request', (_req, res) => {
        const a = healthCheckAnswer(entry.current);
        res.writeHead(a.status, a.headers).end(a.body);
      });
      try {
        await new Promise<void>((resolve, reject) => {
          entry.server.once('error', reject);
          entry.server.listen(port, this.bindAddress, () => resolve());
        });
      } catch (e) {
        // another process holds the port: kube-proxy logs and retries on the next sync too
        this.log.warn('cannot open health-check node port', { port, err: (e as Error).message });
        continue;
      }
      this.servers.set(port, entry);
      this.log.info('health-check node port open', { port, service: `${hc.namespace}/${hc.name}` });
    }
  }

  async close(): Promise<void> {
    await this.sync(new Map());
  }
}
