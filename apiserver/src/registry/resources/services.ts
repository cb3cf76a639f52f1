// core/v1 Service: defaults, validation, ClusterIP and NodePort allocation.
import { isDeepStrictEqual } from 'node:util';
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';
import type { KObject, ResourceDef } from '../types.ts';
import { checkDns1123Label, checkDns1123Subdomain, checkPortName, checkQualifiedName, isValidIPv4, nameIsDns1035Label } from '@skiff/common/apimachinery/names';
import { validateLabels } from '@skiff/common/apimachinery/object-meta';
import { validatePortNumber, validateProtocol, portRangeMessage } from '../validation/ports.ts';
import { keepOldStatus, takeStatusOnly } from './shared/status-split.ts';
import { validateMetaFor } from './shared/meta-rules.ts';
import { allocateForCreate, needsClusterIP, needsHealthCheck, needsNodePorts, reallocateForUpdate, releaseAll } from './shared/service-allocation.ts';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const affinities = ['ClientIP', 'None'];
const trafficPolicies = ['Cluster', 'Local'];
const familyPolicies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const ipMessage = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function defaultService(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of spec.ports ?? []) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

function validateServicePorts(spec: any, out: FieldError[]): void {
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') out.push(field.required('spec.ports'));
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) out.push(field.required(`${path}.name`));
    if (p.name) {
      for (const m of checkDns1123Label(p.name)) out.push(field.invalid(`${path}.name`, p.name, m));
      if (names.has(p.name)) out.push(field.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    out.push(...validatePortNumber(p.port, `${path}.port`));
    out.push(...validateProtocol(p.protocol, `${path}.protocol`));
    const tp = p.targetPort;
    if (typeof tp === 'number') {
      if (tp < 1 || tp > 65535) out.push(field.invalid(`${path}.targetPort`, tp, portRangeMessage));
    } else if (typeof tp === 'string' && !/^[0-9]+$/.test(tp)) {
      for (const m of checkPortName(tp)) out.push(field.invalid(`${path}.targetPort`, tp, m));
    }
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') {
        out.push(field.forbidden(`${path}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      } else out.push(...validatePortNumber(p.nodePort, `${path}.nodePort`));
    }
    const id = `${p.port}/${p.protocol}`;
    if (seen.has(id)) out.push(field.duplicate(path, p));
    seen.add(id);
  });
}

function validateClusterIPs(spec: any, out: FieldError[]): void {
  const ips: string[] = spec.clusterIPs ?? [];
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP && spec.clusterIP !== '') out.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    return;
  }
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) {
    out.push(field.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  }
  if (ips.length > 1) out.push(field.invalid('spec.clusterIPs', ips, 'may only hold one address: this cluster is not configured for dual-stack services'));
  ips.forEach((ip, i) => {
    if (ip !== 'None' && !isValidIPv4(ip)) out.push(field.invalid(`spec.clusterIPs[${i}]`, ip, ipMessage));
  });
  if (ips.includes('None') && ips.length > 1) out.push(field.invalid('spec.clusterIPs', ips, 'a headless service may only hold "None"'));
}

function validateService(obj: KObject): FieldError[] {
  const out = validateMetaFor(obj, true, nameIsDns1035Label);
  const spec = obj.spec;
  if (!spec || typeof spec !== 'object') return [...out, field.required('spec')];
  if (!serviceTypes.includes(spec.type)) out.push(field.notSupported('spec.type', spec.type, serviceTypes));
  validateServicePorts(spec, out);
  validateClusterIPs(spec, out);
  out.push(...validateLabels(spec.selector, 'spec.selector'));
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) out.push(field.required('spec.externalName'));
    else {
      const name = String(spec.externalName).replace(/\.$/, '');
      for (const m of checkDns1123Subdomain(name)) out.push(field.invalid('spec.externalName', spec.externalName, m));
    }
  }
  if (!affinities.includes(spec.sessionAffinity)) out.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity, affinities));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    out.push(field.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  if (spec.externalTrafficPolicy !== undefined) {
    if (!needsNodePorts(obj)) {
      out.push(field.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    } else if (!trafficPolicies.includes(spec.externalTrafficPolicy)) {
      out.push(field.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, trafficPolicies));
    }
  }
  if (spec.internalTrafficPolicy !== undefined && !trafficPolicies.includes(spec.internalTrafficPolicy)) {
    out.push(field.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, trafficPolicies));
  }
  if (spec.ipFamilyPolicy !== undefined) {
    if (!familyPolicies.includes(spec.ipFamilyPolicy)) out.push(field.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, familyPolicies));
    else if (spec.ipFamilyPolicy === 'RequireDualStack') {
      out.push(field.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
    }
  }
  (spec.ipFamilies ?? []).forEach((f: string, i: number) => {
    if (f !== 'IPv4') out.push(field.notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4']));
  });
  (spec.externalIPs ?? []).forEach((ip: string, i: number) => {
    if (!isValidIPv4(ip)) out.push(field.invalid(`spec.externalIPs[${i}]`, ip, ipMessage));
  });
  validateLoadBalancerFields(spec, obj, out);
  return out;
}

/** allocateLoadBalancerNodePorts, loadBalancerClass and healthCheckNodePort, as upstream's ValidateService checks them. */
function validateLoadBalancerFields(spec: any, obj: KObject, out: FieldError[]): void {
  const lb = spec.type === 'LoadBalancer';
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && !lb) {
    out.push(field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (!lb) out.push(field.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else for (const m of checkQualifiedName(spec.loadBalancerClass)) out.push(field.invalid('spec.loadBalancerClass', spec.loadBalancerClass, m));
  }
  if (spec.loadBalancerIP && !isValidIPv4(spec.loadBalancerIP)) out.push(field.invalid('spec.loadBalancerIP', spec.loadBalancerIP, ipMessage));
  const hc = spec.healthCheckNodePort;
  if (hc !== undefined && hc !== null && hc !== 0) {
    if (!needsHealthCheck(obj)) {
      out.push(field.forbidden('spec.healthCheckNodePort', "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    } else out.push(...validatePortNumber(hc, 'spec.healthCheckNodePort'));
  }
}

function validateServiceUpdate(obj: KObject, old: KObject): FieldError[] {
  const out: FieldError[] = [];
  // the address is fixed for the Service's life unless it moves to or from ExternalName
  if (needsClusterIP(obj) && needsClusterIP(old)) {
    const before: string[] = old.spec?.clusterIPs ?? [];
    const now: string[] = obj.spec?.clusterIPs ?? [];
    if (before.length && !isDeepStrictEqual(now.slice(0, before.length), before)) {
      out.push(field.invalid('spec.clusterIPs[0]', now, 'may not change once set'));
    }
  }
  if (old.spec?.type === 'LoadBalancer' && obj.spec?.type === 'LoadBalancer' && (old.spec.loadBalancerClass ?? null) !== (obj.spec.loadBalancerClass ?? null)) {
    out.push(field.invalid('spec.loadBalancerClass', obj.spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(old) && needsHealthCheck(obj) && old.spec.healthCheckNodePort && obj.spec.healthCheckNodePort !== old.spec.healthCheckNodePort) {
    out.push(field.forbidden('spec.healthCheckNodePort', 'cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update'));
  }
  return out;
}

/** Values the server assigned survive a PUT that leaves them out (patchAllocatedValues). */
function keepAllocatedValues(obj: KObject, old: KObject): void {
  const spec = obj.spec;
  if (needsClusterIP(obj) && needsClusterIP(old) && !spec.clusterIP && !spec.clusterIPs?.length) {
    if (old.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if (old.spec?.clusterIPs) spec.clusterIPs = [...old.spec.clusterIPs];
  }
  if (needsNodePorts(obj) && needsNodePorts(old)) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const match =
        (old.spec.ports ?? []).find((o: any) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP')) ??
        (old.spec.ports ?? []).find((o: any) => p.name && o.name === p.name);
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
  }
  if (needsHealthCheck(obj) && needsHealthCheck(old) && !spec.healthCheckNodePort && old.spec.healthCheckNodePort) {
    spec.healthCheckNodePort = old.spec.healthCheckNodePort;
  }
}

/** Fields that only mean something for some types go when the type changes away (dropTypeDependentFields). */
function dropTypeDependentFields(obj: KObject, old: KObject): void {
  const spec = obj.spec;
  if (!needsClusterIP(obj) && needsClusterIP(old)) {
    if (isDeepStrictEqual(spec.clusterIPs, old.spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    for (const k of ['ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy']) {
      if (isDeepStrictEqual(spec[k], old.spec[k])) delete spec[k];
    }
  }
  if (!needsNodePorts(obj) && needsNodePorts(old)) {
    for (const p of spec.ports ?? []) {
      const before = (old.spec.ports ?? []).find((o: any) => o.nodePort === p.nodePort);
      if (before) delete p.nodePort;
    }
    if (spec.externalTrafficPolicy === old.spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
    if (spec.healthCheckNodePort === old.spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  // a health-check port only lives while the Service is a LoadBalancer with policy Local
  if (!needsHealthCheck(obj) && needsHealthCheck(old) && spec.healthCheckNodePort === old.spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (spec.type !== 'LoadBalancer' && old.spec?.type === 'LoadBalancer') {
    for (const k of ['allocateLoadBalancerNodePorts', 'loadBalancerClass']) if (isDeepStrictEqual(spec[k], old.spec[k])) delete spec[k];
  }
}

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  resource: 'services',
  singular: 'service',
  shortNames: ['svc'],
  categories: ['all'],
  namespaced: true,
  subresources: ['status', 'proxy'],

  defaults: defaultService,
  validate: validateService,
  validateUpdate: validateServiceUpdate,

  async prepareForCreate(obj, ctx) {
    obj.status = { loadBalancer: {} };
    await allocateForCreate(obj, ctx);
  },

  async prepareForUpdate(obj, old, ctx) {
    keepOldStatus(obj, old);
    defaultService(obj);
    keepAllocatedValues(obj, old);
    dropTypeDependentFields(obj, old);
    defaultService(obj);
    // an update that will be refused must not claim or free anything
    if (validateService(obj).length || validateServiceUpdate(obj, old).length) return;
    await reallocateForUpdate(obj, old, ctx);
  },

  prepareForStatusUpdate: takeStatusOnly,

  afterDelete: releaseAll,

  selectableFields(obj) {
    return { 'spec.clusterIP': obj.spec?.clusterIP ?? '', 'spec.type': obj.spec?.type ?? '' };
  },
};
