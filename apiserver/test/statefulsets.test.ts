// apps/v1 StatefulSet through the real kubectl: Kubernetes' defaults, the 422s of
// ValidateStatefulSet(Update), the scale subresource and the printed table.
import { expect } from 'chai';
import { decodeProtobufObject, encodeProtobufObject } from '../src/protobuf/index.ts';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, namespace: 'default' },
  spec: {
    serviceName: name,
    replicas: 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      // mounts the claim by its template's name, which is no volume of the template
      spec: { containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } }],
    ...extra,
  },
});

describe('apps/v1 statefulsets', function () {
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

  it('defaults as Kubernetes does, templates included', async () => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(manifest('web')));
    expect(r.code, r.stderr).to.equal(0);
    const sts = JSON.parse(r.stdout);
    expect(sts.spec.podManagementPolicy).to.equal('OrderedReady');
    expect(sts.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(sts.spec.revisionHistoryLimit).to.equal(10);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).to.deep.equal({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec.volumeMode).to.equal('Filesystem');
    expect(sts.spec.volumeClaimTemplates[0].status).to.deep.equal({ phase: 'Pending' });
    expect(sts.spec.template.spec.restartPolicy).to.equal('Always');
    expect(sts.spec.template.spec.dnsPolicy).to.equal('ClusterFirst');
    expect(sts.metadata.generation).to.equal(1);
  });

  it('defaults replicas to 1 and leaves OnDelete without rollingUpdate', async () => {
    const m = manifest('once', { updateStrategy: { type: 'OnDelete' } }) as any;
    delete m.spec.replicas;
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(m));
    expect(r.code, r.stderr).to.equal(0);
    const sts = JSON.parse(r.stdout);
    expect(sts.spec.replicas).to.equal(1);
    expect(sts.spec.updateStrategy).to.deep.equal({ type: 'OnDelete' });
  });

  it('prints NAME READY AGE (wide: CONTAINERS IMAGES) and answers to sts and to the all category', async () => {
    const table = await k(['get', 'sts']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+READY\s+AGE$/);
    expect(table.stdout).to.match(/\nweb\s+0\/3\s+\d+s/);
    const wide = await k(['get', 'statefulset', 'web', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).to.match(/^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES$/);
    expect(wide.stdout).to.match(/web\s+0\/3\s+\S+\s+c\s+busybox/);
    const described = await k(['describe', 'sts', 'web']);
    expect(described.code, described.stderr).to.equal(0);
    expect(described.stdout).to.match(/Update Strategy:\s+RollingUpdate\n\s+Partition:\s+0/);
    expect(described.stdout).to.match(/Volume Claims:\n\s+Name:\s+data/);
    const explain = await k(['explain', 'statefulset.spec.podManagementPolicy']);
    expect(explain.code, explain.stderr).to.equal(0);
    expect(explain.stdout).to.include('podManagementPolicy');
    const all = await k(['get', 'all']);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.include('statefulset.apps/web');
  });

  it('refuses a selector that does not match, a bad policy, strategy and retention with 422 causes', async () => {
    const bad = manifest('bad', {
      selector: { matchLabels: { app: 'other' } },
      podManagementPolicy: 'Sometimes',
      updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' },
      ordinals: { start: -1 },
    });
    const r = await k(['create', '-f', '-'], JSON.stringify(bad));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('The StatefulSet "bad" is invalid');
    expect(r.stderr).to.include('spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`');
    expect(r.stderr).to.include(`spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'`);
    expect(r.stderr).to.include(`spec.updateStrategy.rollingUpdate: Invalid value`);
    expect(r.stderr).to.include(`only allowed for updateStrategy 'RollingUpdate'`);
    expect(r.stderr).to.include('spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Delete", "Retain"');
    expect(r.stderr).to.include('spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0');
    const zero = await k(
      ['create', '-f', '-'],
      JSON.stringify(manifest('zero', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } } })),
    );
    expect(zero.stderr).to.include('spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0');
    // a mount of neither a volume nor a claim template is still refused
    const unknownMount = manifest('mount') as any;
    unknownMount.spec.template.spec.containers[0].volumeMounts.push({ name: 'logs', mountPath: '/logs' });
    const mount = await k(['create', '-f', '-'], JSON.stringify(unknownMount));
    expect(mount.stderr).to.include('spec.template.spec.containers[0].volumeMounts[1].name: Invalid value: "logs": not found: must match the name of a volume');
    const noName = await k(['create', '-f', '-'], JSON.stringify(manifest('noname', { volumeClaimTemplates: [{ spec: {} }] })));
    expect(noName.stderr).to.include('spec.volumeClaimTemplates[0].metadata.name: Required value');
  });

  it('lets replicas, template, updateStrategy and minReadySeconds change but nothing else', async () => {
    const ok = await k([
      'patch',
      'sts',
      'web',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { minReadySeconds: 3, updateStrategy: { rollingUpdate: { partition: 2 } }, persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete' } },
      }),
    ]);
    expect(ok.code, ok.stderr).to.equal(0);
    const r = await k(['patch', 'sts', 'web', '--type=merge', '-p', JSON.stringify({ spec: { serviceName: 'other', podManagementPolicy: 'Parallel' } })]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include(
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds' are forbidden",
    );
    const claims = await k([
      'patch',
      'sts',
      'web',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/volumeClaimTemplates/0/metadata/name', value: 'x' }]),
    ]);
    expect(claims.stderr).to.include('updates to statefulset spec for fields other than');
  });

  it('scales through the scale subresource and keeps the status on spec writes', async () => {
    const r = await k(['scale', 'sts/web', '--replicas=5']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('statefulset.apps/web scaled');
    const scale = await k(['get', '--raw', '/apis/apps/v1/namespaces/default/statefulsets/web/scale']);
    const s = JSON.parse(scale.stdout);
    expect(s.spec.replicas).to.equal(5);
    expect(s.status.selector).to.equal('app=web');
    const sts = JSON.parse((await k(['get', 'sts', 'web', '-o', 'json'])).stdout);
    expect(sts.spec.replicas).to.equal(5);
    expect(sts.status.replicas).to.equal(0);
  });

  it('round-trips through protobuf with the partition and collisionCount zeros kept', async () => {
    const json = JSON.parse((await k(['get', 'sts', 'web', '-o', 'json'])).stdout);
    json.status.collisionCount = 0;
    const back = decodeProtobufObject(encodeProtobufObject(json)).object;
    expect(back.spec).to.deep.equal(json.spec);
    expect((back as any).status.collisionCount).to.equal(0);
  });
});
