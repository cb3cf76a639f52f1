// Test-side helpers: the apiserver objects the proxy watches, and proxies started inside
// lab node namespaces with a kubeconfig that reaches the apiserver over the lab bridge.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentEntryArgs } from '@skiff/common/testing/index';
import type { ApiserverHandle } from '@skiff/common/testing/index';
import type { Spawned } from '@skiff/common/testing/processes';
import { stopProcess, tailOf } from '@skiff/common/testing/processes';
import { LAB_GATEWAY, inNs } from './lab.ts';
import type { Lab, LabNode } from './lab.ts';

export async function api(server: ApiserverHandle, method: string, path: string, body?: object): Promise<any> {
  const res = await server.request(method, path, body ? { body, headers: method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {} } : {});
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body);
}

export async function createNode(server: ApiserverHandle, node: LabNode): Promise<void> {
  await api(server, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name },
    spec: { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
    },
  });
}

export interface Backend {
  ip: string;
  node: string;
  ready?: boolean;
}

export async function createService(server: ApiserverHandle, name: string, spec: object, ns = 'default'): Promise<any> {
  return api(server, 'POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
}

export function sliceBody(service: string, backends: Backend[], ports: object[] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-lab`, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'skiff-proxy-test' } },
    addressType: 'IPv4',
    ports,
    endpoints: backends.map((b) => ({ addresses: [b.ip], nodeName: b.node, conditions: { ready: b.ready ?? true } })),
  };
}

export async function putSlice(server: ApiserverHandle, service: string, backends: Backend[], ports?: object[], ns = 'default'): Promise<void> {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
  const body = sliceBody(service, backends, ports) as any;
  const existing = await server.request('GET', `${path}/${service}-lab`);
  if (existing.status === 404) await api(server, 'POST', path, body);
  else
    await api(server, 'PUT', `${path}/${service}-lab`, {
      ...body,
      metadata: { ...body.metadata, resourceVersion: JSON.parse(existing.body).metadata.resourceVersion },
    });
}

/** A kubeconfig for processes in the lab: the apiserver is reached through the lab bridge. */
export function labKubeconfig(server: ApiserverHandle, path: string): string {
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: lab',
      'clusters:',
      '- name: lab',
      '  cluster:',
      `    server: https://${LAB_GATEWAY}:${server.port}`,
      `    certificate-authority: ${server.pki.caCert}`,
      // the serving certificate names localhost, not the bridge address
      '    tls-server-name: localhost',
      'users:',
      '- name: admin',
      '  user:',
      `    client-certificate: ${server.pki.admin.cert}`,
      `    client-key: ${server.pki.admin.key}`,
      'contexts:',
      '- name: lab',
      '  context: {cluster: lab, user: admin}',
      '',
    ].join('\n'),
  );
  return path;
}

export interface ProxyProcess {
  proc: Spawned;
  log: string;
  stop(): Promise<void>;
}

export async function startProxy(lab: Lab, node: LabNode, kubeconfig: string, extra: string[] = []): Promise<ProxyProcess> {
  const logName = `proxy-${node.name}-${Date.now()}.log`;
  const args = [
    ...componentEntryArgs('proxy'),
    `--kubeconfig=${kubeconfig}`,
    `--node-name=${node.name}`,
    `--node-ip=${node.ip}`,
    '--cluster-cidr=10.252.128.0/17',
    '--port=0',
    '--sync-debounce-ms=20',
    ...extra,
  ];
  const proc = lab.spawn(node.ns, process.execPath, args, logName);
  const log = lab.logPath(logName);
  const deadline = Date.now() + 30_000;
  while (!tailOf(log, 200).includes('proxy rules in place')) {
    if (proc.hasExited()) throw new Error(`proxy on ${node.name} exited: ${await proc.exited}\n${tailOf(log)}`);
    if (Date.now() > deadline) throw new Error(`proxy on ${node.name} not ready:\n${tailOf(log)}`);
    await sleep(100);
  }
  return { proc, log, stop: () => stopProcess(proc) };
}

export function ourRules(ns: string): string[] {
  return inNs(ns, 'iptables-save', [])
    .split('\n')
    .filter((l) => l.includes('SKIFF') && !l.startsWith('#'));
}

/** Polls until `check` holds; returns how long it took. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
