// My controllers in-process against the real apiserver and etcd: endpoints, slices,
// service accounts, node CIDRs, garbage collection, namespace deletion, node lifecycle.
import { expect } from 'chai';
import { loadKubeConfig } from '@skiff/common';
import { useApiserver } from '@skiff/common/testing/index';
import * as endpoints from '../src/controllers/endpoints/index.ts';
import * as endpointslice from '../src/controllers/endpointslice/index.ts';
import * as garbagecollector from '../src/controllers/garbagecollector/index.ts';
import * as namespace from '../src/controllers/namespace/index.ts';
import * as nodeipam from '../src/controllers/nodeipam/index.ts';
import * as nodelifecycle from '../src/controllers/nodelifecycle/index.ts';
import * as serviceaccount from '../src/controllers/serviceaccount/index.ts';

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('controller-manager (second half) against the real apiserver', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  const stops: (() => Promise<void>)[] = [];
  const api = async (method: string, path: string, body?: object) => {
    // an explicit length: the apiserver answers 400 to a chunked DELETE body (see report)
    const opts = body
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(JSON.stringify(body))) } }
      : {};
    const r = await cluster.server.request(method, path, opts);
    return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const must = async (method: string, path: string, body?: object) => {
    const r = await api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  before(async () => {
    const kubeConfig = loadKubeConfig(cluster.server.kubeconfigPath);
    const config = { nodeMonitorGracePeriodSeconds: 3, nodeMonitorPeriodSeconds: 1, defaultTolerationSecondsOverride: 2, namespaceRecheckMs: 300 };
    for (const c of [endpoints, endpointslice, garbagecollector, namespace, nodeipam, nodelifecycle, serviceaccount]) {
      stops.push(await c.start({ kubeConfig, config }));
    }
  });
  after(async () => {
    for (const s of stops) await s();
  });

  async function readyPod(ns: string, name: string, labels: Record<string, string>, ip: string, node?: string) {
    await must('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
    });
    if (node)
      await must('POST', `/api/v1/namespaces/${ns}/pods/${name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name },
        target: { kind: 'Node', name: node },
      });
    await setReady(ns, name, ip, true);
  }
  async function setReady(ns: string, name: string, ip: string, ready: boolean) {
    const pod = await must('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    pod.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
    await must('PUT', `/api/v1/namespaces/${ns}/pods/${name}/status`, pod);
  }

  it('gives every namespace a default ServiceAccount, and recreates it', async () => {
    await must('POST', '/api/v1/namespaces', { metadata: { name: 'sa-test' } });
    await eventually('default SA', async () => (await api('GET', '/api/v1/namespaces/sa-test/serviceaccounts/default')).status === 200);
    await must('DELETE', '/api/v1/namespaces/sa-test/serviceaccounts/default');
    await eventually('default SA again', async () => (await api('GET', '/api/v1/namespaces/sa-test/serviceaccounts/default')).status === 200);
  });

  it('Endpoints and EndpointSlices follow pods becoming ready, unready and deleted', async () => {
    const ns = 'default';
    await must('POST', `/api/v1/namespaces/${ns}/services`, {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await readyPod(ns, 'web-1', { app: 'web' }, '10.244.0.11');
    await readyPod(ns, 'web-2', { app: 'web' }, '10.244.0.12');
    const ep = await eventually('two ready addresses', async () => {
      const e = (await api('GET', `/api/v1/namespaces/${ns}/endpoints/web`)).body;
      return e?.subsets?.[0]?.addresses?.length === 2 ? e : undefined;
    });
    expect(ep.subsets[0].ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(ep.subsets[0].addresses[0].targetRef).to.include({ kind: 'Pod', name: 'web-1', namespace: ns });
    const sliceQuery = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=web')}`;
    await eventually('slice with two ready endpoints', async () => {
      const l = (await api('GET', sliceQuery)).body;
      return l.items.length === 1 && l.items[0].endpoints?.filter((e: any) => e.conditions.ready).length === 2;
    });

    await setReady(ns, 'web-2', '10.244.0.12', false);
    await eventually('web-2 not ready', async () => {
      const e = (await api('GET', `/api/v1/namespaces/${ns}/endpoints/web`)).body;
      return e.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '10.244.0.12' && e.subsets[0].addresses.length === 1;
    });
    await eventually('slice shows web-2 not serving', async () => {
      const l = (await api('GET', sliceQuery)).body;
      return l.items[0].endpoints.some((e: any) => e.targetRef.name === 'web-2' && !e.conditions.ready && !e.conditions.serving);
    });

    await must('DELETE', `/api/v1/namespaces/${ns}/pods/web-1`);
    await eventually('only web-2 left', async () => {
      const e = (await api('GET', `/api/v1/namespaces/${ns}/endpoints/web`)).body;
      return !e.subsets?.[0]?.addresses && e.subsets?.[0]?.notReadyAddresses?.length === 1;
    });
    await must('DELETE', `/api/v1/namespaces/${ns}/services/web`);
    await eventually('endpoints gone', async () => (await api('GET', `/api/v1/namespaces/${ns}/endpoints/web`)).status === 404);
    await eventually('slices gone', async () => (await api('GET', sliceQuery)).body.items.length === 0);
    const kube = await api('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    expect(kube.status, 'the apiserver keeps its own endpoints').to.equal(200);
  });

  async function ownerWithDependents(ns: string, prefix: string) {
    const owner = await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `${prefix}-owner` } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, blockOwnerDeletion: true };
    for (const i of [1, 2]) await must('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `${prefix}-dep-${i}`, ownerReferences: [ref] } });
    return owner;
  }
  const exists = async (path: string) => (await api('GET', path)).status === 200;

  it('cascades deletion in background, foreground and orphan mode', async () => {
    const ns = 'default';
    const cm = `/api/v1/namespaces/${ns}/configmaps`;
    await ownerWithDependents(ns, 'bg');
    await must('DELETE', `${cm}/bg-owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    await eventually('background dependents gone', async () => !(await exists(`${cm}/bg-dep-1`)) && !(await exists(`${cm}/bg-dep-2`)));

    await ownerWithDependents(ns, 'fg');
    await must('DELETE', `${cm}/fg-owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    await eventually(
      'foreground: all gone',
      async () => !(await exists(`${cm}/fg-owner`)) && !(await exists(`${cm}/fg-dep-1`)) && !(await exists(`${cm}/fg-dep-2`)),
    );

    await ownerWithDependents(ns, 'or');
    await must('DELETE', `${cm}/or-owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    await eventually('orphan: owner gone', async () => !(await exists(`${cm}/or-owner`)));
    const dep = await must('GET', `${cm}/or-dep-1`);
    expect(dep.metadata.ownerReferences ?? []).to.deep.equal([]);
  });

  it('empties and removes a deleted namespace', async () => {
    await must('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await must('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
    await must('POST', '/api/v1/namespaces/doomed/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    await must('DELETE', '/api/v1/namespaces/doomed');
    await eventually('namespace gone', async () => (await api('GET', '/api/v1/namespaces/doomed')).status === 404, 30_000);
  });

  it('keeps a namespace while a finalizer holds some of its content, and removes it once that goes', async function () {
    this.timeout(300_000);
    await must('POST', '/api/v1/namespaces', { metadata: { name: 'held' } });
    await must('POST', '/api/v1/namespaces/held/configmaps', { metadata: { name: 'kept', finalizers: ['example.com/hold'] } });
    await must('POST', '/api/v1/namespaces/held/secrets', { metadata: { name: 'plain' } });
    await must('DELETE', '/api/v1/namespaces/held');
    await eventually('the unheld secret gone', async () => (await api('GET', '/api/v1/namespaces/held/secrets/plain')).status === 404, 30_000);
    // several rechecks (300 ms apart here) look at the held configmap only: other resources are
    // not asked again on each (deletecollections counted by the apiserver); the namespace stays.
    // A pass that fails (a request refused or timed out on a loaded machine) is retried in
    // full, so one more full pass is allowed, not one per recheck.
    const collectionDeletes = async (resource: string) => {
      const text = (await cluster.server.request('GET', '/metrics')).body;
      return text
        .split('\n')
        .filter((l) => l.startsWith('apiserver_request_total{') && l.includes('verb="DELETECOLLECTION"') && l.includes(`resource="${resource}"`))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };
    // The secret goes in the middle of the first full pass (resources are asked in discovery
    // order): the counts are taken once that pass has reached services, the last core resource.
    const services = await eventually('the first pass to ask every resource', async () => (await collectionDeletes('services')) || undefined, 60_000);
    const configmaps = await collectionDeletes('configmaps');
    // how long two rechecks take depends on the machine's load, not on the controller
    const rechecks = await eventually(
      'the held configmap asked again twice',
      async () => {
        const n = (await collectionDeletes('configmaps')) - configmaps;
        return n >= 2 ? n : undefined;
      },
      60_000,
    );
    expect((await collectionDeletes('services')) - services, `services asked again in ${rechecks} rechecks of the configmap`).to.be.at.most(1);
    const ns = await must('GET', '/api/v1/namespaces/held');
    expect(ns.status?.phase).to.equal('Terminating');
    const kept = await must('GET', '/api/v1/namespaces/held/configmaps/kept');
    expect(kept.metadata.deletionTimestamp, 'the held configmap is being deleted').to.be.a('string');
    await must('PUT', '/api/v1/namespaces/held/configmaps/kept', { ...kept, metadata: { ...kept.metadata, finalizers: [] } });
    // a recheck of the configmap, then a full pass of some forty resources, then /finalize: on
    // a loaded machine (make test's lanes on two cores) that took more than 30 s
    await eventually('namespace gone', async () => (await api('GET', '/api/v1/namespaces/held')).status === 404, 90_000);
  });

  it('assigns pod CIDRs; a node that stops renewing its lease goes Unknown, is tainted, its pods evicted', async () => {
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, '.000000Z');
    for (const n of ['node-a', 'node-b']) {
      await must('POST', '/api/v1/nodes', {
        metadata: { name: n },
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
        },
      });
      await must('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        metadata: { name: n },
        spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime: now() },
      });
    }
    const cidrs = await eventually('pod CIDRs', async () => {
      const a = (await api('GET', '/api/v1/nodes/node-a')).body.spec?.podCIDR;
      const b = (await api('GET', '/api/v1/nodes/node-b')).body.spec?.podCIDR;
      return a && b ? [a, b] : undefined;
    });
    expect(cidrs[0]).to.not.equal(cidrs[1]);
    for (const c of cidrs) expect(c).to.match(/^10\.244\.\d+\.0\/24$/);

    await readyPod('default', 'on-a', { app: 'x' }, '10.244.9.9', 'node-a');
    // node-b keeps renewing, node-a goes silent
    const renew = setInterval(() => {
      void api('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b').then((r) =>
        api('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b', { ...r.body, spec: { ...r.body.spec, renewTime: now() } }),
      );
    }, 500);
    try {
      const nodeA = await eventually('node-a Unknown and tainted', async () => {
        const n = (await api('GET', '/api/v1/nodes/node-a')).body;
        const ready = n.status.conditions.find((c: any) => c.type === 'Ready');
        const taints = (n.spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`);
        return ready.status === 'Unknown' &&
          taints.includes('node.kubernetes.io/unreachable:NoExecute') &&
          taints.includes('node.kubernetes.io/unreachable:NoSchedule')
          ? n
          : undefined;
      });
      expect(nodeA.status.conditions.find((c: any) => c.type === 'Ready')).to.include({
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
      });
      await eventually('pod evicted (terminating or gone)', async () => {
        const p = await api('GET', '/api/v1/namespaces/default/pods/on-a');
        return p.status === 404 || !!p.body.metadata.deletionTimestamp;
      });
      const pod = await api('GET', '/api/v1/namespaces/default/pods/on-a');
      if (pod.status === 200) expect(pod.body.status.conditions.find((c: any) => c.type === 'Ready').status).to.equal('False');
      const b = (await api('GET', '/api/v1/nodes/node-b')).body;
      expect(b.spec.taints ?? []).to.deep.equal([]);

      // node-a's kubelet comes back: untainted
      const live = (await api('GET', '/api/v1/nodes/node-a')).body;
      live.status.conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }];
      await must('PUT', '/api/v1/nodes/node-a/status', live);
      await eventually('node-a untainted', async () => ((await api('GET', '/api/v1/nodes/node-a')).body.spec.taints ?? []).length === 0);
    } finally {
      clearInterval(renew);
    }
  });
});
