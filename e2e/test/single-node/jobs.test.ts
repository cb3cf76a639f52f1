// Issue 16 acceptance 1 and 2 on a whole single-node cluster with real pods (kubelet +
// containerd), through the real kubectl: Jobs that complete, fail at their backoffLimit,
// run Indexed, and go away after ttlSecondsAfterFinished; a `*/1 * * * *` CronJob whose
// controller clock runs 20 times faster (--cronjob-time-scale), so a minute passes in 3 s.
import { expect } from 'chai';
import { SHARED_CRONJOB_TIME_SCALE, sharedSingleNodeCluster } from '../../src/single-node/index.ts';
import type { SingleNodeCluster } from '../../src/single-node/index.ts';

const NS = 'jobs-e2e';
const TIME_SCALE = SHARED_CRONJOB_TIME_SCALE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const job = (name: string, spec: string, command: string) => `
apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
${spec
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `  ${l.trim()}`)
  .join('\n')}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", ${JSON.stringify(command)}]
`;

interface JobView {
  metadata: { name: string; uid: string; ownerReferences?: { name: string }[] };
  spec: Record<string, unknown>;
  status: {
    active?: number;
    succeeded?: number;
    failed?: number;
    completedIndexes?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

describe('single node: Jobs and CronJobs with real pods (issue 16)', function () {
  this.timeout(300_000);
  let c: SingleNodeCluster;

  const k = (args: string[], stdin?: string) => c.kubectlOk(['-n', NS, ...args], stdin === undefined ? {} : { stdin });
  const getJob = async (name: string): Promise<JobView> => JSON.parse(await k(['get', 'job', name, '-o', 'json']));
  const jobPods = async (name: string) =>
    JSON.parse(await k(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'json'])).items as {
      metadata: { name: string; finalizers?: string[]; annotations?: Record<string, string> };
      spec: { hostname?: string };
      status: { phase: string };
    }[];
  const condition = (j: JobView, type: string) => j.status.conditions?.find((x) => x.type === type && x.status === 'True');

  before(async function () {
    this.timeout(300_000);
    c = await sharedSingleNodeCluster();
    await c.kubectlOk(['create', 'namespace', NS]);
  });
  after(async function () {
    this.timeout(120_000);
    // the cluster is shared with the other e2e files: only this file's namespace goes
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('a 5-completion, parallelism-2 busybox Job completes, never running more than 2 pods', async () => {
    await k(['apply', '-f', '-'], job('five', 'completions: 5\nparallelism: 2', 'sleep 1; echo done'));
    let maxActive = 0;
    const watcher = (async () => {
      for (let i = 0; i < 600; i++) {
        const j = await getJob('five').catch(() => undefined);
        maxActive = Math.max(maxActive, j?.status.active ?? 0);
        if (j && condition(j, 'Complete')) return;
        await sleep(200);
      }
    })();
    await c.kubectlOk(['-n', NS, 'wait', '--for=condition=complete', 'job/five', '--timeout=150s'], { timeoutMs: 160_000 });
    await watcher;
    const j = await getJob('five');
    expect(j.status.succeeded).to.equal(5);
    expect(j.status.failed ?? 0).to.equal(0);
    expect(maxActive).to.be.within(1, 2);
    const pods = await jobPods('five');
    expect(pods).to.have.length(5);
    for (const p of pods) {
      expect(p.status.phase).to.equal('Succeeded');
      expect(p.metadata.finalizers ?? []).to.not.include('batch.kubernetes.io/job-tracking');
    }
    const table = await k(['get', 'job', 'five']);
    expect(table).to.match(/five\s+Complete\s+5\/5\s+\d+s/);
    const described = await k(['describe', 'job', 'five']);
    expect(described).to.match(/Pods Statuses:\s+0 Active .*\/ 5 Succeeded \/ 0 Failed/);
    expect(described).to.include('SuccessfulCreate');
    expect(described).to.include('Completed');
  });

  it('a failing Job stops at backoffLimit with Failed/BackoffLimitExceeded', async () => {
    await k(['apply', '-f', '-'], job('broken', 'backoffLimit: 1', 'echo failing; exit 3'));
    await c.kubectlOk(['-n', NS, 'wait', '--for=condition=failed', 'job/broken', '--timeout=120s'], { timeoutMs: 130_000 });
    const j = await getJob('broken');
    expect(condition(j, 'Failed')).to.include({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status.failed).to.equal(2);
    expect(condition(j, 'Complete')).to.equal(undefined);
    await sleep(2000);
    expect(await jobPods('broken')).to.have.length(2);
    expect(await k(['get', 'job', 'broken'])).to.match(/broken\s+Failed\s+0\/1/);
    expect(await k(['get', 'events', '--field-selector', 'involvedObject.name=broken'])).to.include('BackoffLimitExceeded');
  });

  it("an Indexed Job's pods see their index in JOB_COMPLETION_INDEX and their hostname", async () => {
    await k(
      ['apply', '-f', '-'],
      job('indexed', 'completions: 3\nparallelism: 3\ncompletionMode: Indexed', 'echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"'),
    );
    await c.kubectlOk(['-n', NS, 'wait', '--for=condition=complete', 'job/indexed', '--timeout=120s'], { timeoutMs: 130_000 });
    const j = await getJob('indexed');
    expect(j.status.completedIndexes).to.equal('0-2');
    const seen: string[] = [];
    for (const p of await jobPods('indexed')) {
      const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      const log = (await k(['logs', p.metadata.name])).trim();
      expect(log).to.equal(`index=${ix} host=indexed-${ix}`);
      seen.push(log);
    }
    expect(seen.sort()).to.deep.equal(['index=0 host=indexed-0', 'index=1 host=indexed-1', 'index=2 host=indexed-2']);
  });

  it('a Job with ttlSecondsAfterFinished=5 is gone about 5 s after it completed, with its pods', async () => {
    await k(['apply', '-f', '-'], job('shortlived', 'ttlSecondsAfterFinished: 5', 'true'));
    await c.kubectlOk(['-n', NS, 'wait', '--for=condition=complete', 'job/shortlived', '--timeout=120s'], { timeoutMs: 130_000 });
    const completedAt = Date.now();
    let goneAfter = -1;
    for (let i = 0; i < 150; i++) {
      const r = await c.kubectl(['-n', NS, 'get', 'job', 'shortlived', '-o', 'name']);
      if (r.code !== 0 && /NotFound|not found/.test(r.stderr)) {
        goneAfter = Date.now() - completedAt;
        break;
      }
      await sleep(200);
    }
    expect(goneAfter, 'job deleted').to.be.within(3000, 12_000);
    for (let i = 0; i < 50 && (await jobPods('shortlived')).length > 0; i++) await sleep(200);
    expect(await jobPods('shortlived')).to.have.length(0);
  });

  it('a */1 CronJob creates Jobs on schedule; Forbid skips while one runs; history limits prune', async () => {
    const minute = 60_000 / TIME_SCALE;
    await k(
      ['apply', '-f', '-'],
      `
apiVersion: batch/v1
kind: CronJob
metadata: { name: tick }
spec:
  schedule: "*/1 * * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 2
  failedJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["sh", "-c", "sleep 4"]
`,
    );
    const names = new Set<string>();
    let maxRunning = 0;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const jobs = JSON.parse(await k(['get', 'jobs', '-o', 'json'])).items as JobView[];
      const mine = jobs.filter((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
      for (const j of mine) names.add(j.metadata.name);
      maxRunning = Math.max(maxRunning, mine.filter((j) => !condition(j, 'Complete') && !condition(j, 'Failed')).length);
      if (names.size >= 4 && mine.filter((j) => condition(j, 'Complete')).length >= 2) break;
      await sleep(minute / 4);
    }
    expect(names.size, 'jobs created').to.be.at.least(4);
    for (const n of names) expect(n).to.match(/^tick-\d{8}$/);
    expect(maxRunning, 'Forbid: at most one run at a time').to.equal(1);
    const events = await k(['get', 'events', '--field-selector', 'involvedObject.name=tick,involvedObject.kind=CronJob']);
    expect(events).to.include('SuccessfulCreate');
    expect(events).to.include('JobAlreadyActive');
    expect(events).to.include('SawCompletedJob');
    // history: at most 2 Complete Jobs are kept once the controller pruned. The limit holds after
    // each of the controller's syncs, as upstream's does: a run that completes between two syncs
    // is a third until the next one, so the count is watched for a while, not read once.
    const completeLeft = async () =>
      (JSON.parse(await k(['get', 'jobs', '-o', 'json'])).items as JobView[]).filter(
        (j) => j.metadata.ownerReferences?.[0]?.name === 'tick' && condition(j, 'Complete'),
      ).length;
    await sleep(minute);
    let left = await completeLeft();
    for (const until = Date.now() + minute * 2; (left < 1 || left > 2) && Date.now() < until; left = await completeLeft()) {
      await sleep(minute / 8);
    }
    expect(left).to.be.within(1, 2);
    const cj = JSON.parse(await k(['get', 'cronjob', 'tick', '-o', 'json']));
    expect(cj.status.lastScheduleTime).to.be.a('string');
    expect(cj.status.lastSuccessfulTime).to.be.a('string');
    const scheduled = (JSON.parse(await k(['get', 'jobs', '-o', 'json'])).items as any[]).find((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
    expect(scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    expect(await k(['get', 'cronjob', 'tick'])).to.match(/tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+[01]\s+\S+/);
    // a manual run from the CronJob's template
    await k(['patch', 'cronjob', 'tick', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    await k(['create', 'job', 'by-hand', '--from=cronjob/tick']);
    await c.kubectlOk(['-n', NS, 'wait', '--for=condition=complete', 'job/by-hand', '--timeout=60s'], { timeoutMs: 70_000 });
  });
});
