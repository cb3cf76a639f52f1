import { expect } from 'chai';
import { WorkQueue, runWorkers } from '@skiff/common';

describe('workqueue', () => {
  it('deduplicates keys that wait', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.len()).to.equal(2);
    expect(await q.get()).to.equal('a');
    expect(await q.get()).to.equal('b');
  });

  it('never hands one key to two workers, and reprocesses a key added while processing', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const k = await q.get();
    q.add('a');
    expect(q.len()).to.equal(0); // held back while 'a' is processing
    q.done(k!);
    expect(q.len()).to.equal(1);
    expect(await q.get()).to.equal('a');
  });

  it('backs off failing keys exponentially and forgets on success', async () => {
    const q = new WorkQueue<string>({ baseDelayMs: 10 });
    const seen: number[] = [];
    let failures = 3;
    const start = Date.now();
    q.add('x');
    const run = runWorkers(q, 1, async () => {
      seen.push(Date.now() - start);
      if (failures-- > 0) throw new Error('boom');
      q.shutDown();
    });
    await run;
    expect(seen).to.have.length(4);
    // 10, 20, 40 ms of back-off between attempts
    expect(seen[3]! - seen[0]!).to.be.at.least(65);
    expect(q.numRequeues('x')).to.equal(0);
  });

  it('get resolves undefined after shutdown', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.shutDown();
    expect(await p).to.equal(undefined);
  });
});
