// PodDisruptionBudget, the pods/eviction subresource, ReplicationController and PodTemplate
// through the real kubectl (issue 16); the disruption controller is not running here, so the
// tests write a budget's status through /status as the controller would.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

type Json = Record<string, any>;

const ns = 'default';
const pod = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
});
const rc = (name: string, extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
    ...extra,
  },
});

describe('policy/v1 PodDisruptionBudget, pods/eviction, ReplicationController and PodTemplate', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    server = await startApiserver({ etcdUrl: (await sharedEtcd()).url });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string, version = '1.33') => server.kubectl(version, args, { stdin });
  const create = async (obj: unknown, version = '1.33') => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(obj), version);
    return { ...r, obj: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };
  const get = async (path: string): Promise<Json> => {
    const r = await server.request('GET', path);
    expect(r.status, r.body).to.equal(200);
    return JSON.parse(r.body);
  };
  const pdbPath = (name: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`;
  /** What the disruption controller would write: the budget's status for its generation. */
  const setBudgetStatus = async (name: string, status: Json) => {
    const cur = await get(pdbPath(name));
    const r = await server.request('PUT', `${pdbPath(name)}/status`, {
      body: { ...cur, status: { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: cur.metadata.generation, ...status } },
    });
    expect(r.status, r.body).to.equal(200);
  };
  /** A pod Running with Ready as given, as a kubelet reports it. */
  const runPod = async (name: string, labels: Record<string, string>, ready = true) => {
    expect((await create(pod(name, labels))).code).to.equal(0);
    const cur = await get(`/api/v1/namespaces/${ns}/pods/${name}`);
    const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = await server.request('PUT', `/api/v1/namespaces/${ns}/pods/${name}/status`, {
      body: { ...cur, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }] } },
    });
    expect(r.status, r.body).to.equal(200);
  };
  const evict = (name: string, deleteOptions?: Json, query = '') =>
    server.request('POST', `/api/v1/namespaces/${ns}/pods/${name}/eviction${query}`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, ...(deleteOptions ? { deleteOptions } : {}) },
    });
  const podGone = async (name: string) => (await server.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`)).status === 404;

  describe('PodDisruptionBudget', () => {
    it('kubectl create pdb stores the budget with a zero status and prints the columns of Kubernetes', async () => {
      const r = await k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=2']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('poddisruptionbudget.policy/web created');
      const pdb = await get(pdbPath('web'));
      expect(pdb.spec).to.deep.equal({ minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
      expect(pdb.status).to.deep.equal({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
      expect(pdb.metadata.generation).to.equal(1);
      const out = await k(['get', 'pdb', 'web']);
      expect(out.code, out.stderr).to.equal(0);
      const [head, row] = out.stdout.split('\n');
      expect(head!.split(/\s{2,}/)).to.deep.equal(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
      expect(row).to.match(/^web\s+2\s+N\/A\s+0\s+\d+s$/);
      const pct = await k(['create', 'pdb', 'half', '--selector=app=half', '--max-unavailable=50%']);
      expect(pct.code, pct.stderr).to.equal(0);
      expect((await k(['get', 'pdb', 'half', '--no-headers'])).stdout).to.match(/^half\s+N\/A\s+50%\s+0\s+/);
    });

    it('kubectl describe shows the selector, the budget and the allowed disruptions', async () => {
      const r = await k(['describe', 'pdb', 'web']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Name:\s+web/);
      expect(r.stdout).to.match(/Min available:\s+2/);
      expect(r.stdout).to.match(/Selector:\s+app=web/);
      expect(r.stdout).to.match(/Allowed disruptions:\s+0/);
    });

    it('refuses both minAvailable and maxUnavailable, percentages over 100%, negative counts and unknown policies (422)', async () => {
      const body = (spec: Json) => ({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'bad' },
        spec: { selector: { matchLabels: { a: 'b' } }, ...spec },
      });
      const both = await create(body({ minAvailable: 1, maxUnavailable: 1 }));
      expect(both.code).to.not.equal(0);
      expect(both.stderr).to.include('minAvailable and maxUnavailable cannot be both set');
      const pct = await create(body({ maxUnavailable: '150%' }));
      expect(pct.stderr).to.include('spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%');
      const neg = await create(body({ minAvailable: -1 }));
      expect(neg.stderr).to.include('spec.minAvailable: Invalid value: -1: must be greater than or equal to 0');
      const notPct = await create(body({ minAvailable: 'half' }));
      expect(notPct.stderr).to.include('spec.minAvailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending \'%\'');
      const policy = await create(body({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' }));
      expect(policy.stderr).to.include('spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"');
      const raw = await server.request('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
        body: body({ minAvailable: 1, maxUnavailable: '10%' }),
      });
      expect(raw.status).to.equal(422);
      expect(JSON.parse(raw.body).details.causes[0].field).to.equal('spec');
      const ok = await create(body({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' }));
      expect(ok.code, ok.stderr).to.equal(0);
      expect((await k(['delete', 'pdb', 'bad'])).code).to.equal(0);
    });

    it('keeps status out of spec writes and spec out of /status writes; a spec change bumps the generation', async () => {
      await setBudgetStatus('web', { disruptionsAllowed: 3 });
      const patched = await k(['patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":1},"status":{"disruptionsAllowed":9}}', '-o', 'json']);
      expect(patched.code, patched.stderr).to.equal(0);
      const obj = JSON.parse(patched.stdout);
      expect(obj.spec.minAvailable).to.equal(1);
      expect(obj.status.disruptionsAllowed).to.equal(3);
      expect(obj.metadata.generation).to.equal(2);
      const bad = await server.request('PUT', `${pdbPath('web')}/status`, { body: { ...obj, status: { ...obj.status, disruptionsAllowed: -1 } } });
      expect(bad.status).to.equal(422);
      expect(bad.body).to.include('status.disruptionsAllowed');
    });
  });

  describe('pods/eviction', () => {
    it('is listed in discovery as a policy/v1 Eviction subresource that kubectl drain can use', async () => {
      const list = await get('/api/v1');
      const sub = list.resources.find((r: Json) => r.name === 'pods/eviction');
      expect(sub).to.include({ group: 'policy', version: 'v1', kind: 'Eviction' });
      expect(sub.verbs).to.deep.equal(['create']);
    });

    it('deletes a pod no budget selects', async () => {
      await runPod('free', { app: 'free' });
      const r = await evict('free');
      expect(r.status, r.body).to.equal(201);
      expect(JSON.parse(r.body)).to.include({ kind: 'Status', status: 'Success' });
      expect(await podGone('free')).to.equal(true);
      // policy/v1beta1 Evictions are accepted too, as Kubernetes' EvictionREST accepts both versions
      await runPod('free-beta', { app: 'free' });
      const beta = await server.request('POST', `/api/v1/namespaces/${ns}/pods/free-beta/eviction`, {
        body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'free-beta', namespace: ns } },
      });
      expect(beta.status, beta.body).to.equal(201);
      expect(await podGone('free-beta')).to.equal(true);
    });

    it('answers 429 with the DisruptionBudget cause when the budget allows no disruption', async () => {
      expect((await k(['create', 'pdb', 'guard', '--selector=app=guarded', '--min-available=2'])).code).to.equal(0);
      await setBudgetStatus('guard', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 });
      await runPod('guarded-a', { app: 'guarded' });
      await runPod('guarded-b', { app: 'guarded' });
      const r = await evict('guarded-a');
      expect(r.status, r.body).to.equal(429);
      const status = JSON.parse(r.body);
      expect(status).to.include({ reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.", code: 429 });
      expect(status.details.causes).to.deep.equal([
        { reason: 'DisruptionBudget', message: 'The disruption budget guard needs 2 healthy pods and has 2 currently' },
      ]);
      expect(await podGone('guarded-a')).to.equal(false);
    });

    it('spends one allowed disruption: records the pod in disruptedPods, then deletes it with a DisruptionTarget condition', async () => {
      await setBudgetStatus('guard', { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 });
      // a dry run spends nothing
      const dry = await evict('guarded-a', undefined, '?dryRun=All');
      expect(dry.status, dry.body).to.equal(201);
      expect((await get(pdbPath('guard'))).status.disruptionsAllowed).to.equal(1);
      expect(await podGone('guarded-a')).to.equal(false);

      const r = await evict('guarded-a');
      expect(r.status, r.body).to.equal(201);
      expect(await podGone('guarded-a')).to.equal(true);
      const pdb = await get(pdbPath('guard'));
      expect(pdb.status.disruptionsAllowed).to.equal(0);
      expect(Object.keys(pdb.status.disruptedPods)).to.deep.equal(['guarded-a']);
      const cond = pdb.status.conditions.find((c: Json) => c.type === 'DisruptionAllowed');
      expect(cond).to.include({ status: 'False', reason: 'InsufficientPods' });
      // the budget is spent: the next eviction is refused
      expect((await evict('guarded-b')).status).to.equal(429);
    });

    it('waits (429, still being processed) while the controller has not observed the latest generation', async () => {
      await setBudgetStatus('guard', { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2 });
      expect((await k(['patch', 'pdb', 'guard', '--type=merge', '-p', '{"spec":{"minAvailable":1}}'])).code).to.equal(0);
      const r = await evict('guarded-b');
      expect(r.status).to.equal(429);
      expect(JSON.parse(r.body).details).to.deep.include({ retryAfterSeconds: 10 });
      expect(JSON.parse(r.body).details.causes[0].message).to.equal('The disruption budget guard is still being processed by the server.');
    });

    it('deletes an unready pod when the budget is healthy, or always with unhealthyPodEvictionPolicy AlwaysAllow', async () => {
      await setBudgetStatus('guard', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 1 });
      await runPod('guarded-unready', { app: 'guarded' }, false);
      const r = await evict('guarded-unready');
      expect(r.status, r.body).to.equal(201);
      expect(await podGone('guarded-unready')).to.equal(true);
      expect((await get(pdbPath('guard'))).status.disruptionsAllowed).to.equal(0);

      await k(['create', 'pdb', 'lenient', '--selector=app=lenient', '--min-available=3']);
      await setBudgetStatus('lenient', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 3 });
      await runPod('lenient-unready', { app: 'lenient' }, false);
      expect((await evict('lenient-unready')).status).to.equal(429);
      expect((await k(['patch', 'pdb', 'lenient', '--type=merge', '-p', '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}'])).code).to.equal(0);
      await setBudgetStatus('lenient', { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 3 });
      expect((await evict('lenient-unready')).status).to.equal(201);
      expect(await podGone('lenient-unready')).to.equal(true);
    });

    it('deletes pods that are pending or finished without asking the budget', async () => {
      expect((await create(pod('guarded-pending', { app: 'guarded' }))).code).to.equal(0);
      const r = await evict('guarded-pending');
      expect(r.status, r.body).to.equal(201);
      expect(await podGone('guarded-pending')).to.equal(true);
    });

    it('refuses a pod two budgets select, as Kubernetes does (500 Status)', async () => {
      await k(['create', 'pdb', 'guard-too', '--selector=app=guarded', '--max-unavailable=1']);
      const r = await evict('guarded-b');
      expect(r.status).to.equal(500);
      expect(JSON.parse(r.body)).to.include({
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      });
      expect(await podGone('guarded-b')).to.equal(false);
    });

    it('honours the deleteOptions preconditions of the Eviction', async () => {
      await runPod('precise', { app: 'precise' });
      const r = await evict('precise', { preconditions: { uid: 'not-the-uid' } });
      expect(r.status).to.equal(409);
      expect(await podGone('precise')).to.equal(false);
    });
  });

  describe('ReplicationController and PodTemplate', () => {
    it('creates an rc with defaults, prints DESIRED CURRENT READY AGE, and scales through /scale', async () => {
      const r = await create(rc('legacy'));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.obj.metadata.labels).to.deep.equal({ app: 'legacy' });
      expect(r.obj.spec.template.spec.restartPolicy).to.equal('Always');
      const out = await k(['get', 'rc', 'legacy']);
      expect(out.stdout.split('\n')[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
      expect(out.stdout.split('\n')[1]).to.match(/^legacy\s+2\s+0\s+0\s+\d+s$/);
      const scaled = await k(['scale', 'rc', 'legacy', '--replicas=4']);
      expect(scaled.code, scaled.stderr).to.equal(0);
      expect(scaled.stdout.trim()).to.equal('replicationcontroller/legacy scaled');
      expect((await get(`/api/v1/namespaces/${ns}/replicationcontrollers/legacy`)).spec.replicas).to.equal(4);
      const scale = await get(`/api/v1/namespaces/${ns}/replicationcontrollers/legacy/scale`);
      expect(scale.status).to.deep.equal({ replicas: 0, selector: 'app=legacy' });
      const d = await k(['describe', 'rc', 'legacy']);
      expect(d.code, d.stderr).to.equal(0);
      expect(d.stdout).to.match(/Replicas:\s+0 current \/ 4 desired/);
    });

    it('defaults the selector from the template labels and refuses a selector the template does not match (422)', async () => {
      const noSelector = rc('derived');
      delete (noSelector.spec as Json).selector;
      const r = await create(noSelector);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.obj.spec.selector).to.deep.equal({ app: 'derived' });
      const bad = await create(rc('mismatch', { selector: { app: 'other' } }));
      expect(bad.code).to.not.equal(0);
      expect(bad.stderr).to.include(
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`',
      );
      const never = await create(
        rc('never', { template: { metadata: { labels: { app: 'never' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } }),
      );
      expect(never.stderr).to.include('spec.template.spec.restartPolicy: Unsupported value: "Never"');
    });

    it('creates, lists and validates PodTemplates', async () => {
      const r = await create({
        apiVersion: 'v1',
        kind: 'PodTemplate',
        metadata: { name: 'tpl' },
        template: { metadata: { labels: { app: 'tpl' } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.obj.template.spec.dnsPolicy).to.equal('ClusterFirst');
      const out = await k(['get', 'podtemplates']);
      expect(out.stdout.split('\n')[0]!.split(/\s{2,}/)).to.deep.equal(['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS']);
      expect(out.stdout).to.match(/tpl\s+c\s+registry.local\/app:1\s+app=tpl/);
      const bad = await create({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'empty' }, template: { spec: { containers: [] } } });
      expect(bad.stderr).to.include('template.spec.containers: Required value');
    });
  });

  describe('kubectl get all', () => {
    it('lists the kinds of the all category, replication controllers included', async () => {
      const r = await k(['get', 'all', '-n', ns]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('pod/precise');
      expect(r.stdout).to.include('replicationcontroller/legacy');
      expect(r.stdout).to.include('service/kubernetes');
      expect(r.stdout).to.not.include('poddisruptionbudget');
      expect(r.stdout).to.not.include('podtemplate');
    });

    it('carries the categories in legacy and aggregated discovery', async () => {
      const legacy = await get('/api/v1');
      const byName = (name: string) => legacy.resources.find((x: Json) => x.name === name);
      expect(byName('replicationcontrollers')).to.deep.include({ categories: ['all'], shortNames: ['rc'] });
      expect(byName('pods').categories).to.deep.equal(['all']);
      expect(byName('podtemplates').categories).to.equal(undefined);
      const policy = await get('/apis/policy/v1');
      expect(policy.resources.find((x: Json) => x.name === 'poddisruptionbudgets')).to.deep.include({
        shortNames: ['pdb'],
        namespaced: true,
        kind: 'PodDisruptionBudget',
      });
      const agg = await server.request('GET', '/api', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
      expect(agg.status).to.equal(200);
      const core = JSON.parse(agg.body).items[0].versions[0].resources;
      const rcEntry = core.find((x: Json) => x.resource === 'replicationcontrollers');
      expect(rcEntry.categories).to.deep.equal(['all']);
      expect(rcEntry.subresources.map((x: Json) => x.subresource).sort()).to.deep.equal(['scale', 'status']);
    });
  });
});
