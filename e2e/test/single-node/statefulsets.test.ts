// Issue 16, acceptance 4 and 6 (StatefulSet) on a whole single-node cluster with real
// containers: ordered start, stable DNS names through a headless Service, a pod that comes back
// with its claim and data, a partitioned rolling update, scale-down keeping claims, and undo.
import { expect } from 'chai';
import { sharedSingleNodeCluster, stopSharedSingleNodeCluster } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';
import { waitFor as waitForProbe } from '@skiff/common/testing/index';

const NS = 'sts-e2e';

const WEB = `
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ name: web, port: 80 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: web
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: 127.0.0.1:5000/skiff/busybox:latest
        command: ['sh', '-c', 'echo started $(hostname) >> /data/log; exec sleep 3600']
        volumeMounts: [{ name: data, mountPath: /data }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec:
      accessModes: [ReadWriteOnce]
      resources: { requests: { storage: 10Mi } }
`;

interface PodJson {
  metadata: { name: string; uid: string; creationTimestamp: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { containers: { env?: { name: string; value?: string }[] }[]; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
  status: { podIP?: string; phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

/** Whether nslookup's output gives `ip` as an answer (10.244.0.1 must not match 10.244.0.12). */
const answers = (out: string, ip: string) => new RegExp(`Address:?\\s+${ip.replace(/\./g, '\\.')}(?![\\d.:])`, 'm').test(out);
const isReady = (p: PodJson) => p.status.phase === 'Running' && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
const readySince = (p: PodJson) => Date.parse(p.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');

describe('single node: StatefulSet with a headless Service and claims (issue 16)', function () {
  this.timeout(240_000);
  let c: SingleNodeCluster;

  const kubectl = (args: string[]) => c.kubectlOk(['-n', NS, ...args], { timeoutMs: 60_000 });
  const exec = (pod: string, cmd: string[]) => c.kubectl(['-n', NS, 'exec', pod, '--', ...cmd], { version: '1.32', timeoutMs: 30_000 });
  async function pods(): Promise<PodJson[]> {
    const list = JSON.parse(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: PodJson[] };
    return list.items.filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }
  const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> =>
    waitForProbe(what, probe, timeoutMs, undefined, () => `--- controller-manager log:\n${c.logTail('controller-manager', 20)}`);

  const readyPods = (n: number) =>
    waitFor(`${n} ready web pods`, 120_000, async () => {
      const ps = await pods();
      const sts = JSON.parse(await kubectl(['get', 'sts', 'web', '-o', 'json']));
      return ps.length === n && ps.every(isReady) && sts.status.readyReplicas === n && sts.status.observedGeneration === sts.metadata.generation && ps;
    });
  const env = (p: PodJson) => p.spec.containers[0]!.env?.find((e) => e.name === 'VERSION')?.value;

  before(async function () {
    this.timeout(300_000);
    c = await sharedSingleNodeCluster();
    await c.kubectlOk(['create', 'namespace', NS]);
  });
  after(async function () {
    this.timeout(120_000);
    // the last file that shares the single-node cluster (alphabetically) stops it, so the
    // suites after e2e run on a quiet machine
    await stopSharedSingleNodeCluster();
  });

  it('starts web-0, web-1, web-2 in order, each once the one before is Running and Ready', async () => {
    await c.kubectlOk(['-n', NS, 'apply', '-f', '-'], { stdin: WEB });
    const ps = await readyPods(3);
    expect(ps.map((p) => p.metadata.name)).to.deep.equal(['web-0', 'web-1', 'web-2']);
    for (let i = 1; i < 3; i++) {
      // creation timestamps have whole seconds: created no earlier than the second the previous became ready
      expect(Date.parse(ps[i]!.metadata.creationTimestamp), `web-${i} created after web-${i - 1} was ready`).to.be.at.least(
        Math.floor(readySince(ps[i - 1]!) / 1000) * 1000,
      );
    }
    const claims = (await kubectl(['get', 'pvc', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}'])).trim().split(' ').sort();
    expect(claims).to.deep.equal(['data-web-0=Bound', 'data-web-1=Bound', 'data-web-2=Bound']);
    const status = await kubectl(['rollout', 'status', 'sts/web', '--timeout=30s']);
    expect(status).to.include('roll out complete');
  });

  it('each pod resolves the others as <pod>.web.<ns>.svc.cluster.local, and web.<ns> to all of them', async () => {
    const ps = await pods();
    for (const from of ps) {
      for (const to of ps) {
        if (to === from) continue;
        const name = `${to.metadata.name}.web.${NS}.svc.cluster.local`;
        const r = await waitFor(`${from.metadata.name} resolves ${name}`, 20_000, async () => {
          const out = await exec(from.metadata.name, ['nslookup', name]);
          // busybox nslookup also asks for AAAA, whose empty answer may set its exit code: read the output
          return answers(out.stdout, to.status.podIP!) && out;
        });
        expect(answers(r.stdout, to.status.podIP!), r.stdout).to.equal(true);
      }
    }
    const all = await exec('web-0', ['nslookup', `web.${NS}.svc.cluster.local`]);
    expect(all.stdout, all.stderr).to.include(`web.${NS}.svc.cluster.local`);
    for (const p of ps) expect(answers(all.stdout, p.status.podIP!), all.stdout).to.equal(true);
    // the pod's own hostname is its name, and the kubelet's /etc/hosts gives it its stable FQDN
    expect((await exec('web-1', ['hostname'])).stdout.trim()).to.equal('web-1');
    const web1 = ps.find((p) => p.metadata.name === 'web-1')!;
    const hosts = (await exec('web-1', ['cat', '/etc/hosts'])).stdout;
    expect(hosts, hosts).to.include(`${web1.status.podIP}\tweb-1.web.${NS}.svc.cluster.local\tweb-1\n`);
  });

  it('a deleted web-1 comes back as web-1 with the same claim and the data written before', async () => {
    const w = await exec('web-1', ['sh', '-c', 'echo kept-by-web-1 > /data/note']);
    expect(w.code, w.stderr).to.equal(0);
    const before = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    await kubectl(['delete', 'pod', 'web-1', '--wait=false']);
    const back = await waitFor('web-1 back and ready', 90_000, async () => {
      const p = (await pods()).find((x) => x.metadata.name === 'web-1');
      return p && p.metadata.uid !== before.metadata.uid && isReady(p) && p;
    });
    expect(back.spec.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).to.equal('data-web-1');
    const r = await exec('web-1', ['cat', '/data/note']);
    expect(r.stdout.trim()).to.equal('kept-by-web-1');
    expect((await exec('web-1', ['cat', '/data/log'])).stdout.trim().split('\n')).to.deep.equal(['started web-1', 'started web-1']);
  });

  it('a rolling update with partition=2 replaces only web-2; rollout undo returns the previous template', async () => {
    await kubectl(['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}']);
    await kubectl(['set', 'env', 'sts/web', 'VERSION=2']);
    const updated = await waitFor('web-2 updated', 90_000, async () => {
      const ps = await pods();
      return ps.length === 3 && ps.every(isReady) && env(ps[2]!) === '2' && ps;
    });
    expect(updated.map(env)).to.deep.equal([undefined, undefined, '2']);
    const sts = JSON.parse(await kubectl(['get', 'sts', 'web', '-o', 'json']));
    expect(sts.status.updatedReplicas).to.equal(1);
    expect(sts.status.currentRevision).to.not.equal(sts.status.updateRevision);
    expect(updated[2]!.metadata.labels?.['controller-revision-hash']).to.equal(sts.status.updateRevision);
    expect(updated[0]!.metadata.labels?.['controller-revision-hash']).to.equal(sts.status.currentRevision);

    const history = await kubectl(['rollout', 'history', 'sts/web']);
    expect(history).to.match(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const undo = await kubectl(['rollout', 'undo', 'sts/web']);
    expect(undo).to.include('statefulset.apps/web rolled back');
    const template = JSON.parse(await kubectl(['get', 'sts', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0]}']));
    expect(template.env).to.equal(undefined);
    const reverted = await waitFor('web-2 reverted', 90_000, async () => {
      const ps = await pods();
      return ps.length === 3 && ps.every(isReady) && env(ps[2]!) === undefined && ps;
    });
    const after = JSON.parse(await kubectl(['get', 'sts', 'web', '-o', 'json']));
    expect(reverted[2]!.metadata.labels?.['controller-revision-hash']).to.equal(sts.status.currentRevision);
    expect(after.status.updateRevision).to.equal(sts.status.currentRevision);
  });

  it('scaling to 1 removes web-2 and web-1 and keeps every claim', async () => {
    await kubectl(['scale', 'sts/web', '--replicas=1']);
    const ps = await readyPods(1);
    expect(ps.map((p) => p.metadata.name)).to.deep.equal(['web-0']);
    const claims = (await kubectl(['get', 'pvc', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    expect(claims).to.deep.equal(['data-web-0', 'data-web-1', 'data-web-2']);
  });
});
