// The cluster zone: answers for <svc>.<ns>.svc.<domain>, SRV for named ports,
// <a-b-c-d>.<ns>.pod.<domain> and reverse lookups of ClusterIPs, computed from the
// current Services and EndpointSlices. Pure: the caller hands in the object lists.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Answer, RecordType } from 'dns-packet';
import { checkDns1123Label } from '@skiff/common/apimachinery/names';

export const TTL = 5;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type Rcode = 'NOERROR' | 'NXDOMAIN';
/** dns-packet decodes qtype 255 as 'ANY', which its RecordType leaves out */
export type QueryType = RecordType | 'ANY';

export interface ZoneAnswer {
  rcode: Rcode;
  answers: Answer[];
  /** SOA on NXDOMAIN and NODATA, so resolvers can cache the negative answer */
  authorities: Answer[];
  additionals: Answer[];
}

export interface ClusterState {
  services(namespace?: string): readonly V1Service[];
  service(namespace: string, name: string): V1Service | undefined;
  slices(namespace: string): readonly V1EndpointSlice[];
  namespaceExists(name: string): boolean;
}

interface ReadyEndpoint {
  ip: string;
  hostname: string;
  ports: Map<string, { port: number; protocol: string }>;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}

// 10-244-0-7 -> 10.244.0.7. Four decimal octets without leading zeros, as Go's net.ParseIP
// (which CoreDNS uses) accepts them: 010-... would be read as octal by some resolvers.
const DASHED_IPV4 = /^(0|[1-9]\d{0,2})-(0|[1-9]\d{0,2})-(0|[1-9]\d{0,2})-(0|[1-9]\d{0,2})$/;
function isLabel(name: string): boolean {
  return checkDns1123Label(name).length === 0;
}

export function podNameIP(dashed: string): string | undefined {
  const octets = DASHED_IPV4.exec(dashed)?.slice(1);
  if (!octets?.every((octet) => Number(octet) <= 255)) return undefined;
  return octets.join('.');
}

export class ClusterZone {
  readonly domain: string;
  private readonly state: ClusterState;

  constructor(domain: string, state: ClusterState) {
    this.domain = domain.toLowerCase().replace(/\.$/, '');
    this.state = state;
  }

  /** true for names this server answers itself instead of forwarding */
  owns(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n === this.domain || n.endsWith(`.${this.domain}`) || (this.reverseIP(n) !== undefined && this.serviceByIP(this.reverseIP(n)!) !== undefined);
  }

  soa(): Answer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: TTL,
      class: 'IN',
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: Math.floor(Date.now() / 1000) >>> 0,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: TTL,
      },
    };
  }

  lookup(rawName: string, type: QueryType): ZoneAnswer {
    const name = rawName.toLowerCase().replace(/\.$/, '');
    const reverse = this.reverseIP(name);
    if (reverse !== undefined) return this.lookupReverse(name, reverse, type);
    if (name === this.domain) {
      if (type === 'SOA') return this.reply([this.soa()], []);
      if (type === 'NS') return this.reply([{ type: 'NS', name: this.domain, ttl: TTL, class: 'IN', data: `ns.dns.${this.domain}` }], []);
      return this.nodata();
    }
    const labels = name
      .slice(0, -(this.domain.length + 1))
      .split('.')
      .reverse();
    // labels: [kind, namespace, service-or-pod, ...] read from the zone apex inwards
    const [kind, ns, third, ...rest] = labels;
    if (kind === 'svc') return this.lookupService(name, type, ns, third, rest);
    if (kind === 'pod') return this.lookupPod(name, type, ns, third, rest);
    return this.nxdomain();
  }

  private lookupService(name: string, type: QueryType, ns?: string, svcName?: string, rest: string[] = []): ZoneAnswer {
    if (ns === undefined) return this.nodata();
    // names that no Service, namespace or hostname can carry are not looked up at all
    if (!isLabel(ns) || (svcName !== undefined && !isLabel(svcName))) return this.nxdomain();
    if (svcName === undefined) return this.state.services(ns).length > 0 ? this.nodata() : this.nxdomain();
    const svc = this.state.service(ns, svcName);
    if (!svc?.spec) return this.nxdomain();
    const svcFqdn = `${svcName}.${ns}.svc.${this.domain}`;
    const headless = !svc.spec.clusterIP || svc.spec.clusterIP === 'None';
    const endpoints = headless ? this.readyEndpoints(ns, svcName) : [];

    if (rest.length === 0) {
      if (svc.spec.type === 'ExternalName' && svc.spec.externalName) {
        return this.reply([{ type: 'CNAME', name, ttl: TTL, class: 'IN', data: svc.spec.externalName.replace(/\.$/, '') }], []);
      }
      if (type === 'A' || type === 'ANY') {
        const ips = headless ? endpoints.map((e) => e.ip) : (svc.spec.clusterIPs ?? [svc.spec.clusterIP!]).filter(isIPv4);
        return ips.length
          ? this.reply(
              ips.map((ip) => this.a(name, ip)),
              [],
            )
          : this.nodata();
      }
      if (type === 'SRV') return this.srvAnswers(name, svc, svcFqdn, endpoints, undefined, undefined);
      return this.nodata();
    }
    // <hostname>.<svc>.<ns>.svc: one endpoint of a headless service
    if (rest.length === 1 && !rest[0]!.startsWith('_')) {
      if (!isLabel(rest[0]!)) return this.nxdomain();
      const e = endpoints.find((x) => x.hostname === rest[0]);
      if (!e) return this.nxdomain();
      return type === 'A' || type === 'ANY' ? this.reply([this.a(name, e.ip)], []) : this.nodata();
    }
    // _<port>._<proto>.<svc>.<ns>.svc
    if (rest.length === 2 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
      const proto = rest[0]!.slice(1).toUpperCase();
      const portName = rest[1]!.slice(1);
      const has = (svc.spec.ports ?? []).some((p) => p.name === portName && (p.protocol ?? 'TCP') === proto);
      if (!has) return this.nxdomain();
      return type === 'SRV' || type === 'ANY' ? this.srvAnswers(name, svc, svcFqdn, endpoints, portName, proto) : this.nodata();
    }
    return this.nxdomain();
  }

  private srvAnswers(
    name: string,
    svc: V1Service,
    svcFqdn: string,
    endpoints: ReadyEndpoint[],
    portName: string | undefined,
    proto: string | undefined,
  ): ZoneAnswer {
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    const ports = (svc.spec?.ports ?? []).filter((p) => p.name && (portName === undefined || (p.name === portName && (p.protocol ?? 'TCP') === proto)));
    const headless = !svc.spec?.clusterIP || svc.spec.clusterIP === 'None';
    for (const p of ports) {
      if (!headless) {
        answers.push({ type: 'SRV', name, ttl: TTL, class: 'IN', data: { priority: 0, weight: 100, port: p.port, target: svcFqdn } });
        continue;
      }
      for (const e of endpoints) {
        const ep = e.ports.get(`${p.name}/${p.protocol ?? 'TCP'}`);
        if (!ep) continue;
        const target = `${e.hostname}.${svcFqdn}`;
        answers.push({
          type: 'SRV',
          name,
          ttl: TTL,
          class: 'IN',
          data: { priority: 0, weight: Math.max(1, Math.floor(100 / endpoints.length)), port: ep.port, target },
        });
        additionals.push(this.a(target, e.ip));
      }
    }
    if (!headless && answers.length > 0)
      for (const ip of (svc.spec?.clusterIPs ?? [svc.spec!.clusterIP!]).filter(isIPv4)) additionals.push(this.a(svcFqdn, ip));
    return answers.length ? { ...this.reply(answers, []), additionals } : this.nodata();
  }

  // <a-b-c-d>.<ns>.pod: the address spelled in the name, for any such address in a namespace
  // that exists, without looking for the pod (CoreDNS's `pods insecure`, what kubeadm sets up).
  private lookupPod(name: string, type: QueryType, ns?: string, dashed?: string, rest: string[] = []): ZoneAnswer {
    if (ns === undefined) return this.nodata();
    if (checkDns1123Label(ns).length > 0 || !this.state.namespaceExists(ns)) return this.nxdomain();
    if (dashed === undefined) return this.nodata();
    const ip = podNameIP(dashed);
    if (rest.length > 0 || ip === undefined) return this.nxdomain();
    return type === 'A' || type === 'ANY' ? this.reply([this.a(name, ip)], []) : this.nodata();
  }

  private lookupReverse(name: string, ip: string, type: QueryType): ZoneAnswer {
    const svc = this.serviceByIP(ip);
    if (!svc) return this.nxdomain();
    if (type !== 'PTR' && type !== 'ANY') return this.nodata();
    return this.reply([{ type: 'PTR', name, ttl: TTL, class: 'IN', data: `${svc.metadata!.name}.${svc.metadata!.namespace}.svc.${this.domain}` }], []);
  }

  private reverseIP(name: string): string | undefined {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
    if (!m) return undefined;
    const ip = [m[4], m[3], m[2], m[1]].join('.');
    return isIPv4(ip) ? ip : undefined;
  }

  private serviceByIP(ip: string): V1Service | undefined {
    return this.state.services().find((s) => s.spec?.clusterIP === ip || s.spec?.clusterIPs?.includes(ip));
  }

  private readyEndpoints(ns: string, svcName: string): ReadyEndpoint[] {
    const out = new Map<string, ReadyEndpoint>();
    for (const s of this.state.slices(ns)) {
      if (s.metadata?.labels?.[SERVICE_NAME_LABEL] !== svcName || s.addressType !== 'IPv4') continue;
      for (const e of s.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        for (const ip of e.addresses ?? []) {
          if (!isIPv4(ip)) continue;
          // a hostname that is not one DNS label could not be asked for: the address names it instead
          const hostname = e.hostname && isLabel(e.hostname) ? e.hostname.toLowerCase() : ip.replace(/\./g, '-');
          const entry = out.get(ip) ?? { ip, hostname, ports: new Map() };
          for (const p of s.ports ?? [])
            if (p.port != null) entry.ports.set(`${p.name ?? ''}/${p.protocol ?? 'TCP'}`, { port: p.port, protocol: p.protocol ?? 'TCP' });
          out.set(ip, entry);
        }
      }
    }
    return [...out.values()].sort((a, b) => (a.ip < b.ip ? -1 : 1));
  }

  private a(name: string, ip: string): Answer {
    return { type: 'A', name, ttl: TTL, class: 'IN', data: ip };
  }
  private reply(answers: Answer[], additionals: Answer[]): ZoneAnswer {
    return { rcode: 'NOERROR', answers, authorities: [], additionals };
  }
  private nodata(): ZoneAnswer {
    return { rcode: 'NOERROR', answers: [], authorities: [this.soa()], additionals: [] };
  }
  private nxdomain(): ZoneAnswer {
    return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
  }
}
