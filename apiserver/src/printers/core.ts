// Core (v1) resources other than pods and replication controllers.
import type { KObject } from '../registry/types.ts';
import { ageColumn, col, nameColumn, type Printer } from './columns.ts';
import { timestampSince } from './duration.ts';
import { formatLabels, int, joinHostPort, str } from './format.ts';

const age = (o: KObject, now: Date) => timestampSince(o.metadata.creationTimestamp, now);
const count = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m).length : 0);

/** Load balancer ingress IPs/hostnames, sorted and de-duplicated; clipped to 16 chars unless wide. */
function loadBalancerAddresses(status: any, wide: boolean): string {
  const set = new Set<string>();
  for (const ing of status?.ingress ?? []) {
    if (str(ing?.ip)) set.add(ing.ip);
    else if (str(ing?.hostname)) set.add(ing.hostname);
  }
  const r = [...set].sort().join(',');
  return !wide && r.length > 16 ? `${r.slice(0, 13)}...` : r;
}

function serviceExternalIP(svc: KObject): string {
  const externalIPs: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      // The server prints wide cells; kubectl shows them as they come.
      const lb = loadBalancerAddresses(svc.status?.loadBalancer, true);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(svc.spec?.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: any[] | undefined): string {
  const text = (ports ?? [])
    .map((p) => (int(p?.nodePort) > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p?.port}/${p?.protocol ?? 'TCP'}`))
    .join(',');
  return text || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    col(
      'Type',
      'string',
      'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
    ),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', { wide: true }),
  ],
  cells(svc, now) {
    const clusterIP = str(svc.spec?.clusterIPs?.[0]) || str(svc.spec?.clusterIP) || '<none>';
    return [
      svc.metadata.name ?? '',
      str(svc.spec?.type),
      clusterIP,
      serviceExternalIP(svc),
      servicePorts(svc.spec?.ports),
      age(svc, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

function nodeStatus(node: KObject): string {
  const ready = (node.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` labels and the older `kubernetes.io/role=<role>`. */
function nodeRoles(node: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: KObject, type: string): string {
  return str((node.status?.addresses ?? []).find((a: any) => a?.type === type)?.address) || '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', { wide: true }),
    col('External-IP', 'string', 'List of addresses reachable to the node.', { wide: true }),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { wide: true }),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { wide: true }),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', { wide: true }),
  ],
  cells(node, now) {
    const info = node.status?.nodeInfo ?? {};
    return [
      node.metadata.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      age(node, now),
      str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

export const namespacePrinter: Printer = {
  columns: [nameColumn(), col('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', str(o.status?.phase), age(o, now)],
};

export const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'."),
    ageColumn(),
  ],
  cells: (o, now) => [o.metadata.name ?? '', str(o.type), count(o.data), age(o, now)],
};

export const configMapPrinter: Printer = {
  columns: [nameColumn(), col('Data', 'string', 'Data contains the configuration data.'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', count(o.data) + count(o.binaryData), age(o, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    ageColumn(),
  ],
  cells: (o, now) => [o.metadata.name ?? '', (o.secrets ?? []).length, age(o, now)],
};

/** Up to three `ip:port` entries, then ` + N more...` (formatEndpoints). */
function formatEndpoints(ep: KObject): string {
  const subsets: any[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let total = 0;
  for (const ss of subsets) {
    const addresses: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      // Headless services may have no ports.
      total += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(str(a?.ip));
      continue;
    }
    for (const p of ports) {
      total += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(joinHostPort(str(a?.ip), int(p?.port)));
    }
  }
  const text = list.join(',');
  return total > max ? `${text} + ${total - max} more...` : text;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn(), col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', formatEndpoints(o), age(o, now)],
};

function eventSource(ev: KObject): string {
  const component = str(ev.source?.component) || str(ev.reportingComponent);
  const host = str(ev.source?.host) || str(ev.reportingInstance);
  return host ? `${component}, ${host}` : component;
}

/** Core v1 Event columns; events.k8s.io Events are converted to this shape before printing. */
export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    col(
      'Subobject',
      'string',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
      { wide: true },
    ),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', { wide: true }),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { wide: true }),
    col('Count', 'string', 'The number of times this event has occurred.', { wide: true }),
    col('Name', 'string', 'Name must be unique within a namespace.', { wide: true, format: 'name' }),
  ],
  cells(ev, now) {
    const firstSeen = ev.firstTimestamp ? timestampSince(ev.firstTimestamp, now) : timestampSince(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? timestampSince(ev.lastTimestamp, now) : firstSeen;
    let n = int(ev.count);
    if (ev.series) {
      lastSeen = timestampSince(ev.series.lastObservedTime, now);
      n = int(ev.series.count);
    } else if (n === 0) {
      n = 1; // singleton events of the new API carry no count
    }
    const involved = ev.involvedObject ?? {};
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${involved.name}` : kind;
    return [
      lastSeen,
      str(ev.type),
      str(ev.reason),
      target,
      str(involved.fieldPath),
      eventSource(ev),
      str(ev.message).trim(),
      firstSeen,
      n,
      ev.metadata.name ?? '',
    ];
  },
};

/** events.k8s.io/v1 Event as core/v1 Event, the shape the printer knows. */
export function eventsV1ToCore(ev: KObject): KObject {
  return {
    ...ev,
    involvedObject: ev.regarding ?? {},
    message: ev.note,
    source: { component: ev.deprecatedSource?.component ?? '', host: ev.deprecatedSource?.host ?? '' },
    reportingComponent: ev.reportingController,
    firstTimestamp: ev.deprecatedFirstTimestamp,
    lastTimestamp: ev.deprecatedLastTimestamp,
    count: ev.deprecatedCount,
  };
}

export const eventsV1Printer: Printer = {
  columns: eventPrinter.columns,
  cells: (ev, now) => eventPrinter.cells(eventsV1ToCore(ev), now),
};

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  const seen = new Set(modes ?? []);
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']
    .filter((m) => seen.has(m))
    .map((m) => short[m])
    .join(',');
}

function storageClassOf(o: KObject): string {
  return str(o.spec?.storageClassName) || str(o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class']);
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', {
      wide: true,
    }),
  ],
  cells(o, now) {
    const claim = o.spec?.claimRef ? `${str(o.spec.claimRef.namespace)}/${str(o.spec.claimRef.name)}` : '';
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(o.status?.phase);
    return [
      o.metadata.name ?? '',
      String(o.spec?.capacity?.storage ?? '0'),
      accessModes(o.spec?.accessModes),
      str(o.spec?.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClassOf(o),
      str(o.spec?.volumeAttributesClassName) || '<unset>',
      str(o.status?.reason),
      age(o, now),
      str(o.spec?.volumeMode) || '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', { wide: true }),
  ],
  cells(o, now) {
    const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(o.status?.phase);
    const bound = str(o.spec?.volumeName) !== '';
    return [
      o.metadata.name ?? '',
      phase,
      str(o.spec?.volumeName),
      bound ? String(o.status?.capacity?.storage ?? '0') : '',
      bound ? accessModes(o.status?.accessModes) : '',
      storageClassOf(o),
      str(o.spec?.volumeAttributesClassName) || '<unset>',
      age(o, now),
      str(o.spec?.volumeMode) || '<unset>',
    ];
  },
};

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameColumn(),
    ageColumn(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(o, now) {
    const hard: Record<string, unknown> = o.status?.hard ?? {};
    const used: Record<string, unknown> = o.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const r of Object.keys(hard).sort()) {
      const entry = `${r}: ${String(used[r] ?? '0')}/${String(hard[r])}`;
      (r.split('.').length > 1 && r.split('.')[0] === 'limits' ? limits : requests).push(entry);
    }
    return [o.metadata.name ?? '', age(o, now), requests.join(', '), limits.join(', ')];
  },
};
