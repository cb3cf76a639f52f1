// The event recorder's own logic with an in-memory sink: aggregation of repeats into count,
// a new Event once the stored one is gone or the window passed, and the bounded queue.
import { expect } from 'chai';
import type { CoreV1Event } from '@kubernetes/client-node';
import { EventRecorder, type EventSink } from '../src/events.ts';

class MemorySink implements EventSink {
  events = new Map<string, CoreV1Event>();
  async create(namespace: string, ev: CoreV1Event): Promise<void> {
    this.events.set(`${namespace}/${ev.metadata.name}`, ev);
  }
  async bump(namespace: string, name: string, count: number, last: Date): Promise<boolean> {
    const ev = this.events.get(`${namespace}/${name}`);
    if (!ev) return false;
    ev.count = count;
    ev.lastTimestamp = last;
    return true;
  }
}

const pod = { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u1', fieldPath: 'spec.containers{web}' };

describe('EventRecorder', () => {
  it('stores an event with source, reporting fields and a client-go style name', async () => {
    const sink = new MemorySink();
    const r = new EventRecorder(sink, { component: 'kubelet', host: 'node-1' });
    r.event(pod, 'Normal', 'Started', 'Started container web');
    await r.flush();
    const [ev] = [...sink.events.values()];
    expect(ev!.metadata.name).to.match(/^web-1\.[0-9a-f]{16,}$/);
    expect(ev).to.deep.include({
      type: 'Normal',
      reason: 'Started',
      message: 'Started container web',
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    });
    expect(ev!.source).to.deep.equal({ component: 'kubelet', host: 'node-1' });
    expect(ev!.involvedObject).to.deep.equal(pod);
    expect(ev!.metadata.namespace).to.equal('shop');
  });

  it('counts repeats on the stored event; another reason, object or message is a new one', async () => {
    const sink = new MemorySink();
    const r = new EventRecorder(sink, { component: 'kubelet', concurrency: 1 });
    for (let i = 0; i < 5; i++) r.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    r.event(pod, 'Warning', 'BackOff', 'Back-off pulling image');
    r.event({ ...pod, name: 'web-2', uid: 'u2' }, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await r.flush();
    const counts = [...sink.events.values()].map((e) => `${e.involvedObject.name} ${e.message} ${e.count}`).sort();
    expect(counts).to.deep.equal([
      'web-1 Back-off pulling image 1',
      'web-1 Back-off restarting failed container 5',
      'web-2 Back-off restarting failed container 1',
    ]);
  });

  it('creates a new event when the stored one was deleted or the window passed', async () => {
    const sink = new MemorySink();
    const r = new EventRecorder(sink, { component: 'c', concurrency: 1, aggregateWindowMs: 50 });
    r.event(pod, 'Normal', 'Pulled', 'x');
    await r.flush();
    sink.events.clear();
    r.event(pod, 'Normal', 'Pulled', 'x');
    await r.flush();
    expect(sink.events.size).to.equal(1);
    await new Promise((res) => setTimeout(res, 60));
    r.event(pod, 'Normal', 'Pulled', 'x');
    await r.flush();
    expect(sink.events.size).to.equal(2);
  });

  it('drops what does not fit in the queue instead of growing without bound', async () => {
    const sink = new MemorySink();
    const r = new EventRecorder(sink, { component: 'c', maxQueued: 3, concurrency: 1 });
    for (let i = 0; i < 10; i++) r.event({ ...pod, name: `p${i}` }, 'Normal', 'R', 'm');
    await r.flush();
    expect(sink.events.size).to.equal(4); // one in flight + three queued
    expect(r.dropped).to.equal(6);
  });

  it("lets 25 events about one object through in a burst, then one per refill period, as client-go's spam filter", async () => {
    const sink = new MemorySink();
    let now = 1_000_000;
    const r = new EventRecorder(sink, { component: 'c', concurrency: 4, now: () => now });
    // distinct messages, so that none is merged into another's count
    for (let i = 0; i < 40; i++) r.event(pod, 'Warning', 'Failed', `attempt ${i}`);
    // another object has a bucket of its own
    r.event({ ...pod, name: 'web-2', uid: 'u2' }, 'Warning', 'Failed', 'attempt 0');
    await r.flush();
    expect(sink.events.size).to.equal(26);
    expect(r.dropped).to.equal(15);
    now += 299_000;
    r.event(pod, 'Warning', 'Failed', 'later');
    await r.flush();
    expect(sink.events.size).to.equal(26);
    now += 1_000;
    r.event(pod, 'Warning', 'Failed', 'after five minutes');
    await r.flush();
    expect(sink.events.size).to.equal(27);
  });
});
