// The idle collection: once when the process is quiet and its heap grew, never while busy.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { oldGenerationBytes, startIdleGc } from '../src/idle-gc.ts';

describe('idle garbage collection', () => {
  const MiB = 1024 * 1024;

  it('collects once when quiet and grown, then not again until the heap grows again', async () => {
    let heap = 40 * MiB;
    const collected: number[] = [];
    const gc = startIdleGc({
      periodMs: 40,
      collect: () => {
        heap = 30 * MiB;
      },
      measure: () => heap,
      onCollect: (before, after) => collected.push(before, after),
    });
    try {
      await sleep(150);
      assert.deepEqual(collected, [40 * MiB, 30 * MiB]);
      heap = 40 * MiB; // grown 10 MiB since: below the 16 MiB threshold
      await sleep(150);
      assert.equal(collected.length, 2);
      heap = 50 * MiB;
      await sleep(150);
      assert.deepEqual(collected.slice(2), [50 * MiB, 30 * MiB]);
    } finally {
      gc.stop();
    }
  });

  it('does not collect while the event loop is busy', async () => {
    let collections = 0;
    const gc = startIdleGc({ periodMs: 50, collect: () => collections++, measure: () => 100 * MiB });
    try {
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // busy: a loop blocked most of each period, as under load
        const stop = Date.now() + 45;
        while (Date.now() < stop);
        await sleep(1);
      }
      assert.equal(collections, 0);
    } finally {
      gc.stop();
    }
  });

  it('does nothing without node --expose-gc', async () => {
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
    const gc = startIdleGc({ periodMs: 10 });
    gc.stop();
    assert.ok(oldGenerationBytes() > 0);
  });
});
