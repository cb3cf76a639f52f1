// The controller's view of the cluster: informers of Ingresses, IngressClasses, Services,
// EndpointSlices, TLS Secrets and Nodes, turned into a RouteTable and TLS contexts each time
// one of them changes (debounced: a rolling update changes many slices at once).
import tls from 'node:tls';
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import type {
  KubeConfig,
  KubernetesObject,
  V1EndpointSlice,
  V1Ingress,
  V1IngressBackend,
  V1IngressClass,
  V1Node,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import { Informer } from '@skiff/common';
import type { Logger } from '@skiff/common';
import { addPath, type Backend, emptyTable, type RouteTable } from './routes.ts';

export const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
export const legacyClassAnnotation = 'kubernetes.io/ingress.class';

export interface ClusterView {
  table: RouteTable;
  /** host (or `*.domain`, or '*' for TLS entries without hosts) -> context */
  tls: Map<string, tls.SecureContext>;
  ingresses: V1Ingress[];
}

/** Creation time in ms; client-node parses it into a Date, informer caches may keep the string. */
const created = (o: KubernetesObject) => new Date(o.metadata?.creationTimestamp ?? 0).getTime() || 0;

/** The Ingresses this controller serves: its classes by name, or none named while one of its classes is the default. */
export function claimedIngresses(ingresses: readonly V1Ingress[], classes: readonly V1IngressClass[], controller: string): V1Ingress[] {
  const mine = classes.filter((c) => c.spec?.controller === controller);
  const names = new Set(mine.map((c) => c.metadata?.name ?? ''));
  const isDefault = mine.some((c) => c.metadata?.annotations?.[defaultClassAnnotation] === 'true');
  return ingresses
    .filter((ing) => {
      const cls = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[legacyClassAnnotation];
      return cls ? names.has(cls) : isDefault;
    })
    .sort((a, b) => created(a) - created(b) || `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
}

/** A Service port of an Ingress backend, and the ready endpoints serving it (EndpointSlices). */
export function resolveBackend(
  namespace: string,
  backend: V1IngressBackend | undefined,
  services: (ns: string, name: string) => V1Service | undefined,
  slices: (ns: string) => readonly V1EndpointSlice[],
): Backend | undefined {
  const ref = backend?.service;
  if (!ref) return undefined; // resource backends: nothing this controller can forward to
  const svc = services(namespace, ref.name);
  const wanted = ref.port?.number ? `${ref.port.number}` : (ref.port?.name ?? '');
  const name = `${namespace}/${ref.name}:${wanted}`;
  const svcPort = svc?.spec?.ports?.find((p) => (ref.port?.number ? p.port === ref.port.number : p.name === ref.port?.name));
  if (!svc || !svcPort) return { name, endpoints: [], port: 0 };
  const endpoints: string[] = [];
  let port = 0;
  for (const slice of slices(namespace)) {
    if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== ref.name || slice.addressType !== 'IPv4') continue;
    const slicePort = slice.ports?.find((p) => (p.name ?? '') === (svcPort.name ?? '') && (p.protocol ?? 'TCP') === 'TCP');
    if (!slicePort?.port) continue;
    port = slicePort.port;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const a of ep.addresses ?? []) if (!endpoints.includes(a)) endpoints.push(a);
    }
  }
  return { name, endpoints, port };
}

export function buildTable(
  claimed: readonly V1Ingress[],
  services: (ns: string, name: string) => V1Service | undefined,
  slices: (ns: string) => readonly V1EndpointSlice[],
): RouteTable {
  const table = emptyTable();
  for (const ing of claimed) {
    const ns = ing.metadata?.namespace ?? 'default';
    if (!table.defaultBackend && ing.spec?.defaultBackend) table.defaultBackend = resolveBackend(ns, ing.spec.defaultBackend, services, slices);
    for (const rule of ing.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = resolveBackend(ns, p.backend, services, slices);
        if (!backend) continue;
        addPath(table, rule.host ?? '', { path: p.path || '/', exact: p.pathType === 'Exact', backend });
      }
    }
  }
  return table;
}

export class ClusterState {
  readonly ingresses: Informer<V1Ingress>;
  readonly classes: Informer<V1IngressClass>;
  readonly services: Informer<V1Service>;
  readonly slices: Informer<V1EndpointSlice>;
  readonly secrets: Informer<V1Secret>;
  readonly nodes: Informer<V1Node>;
  private timer: NodeJS.Timeout | undefined;
  private contexts = new Map<string, { version: string; ctx: tls.SecureContext }>();
  view: ClusterView = { table: emptyTable(), tls: new Map(), ingresses: [] };

  private readonly controller: string;
  private readonly log: Logger;
  private readonly onChange: (view: ClusterView) => void;

  constructor(kc: KubeConfig, controller: string, log: Logger, onChange: (view: ClusterView) => void) {
    this.controller = controller;
    this.log = log;
    this.onChange = onChange;
    const core = kc.makeApiClient(CoreV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    const disc = kc.makeApiClient(DiscoveryV1Api);
    const make = <T extends KubernetesObject>(path: string, list: () => Promise<any>) => new Informer<T>({ kubeConfig: kc, path, list, log });
    this.ingresses = make('/apis/networking.k8s.io/v1/ingresses', () => net.listIngressForAllNamespaces());
    this.classes = make('/apis/networking.k8s.io/v1/ingressclasses', () => net.listIngressClass());
    this.services = make('/api/v1/services', () => core.listServiceForAllNamespaces());
    this.slices = make('/apis/discovery.k8s.io/v1/endpointslices', () => disc.listEndpointSliceForAllNamespaces());
    this.secrets = make('/api/v1/secrets', () => core.listSecretForAllNamespaces());
    this.nodes = make('/api/v1/nodes', () => core.listNode());
    const changed = () => this.schedule();
    for (const i of this.all()) i.on({ add: changed, update: changed, delete: changed });
  }

  private all(): Informer<any>[] {
    return [this.ingresses, this.classes, this.services, this.slices, this.secrets, this.nodes];
  }

  async start(): Promise<void> {
    await Promise.all(this.all().map((i) => i.start()));
    await Promise.all(this.all().map((i) => i.waitForSync()));
    this.rebuild();
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const i of this.all()) i.stop();
  }
  hasSynced(): boolean {
    return this.all().every((i) => i.hasSynced());
  }

  private schedule(): void {
    if (this.timer || !this.hasSynced()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild();
    }, 20);
  }

  rebuild(): void {
    const claimed = claimedIngresses(this.ingresses.list(), this.classes.list(), this.controller);
    const table = buildTable(
      claimed,
      (ns, name) => this.services.get(name, ns),
      (ns) => this.slices.list(ns),
    );
    this.view = { table, tls: this.tlsContexts(claimed), ingresses: claimed };
    this.onChange(this.view);
  }

  /** Secure contexts of the claimed Ingresses' TLS entries, from kubernetes.io/tls Secrets (kept while unchanged). */
  private tlsContexts(claimed: readonly V1Ingress[]): Map<string, tls.SecureContext> {
    const out = new Map<string, tls.SecureContext>();
    const used = new Set<string>();
    for (const ing of claimed) {
      const ns = ing.metadata?.namespace ?? 'default';
      for (const entry of ing.spec?.tls ?? []) {
        if (!entry.secretName) continue;
        const key = `${ns}/${entry.secretName}`;
        const secret = this.secrets.get(entry.secretName, ns);
        if (secret?.type !== 'kubernetes.io/tls' || !secret.data?.['tls.crt'] || !secret.data?.['tls.key']) {
          this.log.warn('TLS secret missing or not kubernetes.io/tls', { ingress: `${ns}/${ing.metadata?.name}`, secret: key });
          continue;
        }
        used.add(key);
        let cached = this.contexts.get(key);
        const version = secret.metadata?.resourceVersion ?? '';
        if (!cached || cached.version !== version) {
          try {
            const ctx = tls.createSecureContext({ cert: Buffer.from(secret.data['tls.crt'], 'base64'), key: Buffer.from(secret.data['tls.key'], 'base64') });
            cached = { version, ctx };
            this.contexts.set(key, cached);
          } catch (e) {
            this.log.warn('TLS secret does not hold a usable key pair', { secret: key, err: e as Error });
            continue;
          }
        }
        const hosts = entry.hosts?.length ? entry.hosts : ['*'];
        for (const h of hosts) if (!out.has(h.toLowerCase())) out.set(h.toLowerCase(), cached.ctx);
      }
    }
    for (const key of this.contexts.keys()) if (!used.has(key)) this.contexts.delete(key);
    return out;
  }
}
