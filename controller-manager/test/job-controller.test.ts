// The Job controller against a real apiserver and kubectl, with pod phases written by the test
// (no kubelet): adoption of orphan pods its selector matches, and podReplacementPolicy with
// status.terminating.
import { BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { useApiserver } from '@skiff/common/testing/index';
import { expect } from 'chai';
import type { ControllerManagerHandle } from '../src/manager.ts';
import { kubeConfigFrom, startTestManager, waitFor } from './support/cluster.ts';

const FINALIZER = 'batch.kubernetes.io/job-tracking';

describe('controller-manager: Job adoption and podReplacementPolicy (real apiserver, kubectl)', function () {
  this.timeout(120_000);
  const cluster = useApiserver();
  let cm: ControllerManagerHandle | undefined;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  before(async () => {
    const kc = kubeConfigFrom(cluster.server.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    cm = await startTestManager(cluster.server.kubeconfigPath);
  });
  after(async () => {
    await cm?.stop();
  });

  const kubectl = async (args: string[], stdin?: string) => {
    const r = await cluster.server.kubectl('1.33', args, { stdin });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const job = (name: string) => batch.readNamespacedJob({ name, namespace: 'default' });
  const podsLabelled = async (selector: string) => (await core.listNamespacedPod({ namespace: 'default', labelSelector: selector })).items;
  const setPhase = (pod: V1Pod, phase: string) =>
    core.patchNamespacedPodStatus(
      { name: pod.metadata!.name!, namespace: 'default', body: { status: { phase } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const jobManifest = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'default' },
      spec: {
        completions: 1,
        parallelism: 1,
        template: { metadata: { labels: { app: name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        ...spec,
      },
    });

  it('adopts an orphan pod its selector matches (owner reference and tracking finalizer) instead of creating one, and counts it', async () => {
    await kubectl(['run', 'orphan', '--image=busybox', '--restart=Never', '--labels=app=adopt']);
    await kubectl(['apply', '-f', '-'], jobManifest('adopt', { manualSelector: true, selector: { matchLabels: { app: 'adopt' } } }));
    const adopted = await waitFor('the orphan adopted', async () => {
      const p = await core.readNamespacedPod({ name: 'orphan', namespace: 'default' });
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
      return ref?.kind === 'Job' && ref.name === 'adopt' && p;
    });
    expect(adopted.metadata?.finalizers).to.include(FINALIZER);
    await waitFor('active 1', async () => (await job('adopt')).status?.active === 1);
    expect((await podsLabelled('app=adopt')).map((p) => p.metadata?.name)).to.deep.equal(['orphan']);
    await setPhase(adopted, 'Succeeded');
    const done = await waitFor('Complete', async () => {
      const j = await job('adopt');
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j;
    });
    expect(done.status?.succeeded).to.equal(1);
    const after = await core.readNamespacedPod({ name: 'orphan', namespace: 'default' });
    expect(after.metadata?.finalizers ?? []).to.not.include(FINALIZER);
  });

  const onePod = (name: string) =>
    waitFor(`a pod of ${name}`, async () => {
      const pods = await podsLabelled(`batch.kubernetes.io/job-name=${name}`);
      return pods.length === 1 && pods[0];
    });

  it('podReplacementPolicy Failed: a deleted pod is terminating and not replaced until it is Failed', async () => {
    await kubectl(['apply', '-f', '-'], jobManifest('wait-failed', { podReplacementPolicy: 'Failed', backoffLimit: 3 }));
    const first = await onePod('wait-failed');
    await kubectl(['delete', 'pod', first.metadata!.name!, '--wait=false']);
    const terminating = await waitFor('status.terminating 1', async () => {
      const j: V1Job = await job('wait-failed');
      return j.status?.terminating === 1 && j;
    });
    expect(terminating.status?.failed ?? 0).to.equal(0);
    expect(terminating.status?.active ?? 0).to.equal(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await podsLabelled('batch.kubernetes.io/job-name=wait-failed')).to.have.length(1);
    await setPhase(first, 'Failed');
    const counted = await waitFor('failed 1', async () => {
      const j = await job('wait-failed');
      return j.status?.failed === 1 && j;
    });
    expect(counted.status?.terminating).to.equal(0);
    // the replacement comes after the 10 s failure back-off
    await waitFor(
      'a replacement',
      async () => (await podsLabelled('batch.kubernetes.io/job-name=wait-failed')).some((p) => !p.metadata?.deletionTimestamp),
      30_000,
    );
  });

  it('podReplacementPolicy TerminatingOrFailed: a deleted pod counts as failed at once', async () => {
    await kubectl(['apply', '-f', '-'], jobManifest('eager', { podReplacementPolicy: 'TerminatingOrFailed', backoffLimit: 3 }));
    const first = await onePod('eager');
    await kubectl(['delete', 'pod', first.metadata!.name!, '--wait=false']);
    const j = await waitFor('failed 1', async () => {
      const j = await job('eager');
      return j.status?.failed === 1 && j;
    });
    expect(j.status?.active ?? 0).to.equal(0);
  });
});
