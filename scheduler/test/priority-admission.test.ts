// resolvePodPriority (apiserver/src/registry/admission/priority.ts) over the apiserver's real
// etcd storage: class lookup, the global default, and the Forbidden answers.
import { expect } from 'chai';
import { sharedEtcd, uniqueEtcdPrefix } from '@skiff/common/testing/index';
import { createStorage } from '@skiff/apiserver/storage/index';
import { resolvePodPriority, checkSingleGlobalDefault } from '@skiff/apiserver/registry/admission/priority';

describe('priority admission', function () {
  this.timeout(30_000);
  let storage: Awaited<ReturnType<typeof createStorage>>;
  const ctx = () => ({ user: { name: 'admin', groups: [] }, dryRun: false, services: { storage } });
  const pc = (name: string, value: number, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    preemptionPolicy: 'PreemptLowerPriority',
    ...extra,
  });
  const pod = (spec: Record<string, unknown> = {}) => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...spec } });

  before(async () => {
    storage = await createStorage({ endpoints: [(await sharedEtcd()).url], prefix: uniqueEtcdPrefix(), cache: false });
    await storage.create('/registry/priorityclasses/high', pc('high', 1000));
    await storage.create('/registry/priorityclasses/never', pc('never', 500, { preemptionPolicy: 'Never' }));
  });
  after(async () => {
    await storage?.close();
  });

  it('resolves a named class into spec.priority and preemptionPolicy', async () => {
    const p = pod({ priorityClassName: 'never' });
    await resolvePodPriority(p as any, ctx() as any);
    expect(p.spec).to.include({ priority: 500, preemptionPolicy: 'Never' });
  });

  it('answers Forbidden for an unknown class or a contradicting priority', async () => {
    const unknown = await resolvePodPriority(pod({ priorityClassName: 'nope' }) as any, ctx() as any).catch((e) => e);
    expect(unknown.code).to.equal(403);
    expect(unknown.message).to.equal('pods "p" is forbidden: no PriorityClass with name nope was found');
    const contra = await resolvePodPriority(pod({ priorityClassName: 'high', priority: 5 }) as any, ctx() as any).catch((e) => e);
    expect(contra.message).to.contain('the integer value of priority (5) must not be provided in pod spec');
  });

  it('uses 0 without a default class, the global default once one exists, and allows only one', async () => {
    const before = pod();
    await resolvePodPriority(before as any, ctx() as any);
    expect(before.spec).to.include({ priority: 0 });
    await storage.create('/registry/priorityclasses/base', pc('base', 7, { globalDefault: true }));
    const after = pod();
    await resolvePodPriority(after as any, ctx() as any);
    expect(after.spec).to.include({ priority: 7, priorityClassName: 'base' });
    const second = await checkSingleGlobalDefault(pc('other', 8, { globalDefault: true }) as any, ctx() as any).catch((e) => e);
    expect(second.message).to.contain('PriorityClass base is already marked as default. Only one default can exist');
  });
});
