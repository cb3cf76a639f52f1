// Protobuf responses over HTTPS, as kube-apiserver answers client-go and kubectl when Accept
// puts application/vnd.kubernetes.protobuf first: objects, lists, Status errors and watch frames
// carry the same objects as the JSON answers; a kind without a protobuf form (a custom
// resource, a Table) is answered in what else Accept allows, or refused before anything is done.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { until, useApiserver, type ApiserverHandle } from '@skiff/common/testing/index';
import { decodeProtobufObject, decodeProtobufWatchFrames, encodeProtobufObject, isProtobufBody } from '../src/protobuf/index.ts';

const ns = 'pb';
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
/** client-go's Accept for typed clients */
const CLIENT_GO = `${PROTOBUF},application/json`;
const PARTIAL_LIST = `${PROTOBUF};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`;

const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'pb' } }, data });

interface WatchFrames {
  events: Array<{ type: string; object: Record<string, any> }>;
  contentType: () => string;
  stop(): void;
}

/** A watch read as protobuf frames until stopped. */
function openProtobufWatch(server: ApiserverHandle, path: string): WatchFrames {
  const events: WatchFrames['events'] = [];
  let contentType = '';
  let buffered = Buffer.alloc(0);
  const req = https.request(`${server.url}${path}`, {
    ca: readFileSync(server.pki.caCert),
    cert: readFileSync(server.pki.admin.cert),
    key: readFileSync(server.pki.admin.key),
    headers: { Accept: CLIENT_GO },
  });
  req.on('response', (res) => {
    contentType = String(res.headers['content-type']);
    res.on('data', (c: Buffer) => {
      const { events: decoded, rest } = decodeProtobufWatchFrames(Buffer.concat([buffered, c]));
      buffered = Buffer.from(rest);
      for (const e of decoded) events.push({ type: e.type, object: e.object.object });
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { events, contentType: () => contentType, stop: () => req.destroy() };
}

describe('protobuf responses over HTTPS', function () {
  this.timeout(60_000);
  const cluster = useApiserver();
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    cluster.server.request(method, path, { body: body as any, headers });
  const asJson = async (path: string) => JSON.parse((await call('GET', path)).body);
  const decoded = (r: { headers: Record<string, unknown>; bytes: Buffer }) => {
    expect(r.headers['content-type']).to.equal(PROTOBUF);
    expect(isProtobufBody(r.bytes)).to.equal(true);
    return decodeProtobufObject(r.bytes);
  };

  before(async () => {
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).to.equal(201);
  });

  it('GET and LIST answer protobuf holding the objects the JSON answers hold', async () => {
    for (const name of ['a', 'b', 'c']) expect((await call('POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(name, { k: name }))).status).to.equal(201);
    const one = decoded(await call('GET', `/api/v1/namespaces/${ns}/configmaps/b`, undefined, { Accept: CLIENT_GO }));
    expect(one).to.include({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(one.object).to.deep.equal(await asJson(`/api/v1/namespaces/${ns}/configmaps/b`));

    const list = decoded(await call('GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=app%3Dpb`, undefined, { Accept: PROTOBUF }));
    expect(list.kind).to.equal('ConfigMapList');
    const json = await asJson(`/api/v1/namespaces/${ns}/configmaps?labelSelector=app%3Dpb`);
    expect((list.object.metadata as { resourceVersion: string }).resourceVersion)
      .to.be.a('string')
      .and.not.equal('');
    // items carry no kind in protobuf (a list's items are typed by the list)
    const strip = (items: Array<Record<string, unknown>>) => items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    expect(strip(list.object.items as Array<Record<string, unknown>>)).to.deep.equal(strip(json.items));
    expect((list.object.items as unknown[]).length).to.equal(3);
  });

  it('a write with a protobuf body answers protobuf; a write without a protobuf Accept answers JSON', async () => {
    const body = encodeProtobufObject(configMap('written', { from: 'protobuf' }));
    const created = await call('POST', `/api/v1/namespaces/${ns}/configmaps`, body, { 'content-type': PROTOBUF, Accept: CLIENT_GO });
    expect(created.status).to.equal(201);
    expect(decoded(created).object).to.deep.equal(await asJson(`/api/v1/namespaces/${ns}/configmaps/written`));
    const patched = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/written`, JSON.stringify({ data: { more: 'x' } }), {
      'content-type': 'application/merge-patch+json',
      Accept: CLIENT_GO,
    });
    expect(patched.status).to.equal(200);
    expect(decoded(patched).object.data).to.deep.equal({ from: 'protobuf', more: 'x' });
    const plain = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/written`, JSON.stringify({ data: { last: 'y' } }), {
      'content-type': 'application/merge-patch+json',
    });
    expect(plain.headers['content-type']).to.equal('application/json');
  });

  it('errors are a protobuf Status when protobuf is asked for first', async () => {
    const missing = await call('GET', `/api/v1/namespaces/${ns}/configmaps/nope`, undefined, { Accept: CLIENT_GO });
    expect(missing.status).to.equal(404);
    const status = decoded(missing);
    expect(status.kind).to.equal('Status');
    expect(status.object).to.include({ status: 'Failure', reason: 'NotFound', code: 404, message: 'configmaps "nope" not found' });
    const conflict = await call('POST', `/api/v1/namespaces/${ns}/configmaps`, encodeProtobufObject(configMap('a', {})), {
      'content-type': PROTOBUF,
      Accept: PROTOBUF,
    });
    expect(conflict.status).to.equal(409);
    expect(decoded(conflict).object).to.include({ reason: 'AlreadyExists', code: 409 });
  });

  it('metadata-only lists come as a protobuf PartialObjectMetadataList; Tables stay JSON', async () => {
    const partial = decoded(await call('GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=app%3Dpb`, undefined, { Accept: PARTIAL_LIST }));
    expect(partial).to.include({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList' });
    const items = partial.object.items as Array<{ metadata: { name: string }; data?: unknown }>;
    expect(items.map((i) => i.metadata.name)).to.include.members(['a', 'b', 'c']);
    expect(items.every((i) => i.data === undefined)).to.equal(true);

    const table = await call('GET', `/api/v1/namespaces/${ns}/configmaps`, undefined, {
      Accept: `${PROTOBUF};as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io,application/json`,
    });
    expect(table.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(table.body)).to.include({ kind: 'Table' });
  });

  it('a custom resource is answered in JSON when Accept allows it, and a protobuf-only write is refused before it happens', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.pb.example.com' },
      spec: {
        group: 'pb.example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).to.equal(201);
    const path = `/apis/pb.example.com/v1/namespaces/${ns}/gadgets`;
    await until('the custom resource is served', async () => (await call('GET', path)).status === 200, 20_000);
    const gadget = (name: string) => ({ apiVersion: 'pb.example.com/v1', kind: 'Gadget', metadata: { name }, spec: { size: 1 } });

    const refused = await call('POST', path, gadget('refused'), { Accept: PROTOBUF });
    expect(refused.status).to.equal(406);
    expect(JSON.parse(refused.body)).to.include({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    expect((await call('GET', `${path}/refused`)).status).to.equal(404);

    const created = await call('POST', path, gadget('fine'), { Accept: CLIENT_GO });
    expect(created.status).to.equal(201);
    expect(created.headers['content-type']).to.equal('application/json');
    const listed = await call('GET', path, undefined, { Accept: CLIENT_GO });
    expect(listed.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(listed.body).items.map((i: { metadata: { name: string } }) => i.metadata.name)).to.deep.equal(['fine']);
  });

  it('a watch streams length-prefixed WatchEvent frames, the same to every watcher', async () => {
    const rv = (await asJson(`/api/v1/namespaces/${ns}/configmaps`)).metadata.resourceVersion;
    const path = `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dwatched`;
    const first = openProtobufWatch(cluster.server, path);
    const second = openProtobufWatch(cluster.server, path);
    try {
      await until('both watches answered', () => first.contentType() !== '' && second.contentType() !== '', 10_000, 20);
      expect(first.contentType()).to.equal(`${PROTOBUF};stream=watch`);
      expect((await call('POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('watched', { v: '1' }))).status).to.equal(201);
      expect(
        (
          await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/watched`, JSON.stringify({ data: { v: '2' } }), {
            'content-type': 'application/merge-patch+json',
          })
        ).status,
      ).to.equal(200);
      expect((await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/watched`)).status).to.equal(200);
      await until('three events for each watcher', () => first.events.length >= 3 && second.events.length >= 3, 10_000, 20);
      expect(first.events.map((e) => [e.type, e.object.data?.v])).to.deep.equal([
        ['ADDED', '1'],
        ['MODIFIED', '2'],
        ['DELETED', '2'],
      ]);
      expect(second.events).to.deep.equal(first.events);
      expect(first.events[0]!.object).to.include({ apiVersion: 'v1', kind: 'ConfigMap' });
    } finally {
      first.stop();
      second.stop();
    }
  });

  it('a watch from a too old resourceVersion ends with a protobuf ERROR frame holding a 410 Status', async () => {
    const w = openProtobufWatch(cluster.server, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=1`);
    try {
      await until('the ERROR event', () => w.events.length > 0, 10_000, 20);
      expect(w.events[0]!.type).to.equal('ERROR');
      expect(w.events[0]!.object).to.include({ kind: 'Status', code: 410, reason: 'Expired' });
    } finally {
      w.stop();
    }
  });
});
