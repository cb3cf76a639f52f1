// `describe`: a readable summary of each object, with kind-specific sections and the
// Events whose involvedObject is the object.
import { selectorFromObject } from '@skiff/common/apimachinery/label-selector';
import { parseArgs } from '../args.ts';
import { resourcePath, type ResourceInfo } from '../discovery.ts';
import { errorLine } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { formatTable, humanAge, toYaml } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { resolveTargets } from '../targets.ts';
import { Describer } from '../describe-format.ts';
import { ownedReplicaSets, revisionOf } from '../deployments.ts';

const USAGE = 'Usage: kubectl-lite describe (TYPE [NAME...] | TYPE/NAME...) [-n NS] [-l SELECTOR] [-A]';

export async function describeCommand(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(
    argv,
    {
      selector: { kind: 'string', short: 'l' },
      'all-namespaces': { kind: 'boolean', short: 'A' },
      'show-events': { kind: 'boolean' },
    },
    USAGE,
  );
  const s = openSession(args, io);
  const allNamespaces = args.booleans.get('all-namespaces') ?? false;
  const showEvents = args.booleans.get('show-events') ?? true;
  const targets = await resolveTargets(s, args.positionals, USAGE);
  let failed = 0;
  let first = true;
  for (const t of targets) {
    const ns = t.info.namespaced && !allNamespaces ? s.namespace : undefined;
    let objects: any[] = [];
    if (t.names.length === 0) {
      const list = await s.client.get(resourcePath(t.info, ns), { query: { labelSelector: args.strings.get('selector') } });
      objects = list.items ?? [];
    } else {
      for (const name of t.names) {
        try {
          objects.push(await s.client.get(resourcePath(t.info, ns, name)));
        } catch (err) {
          failed++;
          io.stderr.write(`${errorLine(err)}\n`);
        }
      }
    }
    for (const obj of objects) {
      if (!first) io.stdout.write('\n\n');
      first = false;
      io.stdout.write(await describeObject(s, t.info, obj, showEvents));
    }
  }
  if (first && failed === 0) io.stderr.write(`No resources found in ${s.namespace} namespace.\n`);
  return failed > 0 ? 1 : 0;
}

export async function describeObject(s: Session, info: ResourceInfo, obj: any, showEvents = true): Promise<string> {
  const d = new Describer();
  const m = obj.metadata ?? {};
  d.field('Name', m.name);
  if (info.namespaced) d.field('Namespace', m.namespace);
  const body = KIND_SECTIONS[info.kind];
  if (body) {
    await body(d, obj, s);
  } else {
    d.map('Labels', m.labels);
    d.map('Annotations', m.annotations);
    d.field('API Version', obj.apiVersion);
    d.field('Kind', obj.kind);
    d.field('Creation Timestamp', m.creationTimestamp);
    for (const key of Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k))) {
      d.section(key[0]!.toUpperCase() + key.slice(1));
      for (const l of toYaml(obj[key]).trimEnd().split('\n')) d.line(l, 1);
    }
  }
  let out = d.toString();
  if (showEvents) out += await eventsSection(s, obj);
  return out;
}

async function eventsSection(s: Session, obj: any): Promise<string> {
  const m = obj.metadata ?? {};
  const fields = [`involvedObject.name=${m.name}`, ...(m.uid ? [`involvedObject.uid=${m.uid}`] : [])];
  const path = m.namespace ? `/api/v1/namespaces/${m.namespace}/events` : '/api/v1/events';
  let events: any[] = [];
  try {
    events = (await s.client.get(path, { query: { fieldSelector: fields.join(',') } })).items ?? [];
  } catch {
    return 'Events:  <unknown>\n';
  }
  events = events.filter((e) => e.involvedObject?.kind === obj.kind || !obj.kind);
  if (events.length === 0) return 'Events:  <none>\n';
  const when = (e: any) => e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp;
  events.sort((a, b) => String(when(a)).localeCompare(String(when(b))));
  const rows = events.map((e) => {
    const count = e.count ?? e.series?.count ?? 1;
    const age = count > 1 ? `${humanAge(when(e))} (x${count} over ${humanAge(e.firstTimestamp || e.metadata?.creationTimestamp)})` : humanAge(when(e));
    return [e.type ?? '', e.reason ?? '', age, e.source?.component || e.reportingComponent || '', (e.message ?? '').trim()];
  });
  const table = formatTable(['Type', 'Reason', 'Age', 'From', 'Message'], [['----', '------', '----', '----', '-------'], ...rows]);
  return (
    'Events:\n' +
    table
      .split('\n')
      .filter(Boolean)
      .map((l) => `  ${l}`)
      .join('\n') +
    '\n'
  );
}

type Section = (d: Describer, obj: any, s: Session) => void | Promise<void>;

function podTemplate(d: Describer, template: any, level: number): void {
  d.section('Pod Template', level);
  d.map('Labels', template?.metadata?.labels, level + 1);
  if (template?.metadata?.annotations) d.map('Annotations', template.metadata.annotations, level + 1);
  containers(d, template?.spec?.containers ?? [], [], level + 1);
  volumes(d, template?.spec?.volumes ?? [], level + 1);
}

function containers(d: Describer, list: any[], statuses: any[], level: number, title = 'Containers'): void {
  if (list.length === 0) {
    d.field(title, '<none>', level);
    return;
  }
  d.section(title, level);
  for (const c of list) {
    const st = statuses.find((x) => x.name === c.name);
    d.section(` ${c.name}`, level);
    d.field('Image', c.image, level + 1);
    const ports = (c.ports ?? []).map((p: any) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    d.field('Port', ports.length ? ports.join(', ') : '<none>', level + 1);
    if (c.command) d.field('Command', c.command.join(' '), level + 1);
    if (c.args) d.field('Args', c.args.join(' '), level + 1);
    if (st) {
      const [state, detail] = Object.entries(st.state ?? {})[0] ?? ['unknown', {}];
      d.field('State', state[0]!.toUpperCase() + state.slice(1), level + 1);
      const info = detail as any;
      if (info?.reason) d.field('Reason', info.reason, level + 2);
      if (info?.exitCode !== undefined) d.field('Exit Code', info.exitCode, level + 2);
      if (info?.startedAt) d.field('Started', info.startedAt, level + 2);
      d.field('Ready', st.ready ? 'True' : 'False', level + 1);
      d.field('Restart Count', st.restartCount ?? 0, level + 1);
    }
    const limits = c.resources?.limits;
    const requests = c.resources?.requests;
    if (limits) {
      d.section('Limits', level + 1);
      for (const [k, v] of Object.entries(limits)) d.field(k, v, level + 2);
    }
    if (requests) {
      d.section('Requests', level + 1);
      for (const [k, v] of Object.entries(requests)) d.field(k, v, level + 2);
    }
    for (const [name, probe] of [
      ['Liveness', c.livenessProbe],
      ['Readiness', c.readinessProbe],
      ['Startup', c.startupProbe],
    ] as const) {
      if (probe) d.field(name, probeText(probe), level + 1);
    }
    const env = (c.env ?? []).map((e: any) => `${e.name}=${e.value ?? refText(e.valueFrom)}`);
    const envFrom = (c.envFrom ?? []).map((e: any) => (e.configMapRef ? `ConfigMap ${e.configMapRef.name}` : `Secret ${e.secretRef?.name}`));
    if (envFrom.length) d.field('Environment Variables from', envFrom.join(', '), level + 1);
    if (env.length === 0) d.field('Environment', '<none>', level + 1);
    else {
      d.section('Environment', level + 1);
      for (const e of env) d.line(e, level + 2);
    }
    const mounts = (c.volumeMounts ?? []).map((v: any) => `${v.mountPath} from ${v.name} (${v.readOnly ? 'ro' : 'rw'})`);
    if (mounts.length === 0) d.field('Mounts', '<none>', level + 1);
    else {
      d.section('Mounts', level + 1);
      for (const mt of mounts) d.line(mt, level + 2);
    }
  }
}

function refText(from: any): string {
  if (from?.configMapKeyRef) return `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>`;
  if (from?.secretKeyRef) return `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>`;
  if (from?.fieldRef) return ` (${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`;
  return '';
}

function probeText(p: any): string {
  let how = 'unknown';
  if (p.httpGet) how = `http-get ${p.httpGet.scheme === 'HTTPS' ? 'https' : 'http'}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? '/'}`;
  else if (p.tcpSocket) how = `tcp-socket :${p.tcpSocket.port}`;
  else if (p.exec) how = `exec [${(p.exec.command ?? []).join(' ')}]`;
  else if (p.grpc) how = `grpc <pod>:${p.grpc.port}`;
  return `${how} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function volumes(d: Describer, list: any[], level: number): void {
  if (list.length === 0) {
    d.field('Volumes', '<none>', level);
    return;
  }
  d.section('Volumes', level);
  for (const v of list) {
    d.section(` ${v.name}`, level);
    const [type, src] = Object.entries(v).find(([k]) => k !== 'name') ?? ['unknown', {}];
    d.field('Type', type, level + 1);
    for (const [k, val] of Object.entries((src ?? {}) as Record<string, unknown>)) {
      d.field(k[0]!.toUpperCase() + k.slice(1), typeof val === 'object' ? JSON.stringify(val) : val, level + 1);
    }
  }
}

function conditions(d: Describer, list: any[] | undefined, withReason: boolean): void {
  if (!list?.length) return;
  const rows = list.map((c) => (withReason ? [c.type, c.status, c.reason ?? ''] : [c.type, c.status]));
  const header = withReason ? ['Type', 'Status', 'Reason'] : ['Type', 'Status'];
  d.section('Conditions');
  for (const l of formatTable(header, [header.map((h) => '-'.repeat(h.length)), ...rows])
    .trimEnd()
    .split('\n'))
    d.line(l, 1);
}

function common(d: Describer, m: any): void {
  d.map('Labels', m.labels);
  d.map('Annotations', m.annotations);
}

/** metav1.FormatLabelSelector, as kubectl describe shows a selector. */
function selectorText(sel: any): string {
  try {
    return selectorFromObject(sel ?? {}).toString() || '<none>';
  } catch {
    return '<error>';
  }
}

const KIND_SECTIONS: Record<string, Section> = {
  Pod(d, pod) {
    const st = pod.status ?? {};
    d.field('Priority', pod.spec?.priority ?? 0);
    d.field('Service Account', pod.spec?.serviceAccountName);
    d.field('Node', pod.spec?.nodeName ? `${pod.spec.nodeName}/${st.hostIP ?? ''}` : '<none>');
    d.field('Start Time', st.startTime);
    common(d, pod.metadata);
    d.field('Status', pod.metadata?.deletionTimestamp ? 'Terminating' : st.phase);
    if (st.reason) d.field('Reason', st.reason);
    if (st.message) d.field('Message', st.message);
    d.field('IP', st.podIP);
    const owner = (pod.metadata?.ownerReferences ?? []).find((o: any) => o.controller);
    d.field('Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
    if (pod.spec?.initContainers?.length) containers(d, pod.spec.initContainers, st.initContainerStatuses ?? [], 0, 'Init Containers');
    containers(d, pod.spec?.containers ?? [], st.containerStatuses ?? [], 0);
    conditions(d, st.conditions, false);
    volumes(d, pod.spec?.volumes ?? [], 0);
    d.field('QoS Class', st.qosClass);
    d.field(
      'Node-Selectors',
      Object.entries(pod.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`),
    );
    d.field(
      'Tolerations',
      (pod.spec?.tolerations ?? []).map(
        (t: any) =>
          `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`,
      ),
    );
  },
  async Deployment(d, dep, s) {
    const spec = dep.spec ?? {};
    const st = dep.status ?? {};
    d.field('CreationTimestamp', dep.metadata?.creationTimestamp);
    common(d, dep.metadata);
    d.field('Selector', selectorText(spec.selector));
    d.field(
      'Replicas',
      `${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
    );
    d.field('StrategyType', spec.strategy?.type ?? 'RollingUpdate');
    d.field('MinReadySeconds', spec.minReadySeconds ?? 0);
    if ((spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const ru = spec.strategy?.rollingUpdate ?? {};
      d.field('RollingUpdateStrategy', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
    }
    podTemplate(d, spec.template, 0);
    conditions(d, st.conditions, true);
    const sets = await ownedReplicaSets(s, dep);
    const revision = revisionOf(dep);
    const current = sets.find((r) => revisionOf(r) === revision);
    const old = sets.filter((r) => r !== current && (r.spec?.replicas ?? 0) > 0);
    const rsText = (r: any) => `${r.metadata.name} (${r.status?.replicas ?? 0}/${r.spec?.replicas ?? 0} replicas created)`;
    d.field('OldReplicaSets', old.length ? old.map(rsText).join(', ') : '<none>');
    d.field('NewReplicaSet', current ? rsText(current) : '<none>');
  },
  ReplicaSet(d, rs) {
    const owner = (rs.metadata?.ownerReferences ?? []).find((o: any) => o.controller);
    d.field('Selector', selectorText(rs.spec?.selector));
    common(d, rs.metadata);
    d.field('Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
    d.field('Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
    d.field('Pods Status', `${rs.status?.readyReplicas ?? 0} Running / 0 Waiting / 0 Succeeded / 0 Failed`);
    podTemplate(d, rs.spec?.template, 0);
    conditions(d, rs.status?.conditions, true);
  },
  Service(d, svc) {
    const spec = svc.spec ?? {};
    common(d, svc.metadata);
    d.field(
      'Selector',
      Object.entries(spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    );
    d.field('Type', spec.type ?? 'ClusterIP');
    d.field('IP Family Policy', spec.ipFamilyPolicy);
    d.field('IP Families', spec.ipFamilies);
    d.field('IP', spec.clusterIP);
    d.field('IPs', spec.clusterIPs);
    for (const p of spec.ports ?? []) {
      d.field('Port', `${p.name ?? '<unset>'}  ${p.port}/${p.protocol ?? 'TCP'}`);
      d.field('TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
      if (p.nodePort) d.field('NodePort', `${p.name ?? '<unset>'}  ${p.nodePort}/${p.protocol ?? 'TCP'}`);
    }
    if (spec.externalName) d.field('External Name', spec.externalName);
    d.field('Session Affinity', spec.sessionAffinity ?? 'None');
  },
  ConfigMap(d, cm) {
    common(d, cm.metadata);
    d.line('');
    d.line('Data');
    d.line('====');
    for (const [k, v] of Object.entries(cm.data ?? {})) {
      d.line(`${k}:`);
      d.line('----');
      d.line(String(v));
      d.line('');
    }
    d.line('');
    d.line('BinaryData');
    d.line('====');
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) d.line(`${k}: ${Buffer.from(String(v), 'base64').length} bytes`);
  },
  Secret(d, sec) {
    common(d, sec.metadata);
    d.line('');
    d.field('Type', sec.type ?? 'Opaque');
    d.line('');
    d.line('Data');
    d.line('====');
    for (const [k, v] of Object.entries(sec.data ?? {})) d.field(k, `${Buffer.from(String(v), 'base64').length} bytes`);
  },
  Node(d, node) {
    const st = node.status ?? {};
    common(d, node.metadata);
    d.field('CreationTimestamp', node.metadata?.creationTimestamp);
    d.field(
      'Taints',
      (node.spec?.taints ?? []).map((t: any) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    );
    d.field('Unschedulable', Boolean(node.spec?.unschedulable));
    conditions(d, st.conditions, true);
    d.section('Addresses');
    for (const a of st.addresses ?? []) d.field(a.type, a.address, 1);
    for (const [title, res] of [
      ['Capacity', st.capacity],
      ['Allocatable', st.allocatable],
    ] as const) {
      d.section(title);
      for (const [k, v] of Object.entries(res ?? {})) d.field(k, v, 1);
    }
    d.field('PodCIDR', node.spec?.podCIDR);
  },
  Namespace(d, ns) {
    common(d, ns.metadata);
    d.field('Status', ns.status?.phase);
  },
};
