// PodSpec defaults from pkg/apis/core/v1/defaults.go; pods, replica sets and deployment templates share them.

export function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    // host-network pods that expose ports get hostPort = containerPort
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c?.ports ?? []) if (p && p.hostPort === undefined) p.hostPort = p.containerPort;
    }
  }
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** `:latest` or no tag means the image can change under the same name: pull every time. */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: any): void {
  if (!c || typeof c !== 'object') return;
  if (typeof c.image === 'string' && c.image) c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  // Kubernetes copies limits into missing requests so that a limit alone means Guaranteed
  if (c.resources.limits && typeof c.resources.limits === 'object') {
    c.resources.requests ??= {};
    for (const [name, q] of Object.entries(c.resources.limits)) c.resources.requests[name] ??= q;
  }
  for (const p of c.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  for (const e of c.env ?? []) {
    if (e?.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  for (const h of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (h?.httpGet) {
      h.httpGet.path ??= '/';
      h.httpGet.scheme ??= 'HTTP';
    }
  }
}

function defaultProbe(p: any): void {
  if (!p || typeof p !== 'object') return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
  if (p.grpc) p.grpc.service ??= '';
}

const volumeSourceKeys = [
  'hostPath',
  'emptyDir',
  'configMap',
  'secret',
  'projected',
  'downwardAPI',
  'persistentVolumeClaim',
  'nfs',
  'ephemeral',
  'csi',
  'image',
  'iscsi',
  'glusterfs',
  'rbd',
  'cephfs',
  'fc',
  'flexVolume',
];

function defaultVolume(v: any): void {
  if (!v || typeof v !== 'object') return;
  if (!volumeSourceKeys.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  if (v.hostPath) v.hostPath.type ??= '';
  for (const k of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    if (v[k] && typeof v[k] === 'object') v[k].defaultMode ??= 420;
  }
  for (const item of v.downwardAPI?.items ?? []) if (item?.fieldRef) item.fieldRef.apiVersion ??= 'v1';
}
