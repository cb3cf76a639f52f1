// kube-aggregator's availability controller: keeps each APIService's Available condition. A
// Local one is always available; one with a Service needs the Service, its port, a ready
// endpoint, and a 2xx from GET /apis/<group>/<version> on that endpoint (as
// system:kube-aggregator, within 5 s). Each APIService is checked again every interval, and
// at once when it, its Service or its endpoints change. The answered document feeds
// aggregated discovery.
import type { Logger } from '@skiff/common';
import client from 'prom-client';
import { WorkQueue } from '@skiff/common/workqueue';
import { runController, type StopController } from '@skiff/common/controller/runner';
import { ApiError } from '../errors.ts';
import type { ApiRegistry } from '../registry/api-registry.ts';
import type { UserInfo } from '../registry/store.ts';
import type { KObject } from '../registry/types.ts';
import type { Watcher } from '../storage/interface.ts';
import { availableCondition } from '../registry/resources/apiservices.ts';
import { backendGet, backendTls, type ProxyClientCert } from './backend.ts';
import type { AggregatedGroups } from './discovery-source.ts';
import { resolveTargets, TargetError } from './service-target.ts';

const controllerUser: UserInfo = { name: 'system:kube-aggregator', groups: ['system:masters'] };
const discoveryTimeoutMs = 5000;
/** kube tries up to 5 times; we try up to 5 distinct endpoints */
const attempts = 5;

interface Condition {
  type: 'Available';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface AvailableControllerDeps {
  registry: ApiRegistry;
  proxyClient: ProxyClientCert | undefined;
  discovery: AggregatedGroups;
  intervalSeconds: number;
  log: Logger;
  /** the apiserver's /metrics registry */
  metrics?: client.Registry;
}

function newQueue(): WorkQueue<string> {
  return new WorkQueue<string>({ baseDelayMs: 500, maxDelayMs: 30_000 });
}

function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class AvailableController {
  private queue = newQueue();
  /** `namespace/name` of a Service → APIServices that use it */
  private readonly byService = new Map<string, Set<string>>();
  private readonly watchers: Watcher[] = [];
  private stopWorkers?: StopController;
  private stopped = false;

  private readonly deps: AvailableControllerDeps;
  private readonly unavailable?: client.Gauge<'name'>;
  private readonly unavailableTotal?: client.Counter<'name' | 'reason'>;

  constructor(deps: AvailableControllerDeps) {
    this.deps = deps;
    if (deps.metrics) {
      // kube-aggregator's metrics, same names and labels
      this.unavailable = new client.Gauge({
        name: 'aggregator_unavailable_apiservice',
        help: 'Gauge of APIServices which are marked as unavailable broken down by APIService name.',
        labelNames: ['name'] as const,
        registers: [deps.metrics],
      });
      this.unavailableTotal = new client.Counter({
        name: 'aggregator_unavailable_apiservice_total',
        help: 'Counter of APIServices which are marked as unavailable broken down by APIService name and reason.',
        labelNames: ['name', 'reason'] as const,
        registers: [deps.metrics],
      });
    }
  }

  private get apiServices() {
    const s = this.deps.registry.store('apiregistration.k8s.io', 'v1', 'apiservices');
    if (!s) throw new Error('apiservices are not served');
    return s;
  }

  private track(obj: KObject, deleted: boolean): void {
    const name = obj.metadata.name ?? '';
    for (const names of this.byService.values()) names.delete(name);
    if (deleted) {
      this.deps.discovery.removeApiService(name);
      this.unavailable?.remove({ name });
      return;
    }
    this.deps.discovery.setApiService(obj);
    const svc = obj.spec?.service;
    if (svc?.namespace && svc?.name) {
      const key = `${svc.namespace}/${svc.name}`;
      this.byService.set(key, (this.byService.get(key) ?? new Set()).add(name));
    }
    this.queue.add(name);
  }

  private enqueueForService(namespace: string | undefined, serviceName: string | undefined): void {
    if (!namespace || !serviceName) return;
    for (const name of this.byService.get(`${namespace}/${serviceName}`) ?? []) this.queue.add(name);
  }

  async start(): Promise<void> {
    const store = this.apiServices;
    const list = await store.list(undefined, {});
    for (const obj of list.items) this.track(obj, false);
    this.watchers.push(
      await store.watch(undefined, { resourceVersion: list.resourceVersion }, (ev) => {
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.track(ev.object, false);
        else if (ev.type === 'DELETED') this.track(ev.object, true);
        else if (ev.type === 'ERROR') this.restartWatches();
      }),
    );
    // a Service or its endpoints changing can change an APIService's availability
    const related: [string, string, (o: KObject) => string | undefined][] = [
      ['', 'services', (o) => o.metadata.name],
      ['', 'endpoints', (o) => o.metadata.name],
      ['discovery.k8s.io', 'endpointslices', (o) => o.metadata.labels?.['kubernetes.io/service-name']],
    ];
    for (const [group, resource, serviceOf] of related) {
      const s = this.deps.registry.store(group, 'v1', resource);
      if (!s) continue;
      this.watchers.push(
        await s.watch(undefined, {}, (ev) => {
          if (ev.type === 'ERROR') this.restartWatches();
          else if (ev.type !== 'BOOKMARK') this.enqueueForService(ev.object.metadata.namespace, serviceOf(ev.object));
        }),
      );
    }
    this.stopWorkers = runController({
      name: 'apiservice-availability',
      log: this.deps.log,
      queue: this.queue,
      workers: 2,
      caches: [],
      reconcile: async (name) => {
        await this.reconcile(name);
        return { requeueAfterMs: this.deps.intervalSeconds * 1000 };
      },
    });
  }

  /** A watch that ended with an error (compaction): list and watch again. */
  private restartWatches(): void {
    if (this.stopped) return;
    for (const w of this.watchers.splice(0)) w.stop();
    void this.stopWorkers?.();
    this.stopWorkers = undefined;
    this.queue.shutDown();
    this.deps.log.warn('apiservice watch ended, restarting');
    // a fresh queue: the old one is shut down
    this.queue = newQueue();
    this.start().catch((e: unknown) => this.deps.log.error('restarting the availability controller failed', { err: e as Error }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers.splice(0)) w.stop();
    await this.stopWorkers?.();
  }

  private async reconcile(name: string): Promise<void> {
    let obj: KObject;
    try {
      obj = await this.apiServices.get(undefined, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
    const condition = await this.check(obj);
    await this.writeCondition(obj, condition);
  }

  private async check(obj: KObject): Promise<Condition> {
    const spec = obj.spec ?? {};
    const name = obj.metadata.name ?? '';
    if (!spec.service) return { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
    const ref = { namespace: spec.service.namespace, name: spec.service.name, port: spec.service.port ?? 443 };
    let targets;
    try {
      targets = await resolveTargets(this.deps.registry, ref);
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      this.deps.discovery.stale(name);
      return { type: 'Available', status: 'False', reason: e.reason, message: e.message };
    }
    const path = `/apis/${spec.group}/${spec.version}`;
    // as kube: the availability check is a best-effort GET that does not enforce the serving
    // certificate; the document feeds discovery only when the certificate passes caBundle
    // (or insecureSkipTLSVerify says not to care), as the proxy itself would require
    const verifyingTls = backendTls(obj, this.deps.proxyClient);
    const tls = { ...verifyingTls, rejectUnauthorized: false };
    const trusted = (verified: boolean) => verified || spec.insecureSkipTLSVerify === true;
    let lastError = '';
    for (const target of shuffled(targets).slice(0, attempts)) {
      const url = `https://${target.host}:${target.port}${path}`;
      try {
        const res = await backendGet(target, tls, path, discoveryTimeoutMs);
        if (res.status < 200 || res.status > 299) {
          lastError = `failing or missing response from ${url}: bad status from ${url}: ${res.status}`;
          continue;
        }
        if (trusted(res.verified)) this.recordDiscovery(name, res.body);
        else this.deps.log.warn('aggregated API serving certificate does not pass caBundle: not used for discovery', { apiService: name });
        return { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
      } catch (e) {
        lastError = `failing or missing response from ${url}: ${(e as Error).message}`;
      }
    }
    this.deps.discovery.stale(name);
    return { type: 'Available', status: 'False', reason: 'FailedDiscoveryCheck', message: lastError };
  }

  private recordDiscovery(name: string, body: string): void {
    try {
      const doc = JSON.parse(body);
      if (doc?.kind === 'APIResourceList') {
        this.deps.discovery.fresh(name, doc);
        return;
      }
    } catch {
      // not JSON: the version is available, but says nothing discovery can use
    }
    this.deps.log.warn('aggregated API discovery document is not an APIResourceList', { apiService: name });
  }

  /** Writes the condition when it changed; lastTransitionTime moves only when the status does. */
  private async writeCondition(obj: KObject, c: Condition): Promise<void> {
    const cur = availableCondition(obj);
    this.unavailable?.set({ name: obj.metadata.name }, c.status === 'True' ? 0 : 1);
    if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message) return;
    if (cur?.status !== c.status) {
      if (c.status === 'False') this.unavailableTotal?.inc({ name: obj.metadata.name, reason: c.reason });
      this.deps.log.info('apiservice availability changed', { apiService: obj.metadata.name, status: c.status, reason: c.reason, message: c.message });
    }
    await this.apiServices.modify(
      undefined,
      obj.metadata.name!,
      (current) => {
        const conditions = [...(current.status?.conditions ?? [])];
        const i = conditions.findIndex((x: any) => x?.type === 'Available');
        const prev = i >= 0 ? conditions[i] : undefined;
        const next = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : rfc3339Now() };
        if (i >= 0) conditions[i] = next;
        else conditions.push(next);
        return { ...current, status: { ...current.status, conditions } };
      },
      { user: controllerUser, fieldManager: 'kube-apiserver', subresource: 'status' },
    );
  }
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
