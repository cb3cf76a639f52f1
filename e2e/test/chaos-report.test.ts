// The chaos run's bookkeeping (make chaos, issue 21), without a cluster: the write ledger's
// verdict over a listing, the attribution of Service failures to kill windows, and the
// acceptance checks of the report.
import { expect } from 'chai';
import { WriteLedger, lostWrites } from '../src/chaos/ledger.ts';
import { evaluate } from '../src/chaos/report.ts';
import type { ChaosFigures } from '../src/chaos/report.ts';
import { countByWindow, probeFigures, windowOf } from '../src/chaos/windows.ts';
import type { KillWindow } from '../src/chaos/windows.ts';

const S = 'https://10.0.0.21:6443';

describe('chaos: the write ledger', () => {
  it('checks acknowledged creates (present, same content) and acknowledged deletes (absent); unanswered writes prove nothing', () => {
    const l = new WriteLedger();
    l.recordCreate('a', 'x', S, 201, 1);
    l.recordCreate('b', 'y', S, 201, 2);
    l.recordCreate('c', 'z', S, 0, 3); // no answer: may or may not exist
    l.recordCreate('d', 'w', S, 201, 4);
    l.recordCreate('e', 'v', S, 201, 5);
    expect(l.takeDeletable()).to.equal('a');
    l.recordDelete('a', S, 200, 6);
    expect(l.takeDeletable()).to.equal('b');
    l.recordDelete('b', S, 503, 7); // 5xx: the delete may have landed
    const ok = l.verify(
      new Map([
        ['d', 'w'],
        ['e', 'v'],
        ['c', 'z'],
      ]),
    );
    expect(ok).to.deep.equal({ createsChecked: 2, deletesChecked: 1, lost: [], changed: [], resurrected: [] });
    expect(l.counts).to.include({ creates: 5, createsAcked: 4, deletes: 2, deletesAcked: 1, noAnswer: 1, refused: 1 });
    expect(l.unacknowledgedWrites).to.deep.equal([
      { at: 3, server: S, status: 0 },
      { at: 7, server: S, status: 503 },
    ]);

    const bad = l.verify(
      new Map([
        ['a', 'x'],
        ['e', 'other'],
      ]),
    );
    expect(bad.lost).to.deep.equal(['d']);
    expect(bad.changed).to.deep.equal(['e']);
    expect(bad.resurrected).to.deep.equal(['a']);
    expect(lostWrites(bad)).to.equal(3);
  });

  it('a create refused with a 4xx is not acknowledged and not expected', () => {
    const l = new WriteLedger();
    l.recordCreate('a', 'x', S, 409, 1);
    expect(l.takeDeletable()).to.equal(undefined);
    expect(l.verify(new Map()).createsChecked).to.equal(0);
  });
});

describe('chaos: kill windows and the Service figures', () => {
  const windows: KillWindow[] = [
    { target: 'apiserver cp1', pid: 1, killedAt: 1000, healedAt: 2000, healedWhen: '' },
    { target: 'kubelet w1', pid: 2, killedAt: 5000, healedWhen: '' }, // never healed
  ];
  it('a failure belongs to the window its request overlaps; an unhealed window lasts to the end', () => {
    expect(windowOf(windows, 900, 1100, 9000)?.target).to.equal('apiserver cp1');
    expect(windowOf(windows, 2001, 2500, 9000)).to.equal(undefined);
    expect(windowOf(windows, 8000, 8100, 9000)?.target).to.equal('kubelet w1');
  });
  it('counts times per window', () => {
    expect(countByWindow(windows, [999, 1000, 1500, 2000, 2001, 7000], 9000)).to.deep.equal({ 'apiserver cp1': 3, 'kubelet w1': 1 });
  });
  it('counts failures per window and those outside every window', () => {
    const f = probeFigures(
      {
        probe: 'p',
        requests: 200,
        failures: [
          { probe: 'p', startedAt: 1500, endedAt: 1600, error: 'e' },
          { probe: 'p', startedAt: 3000, endedAt: 3100, error: 'e' },
        ],
      },
      windows,
      9000,
    );
    expect(f.failed).to.equal(2);
    expect(f.failedRatio).to.equal(0.01);
    expect(f.failedByWindow).to.deep.equal({ 'apiserver cp1': 1 });
    expect(f.failedOutsideWindows.map((x) => x.startedAt)).to.deep.equal([3000]);
  });
});

describe('chaos: the acceptance checks', () => {
  const good = (): ChaosFigures => ({
    startedAt: '2026-12-07T00:00:00.000Z',
    workloadMinutes: 10,
    kills: [{ target: 'etcd cp1', pid: 3, killedAt: 1000, healedAt: 4000, healedWhen: '' }],
    losses: [{ target: 'etcd cp1', recoveryMs: 3000, serviceFailed: { ClusterIP: 10 }, writesUnacknowledged: 2 }],
    ledger: {
      counts: { creates: 10, createsAcked: 9, deletes: 3, deletesAcked: 3, noAnswer: 1, refused: 0 },
      verdict: { createsChecked: 6, deletesChecked: 3, lost: [], changed: [], resurrected: [] },
    },
    service: [{ probe: 'ClusterIP', requests: 1000, failed: 10, failedRatio: 0.01, failedOutsideWindows: [], failedByWindow: { 'etcd cp1': 10 } }],
    deployments: [{ name: 'web', convergedAfterLastKillMs: 60_000 }],
    jobs: { created: 3, completed: 3, failed: 0, unfinished: [] },
    leaks: [],
  });
  it('passes when every figure holds', () => {
    const r = evaluate(good());
    expect(r.checks.filter((c) => !c.pass)).to.deep.equal([]);
    expect(r.pass).to.equal(true);
  });
  it('fails on a lost write, a failure outside the windows, over 1% failed, a slow or missing convergence, an unhealed kill, a leak', () => {
    const cases: [string, (f: ChaosFigures) => void][] = [
      ['no lost acknowledged writes', (f) => f.ledger.verdict.lost.push('cm-1')],
      [
        'ClusterIP: failures only during kill windows',
        (f) => f.service[0]!.failedOutsideWindows.push({ probe: 'ClusterIP', startedAt: 1, endedAt: 2, error: 'e' }),
      ],
      ['ClusterIP: at most 1% of requests fail', (f) => (f.service[0]!.failedRatio = 0.0101)],
      ['Deployment web converges within 60 s of the last kill', (f) => (f.deployments[0]!.convergedAfterLastKillMs = 60_001)],
      ['Deployment web converges within 60 s of the last kill', (f) => delete f.deployments[0]!.convergedAfterLastKillMs],
      ['every killed component healed', (f) => delete f.kills[0]!.healedAt],
      ['every acknowledged Job completes', (f) => f.jobs.unfinished.push('job-2')],
      ['no leaked containers or sandboxes', (f) => f.leaks.push({ node: 'w1', kind: 'sandbox', id: 'abc', podUid: 'u', why: 'gone' })],
    ];
    for (const [check, spoil] of cases) {
      const f = good();
      spoil(f);
      const r = evaluate(f);
      expect(r.pass, check).to.equal(false);
      expect(r.checks.filter((c) => !c.pass).map((c) => c.name)).to.deep.equal([check]);
    }
  });
});
