// The StatefulSet controller against a real apiserver, the real kubectl and simulated nodes
// (the fake kubelet): ordering, claims, rolling updates, history, undo and retention.
import { expect } from 'chai';
import { DiscoveryV1Api, type V1Pod, type V1StatefulSet } from '@kubernetes/client-node';
import { Resolver } from 'node:dns/promises';
import { freePort, startComponent, useApiserver, type ComponentHandle } from '@skiff/common/testing/index';
import type { ControllerManagerHandle } from '../src/manager.ts';
import type { FakeKubelet } from './support/fake-kubelet.ts';
import { ClusterView, isReadyPod, kubeConfigFrom, startTestKubelet, startTestManager, waitFor } from './support/cluster.ts';

const manifest = (name: string, spec: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } }],
      ...spec,
    },
  });

describe('controller-manager: StatefulSet (real apiserver, kubectl, fake kubelet)', function () {
  this.timeout(180_000);
  let cm: ControllerManagerHandle | undefined;
  let kubelet: FakeKubelet | undefined;
  /** pods the fake kubelet keeps from becoming ready */
  const held = new Set<string>();
  let dns: ComponentHandle | undefined;
  after(async () => {
    await dns?.stop();
    await kubelet?.stop();
    await cm?.stop();
  });
  const cluster = useApiserver();
  let view: ClusterView;
  const k = (args: string[], stdin?: string) => cluster.server.kubectl('1.33', args, { stdin });

  before(async () => {
    view = new ClusterView(cluster.server.kubeconfigPath);
    cm = await startTestManager(cluster.server.kubeconfigPath);
    kubelet = await startTestKubelet(cluster.server.kubeconfigPath, { readyWhen: (p) => !held.has(p.metadata?.name ?? '') });
  });

  const sts = (name: string): Promise<V1StatefulSet> => view.apps.readNamespacedStatefulSet({ name, namespace: 'default' });
  const podsOf = async (name: string): Promise<V1Pod[]> =>
    (await view.pods('default', `app=${name}`)).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  const settled = (name: string, replicas: number) =>
    waitFor(
      `${name} settled at ${replicas}`,
      async () => {
        const s = await sts(name);
        const pods = await podsOf(name);
        const st = s.status;
        return (
          st?.observedGeneration === s.metadata?.generation &&
          st?.readyReplicas === replicas &&
          st?.replicas === replicas &&
          st?.currentRevision === st?.updateRevision &&
          pods.length === replicas &&
          pods.every(isReadyPod) &&
          s
        );
      },
      60_000,
    );

  it('creates web-0, web-1, web-2 in order, each after the one before is ready, with claims first', async () => {
    held.add('web-1');
    const r = await k(['apply', '-f', '-'], manifest('web'));
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('web-1 created', async () => (await podsOf('web')).some((p) => p.metadata?.name === 'web-1'));
    await new Promise((res) => setTimeout(res, 1000));
    expect((await podsOf('web')).map((p) => p.metadata?.name)).to.deep.equal(['web-0', 'web-1']);
    held.delete('web-1');
    // nudge the fake kubelet: it reports readiness when the pod changes
    await k(['label', 'pod', 'web-1', 'nudge=1']);
    const s = await settled('web', 3);
    const pods = await podsOf('web');
    const created = pods.map((p) => new Date(p.metadata!.creationTimestamp!).getTime());
    expect(created[0]).to.be.at.most(created[1]!);
    expect(created[1]).to.be.at.most(created[2]!);
    const p1 = pods[1]!;
    expect(p1.spec?.hostname).to.equal('web-1');
    expect(p1.spec?.subdomain).to.equal('web');
    expect(p1.metadata?.labels).to.include({ 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(p1.metadata?.labels?.['controller-revision-hash']).to.equal(s.status?.updateRevision);
    expect(p1.spec?.volumes?.[0]).to.deep.include({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } });
    const claims = (await view.core.listNamespacedPersistentVolumeClaim({ namespace: 'default' })).items.map((c) => c.metadata?.name).sort();
    expect(claims).to.deep.equal(['data-web-0', 'data-web-1', 'data-web-2']);
    const events = await view.events('default', 'StatefulSet', 'web', 'SuccessfulCreate');
    const messages = events.map((e) => e.message);
    expect(messages).to.include('create Pod web-0 in StatefulSet web successful');
    expect(messages).to.include('create Claim data-web-2 Pod web-2 in StatefulSet web success');
    expect(s.status).to.include({ currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, collisionCount: 0 });
    const table = await k(['get', 'sts', 'web']);
    expect(table.stdout).to.match(/web\s+3\/3\s+/);
    const status = await k(['rollout', 'status', 'sts/web', '--timeout=20s']);
    expect(status.code, status.stderr).to.equal(0);
    // kubectl reports a defaulted partition of 0 as a partitioned roll-out, as against Kubernetes
    expect(status.stdout).to.include('partitioned roll out complete: 3 new pods have been updated');
  });

  it('skiff-dns answers web-N.web.default.svc.cluster.local from the EndpointSlice hostnames, and web.default with every pod', async () => {
    const r = await k(['create', 'service', 'clusterip', 'web', '--clusterip=None', '--tcp=80:80']);
    expect(r.code, r.stderr).to.equal(0);
    const port = await freePort();
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    dns = await startComponent({
      workspace: 'dns',
      args: [
        `--kubeconfig=${cluster.server.kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--port=${port}`,
        '--metrics-port=0',
        '--advertise-address=127.0.0.1',
      ],
      ready: async () => (await resolver.resolve4('kube-dns.kube-system.svc.cluster.local').catch(() => [])).length > 0,
    });
    const pods = await podsOf('web');
    const discovery = kubeConfigFrom(cluster.server.kubeconfigPath).makeApiClient(DiscoveryV1Api);
    const slices = await waitFor('slice hostnames', async () => {
      const items = (await discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items;
      const hostnames = items.flatMap((sl) => sl.endpoints.map((e) => e.hostname ?? '')).sort();
      return hostnames.length === 3 && hostnames;
    });
    expect(slices).to.deep.equal(['web-0', 'web-1', 'web-2']);
    for (const p of pods) {
      const name = `${p.metadata?.name}.web.default.svc.cluster.local`;
      const ips = await waitFor(name, async () => (await resolver.resolve4(name).catch(() => [])).length > 0 && resolver.resolve4(name));
      expect(ips, name).to.deep.equal([p.status?.podIP]);
    }
    const all = await resolver.resolve4('web.default.svc.cluster.local');
    expect(all.sort()).to.deep.equal(pods.map((p) => p.status!.podIP!).sort());
  });

  it('brings back a deleted web-1 under the same name with the same claim', async () => {
    const before = (await podsOf('web')).find((p) => p.metadata?.name === 'web-1')!;
    const r = await k(['delete', 'pod', 'web-1']);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor('web-1 back', async () => {
      const p = (await podsOf('web')).find((x) => x.metadata?.name === 'web-1');
      return p && p.metadata?.uid !== before.metadata?.uid && isReadyPod(p) && p;
    });
    const again = (await podsOf('web')).find((x) => x.metadata?.name === 'web-1')!;
    expect(again.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName).to.equal('data-web-1');
  });

  it('a partition of 2 updates only web-2; lowering it finishes the rollout; history and undo work', async () => {
    const first = (await sts('web')).status!.updateRevision!;
    let r = await k(['patch', 'sts', 'web', '-p', JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 2 } } } })]);
    expect(r.code, r.stderr).to.equal(0);
    r = await k(['set', 'image', 'sts/web', 'c=nginx:2']);
    expect(r.code, r.stderr).to.equal(0);
    const partial = await waitFor('web-2 updated', async () => {
      const s = await sts('web');
      const pods = await podsOf('web');
      return s.status?.updatedReplicas === 1 && s.status.readyReplicas === 3 && pods.length === 3 && pods.every(isReadyPod) && { s, pods };
    });
    expect(partial.pods.map((p) => p.spec?.containers[0]?.image)).to.deep.equal(['nginx:1', 'nginx:1', 'nginx:2']);
    expect(partial.s.status?.currentRevision).to.equal(first);
    expect(partial.s.status?.updateRevision).to.not.equal(first);
    const partitioned = await k(['rollout', 'status', 'sts/web', '--timeout=10s']);
    expect(partitioned.stdout).to.include('partitioned roll out complete: 1 new pods have been updated');
    // a deleted pod below the partition comes back at the current revision
    await k(['delete', 'pod', 'web-0']);
    await waitFor('web-0 back', async () => {
      const p = (await podsOf('web')).find((x) => x.metadata?.name === 'web-0');
      return p && isReadyPod(p) && (await sts('web')).status?.readyReplicas === 3;
    });
    expect((await podsOf('web')).map((p) => p.spec?.containers[0]?.image)).to.deep.equal(['nginx:1', 'nginx:1', 'nginx:2']);

    await k(['patch', 'sts', 'web', '-p', JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } })]);
    const s = await settled('web', 3);
    expect((await podsOf('web')).map((p) => p.spec?.containers[0]?.image)).to.deep.equal(['nginx:2', 'nginx:2', 'nginx:2']);
    expect(s.status?.currentRevision).to.equal(s.status?.updateRevision);
    const events = (await view.events('default', 'StatefulSet', 'web', 'SuccessfulDelete')).map((e) => e.message);
    expect(events).to.include('delete Pod web-2 in StatefulSet web successful');

    const history = await k(['rollout', 'history', 'sts/web']);
    expect(history.code, history.stderr).to.equal(0);
    expect(history.stdout).to.match(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const undo = await k(['rollout', 'undo', 'sts/web']);
    expect(undo.code, undo.stderr).to.equal(0);
    expect(undo.stdout).to.include('statefulset.apps/web rolled back');
    const back = await waitFor('undo rolled out', async () => {
      const now = await settled('web', 3);
      const pods = await podsOf('web');
      return pods.every((p) => p.spec?.containers[0]?.image === 'nginx:1') && now;
    });
    expect(back.spec?.template.spec?.containers[0]?.image).to.equal('nginx:1');
    // the old revision was renumbered to 3 rather than copied
    const revisions = (await view.apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=web' })).items;
    expect(revisions.map((x) => x.revision).sort()).to.deep.equal([2, 3]);
    expect(revisions.find((x) => x.revision === 3)?.metadata?.name).to.equal(first);
  });

  it('scaling to 1 removes web-2 then web-1 and keeps their claims (whenScaled Retain)', async () => {
    const r = await k(['scale', 'sts/web', '--replicas=1']);
    expect(r.code, r.stderr).to.equal(0);
    await settled('web', 1);
    const claims = (await view.core.listNamespacedPersistentVolumeClaim({ namespace: 'default' })).items.map((c) => c.metadata?.name).sort();
    expect(claims).to.deep.equal(['data-web-0', 'data-web-1', 'data-web-2']);
    const deletes = (await view.events('default', 'StatefulSet', 'web', 'SuccessfulDelete')).map((e) => e.message);
    expect(deletes).to.include('delete Pod web-1 in StatefulSet web successful');
  });

  it('OnDelete replaces nothing on a template change; a deleted pod comes back at the new template', async () => {
    const r = await k(['apply', '-f', '-'], manifest('ondel', { replicas: 2, updateStrategy: { type: 'OnDelete' }, minReadySeconds: 1 }));
    expect(r.code, r.stderr).to.equal(0);
    await settled('ondel', 2);
    await k(['set', 'image', 'sts/ondel', 'c=nginx:2']);
    await waitFor('new revision observed', async () => {
      const s = await sts('ondel');
      return s.status?.observedGeneration === 2 && s.status.updateRevision !== s.status.currentRevision;
    });
    await new Promise((res) => setTimeout(res, 1500));
    expect((await podsOf('ondel')).map((p) => p.spec?.containers[0]?.image)).to.deep.equal(['nginx:1', 'nginx:1']);
    await k(['delete', 'pod', 'ondel-0']);
    const pods = await waitFor('ondel-0 back', async () => {
      const ps = await podsOf('ondel');
      return ps.length === 2 && ps.every(isReadyPod) && ps[0]?.spec?.containers[0]?.image === 'nginx:2' && ps;
    });
    expect(pods.map((p) => p.spec?.containers[0]?.image)).to.deep.equal(['nginx:2', 'nginx:1']);
    const s = await waitFor('status counts', async () => {
      const st = await sts('ondel');
      return st.status?.updatedReplicas === 1 && st.status.availableReplicas === 2 && st;
    });
    expect(s.status?.currentReplicas).to.equal(1);
  });

  it('whenScaled Delete hands a scaled-away claim to its pod; whenDeleted Delete to the set', async () => {
    const r = await k(
      ['apply', '-f', '-'],
      manifest('db', { replicas: 2, podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }),
    );
    expect(r.code, r.stderr).to.equal(0);
    const s = await settled('db', 2);
    const claim = await view.core.readNamespacedPersistentVolumeClaim({ name: 'data-db-1', namespace: 'default' });
    expect(claim.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).to.deep.equal(['StatefulSet/db']);
    expect(claim.metadata?.ownerReferences?.[0]?.uid).to.equal(s.metadata?.uid);
    await k(['scale', 'sts/db', '--replicas=1']);
    await settled('db', 1);
    // the garbage collector deletes the claim once its owner pod is gone
    await waitFor(
      'data-db-1 deleted',
      async () => !(await view.core.listNamespacedPersistentVolumeClaim({ namespace: 'default' })).items.some((c) => c.metadata?.name === 'data-db-1'),
      60_000,
    );
    const kept = await view.core.readNamespacedPersistentVolumeClaim({ name: 'data-db-0', namespace: 'default' });
    expect(kept.metadata?.deletionTimestamp).to.equal(undefined);
  });
});
