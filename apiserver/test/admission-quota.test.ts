// ResourceQuota through the real kubectl, with the real quota controller (the controller-manager
// running only `resourcequota`): count, compute and scoped quotas, `kubectl create quota`,
// `get quota`, `describe quota` and `describe ns`, and 20 concurrent creates against 5 pods.
import { expect } from 'chai';
import { type ComponentHandle, startComponent, until, useApiserver } from '@skiff/common/testing/index';
import type { KubectlResult } from '@skiff/common/testing/index';

const pod = (ns: string, name: string, spec: object = {}, container: object = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx', ...container }], ...spec },
  });

describe('admission: ResourceQuota and its controller through kubectl', function () {
  this.timeout(180_000);
  let cm: ComponentHandle | undefined;
  after(async () => {
    await cm?.stop();
  });
  const cluster = useApiserver();
  const k = (args: string[], stdin?: string): Promise<KubectlResult> => cluster.server.kubectl('1.32', args, { stdin });
  const quota = async (ns: string, name: string) => JSON.parse((await k(['get', 'quota', name, '-n', ns, '-o', 'json'])).stdout);
  /** the controller has set status.hard and counted usage */
  const synced = (ns: string, name: string, used?: Record<string, string>) =>
    until(`quota ${ns}/${name} synced`, async () => {
      const q = await quota(ns, name);
      const hardSet = JSON.stringify(q.status?.hard) === JSON.stringify(q.spec.hard);
      const usedOk = used ? Object.entries(used).every(([r, v]) => q.status?.used?.[r] === v) : q.status?.used !== undefined;
      return hardSet && usedOk && q;
    });

  before(async () => {
    cm = await startComponent({
      workspace: 'controller-manager',
      args: ['--kubeconfig', cluster.server.kubeconfigPath, '--leader-elect=false', '--port=-1', '--controllers=resourcequota'],
    });
    for (const ns of ['quota-count', 'quota-race', 'quota-compute', 'quota-scopes']) expect((await k(['create', 'namespace', ns])).code).to.equal(0);
  });

  it('kubectl create quota; the controller sets status; get quota and describe quota show it', async () => {
    const r = await k(['create', 'quota', 'objects', '-n', 'quota-count', '--hard=count/configmaps=2,secrets=1,services=1,pods=4']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('resourcequota/objects created');
    await synced('quota-count', 'objects', { 'count/configmaps': '0', pods: '0' });
    const get = await k(['get', 'quota', '-n', 'quota-count']);
    expect(get.stdout).to.match(/^NAME\s+AGE\s+REQUEST\s+LIMIT\n/);
    expect(get.stdout).to.match(/objects\s+\S+\s+count\/configmaps: 0\/2, pods: 0\/4, secrets: 0\/1, services: 0\/1\s*\n/);
    const d = await k(['describe', 'quota', 'objects', '-n', 'quota-count']);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout).to.match(/Resource\s+Used\s+Hard/);
    expect(d.stdout).to.match(/count\/configmaps\s+0\s+2/);
  });

  it('count quotas: the third ConfigMap and second Service are refused with 403 exceeded quota', async () => {
    for (const name of ['a', 'b']) expect((await k(['create', 'configmap', name, '-n', 'quota-count'])).code).to.equal(0);
    const third = await k(['create', 'configmap', 'c', '-n', 'quota-count']);
    expect(third.code).to.not.equal(0);
    expect(third.stderr).to.contain(
      'error: failed to create configmap: configmaps "c" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2',
    );
    expect((await k(['create', 'service', 'clusterip', 's1', '--tcp=80:80', '-n', 'quota-count'])).code).to.equal(0);
    const s2 = await k(['create', 'service', 'clusterip', 's2', '--tcp=80:80', '-n', 'quota-count']);
    expect(s2.stderr).to.contain('services "s2" is forbidden: exceeded quota: objects, requested: services=1, used: services=1, limited: services=1');
    expect((await k(['get', 'configmap', 'c', '-n', 'quota-count'])).code).to.not.equal(0);
  });

  it('kubectl describe ns lists the namespace quotas', async () => {
    const d = await k(['describe', 'namespace', 'quota-count']);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout).to.contain('Resource Quotas');
    expect(d.stdout).to.match(/Name:\s+objects/);
    expect(d.stdout).to.match(/count\/configmaps\s+2\s+2/);
  });

  it('20 concurrent pod creates against a quota of 5 pods: exactly 5 exist, 15 got 403', async () => {
    expect((await k(['create', 'quota', 'five', '-n', 'quota-race', '--hard=pods=5'])).code).to.equal(0);
    await synced('quota-race', 'five', { pods: '0' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => k(['create', '-f', '-'], pod('quota-race', `p${i}`))));
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok).to.have.length(5);
    expect(refused).to.have.length(15);
    for (const r of refused) {
      expect(r.stderr).to.match(
        /Error from server \(Forbidden\).*pods "p\d+" is forbidden: exceeded quota: five, requested: pods=1, used: pods=5, limited: pods=5/,
      );
    }
    const pods = JSON.parse((await k(['get', 'pods', '-n', 'quota-race', '-o', 'json'])).stdout).items;
    expect(pods).to.have.length(5);
    // the recount agrees with the charges
    await synced('quota-race', 'five', { pods: '5' });
  });

  it('a deleted pod gives its quota back once the controller recounts', async () => {
    const pods = JSON.parse((await k(['get', 'pods', '-n', 'quota-race', '-o', 'json'])).stdout).items;
    expect((await k(['delete', 'pod', pods[0].metadata.name, '-n', 'quota-race', '--grace-period=0', '--force'])).code).to.equal(0);
    await synced('quota-race', 'five', { pods: '4' });
    expect((await k(['create', '-f', '-'], pod('quota-race', 'again'))).code).to.equal(0);
  });

  it('compute quotas: requests and limits are charged; a pod that does not state them is refused', async () => {
    expect((await k(['create', 'quota', 'compute', '-n', 'quota-compute', '--hard=requests.cpu=1,limits.memory=1Gi'])).code).to.equal(0);
    await synced('quota-compute', 'compute', { 'requests.cpu': '0' });
    const res = { resources: { requests: { cpu: '600m' }, limits: { memory: '512Mi' } } };
    expect((await k(['create', '-f', '-'], pod('quota-compute', 'one', {}, res))).code).to.equal(0);
    const two = await k(['create', '-f', '-'], pod('quota-compute', 'two', {}, res));
    expect(two.stderr).to.contain(
      'pods "two" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    const bare = await k(['create', '-f', '-'], pod('quota-compute', 'bare'));
    expect(bare.stderr).to.contain('pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');
    const get = await k(['get', 'quota', '-n', 'quota-compute']);
    expect(get.stdout).to.match(/compute\s+\S+\s+requests\.cpu: 600m\/1\s+limits\.memory: 512Mi\/1Gi/);
  });

  it('an update that uses more (a Service turned NodePort) is charged too', async () => {
    const ns = 'quota-compute';
    expect((await k(['create', 'quota', 'nodeports', '-n', ns, '--hard=services.nodeports=1'])).code).to.equal(0);
    await synced(ns, 'nodeports', { 'services.nodeports': '0' });
    expect((await k(['create', 'service', 'clusterip', 'two-ports', '--tcp=80:80,443:443', '-n', ns])).code).to.equal(0);
    const r = await k(['patch', 'service', 'two-ports', '-n', ns, '-p', '{"spec":{"type":"NodePort"}}']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(
      'services "two-ports" is forbidden: exceeded quota: nodeports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
    const svc = JSON.parse((await k(['get', 'service', 'two-ports', '-n', ns, '-o', 'json'])).stdout);
    expect(svc.spec.type).to.equal('ClusterIP');
  });

  it('scopes: BestEffort, NotBestEffort, Terminating and a PriorityClass scopeSelector choose the pods they count', async () => {
    const ns = 'quota-scopes';
    expect((await k(['create', 'quota', 'besteffort', '-n', ns, '--hard=pods=1', '--scopes=BestEffort'])).code).to.equal(0);
    expect((await k(['create', 'quota', 'terminating', '-n', ns, '--hard=pods=1', '--scopes=Terminating'])).code).to.equal(0);
    const bad = await k(['create', 'quota', 'bad', '-n', ns, '--hard=cpu=1', '--scopes=BestEffort']);
    expect(bad.stderr).to.contain('spec.scopes: Invalid value: []string{"BestEffort"}: unsupported scope applied to resource');
    const pc = await k(['create', 'priorityclass', 'high', '--value=1000']);
    expect(pc.code, pc.stderr).to.equal(0);
    const selector = `
apiVersion: v1
kind: ResourceQuota
metadata: { name: high, namespace: ${ns} }
spec:
  hard: { pods: "1" }
  scopeSelector:
    matchExpressions:
    - { scopeName: PriorityClass, operator: In, values: [high] }
`;
    expect((await k(['create', '-f', '-'], selector)).code).to.equal(0);
    for (const q of ['besteffort', 'terminating', 'high']) await synced(ns, q, { pods: '0' });

    expect((await k(['create', '-f', '-'], pod(ns, 'be1'))).code).to.equal(0);
    const be2 = await k(['create', '-f', '-'], pod(ns, 'be2'));
    expect(be2.stderr).to.contain('exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1');
    const burstable = { resources: { requests: { cpu: '10m' } } };
    expect((await k(['create', '-f', '-'], pod(ns, 'nbe1', {}, burstable))).code).to.equal(0);
    expect((await k(['create', '-f', '-'], pod(ns, 'nbe2', {}, burstable))).code).to.equal(0);

    expect((await k(['create', '-f', '-'], pod(ns, 't1', { activeDeadlineSeconds: 60 }, burstable))).code).to.equal(0);
    const t2 = await k(['create', '-f', '-'], pod(ns, 't2', { activeDeadlineSeconds: 60 }, burstable));
    expect(t2.stderr).to.contain('exceeded quota: terminating, requested: pods=1, used: pods=1, limited: pods=1');

    expect((await k(['create', '-f', '-'], pod(ns, 'h1', { priorityClassName: 'high' }, burstable))).code).to.equal(0);
    const h2 = await k(['create', '-f', '-'], pod(ns, 'h2', { priorityClassName: 'high' }, burstable));
    expect(h2.stderr).to.contain('exceeded quota: high, requested: pods=1, used: pods=1, limited: pods=1');
  });

  it('a ResourceQuota with a bad hard limit gets 422 as Kubernetes words it', async () => {
    const r = await k(['create', 'quota', 'neg', '-n', 'quota-count', '--hard=pods=1.5']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('spec.hard[pods]: Invalid value: "1500m": must be an integer');
  });
});
