// PodSpec and PodTemplateSpec validation (pkg/apis/core/validation), the parts a small cluster meets.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkEnvVarName,
  checkLabelValue,
  checkPortName,
  checkQualifiedName,
} from '@skiff/common/apimachinery/names';
import { localDescendingPathProblems } from '@skiff/common/apimachinery/local-path';
import { validateAnnotations, validateLabels } from '@skiff/common/apimachinery/object-meta';
import { validateNonNegative, validatePortNumber, validateProtocol, portRangeMessage } from './ports.ts';
import { validateResourceRequirements } from './resources.ts';

export const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const volumeSources = [
  'emptyDir',
  'hostPath',
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
  'azureFile',
  'azureDisk',
  'vsphereVolume',
  'quobyte',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'flocker',
  'cinder',
];
const maxInt32 = 2147483647;

const invalidAll = (path: string, value: unknown, msgs: string[]) => msgs.map((m) => field.invalid(path, value, m));

export function validatePodTemplateSpec(tpl: any, path: string): FieldError[] {
  if (!tpl || typeof tpl !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  out.push(...validateLabels(tpl.metadata?.labels, `${path}.metadata.labels`));
  out.push(...validateAnnotations(tpl.metadata?.annotations, `${path}.metadata.annotations`));
  out.push(...validatePodSpec(tpl.spec, `${path}.spec`));
  return out;
}

export function validatePodSpec(spec: any, path: string): FieldError[] {
  if (!spec || typeof spec !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  const volumeNames = validateVolumes(spec.volumes, `${path}.volumes`, out);
  const containerNames = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    out.push(field.required(`${path}.containers`));
  }
  for (const [key, list] of [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
  ] as const) {
    if (!Array.isArray(list)) continue;
    list.forEach((c: any, i: number) => {
      const p = `${path}.${key}[${i}]`;
      out.push(...validateContainer(c, p, volumeNames));
      if (c?.name) {
        if (containerNames.has(c.name)) out.push(field.duplicate(`${p}.name`, c.name));
        containerNames.add(c.name);
      }
    });
  }
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy)) {
    out.push(field.notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(spec.dnsPolicy)) {
    out.push(field.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (!Number.isInteger(v) || v < 1 || v > maxInt32) {
      out.push(field.invalid(`${path}.activeDeadlineSeconds`, v, `must be between 1 and ${maxInt32}, inclusive`));
    }
  }
  out.push(...validateNonNegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  out.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  for (const k of ['serviceAccountName', 'nodeName', 'priorityClassName'] as const) {
    if (spec[k]) out.push(...invalidAll(`${path}.${k}`, spec[k], checkDns1123Subdomain(spec[k])));
  }
  for (const k of ['hostname', 'subdomain'] as const) {
    if (spec[k]) out.push(...invalidAll(`${path}.${k}`, spec[k], checkDns1123Label(spec[k])));
  }
  if (Array.isArray(spec.tolerations)) out.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  return out;
}

function validateVolumes(volumes: unknown, path: string, out: FieldError[]): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(volumes)) return names;
  volumes.forEach((v: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!v?.name) out.push(field.required(`${p}.name`));
    else {
      out.push(...invalidAll(`${p}.name`, v.name, checkDns1123Label(v.name)));
      if (names.has(v.name)) out.push(field.duplicate(`${p}.name`, v.name));
      names.add(v.name);
    }
    const sources = volumeSources.filter((s) => v?.[s] !== undefined && v?.[s] !== null);
    if (sources.length === 0) out.push(field.required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) out.push(field.forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    if (v?.hostPath && !v.hostPath.path) out.push(field.required(`${p}.hostPath.path`));
    if (v?.configMap && !v.configMap.name) out.push(field.required(`${p}.configMap.name`));
    if (v?.secret && !v.secret.secretName) out.push(field.required(`${p}.secret.secretName`));
    if (v?.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) out.push(field.required(`${p}.persistentVolumeClaim.claimName`));
  });
  return names;
}

function validateContainer(c: any, path: string, volumeNames: Set<string>): FieldError[] {
  if (!c || typeof c !== 'object') return [field.required(path)];
  const out: FieldError[] = [];
  if (!c.name) out.push(field.required(`${path}.name`));
  else out.push(...invalidAll(`${path}.name`, c.name, checkDns1123Label(c.name)));
  if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) out.push(field.required(`${path}.image`));
  else if (c.image !== c.image.trim()) out.push(field.invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  if (c.imagePullPolicy !== undefined && !pullPolicies.includes(c.imagePullPolicy)) {
    out.push(field.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  }
  if (c.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    out.push(field.notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, terminationMessagePolicies));
  }
  out.push(...validateContainerPorts(c.ports, `${path}.ports`));
  out.push(...validateEnv(c.env, `${path}.env`));
  out.push(...validateResourceRequirements(c.resources, `${path}.resources`));
  out.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`, true));
  out.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`, false));
  out.push(...validateProbe(c.startupProbe, `${path}.startupProbe`, true));
  if (Array.isArray(c.volumeMounts)) {
    const mountPaths = new Set<string>();
    c.volumeMounts.forEach((m: any, i: number) => {
      const p = `${path}.volumeMounts[${i}]`;
      if (!m?.name) out.push(field.required(`${p}.name`));
      else if (!volumeNames.has(m.name)) out.push(field.invalid(`${p}.name`, m.name, 'not found: must match the name of a volume'));
      if (!m?.mountPath) out.push(field.required(`${p}.mountPath`));
      else {
        if (mountPaths.has(m.mountPath)) out.push(field.invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
        mountPaths.add(m.mountPath);
      }
      if (typeof m?.subPath === 'string' && m.subPath) {
        for (const msg of localDescendingPathProblems(m.subPath)) out.push(field.invalid(`${p}.subPath`, m.subPath, msg));
      }
      if (typeof m?.subPathExpr === 'string' && m.subPathExpr) {
        if (m.subPath) out.push(field.invalid(`${p}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
        for (const msg of localDescendingPathProblems(m.subPathExpr)) out.push(field.invalid(`${p}.subPathExpr`, m.subPathExpr, msg));
      }
    });
  }
  return out;
}

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  if (!Array.isArray(ports)) return [];
  const out: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port: any, i: number) => {
    const p = `${path}[${i}]`;
    if (port?.name) {
      out.push(...invalidAll(`${p}.name`, port.name, checkPortName(port.name)));
      if (names.has(port.name)) out.push(field.duplicate(`${p}.name`, port.name));
      names.add(port.name);
    }
    if (port?.containerPort === undefined) out.push(field.required(`${p}.containerPort`));
    else out.push(...validatePortNumber(port.containerPort, `${p}.containerPort`));
    if (port?.hostPort !== undefined && port.hostPort !== 0) out.push(...validatePortNumber(port.hostPort, `${p}.hostPort`));
    out.push(...validateProtocol(port?.protocol ?? 'TCP', `${p}.protocol`));
  });
  return out;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  if (!Array.isArray(env)) return [];
  const out: FieldError[] = [];
  env.forEach((e: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!e?.name) out.push(field.required(`${p}.name`));
    else out.push(...invalidAll(`${p}.name`, e.name, checkEnvVarName(e.name)));
    if (e?.valueFrom) {
      if (e.value) out.push(field.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((s) => e.valueFrom[s]);
      if (sources.length === 0)
        out.push(field.invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) out.push(field.invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
      for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
        if (e.valueFrom[ref] && !e.valueFrom[ref].key) out.push(field.required(`${p}.valueFrom.${ref}.key`));
      }
      if (e.valueFrom.fieldRef && !e.valueFrom.fieldRef.fieldPath) out.push(field.required(`${p}.valueFrom.fieldRef.fieldPath`));
    }
  });
  return out;
}

const handlerTypes = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function validateProbe(probe: any, path: string, successMustBeOne: boolean): FieldError[] {
  if (!probe) return [];
  const out: FieldError[] = [];
  const handlers = handlerTypes.filter((h) => probe[h]);
  if (handlers.length === 0) out.push(field.required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) out.push(field.forbidden(`${path}.${extra}`, 'may not specify more than 1 handler type'));
  if (probe.exec && (!Array.isArray(probe.exec.command) || probe.exec.command.length === 0)) out.push(field.required(`${path}.exec.command`));
  for (const h of ['httpGet', 'tcpSocket'] as const) {
    if (!probe[h]) continue;
    const port = probe[h].port;
    if (port === undefined) out.push(field.required(`${path}.${h}.port`));
    else if (typeof port === 'number' && (port < 1 || port > 65535)) out.push(field.invalid(`${path}.${h}.port`, port, portRangeMessage));
    else if (typeof port === 'string' && !/^[0-9]+$/.test(port)) out.push(...invalidAll(`${path}.${h}.port`, port, checkPortName(port)));
  }
  if (probe.httpGet?.scheme !== undefined && !['HTTP', 'HTTPS'].includes(probe.httpGet.scheme)) {
    out.push(field.notSupported(`${path}.httpGet.scheme`, probe.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds']) {
    out.push(...validateNonNegative(probe[k], `${path}.${k}`));
  }
  if (successMustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    out.push(field.invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  return out;
}

export function validateTolerations(tolerations: any[], path: string): FieldError[] {
  const out: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) out.push(...invalidAll(`${p}.key`, t.key, checkQualifiedName(t.key)));
    const op = t.operator ?? 'Equal';
    if (!t.key && op !== 'Exists') {
      out.push(field.invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (op === 'Exists' && t.value) out.push(field.invalid(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    if (op !== 'Exists' && op !== 'Equal') out.push(field.notSupported(`${p}.operator`, op, ['Equal', 'Exists']));
    if (t.effect && !taintEffects.includes(t.effect)) out.push(field.notSupported(`${p}.effect`, t.effect, taintEffects));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      out.push(field.invalid(`${p}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  return out;
}

export function validateTaints(taints: unknown, path: string): FieldError[] {
  if (!Array.isArray(taints)) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!t?.key) out.push(field.required(`${p}.key`));
    else out.push(...invalidAll(`${p}.key`, t.key, checkQualifiedName(t.key)));
    if (t?.value) out.push(...invalidAll(`${p}.value`, t.value, checkLabelValue(t.value)));
    if (!t?.effect) out.push(field.required(`${p}.effect`));
    else if (!taintEffects.includes(t.effect)) out.push(field.notSupported(`${p}.effect`, t.effect, taintEffects));
    const id = `${t?.key}:${t?.effect}`;
    if (seen.has(id)) out.push(field.duplicate(p, t));
    seen.add(id);
  });
  return out;
}
