// Printers of the named API groups (coordination, scheduling, certificates, discovery, rbac,
// networking, storage, policy, autoscaling, admissionregistration, node).
import type { KObject } from '../registry/types.ts';
import { hpaFromV1 } from '../registry/resources/shared/hpa-v1-conversion.ts';
import { ageColumn, col, nameColumn, type Printer } from './columns.ts';
import { humanDuration, timestampSince } from './duration.ts';
import { formatLabelSelector, int, listWithMore, str } from './format.ts';

const age = (o: KObject, now: Date) => timestampSince(o.metadata.creationTimestamp, now);

export const leasePrinter: Printer = {
  columns: [nameColumn(), col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', str(o.spec?.holderIdentity), age(o, now)],
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Value', 'integer', 'value represents the integer value of this priority class.'),
    col(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ),
    ageColumn(),
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells: (o, now) => [o.metadata.name ?? '', int(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
};

/** Denied wins over Approved; Failed and Issued are appended (extractCSRStatus). */
function csrCondition(o: KObject): string {
  const types = new Set((o.status?.conditions ?? []).map((c: any) => c?.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (str(o.status?.certificate) !== '') s += ',Issued';
  return s;
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    nameColumn(),
    ageColumn(),
    col('SignerName', 'string', 'Requested signer for the request.'),
    col('Requestor', 'string', 'Base64-encoded PKCS#10 CSR data'),
    col('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
    col('Condition', 'string', 'Conditions applied to the request, such as approval or denial.'),
  ],
  cells(o, now) {
    const secs = o.spec?.expirationSeconds;
    const requested = typeof secs === 'number' ? humanDuration(secs * 1000) : '<none>';
    return [o.metadata.name ?? '', age(o, now), str(o.spec?.signerName) || '<none>', str(o.spec?.username), requested, csrCondition(o)];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn(),
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ageColumn(),
  ],
  cells(o, now) {
    const ports = (o.ports ?? []).map((p: any) => (typeof p?.port === 'number' ? String(p.port) : str(p?.name) || '*'));
    const addresses = (o.endpoints ?? []).flatMap((e: any) => (e?.addresses ?? []).map(String));
    return [o.metadata.name ?? '', str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)];
  },
};

/** Users, groups and service accounts (`ns/name`) of a binding, each list comma-space joined. */
function subjects(o: KObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of o.subjects ?? []) {
    if (s?.kind === 'User') users.push(str(s.name));
    else if (s?.kind === 'Group') groups.push(str(s.name));
    else if (s?.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string): Printer {
  return {
    columns: [
      nameColumn(),
      col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      ageColumn(),
      col('Users', 'string', `Users in the ${what}`, { wide: true }),
      col('Groups', 'string', `Groups in the ${what}`, { wide: true }),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, { wide: true }),
    ],
    cells: (o, now) => [o.metadata.name ?? '', `${str(o.roleRef?.kind)}/${str(o.roleRef?.name)}`, age(o, now), ...subjects(o)],
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');

function ingressHosts(rules: any[] | undefined): string {
  const list = rules ?? [];
  const hosts = list
    .slice(0, 3)
    .map((r) => str(r?.host))
    .filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  return list.length > 3 ? `${hosts.join(',')} + ${list.length - 3} more...` : hosts.join(',');
}

export const ingressPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells(o, now) {
    const addresses = new Set<string>();
    for (const ing of o.status?.loadBalancer?.ingress ?? []) {
      if (str(ing?.ip)) addresses.add(ing.ip);
      else if (str(ing?.hostname)) addresses.add(ing.hostname);
    }
    return [
      o.metadata.name ?? '',
      str(o.spec?.ingressClassName) || '<none>',
      ingressHosts(o.spec?.rules),
      [...addresses].sort().join(','),
      (o.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(o, now),
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(o, now) {
    const p = o.spec?.parameters;
    const params = p ? `${str(p.kind)}${p.apiGroup ? `.${p.apiGroup}` : ''}/${str(p.name)}` : '<none>';
    return [o.metadata.name ?? '', str(o.spec?.controller), params, age(o, now)];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [nameColumn(), col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', formatLabelSelector(o.spec?.podSelector ?? {}), age(o, now)],
};

export const storageClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells(o, now) {
    const ann = o.metadata.annotations ?? {};
    const isDefault = ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      `${o.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
      str(o.provisioner),
      str(o.reclaimPolicy) || 'Delete',
      str(o.volumeBindingMode) || 'Immediate',
      o.allowVolumeExpansion === true,
      age(o, now),
    ];
  },
};

/** IntOrString as Go prints it. */
const intOrString = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    intOrString(o.spec?.minAvailable),
    intOrString(o.spec?.maxUnavailable),
    int(o.status?.disruptionsAllowed),
    age(o, now),
  ],
};

/** Only the resource-utilization metric forms that our HPA (autoscaling/v2) can carry are spelled out. */
function hpaTargets(o: KObject): string {
  // autoscaling/v1 objects are printed as their stored (v2) form, as upstream prints the internal one
  if (o.apiVersion === 'autoscaling/v1') o = hpaFromV1(o);
  const specs: any[] = o.spec?.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses: any[] = o.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => {
    const st = statuses[i];
    switch (m?.type) {
      case 'Resource':
      case 'ContainerResource': {
        const src = m.type === 'Resource' ? m.resource : m.containerResource;
        const cur = m.type === 'Resource' ? st?.resource : st?.containerResource;
        if (src?.target?.averageValue !== undefined) return `${src.name}: ${cur?.current?.averageValue ?? '<unknown>'}/${src.target.averageValue}`;
        const current = typeof cur?.current?.averageUtilization === 'number' ? `${cur.current.averageUtilization}%` : '<unknown>';
        const target = typeof src?.target?.averageUtilization === 'number' ? `${src.target.averageUtilization}%` : '<auto>';
        return `${src?.name}: ${current}/${target}`;
      }
      case 'Pods':
        return `${st?.pods?.current?.averageValue ?? '<unknown>'}/${m.pods?.target?.averageValue}`;
      case 'Object':
      case 'External': {
        const src = m.type === 'Object' ? m.object : m.external;
        const cur = m.type === 'Object' ? st?.object : st?.external;
        if (src?.target?.averageValue !== undefined) return `${cur?.current?.averageValue ?? '<unknown>'}/${src.target.averageValue} (avg)`;
        return `${cur?.current?.value ?? '<unknown>'}/${src?.target?.value}`;
      }
      default:
        return '<unknown type>';
    }
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  cells(o, now) {
    const ref = o.spec?.scaleTargetRef ?? {};
    const min = typeof o.spec?.minReplicas === 'number' ? String(o.spec.minReplicas) : '<unset>';
    return [
      o.metadata.name ?? '',
      `${str(ref.kind)}/${str(ref.name)}`,
      hpaTargets(o),
      min,
      int(o.spec?.maxReplicas),
      int(o.status?.currentReplicas),
      age(o, now),
    ];
  },
};

export const webhookConfigurationPrinter: Printer = {
  columns: [nameColumn(), col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'), ageColumn()],
  cells: (o, now) => [o.metadata.name ?? '', (o.webhooks ?? []).length, age(o, now)],
};

export const runtimeClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Handler', 'string', 'handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.'),
    ageColumn(),
  ],
  cells: (o, now) => [o.metadata.name ?? '', str(o.handler), age(o, now)],
};

/** kube-aggregator's table: SERVICE is `namespace/name` or Local; AVAILABLE adds the reason unless True. */
export const apiServicePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    col('Available', 'string', 'Whether this service is available.'),
    ageColumn(),
  ],
  cells(o, now) {
    const svc = o.spec?.service;
    const service = svc ? `${str(svc.namespace)}/${str(svc.name)}` : 'Local';
    const cond = (o.status?.conditions ?? []).find((c: any) => c?.type === 'Available');
    const available = !cond ? 'Unknown' : cond.status === 'True' ? 'True' : `${str(cond.status)} (${str(cond.reason)})`;
    return [o.metadata.name ?? '', service, available, age(o, now)];
  },
};
