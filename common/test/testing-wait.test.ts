import { expect } from 'chai';
import { KUBECTL_POLL_MAX_MS, KUBECTL_POLL_MS, pollPauses, waitFor } from '../src/testing/index.ts';

describe('testing harness: waitFor (polling that backs off)', () => {
  it('pauses KUBECTL_POLL_MS first, then 1.5 times longer each time, up to KUBECTL_POLL_MAX_MS', () => {
    const pause = pollPauses();
    const pauses = Array.from({ length: 7 }, () => pause());
    expect(pauses).to.deep.equal([KUBECTL_POLL_MS, 1500, 2250, 3375, KUBECTL_POLL_MAX_MS, KUBECTL_POLL_MAX_MS, KUBECTL_POLL_MAX_MS]);
  });

  it('resolves with the first value other than undefined and false, errors counting as not yet', async () => {
    let calls = 0;
    const v = await waitFor(
      'the third call',
      async () => {
        calls++;
        if (calls === 1) throw new Error('not there yet');
        return calls === 3 ? 'three' : false;
      },
      5000,
      5,
    );
    expect(v).to.equal('three');
    expect(calls).to.equal(3);
  });

  it('fails after the timeout, naming what it waited for, the last error and the detail', async () => {
    let error: Error | undefined;
    const started = Date.now();
    try {
      await waitFor(
        'a pod',
        async () => {
          throw new Error('pods "web" not found');
        },
        100,
        10,
        () => 'the log says why',
      );
    } catch (e) {
      error = e as Error;
    }
    expect(Date.now() - started).to.be.lessThan(2000);
    expect(error?.message).to.match(/timed out after 100 ms waiting for a pod: pods "web" not found\nthe log says why/);
  });
});
