// ServiceAccount, Priority and DefaultTolerationSeconds through the real kubectl.
import { expect } from 'chai';
import { type ApiserverHandle, sharedEtcd, sharedPki, startApiserver } from '@skiff/common/testing/index';

const pod = (name: string, spec: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

describe('admission: pod plugins', function () {
  this.timeout(120_000);
  let server: ApiserverHandle;
  before(async function () {
    this.timeout(60_000);
    const pki = await sharedPki();
    // with a signing key the apiserver issues tokens, so the ServiceAccount plugin mounts them
    server = await startApiserver({
      etcdUrl: (await sharedEtcd()).url,
      extraArgs: [`--service-account-signing-key-file=${pki.serviceAccountKey}`, '--default-unreachable-toleration-seconds=120'],
    });
  });
  after(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string) => server.kubectl('1.33', args, { stdin });
  const create = async (manifest: string) => {
    const r = await k(['create', '-f', '-', '-o', 'json'], manifest);
    return { ...r, obj: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };

  it('ServiceAccount: runs as "default" unless told otherwise, with a kube-api-access token volume', async () => {
    const a = await create(pod('sa-default'));
    expect(a.obj.spec).to.include({ serviceAccountName: 'default', serviceAccount: 'default' });
    const b = await create(pod('sa-named', { serviceAccountName: 'robot' }));
    expect(b.obj.spec).to.include({ serviceAccountName: 'robot', serviceAccount: 'robot' });
    const [volume] = a.obj.spec.volumes;
    expect(volume.name).to.match(/^kube-api-access-[a-z0-9]{5}$/);
    expect(volume.projected.sources.map((s: Record<string, unknown>) => Object.keys(s)[0])).to.deep.equal(['serviceAccountToken', 'configMap', 'downwardAPI']);
    expect(a.obj.spec.containers[0].volumeMounts).to.deep.include({
      name: volume.name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    const optOut = await create(pod('sa-off', { automountServiceAccountToken: false }));
    expect(optOut.obj.spec.volumes ?? []).to.deep.equal([]);
  });

  it('DefaultTolerationSeconds: 300 s for not-ready, --default-unreachable-toleration-seconds for unreachable, unless the pod tolerates them', async () => {
    const a = await create(pod('tol-default'));
    expect(a.obj.spec.tolerations).to.deep.equal([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 },
    ]);
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 };
    const b = await create(pod('tol-own', { tolerations: [own] }));
    expect(b.obj.spec.tolerations).to.deep.equal([
      own,
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const c = await create(pod('tol-all', { tolerations: [{ operator: 'Exists' }] }));
    expect(c.obj.spec.tolerations).to.deep.equal([{ operator: 'Exists' }]);
  });

  it('Priority: from the named class, Forbidden for an unknown one or a contradicting value', async () => {
    const pc = (name: string, value: number, extra = '') =>
      `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"${name}"},"value":${value}${extra}}`;
    expect((await create(pc('high', 1000))).code).to.equal(0);
    expect((await create(pc('never', 500, ',"preemptionPolicy":"Never"'))).code).to.equal(0);
    const a = await create(pod('prio-never', { priorityClassName: 'never' }));
    expect(a.obj.spec).to.include({ priority: 500, preemptionPolicy: 'Never', priorityClassName: 'never' });
    const crit = await create(pod('prio-crit', { priorityClassName: 'system-cluster-critical' }));
    expect(crit.obj.spec.priority).to.equal(2000000000);
    const unknown = await create(pod('prio-nope', { priorityClassName: 'nope' }));
    expect(unknown.stderr.trim()).to.equal(
      'Error from server (Forbidden): error when creating "STDIN": pods "prio-nope" is forbidden: no PriorityClass with name nope was found',
    );
    const contra = await create(pod('prio-contra', { priorityClassName: 'high', priority: 5 }));
    expect(contra.stderr).to.include(
      'pods "prio-contra" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
  });

  it('Priority: the global default applies to pods without a class, and only one default may exist', async () => {
    const pc = (name: string, value: number) =>
      `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"${name}"},"value":${value},"globalDefault":true}`;
    expect((await create(pod('prio-zero'))).obj.spec.priority).to.equal(0);
    expect((await create(pc('base', 7))).code).to.equal(0);
    const p = await create(pod('prio-base'));
    expect(p.obj.spec).to.include({ priority: 7, priorityClassName: 'base' });
    const second = await create(pc('other', 8));
    expect(second.stderr).to.include(
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass base is already marked as default. Only one default can exist',
    );
    expect((await k(['get', 'priorityclass', 'other'])).code).to.equal(1);
  });

  it('Priority: an update keeps the priority creation computed', async () => {
    const got = JSON.parse((await k(['get', 'pod', 'prio-never', '-o', 'json'])).stdout);
    delete got.spec.priority;
    delete got.spec.preemptionPolicy;
    got.metadata.labels = { touched: 'yes' };
    const r = await k(['replace', '-f', '-', '-o', 'json'], JSON.stringify(got));
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).spec).to.include({ priority: 500, preemptionPolicy: 'Never' });
  });
});
