import { expect } from 'chai';
import { RetryTimer } from '../src/retry-timer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy: retry timer', () => {
  it('keeps one retry pending however many failures come in, and doubles the delay up to the cap', async () => {
    let retries = 0;
    const timer = new RetryTimer(() => retries++, { initialMs: 20, maxMs: 50 });
    for (let i = 0; i < 10; i++) timer.failed(); // ten informer events during one outage
    expect(timer.pendingDelayMs).to.equal(40);
    await sleep(60);
    expect(retries).to.equal(1);
    timer.failed();
    expect(timer.pendingDelayMs).to.equal(50);
    timer.failed();
    await sleep(80);
    expect(retries).to.equal(2);
    timer.stop();
  });

  it('starts from the first delay again after a success, and retries nothing once stopped', async () => {
    let retries = 0;
    const timer = new RetryTimer(() => retries++, { initialMs: 20, maxMs: 1000 });
    timer.failed();
    await sleep(40);
    timer.failed();
    expect(timer.pendingDelayMs).to.equal(80);
    timer.stop();
    timer.succeeded();
    expect(timer.pendingDelayMs).to.equal(20);
    await sleep(60);
    expect(retries).to.equal(1);
  });
});
