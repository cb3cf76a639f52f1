// The watch handler encodes an event once for all the watchers that get the same frozen object
// (handlers/watch.ts sharedEventLine): each watcher must still get exactly the JSON of what it
// was given, and a line is reused only when that cannot differ.
import { expect } from 'chai';
import { sharedEventLine, sharedEventProtobufFrame } from '../src/handlers/watch.ts';
import { decodeProtobufWatchFrames, encodeProtobufObject, protobufWatchFrame } from '../src/protobuf/index.ts';
import { deepFreeze, shareable } from '../src/storage/frozen.ts';
import type { KObject } from '../src/registry/types.ts';

/** What the watch cache and the store give each watcher: a shallow copy with apiVersion and kind set. */
function delivered(frozen: KObject, apiVersion = 'v1', kind = 'Pod'): KObject {
  const copy = shareable(frozen);
  copy.apiVersion = apiVersion;
  copy.kind = kind;
  return copy;
}

const line = (type: string, object: KObject) => `${JSON.stringify({ type, object })}\n`;

function pod(name: string, rv: string): KObject {
  return deepFreeze({
    metadata: { name, namespace: 'default', resourceVersion: rv, labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Pending' },
  } as KObject);
}

describe('watch event lines shared by the watchers of one event', () => {
  it('gives every watcher of the same frozen object the JSON of its copy', () => {
    const stored = pod('p1', '10');
    const first = delivered(stored);
    const second = delivered(stored);
    expect(sharedEventLine('ADDED', first)).to.equal(line('ADDED', first));
    expect(sharedEventLine('ADDED', second)).to.equal(line('ADDED', second));
  });

  it('encodes again when the type, a top-level field or a metadata field differs', () => {
    const stored = pod('p2', '11');
    sharedEventLine('ADDED', delivered(stored));
    expect(sharedEventLine('MODIFIED', delivered(stored))).to.equal(line('MODIFIED', delivered(stored)));
    const otherVersion = delivered(stored, 'v2');
    expect(sharedEventLine('MODIFIED', otherVersion)).to.equal(line('MODIFIED', otherVersion));
    const renamed = delivered(stored);
    renamed.metadata.resourceVersion = '12';
    expect(sharedEventLine('MODIFIED', renamed)).to.equal(line('MODIFIED', renamed));
    const extraKey = delivered(stored) as KObject & { extra?: string };
    extraKey.extra = 'x';
    expect(sharedEventLine('MODIFIED', extraKey)).to.equal(line('MODIFIED', extraKey));
  });

  it('does not reuse a line for an object that is not frozen, even when it is the same one', () => {
    const mutable = { metadata: { name: 'p3', resourceVersion: '13' }, spec: { nodeName: '' } } as KObject;
    sharedEventLine('MODIFIED', mutable);
    (mutable.spec as { nodeName: string }).nodeName = 'node-1';
    expect(sharedEventLine('MODIFIED', mutable)).to.equal(line('MODIFIED', mutable));
  });

  it('tells apart two objects of the same name and version that are not the same frozen object', () => {
    const a = pod('p4', '14');
    const b = deepFreeze({ ...pod('p4', '14'), status: { phase: 'Running' } } as KObject);
    sharedEventLine('MODIFIED', delivered(a));
    expect(sharedEventLine('MODIFIED', delivered(b))).to.equal(line('MODIFIED', delivered(b)));
  });

  it('shares protobuf frames the same way, apart from the JSON lines of the same event', () => {
    const stored = pod('p5', '15');
    const frame = (type: string, object: KObject) => protobufWatchFrame(type, encodeProtobufObject(object as Record<string, unknown>));
    const first = sharedEventProtobufFrame('ADDED', delivered(stored));
    expect(sharedEventLine('ADDED', delivered(stored))).to.equal(line('ADDED', delivered(stored)));
    expect(sharedEventProtobufFrame('ADDED', delivered(stored))).to.equal(first);
    expect(first.equals(frame('ADDED', delivered(stored)))).to.equal(true);
    const renamed = delivered(stored);
    renamed.metadata.resourceVersion = '16';
    const again = sharedEventProtobufFrame('ADDED', renamed);
    expect(again.equals(frame('ADDED', renamed))).to.equal(true);
    const { events, rest } = decodeProtobufWatchFrames(Buffer.concat([first, again]));
    expect(rest.length).to.equal(0);
    expect(events.map((e) => [e.type, e.object.kind, (e.object.object.metadata as { resourceVersion: string }).resourceVersion])).to.deep.equal([
      ['ADDED', 'Pod', '15'],
      ['ADDED', 'Pod', '16'],
    ]);
  });
});
