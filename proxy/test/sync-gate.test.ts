// When the proxy's route and address syncs touch the kernel.
import { expect } from 'chai';
import { SyncGate } from '../src/sync-gate.ts';

describe('proxy: sync gate', () => {
  it('touches the kernel first, then only when the wanted state changes', () => {
    const gate = new SyncGate();
    expect(gate.needed('a'), 'the first sync').to.equal(true);
    gate.done('a');
    expect(gate.needed('a'), 'an event that changes nothing wanted (a Node heartbeat)').to.equal(false);
    expect(gate.needed('b')).to.equal(true);
    gate.done('b');
    expect(gate.needed('b')).to.equal(false);
  });

  it('a resync or a failure checks the kernel in full even when nothing wanted changed', () => {
    const gate = new SyncGate();
    gate.done('a');
    gate.force();
    expect(gate.needed('a'), 'after force').to.equal(true);
    gate.done('a');
    gate.failed();
    expect(gate.needed('a'), 'after a failure').to.equal(true);
    gate.done('a');
    expect(gate.needed('a')).to.equal(false);
  });
});
