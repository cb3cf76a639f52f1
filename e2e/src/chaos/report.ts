// The chaos report: the run's figures, the acceptance checks over them (issue 21), and the
// human summary. Pure: main.ts gathers the figures and writes the JSON.
import type { LedgerCounts, LedgerVerdict } from './ledger.ts';
import { lostWrites } from './ledger.ts';
import type { KillWindow, ProbeFigures } from './windows.ts';

export const MAX_SERVICE_FAILED_RATIO = 0.01;
export const CONVERGE_WITHIN_MS = 60_000;

export interface DeploymentFigure {
  name: string;
  /** ms from the last kill's SIGKILL until it was converged; undefined: not within the wait */
  convergedAfterLastKillMs?: number;
}

export interface JobFigures {
  created: number;
  completed: number;
  failed: number;
  /** acknowledged Jobs neither complete nor failed at the end */
  unfinished: string[];
}

export interface Leak {
  node: string;
  kind: 'sandbox' | 'container';
  id: string;
  podUid: string;
  why: string;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

/** what a kill window cost the clients */
export interface WindowLoss {
  target: string;
  recoveryMs?: number;
  /** failed Service requests per probe */
  serviceFailed: Record<string, number>;
  /** ConfigMap writes in the window that got no acknowledgement (no answer or a refusal) */
  writesUnacknowledged: number;
}

export interface ChaosFigures {
  startedAt: string;
  workloadMinutes: number;
  kills: KillWindow[];
  losses: WindowLoss[];
  ledger: { counts: LedgerCounts; verdict: LedgerVerdict };
  service: ProbeFigures[];
  deployments: DeploymentFigure[];
  jobs: JobFigures;
  leaks: Leak[];
}

export interface ChaosReport extends ChaosFigures {
  checks: Check[];
  pass: boolean;
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

export function evaluate(f: ChaosFigures): ChaosReport {
  const checks: Check[] = [];
  const lost = lostWrites(f.ledger.verdict);
  checks.push({
    name: 'no lost acknowledged writes',
    pass: lost === 0 && f.ledger.verdict.createsChecked + f.ledger.verdict.deletesChecked > 0,
    detail: `${f.ledger.verdict.createsChecked} acknowledged creates and ${f.ledger.verdict.deletesChecked} acknowledged deletes checked: ${f.ledger.verdict.lost.length} lost, ${f.ledger.verdict.changed.length} changed, ${f.ledger.verdict.resurrected.length} back after delete`,
  });
  for (const s of f.service) {
    checks.push({
      name: `${s.probe}: at most ${MAX_SERVICE_FAILED_RATIO * 100}% of requests fail`,
      pass: s.requests > 0 && s.failedRatio <= MAX_SERVICE_FAILED_RATIO,
      detail: `${s.failed} of ${s.requests} failed (${(s.failedRatio * 100).toFixed(2)}%)`,
    });
    checks.push({
      name: `${s.probe}: failures only during kill windows`,
      pass: s.failedOutsideWindows.length === 0,
      detail: `${s.failedOutsideWindows.length} outside${s.failedOutsideWindows
        .slice(0, 3)
        .map((x) => ` [${new Date(x.startedAt).toISOString().slice(11, 23)} ${x.error}]`)
        .join('')}; by window: ${JSON.stringify(s.failedByWindow)}`,
    });
  }
  const unhealed = f.kills.filter((k) => k.healedAt === undefined);
  checks.push({
    name: 'every killed component healed',
    pass: f.kills.length > 0 && unhealed.length === 0,
    detail: unhealed.length ? `not healed: ${unhealed.map((k) => k.target).join(', ')}` : `${f.kills.length} kills, all healed`,
  });
  for (const d of f.deployments) {
    checks.push({
      name: `Deployment ${d.name} converges within ${CONVERGE_WITHIN_MS / 1000} s of the last kill`,
      pass: d.convergedAfterLastKillMs !== undefined && d.convergedAfterLastKillMs <= CONVERGE_WITHIN_MS,
      detail: `converged ${seconds(d.convergedAfterLastKillMs)} after the last kill`,
    });
  }
  checks.push({
    name: 'every acknowledged Job completes',
    pass: f.jobs.created > 0 && f.jobs.unfinished.length === 0 && f.jobs.failed === 0,
    detail: `${f.jobs.completed} of ${f.jobs.created} complete, ${f.jobs.failed} failed, unfinished: ${f.jobs.unfinished.join(' ') || 'none'}`,
  });
  checks.push({
    name: 'no leaked containers or sandboxes',
    pass: f.leaks.length === 0,
    detail: f.leaks.length ? f.leaks.map((l) => `${l.node} ${l.kind} ${l.id.slice(0, 12)} (${l.why})`).join('; ') : 'none on any worker',
  });
  return { ...f, checks, pass: checks.every((c) => c.pass) };
}

export function summary(r: ChaosReport): string {
  const lines = [
    `chaos run of ${r.startedAt}: ${r.workloadMinutes} min of workload, ${r.kills.length} SIGKILLs`,
    '',
    'kills: time to healthy again; Service requests failed and ConfigMap writes unacknowledged in the window:',
  ];
  for (const k of r.kills) {
    const loss = r.losses.find((l) => l.target === k.target);
    const failed = Object.entries(loss?.serviceFailed ?? {})
      .map(([probe, n]) => `${probe.split(' ')[0]} ${n}`)
      .join(', ');
    lines.push(
      `  ${k.target.padEnd(36)} ${seconds(k.healedAt === undefined ? undefined : k.healedAt - k.killedAt).padStart(8)}  failed: ${failed || 'none'}; writes: ${loss?.writesUnacknowledged ?? 0}  (${k.healedWhen})`,
    );
  }
  const c = r.ledger.counts;
  lines.push(
    '',
    `ConfigMap writes: ${c.createsAcked}/${c.creates} creates and ${c.deletesAcked}/${c.deletes} deletes acknowledged, ${c.noAnswer} without an answer, ${c.refused} refused`,
  );
  for (const s of r.service) lines.push(`${s.probe}: ${s.failed} of ${s.requests} requests failed (${(s.failedRatio * 100).toFixed(2)}%)`);
  lines.push('', 'checks:');
  for (const ch of r.checks) lines.push(`  ${ch.pass ? 'PASS' : 'FAIL'}  ${ch.name}: ${ch.detail}`);
  lines.push('', r.pass ? 'chaos: every acceptance figure holds' : 'chaos: FAILED');
  return lines.join('\n');
}
