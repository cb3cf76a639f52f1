// The etcd readiness check reaches etcd at most once per interval; between probes (and while
// one is in flight) the last outcome answers at once.
import { expect } from 'chai';
import { rateLimitedCheck } from '../src/server/rate-limited-check.ts';

describe('rate-limited health check', () => {
  it('runs the check at most once per interval and repeats its outcome in between', async () => {
    let t = 0;
    let calls = 0;
    let fail = false;
    const check = rateLimitedCheck(
      async () => {
        calls++;
        if (fail) throw new Error('etcd down');
      },
      1000,
      () => t,
    );
    await check();
    await check();
    expect(calls).to.equal(1);
    fail = true;
    t = 500;
    await check(); // still the last (good) outcome
    expect(calls).to.equal(1);
    t = 1000;
    await check().then(
      () => expect.fail('should fail'),
      (e: Error) => expect(e.message).to.equal('etcd down'),
    );
    t = 1500;
    await check().then(
      () => expect.fail('should still fail'),
      (e: Error) => expect(e.message).to.equal('etcd down'),
    );
    expect(calls).to.equal(2);
    fail = false;
    t = 2000;
    await check();
    expect(calls).to.equal(3);
  });

  it('does not make concurrent callers wait for a probe in flight', async () => {
    let release!: () => void;
    let calls = 0;
    const check = rateLimitedCheck(() => {
      calls++;
      return new Promise<void>((r) => {
        release = r;
      });
    }, 0);
    const first = check();
    let secondDone = false;
    await check().then(() => {
      secondDone = true;
    });
    expect(secondDone).to.equal(true);
    expect(calls).to.equal(1);
    release();
    await first;
  });
});
