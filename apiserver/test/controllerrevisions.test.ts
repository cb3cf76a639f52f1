// apps/v1 ControllerRevision through the real kubectl: the history kind that DaemonSets and
// StatefulSets keep. Its data is an opaque snapshot that may never change once written.
import { expect } from 'chai';
import { decodeProtobufObject, encodeProtobufObject } from '../src/protobuf/index.ts';
import { type ApiserverHandle, sharedEtcd, startApiserver } from '@skiff/common/testing/index';

const revision = (name: string, rev: number, data: unknown = { spec: { template: { metadata: { labels: { app: 'web' } } } } }) => ({
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  revision: rev,
  data,
});

describe('apps/v1 controllerrevisions', function () {
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

  it('creates one, keeps its data as written and prints CONTROLLER and REVISION', async () => {
    const r = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify(revision('web-5d8f', 1)));
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).data).to.deep.equal({ spec: { template: { metadata: { labels: { app: 'web' } } } } });
    const table = await k(['get', 'controllerrevisions']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+CONTROLLER\s+REVISION\s+AGE$/);
    expect(table.stdout).to.match(/web-5d8f\s+<none>\s+1\s+/);
  });

  it('round-trips through protobuf with its raw data and a zero revision kept', async () => {
    const json = JSON.parse((await k(['get', 'controllerrevision', 'web-5d8f', '-o', 'json'])).stdout);
    const back = decodeProtobufObject(encodeProtobufObject(json)).object;
    expect(back.data).to.deep.equal(json.data);
    expect(back.revision).to.equal(1);
    const zero = decodeProtobufObject(encodeProtobufObject({ ...json, revision: 0 })).object;
    expect(zero.revision).to.equal(0);
  });

  it('refuses a revision without data, a negative revision, and any change of data', async () => {
    const noData = await k(['create', '-f', '-'], JSON.stringify({ ...revision('empty', 1), data: undefined }));
    expect(noData.code).to.not.equal(0);
    expect(noData.stderr).to.contain('data: Required value');
    const negative = await k(['create', '-f', '-'], JSON.stringify(revision('neg', -1)));
    expect(negative.code).to.not.equal(0);
    expect(negative.stderr).to.contain('revision: Invalid value: -1');
    const changed = await k(['patch', 'controllerrevision', 'web-5d8f', '--type=merge', '-p', '{"data":{"spec":{"x":1}}}']);
    expect(changed.code).to.not.equal(0);
    expect(changed.stderr).to.contain('data: Invalid value').and.to.contain('field is immutable');
    const relabel = await k(['label', 'controllerrevision', 'web-5d8f', 'kept=yes']);
    expect(relabel.code, relabel.stderr).to.equal(0);
  });
});
