// The encodings kept with cached objects (pipeline/encoded-objects.ts): a list built from kept
// encodings must be byte for byte what encoding the whole list writes, and an encoding is used
// again only for a copy that cannot encode differently.
import { expect } from 'chai';
import { EncodingCache, objectJson, objectProtobuf } from '../src/pipeline/encoded-objects.ts';
import { decodeProtobufObject, encodeProtobufList, encodeProtobufObject } from '../src/protobuf/index.ts';
import type { KObject } from '../src/registry/types.ts';
import { deepFreeze, shareable } from '../src/storage/frozen.ts';

/** What the watch cache and the store hand out: a shallow copy with apiVersion and kind set. */
function listed(frozen: KObject): KObject {
  const copy = shareable(frozen);
  copy.apiVersion = 'v1';
  copy.kind = 'Pod';
  return copy;
}

function pod(name: string, rv: string, phase = 'Pending'): KObject {
  return deepFreeze({
    metadata: { name, namespace: 'default', resourceVersion: rv, labels: { app: 'a' }, creationTimestamp: '2026-12-07T21:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '100m' } } }], nodeName: 'n1' },
    status: { phase },
  } as KObject);
}

describe('encodings kept with cached objects', () => {
  it('encodes each cached object once for every copy that is listed', () => {
    let encoded = 0;
    const cache = new EncodingCache((obj) => {
      encoded += 1;
      return JSON.stringify(obj);
    });
    const stored = pod('p1', '10');
    const first = cache.of(listed(stored));
    const second = cache.of(listed(stored));
    expect(second).to.equal(first);
    expect(first).to.equal(JSON.stringify(listed(stored)));
    expect(encoded).to.equal(1);
    // a copy of the copy (a spread) is an object of its own: encoded afresh
    expect(cache.of({ ...listed(stored) })).to.equal(first);
    expect(encoded).to.equal(2);
  });

  it('encodes afresh a copy changed at its top level or in its metadata, and an object not from the cache', () => {
    const stored = pod('p2', '11');
    objectJson.of(listed(stored));
    const relabelled = listed(stored);
    relabelled.metadata.labels = { app: 'b' };
    expect(objectJson.of(relabelled).toString()).to.equal(JSON.stringify(relabelled));
    const otherKind = listed(stored);
    otherKind.kind = 'Thing';
    expect(objectJson.of(otherKind).toString()).to.equal(JSON.stringify(otherKind));
    const withStatus = listed(stored);
    withStatus.status = { phase: 'Running' };
    expect(objectJson.of(withStatus).toString()).to.equal(JSON.stringify(withStatus));
    const plain = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p3' }, spec: { nodeName: '' } } as KObject;
    objectJson.of(plain);
    (plain.spec as { nodeName: string }).nodeName = 'n2';
    expect(objectJson.of(plain).toString()).to.equal(JSON.stringify(plain));
  });

  it('a list built from kept JSON and protobuf messages is the whole list encoded', () => {
    const stored = [pod('a', '1'), pod('b', '2', 'Running'), pod('c', '3')];
    const metadata = { resourceVersion: '3', continue: 'tok', remainingItemCount: 4 };
    for (let round = 0; round < 2; round++) {
      const items = stored.map(listed);
      const list = { kind: 'PodList', apiVersion: 'v1', metadata, items };
      const fromKept = `{"kind":"PodList","apiVersion":"v1","metadata":${JSON.stringify(metadata)},"items":[${items.map((i) => objectJson.of(i).toString()).join(',')}]}`;
      expect(fromKept).to.equal(JSON.stringify(list));
      const protobuf = encodeProtobufList(
        list,
        items.map((i) => objectProtobuf.of(i)),
      );
      expect(protobuf.equals(encodeProtobufObject(list as unknown as Record<string, unknown>))).to.equal(true);
      const decoded = decodeProtobufObject(protobuf).object as { items: Array<{ metadata: { name: string } }> };
      expect(decoded.items.map((i) => i.metadata.name)).to.deep.equal(['a', 'b', 'c']);
    }
  });
});
