import { expect } from 'chai';
import client from 'prom-client';
import { createControllerMetrics, createLogger, runController, WorkQueue } from '@skiff/common';

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve, waitForSync: () => promise };
}

describe('controller runner', () => {
  const log = createLogger('test', {});

  it('waits for the caches, reconciles each key, retries failures with back-off and counts it all', async () => {
    const registry = new client.Registry();
    const metrics = createControllerMetrics(registry);
    const queue = new WorkQueue<string>({ baseDelayMs: 1, maxDelayMs: 10 });
    const cache = deferred();
    const seen: string[] = [];
    let failures = 1;
    let started = 0;
    let stoppedOwned = 0;
    queue.add('a');
    const stop = runController({
      name: 'test',
      log,
      queue,
      metrics,
      workers: 2,
      caches: [cache],
      owned: { start: () => started++, stop: () => stoppedOwned++ },
      beforeWorkers: () => queue.add('b'),
      reconcile: async (key) => {
        seen.push(key);
        if (key === 'b' && failures-- > 0) throw new Error('boom');
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen, 'nothing before the caches synced').to.deep.equal([]);
    expect(started).to.equal(1);
    cache.resolve();
    for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect([...seen].sort()).to.deep.equal(['a', 'b', 'b']);
    await stop();
    expect(stoppedOwned).to.equal(1);
    const text = await registry.metrics();
    expect(text).to.match(/workqueue_adds_total\{name="test"\} 2/);
    expect(text).to.match(/workqueue_retries_total\{name="test"\} 1/);
    expect(text).to.match(/controller_reconcile_total\{controller="test",result="error"\} 1/);
    expect(text).to.match(/controller_reconcile_total\{controller="test",result="success"\} 2/);
    expect(text).to.match(/workqueue_depth\{name="test"\} 0/);
  });

  it('stops before the caches ever synced', async () => {
    const queue = new WorkQueue<string>();
    let reconciled = false;
    const stop = runController({
      name: 'never',
      log,
      queue,
      workers: 1,
      caches: [deferred()],
      reconcile: async () => {
        reconciled = true;
      },
    });
    queue.add('x');
    await stop();
    expect(reconciled).to.equal(false);
  });
});
