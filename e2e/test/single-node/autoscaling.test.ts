// Issue 18 acceptance 2 on a whole single-node cluster (kubelet over containerd, the metrics
// server of services.sh behind the aggregator, the HPA controller), through the real kubectl:
// a Deployment whose pod burns CPU while /tmp/load exists, `kubectl autoscale --cpu-percent=50
// --min=1 --max=3`; load on → 1 replica becomes ≥3 within 90 s; load off → back to 1 once the
// shortened downscale window (shared.ts: --horizontal-pod-autoscaler-downscale-stabilization)
// has passed. Every replica change is recorded: up only while loaded, down only after, no flapping.
// Measured on the shared 2-core machine: ≥3 replicas 15 s after the load began, 1 replica 51 s
// after it ended (30 s window); changes 1 → 3 → 1.
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '@skiff/common/testing/index';
import { SHARED_HPA_DOWNSCALE_SECONDS, sharedSingleNodeCluster } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';

const NS = 'autoscaling-e2e';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// 50m requested: one busy loop is several times the 50% target even on this shared machine
// (about 200m measured, and its limit holds it there so that it does not take the other lanes'
// cores), and with 3 pods it stays above the 2-pod threshold (50m) under load;
// an idle pod (a 1 s sleep loop) uses nearly nothing
const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: burner }
spec:
  replicas: 1
  selector: { matchLabels: { app: burner } }
  template:
    metadata: { labels: { app: burner } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: busybox
        resources: { requests: { cpu: 50m }, limits: { cpu: 200m } }
        command: ["sh", "-c", "while :; do if [ -e /tmp/load ]; then while [ -e /tmp/load ]; do :; done; else sleep 1; fi; done"]
`;

interface Change {
  atMs: number;
  replicas: number;
}

describe('single node: HorizontalPodAutoscaler on CPU load (issue 18)', function () {
  this.timeout(600_000);
  let c: SingleNodeCluster;
  const k = (args: string[], stdin?: string) => c.kubectlOk(['-n', NS, ...args], stdin === undefined ? {} : { stdin });
  const replicas = async () => Number(await k(['get', 'deployment', 'burner', '-o', 'jsonpath={.spec.replicas}']));
  const changes: Change[] = [];
  let watching = true;
  let watcher: Promise<void> | undefined;

  before(async function () {
    this.timeout(300_000);
    c = await sharedSingleNodeCluster();
    await c.kubectlOk(['create', 'namespace', NS]);
    await k(['apply', '-f', '-'], deployment);
    await k(['rollout', 'status', 'deployment/burner', '--timeout=180s']);
  });
  after(async () => {
    watching = false;
    await watcher;
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('scales 1 → ≥3 within 90 s of load, and back to 1 after the load and the downscale window, without flapping', async () => {
    const hpa = await k(['autoscale', 'deployment', 'burner', '--cpu-percent=50', '--min=1', '--max=3']);
    expect(hpa.trim()).to.equal('horizontalpodautoscaler.autoscaling/burner autoscaled');
    // the autoscaler sees the idle pod first: it reports a utilization and stays at 1
    let targets = '';
    for (let i = 0; i < 60 && !/cpu: \d+%\/50%/.test(targets); i++) {
      await sleep(2000);
      targets = await k(['get', 'hpa', 'burner', '--no-headers']);
    }
    expect(targets, 'the HPA never reported a CPU utilization').to.match(/burner\s+Deployment\/burner\s+cpu: \d+%\/50%\s+1\s+3\s+1\s+/);
    expect(await replicas()).to.equal(1);

    // One poller records every replica change, and the waits below read what it saw: the HPA
    // acts once per sync period (5 s here), so a read every 2 s misses no step, and the waits
    // need no kubectl runs of their own (make test is CPU-bound; each run costs ~0.2 s of CPU).
    let seenReplicas = 1;
    watcher = (async () => {
      changes.push({ atMs: Date.now(), replicas: 1 });
      while (watching) {
        const now = await replicas().catch(() => seenReplicas);
        if (now !== seenReplicas) changes.push({ atMs: Date.now(), replicas: now });
        seenReplicas = now;
        await sleep(2000);
      }
    })();

    const pod = (await k(['get', 'pods', '-l', 'app=burner', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await k(['exec', pod, '--', 'touch', '/tmp/load']);
    const loadStart = Date.now();
    while (Date.now() - loadStart < 90_000 && seenReplicas < 3) await sleep(500);
    const scaledUpAfter = Date.now() - loadStart;
    expect(await replicas(), `replica changes: ${JSON.stringify(changes)}`).to.be.at.least(3);
    // let it settle under load, then stop it
    await sleep(20_000);
    await k(['exec', pod, '--', 'rm', '-f', '/tmp/load']);
    const loadEnd = Date.now();
    // the samples need a scrape or two to fall, then the window has to pass
    const budget = SHARED_HPA_DOWNSCALE_SECONDS * 1000 + 120_000;
    while (Date.now() - loadEnd < budget && seenReplicas !== 1) await sleep(500);
    const scaledDownAfter = Date.now() - loadEnd;
    await sleep(10_000); // and it stays there
    watching = false;
    await watcher;

    const seen = changes.map((ch) => ch.replicas);
    expect(seen.at(-1), `replica changes: ${JSON.stringify(changes)}`).to.equal(1);
    // up while loaded, down after: never down under load, never up after it
    for (const ch of changes.slice(1)) {
      const prev = changes[changes.indexOf(ch) - 1]!;
      if (ch.atMs < loadEnd) expect(ch.replicas, `a scale-down under load: ${JSON.stringify(changes)}`).to.be.greaterThan(prev.replicas);
      else expect(ch.replicas, `a scale-up after the load: ${JSON.stringify(changes)}`).to.be.lessThan(prev.replicas);
    }
    // not before the window: the first step down comes at least the window after the load ended
    const firstDown = changes.find((ch) => ch.atMs >= loadEnd);
    expect(firstDown!.atMs - loadEnd).to.be.at.least(SHARED_HPA_DOWNSCALE_SECONDS * 1000 - 5000);
    process.stderr.write(
      `      HPA: ≥3 replicas ${Math.round(scaledUpAfter / 1000)} s after load, 1 replica ${Math.round(scaledDownAfter / 1000)} s after it; changes ${seen.join(' → ')}\n`,
    );

    const events = await k(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={.items[*].reason}']);
    expect(events).to.include('SuccessfulRescale');
    const described = await k(['describe', 'hpa', 'burner']);
    expect(described).to.match(/AbleToScale\s+True/);
    expect(described).to.match(/ScalingActive\s+True\s+ValidMetricFound/);
    expect(described).to.include('New size: 1; reason: All metrics below target');
  });
  it('the load demo of manifests/10-autoscaling.yaml: a busybox wget loop on /cgi-bin/burn scales it up', async () => {
    const demo = 'autoscaling-demo-e2e';
    await c.kubectlOk(['create', 'namespace', demo]);
    try {
      await c.kubectlOk(['-n', demo, 'apply', '-f', join(repoRoot(), 'manifests', '10-autoscaling.yaml')]);
      await c.kubectlOk(['-n', demo, 'rollout', 'status', 'deployment/burn', '--timeout=180s']);
      const load = 'while :; do wget -qO- http://burn/cgi-bin/burn >/dev/null; done';
      await c.kubectlOk(['-n', demo, 'run', 'load', '--image=127.0.0.1:5000/skiff/busybox:latest', '--restart=Never', '--', 'sh', '-c', load]);
      const started = Date.now();
      let n = 1;
      while (Date.now() - started < 180_000 && n < 2) {
        await sleep(2000);
        n = Number(await c.kubectlOk(['-n', demo, 'get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}']));
      }
      const hpaNow = await c.kubectlOk(['-n', demo, 'get', 'hpa', 'burn', '--no-headers']);
      expect(n, hpaNow).to.be.at.least(2);
      process.stderr.write(`      demo: ${n} replicas ${Math.round((Date.now() - started) / 1000)} s after the load generator started\n`);
    } finally {
      // the generator's shell is PID 1 and ignores SIGTERM: without --now it would load the
      // node for the whole 30 s grace period after the test
      await c.kubectl(['-n', demo, 'delete', 'pod', 'load', '--now', '--wait=false']);
      await c.kubectl(['delete', 'namespace', demo, '--wait=false']);
    }
  });
});
