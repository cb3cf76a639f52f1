// The Job controller's decisions (controllers/job/plan.ts), driven with made-up pods and a
// fixed clock: how many pods to create, when the Job completes or fails and why, back-off,
// deadlines, pod failure policy, suspend, Indexed mode, and counting finished pods once.
import { expect } from 'chai';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { formatIndexes, parseIndexes } from '../src/controllers/job/indexes.ts';
import { type BackoffRecord, planJob, recordFinishedPods } from '../src/controllers/job/plan.ts';
import { COMPLETION_INDEX, JOB_TRACKING_FINALIZER, podForJob } from '../src/controllers/job/pod-template.ts';

const NOW = Date.parse('2024-03-10T10:00:00Z');
const noBackoff: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureTime: 0 };

function job(spec: Partial<NonNullable<V1Job['spec']>> = {}, status: V1Job['status'] = {}): V1Job {
  return {
    metadata: { name: 'work', namespace: 'default', uid: 'job-uid' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
      ...spec,
    },
    status,
  };
}

let serial = 0;
function pod(phase: string, opts: { index?: number; exitCode?: number; finalizer?: boolean; deleting?: boolean; conditions?: any[] } = {}): V1Pod {
  serial++;
  return {
    metadata: {
      name: `work-${serial}`,
      namespace: 'default',
      uid: `pod-${serial}`,
      creationTimestamp: new Date(NOW - 1000 * serial),
      finalizers: opts.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      annotations: opts.index === undefined ? {} : { [COMPLETION_INDEX]: String(opts.index) },
      deletionTimestamp: opts.deleting ? new Date(NOW) : undefined,
    },
    spec: { containers: [{ name: 'main' }], nodeName: 'n1' },
    status: {
      phase,
      conditions: opts.conditions,
      containerStatuses:
        opts.exitCode === undefined
          ? []
          : [
              {
                name: 'main',
                image: '',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { terminated: { exitCode: opts.exitCode, finishedAt: new Date(NOW - 500) } },
              },
            ],
    },
  };
}

/** One whole sync as the controller runs it, with every finalizer removal succeeding. */
function sync(j: V1Job, pods: V1Pod[], now = NOW, backoff = noBackoff) {
  const rec = recordFinishedPods(j, pods, now);
  const recorded = { ...j, status: rec.status };
  const uncounted = new Set([...(rec.status.uncountedTerminatedPods?.succeeded ?? []), ...(rec.status.uncountedTerminatedPods?.failed ?? [])]);
  const released = new Set(pods.filter((p) => uncounted.has(p.metadata!.uid!) || rec.dropOnly.includes(p)).map((p) => p.metadata!.uid!));
  return planJob({ job: recorded, pods, released, now, backoff });
}

const cond = (status: any, type: string) => (status.conditions ?? []).find((c: any) => c.type === type);

describe('job controller decisions', () => {
  it('starts parallelism pods, never more than completions still needed', () => {
    expect(sync(job({ completions: 5, parallelism: 2 }), []).create).to.have.length(2);
    const running = [pod('Running'), pod('Running')];
    const p = sync(job({ completions: 5, parallelism: 2 }, { succeeded: 4 }), running);
    expect(p.create).to.have.length(0);
    expect(p.delete).to.have.length(1);
    expect(p.status.active).to.equal(1);
  });

  it('counts a succeeded pod once through uncountedTerminatedPods and completes', () => {
    const done = pod('Succeeded', { exitCode: 0 });
    const j = job();
    const rec = recordFinishedPods(j, [done], NOW);
    expect(rec.changed).to.equal(true);
    expect(rec.status.uncountedTerminatedPods?.succeeded).to.deep.equal([done.metadata!.uid]);
    expect(rec.status.succeeded).to.equal(undefined);
    // finalizer not yet removed: not counted
    const early = planJob({ job: { ...j, status: rec.status }, pods: [done], released: new Set(), now: NOW, backoff: noBackoff });
    expect(early.status.succeeded).to.equal(undefined);
    expect(early.status.uncountedTerminatedPods?.succeeded).to.have.length(1);
    // removed: counted, and the Job finishes (SuccessCriteriaMet, then Complete since nothing runs)
    const p = sync(j, [done]);
    expect(p.status.succeeded).to.equal(1);
    expect(p.status.uncountedTerminatedPods).to.deep.equal({});
    expect(cond(p.status, 'SuccessCriteriaMet')).to.include({ status: 'True', reason: 'CompletionsReached' });
    expect(cond(p.status, 'Complete')).to.include({ status: 'True' });
    expect(p.status.completionTime).to.be.instanceOf(Date);
    expect(p.events).to.deep.include({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    // the same pod, finalizer gone, is not counted again
    const again = sync({ ...job(), status: { ...p.status, conditions: [] } }, [{ ...done, metadata: { ...done.metadata, finalizers: [] } }]);
    expect(again.status.succeeded).to.equal(1);
  });

  it('does not count again a pod whose finalizer removal the cache has not shown yet', () => {
    const done = pod('Succeeded', { exitCode: 0 });
    const counted = job({ completions: 3, parallelism: 1 }, { succeeded: 1, uncountedTerminatedPods: {} });
    // the pod cache still shows the finalizer this controller removed a moment ago
    const rec = recordFinishedPods(counted, [done], NOW, new Set([done.metadata!.uid!]));
    expect(rec.changed).to.equal(false);
    expect(recordFinishedPods(counted, [done], NOW).changed).to.equal(true);
  });

  it('a running pod deleted by a user counts as failed; one the controller deleted does not', () => {
    const deleting = pod('Running', { deleting: true });
    expect(recordFinishedPods(job(), [deleting], NOW).status.uncountedTerminatedPods?.failed).to.deep.equal([deleting.metadata!.uid]);
    const mine = recordFinishedPods(job(), [deleting], NOW, new Set(), new Set([deleting.metadata!.uid!]));
    expect(mine.changed).to.equal(false);
    expect(mine.dropOnly).to.deep.equal([deleting]);
  });

  it('fails with BackoffLimitExceeded once failures exceed backoffLimit', () => {
    const fails = [pod('Failed', { exitCode: 1 }), pod('Failed', { exitCode: 1 }), pod('Failed', { exitCode: 1 })];
    const p = sync(job({ backoffLimit: 2 }), fails);
    expect(p.status.failed).to.equal(3);
    expect(cond(p.status, 'FailureTarget')).to.include({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(cond(p.status, 'Failed')).to.include({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(p.events).to.deep.include({ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(p.create).to.have.length(0);
  });

  it('waits 10 s doubling (at most 6 min) before replacing failed pods', () => {
    const failed = pod('Failed', { exitCode: 1 });
    const p = sync(job(), [failed]);
    expect(p.status.failed).to.equal(1);
    expect(p.create).to.have.length(0);
    expect(p.backoff.failuresAfterLastSuccess).to.equal(1);
    expect(p.requeueAfterMs).to.be.within(9_000, 10_000);
    const later = planJob({
      job: { ...job(), status: p.status },
      pods: [{ ...failed, metadata: { ...failed.metadata, finalizers: [] } }],
      released: new Set(),
      now: NOW + 10_000,
      backoff: p.backoff,
    });
    expect(later.create).to.have.length(1);
    const many = planJob({ job: job(), pods: [], released: new Set(), now: NOW, backoff: { failuresAfterLastSuccess: 12, lastFailureTime: NOW } });
    expect(many.requeueAfterMs).to.equal(360_000);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and deletes running pods', () => {
    const running = pod('Running');
    const start = new Date(NOW - 31_000);
    const p = sync(job({ activeDeadlineSeconds: 30 }, { startTime: start }), [running]);
    expect(cond(p.status, 'FailureTarget')).to.include({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(p.delete).to.deep.equal([running]);
    expect(cond(p.status, 'Failed')).to.equal(undefined);
    const q = sync(job({ activeDeadlineSeconds: 30 }, { startTime: start }), []);
    expect(q.requeueAfterMs).to.equal(undefined);
  });

  it('podFailurePolicy: FailJob on an exit code, Ignore on DisruptionTarget, Count otherwise', () => {
    const policy = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    };
    const fatal = pod('Failed', { exitCode: 42 });
    const p = sync(job({ podFailurePolicy: policy }), [fatal]);
    expect(cond(p.status, 'Failed')).to.include({ reason: 'PodFailurePolicy' });
    expect(cond(p.status, 'Failed')!.message).to.equal(
      `Container main for pod default/${fatal.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`,
    );
    const evicted = pod('Failed', { exitCode: 137, conditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    const q = sync(job({ podFailurePolicy: policy }), [evicted]);
    expect(q.status.failed).to.equal(undefined);
    expect(q.create).to.have.length(1);
    const other = sync(job({ podFailurePolicy: policy }), [pod('Failed', { exitCode: 1 })]);
    expect(other.status.failed).to.equal(1);
  });

  it('podReplacementPolicy TerminatingOrFailed: a pod being deleted counts as failed at once and is replaced', () => {
    const deleting = pod('Running', { deleting: true });
    const p = sync(job({ podReplacementPolicy: 'TerminatingOrFailed' }), [deleting]);
    expect(p.status.failed).to.equal(1);
    expect(p.status.terminating).to.equal(1);
    // the replacement comes after the failure back-off (10 s)
    expect(p.create).to.have.length(0);
    expect(p.requeueAfterMs).to.be.within(9000, 10_000);
  });

  it('podReplacementPolicy Failed: a pod being deleted holds its place until it is Failed, then counts and is replaced', () => {
    const deleting = pod('Running', { deleting: true });
    const waiting = sync(job({ podReplacementPolicy: 'Failed' }), [deleting]);
    expect(waiting.status.failed).to.equal(undefined);
    expect(waiting.create).to.have.length(0);
    expect(waiting.status.terminating).to.equal(1);
    expect(waiting.status.active).to.equal(undefined);
    expect(waiting.requeueAfterMs).to.equal(undefined);
    const failed = { ...deleting, status: { ...deleting.status, phase: 'Failed' } };
    const after = sync(job({ podReplacementPolicy: 'Failed' }), [failed]);
    expect(after.status.failed).to.equal(1);
    expect(after.status.terminating).to.equal(0);
    expect(after.requeueAfterMs, 'replaced after the back-off').to.be.within(9000, 10_000);
  });

  it('podReplacementPolicy Failed in Indexed mode: the terminating index is not started twice', () => {
    const deleting = pod('Running', { index: 0, deleting: true });
    const p = sync(job({ podReplacementPolicy: 'Failed', completionMode: 'Indexed', completions: 3, parallelism: 3 }), [deleting]);
    expect(p.create.map((c) => c.index)).to.deep.equal([1, 2]);
  });

  it('a pod the controller deleted is no failure, even once the kubelet has ended it Failed', () => {
    const ended = pod('Failed', { deleting: true });
    const rec = recordFinishedPods(job(), [ended], NOW, new Set(), new Set([ended.metadata!.uid!]));
    expect(rec.changed).to.equal(false);
    expect(rec.dropOnly).to.deep.equal([ended]);
  });

  it('suspend deletes active pods without counting them and sets Suspended; resume sets it False', () => {
    const running = pod('Running');
    const p = sync(job({ suspend: true }, { startTime: new Date(NOW - 5000) }), [running]);
    expect(p.delete).to.deep.equal([running]);
    expect(cond(p.status, 'Suspended')).to.include({ status: 'True', reason: 'JobSuspended', message: 'Job suspended' });
    expect(p.status.startTime).to.equal(undefined);
    const terminating = { ...running, metadata: { ...running.metadata, deletionTimestamp: new Date(NOW) } };
    const rec = recordFinishedPods(job({ suspend: true }, p.status), [terminating], NOW);
    expect(rec.changed).to.equal(false);
    expect(rec.dropOnly).to.deep.equal([terminating]);
    const r = sync(job({ suspend: false }, p.status), []);
    expect(cond(r.status, 'Suspended')).to.include({ status: 'False', reason: 'JobResumed' });
    expect(r.create).to.have.length(1);
    expect(r.status.startTime).to.be.instanceOf(Date);
  });

  it('Indexed: one pod per pending index, completedIndexes, and complete when every index succeeded', () => {
    const spec = { completionMode: 'Indexed', completions: 4, parallelism: 2 };
    expect(sync(job(spec), []).create).to.deep.equal([
      { index: 0, failureCount: 0 },
      { index: 1, failureCount: 0 },
    ]);
    const p = sync(job(spec), [pod('Succeeded', { index: 0, exitCode: 0 }), pod('Running', { index: 1 }), pod('Succeeded', { index: 3, exitCode: 0 })]);
    expect(p.status.completedIndexes).to.equal('0,3');
    expect(p.status.succeeded).to.equal(2);
    expect(p.create).to.deep.equal([{ index: 2, failureCount: 0 }]);
    const all = sync(job(spec, { completedIndexes: '0-2' }), [pod('Succeeded', { index: 3, exitCode: 0 })]);
    expect(all.status.completedIndexes).to.equal('0-3');
    expect(cond(all.status, 'Complete')).to.include({ status: 'True' });
  });

  it('backoffLimitPerIndex: an index that fails too often is failed, the others go on', () => {
    const spec = { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 1, backoffLimit: 2147483647 };
    const failedTwice = pod('Failed', { index: 0, exitCode: 1, finalizer: false });
    failedTwice.metadata!.annotations!['batch.kubernetes.io/job-index-failure-count'] = '1';
    const p = sync(job(spec), [failedTwice, pod('Running', { index: 1 })]);
    expect(p.status.failedIndexes).to.equal('0');
    expect(p.create).to.have.length(0);
    const q = sync(job(spec, { failedIndexes: '0' }), [failedTwice, pod('Succeeded', { index: 1, exitCode: 0 })]);
    expect(cond(q.status, 'Failed')).to.include({ reason: 'FailedIndexes', message: 'Job has failed indexes' });
  });

  it('index sets print as Kubernetes does', () => {
    expect(formatIndexes([7, 1, 3, 4, 5])).to.equal('1,3-5,7');
    expect(formatIndexes([1, 2])).to.equal('1,2');
    expect([...parseIndexes('1,3-5,7', 6)]).to.deep.equal([1, 3, 4, 5]);
  });

  it('builds Indexed pods with the index annotation, label, env and hostname, and the tracking finalizer', () => {
    const j = job({ completionMode: 'Indexed', completions: 3 });
    const p = podForJob(j, 2);
    expect(p.metadata?.generateName).to.equal('work-2-');
    expect(p.metadata?.annotations?.[COMPLETION_INDEX]).to.equal('2');
    expect(p.metadata?.labels?.[COMPLETION_INDEX]).to.equal('2');
    expect(p.metadata?.finalizers).to.deep.equal([JOB_TRACKING_FINALIZER]);
    expect(p.spec?.hostname).to.equal('work-2');
    expect(p.spec!.containers[0]!.env).to.deep.equal([
      { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } },
    ]);
    expect(p.metadata?.ownerReferences?.[0]).to.include({ kind: 'Job', name: 'work', uid: 'job-uid', controller: true, blockOwnerDeletion: true });
  });
});
