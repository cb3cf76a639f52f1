// `make chaos` (issue 21): an HA lab (3 control-plane nodes, 2 workers, every component
// supervised), CHAOS_MINUTES (10) of workload while components are SIGKILLed in turn, then the
// acceptance figures: no lost acknowledged writes, Service failures at most 1% and only in kill
// windows, every Deployment converged within 60 s of the last kill, no leaked containers or
// sandboxes. Writes .skiff/chaos/report-TIMESTAMP.json, prints a summary, exits 1 when a figure
// fails (2 when the run itself broke). The lab is brought down in every case.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '@skiff/common/testing/index';
import { startHaLab } from '../lab/index.ts';
import type { HaLab, LabLayout } from '../lab/index.ts';
import { apiClient } from './api.ts';
import type { ApiClient } from './api.ts';
import { killAndHeal, killSchedule } from './kills.ts';
import { leaksAfterSettling } from './leaks.ts';
import { WriteLedger } from './ledger.ts';
import type { LedgerVerdict } from './ledger.ts';
import { probeLoop, tally } from './probe.ts';
import type { ProbeOutcome } from './probe.ts';
import { evaluate, summary } from './report.ts';
import type { DeploymentFigure } from './report.ts';
import { countByWindow, probeFigures } from './windows.ts';
import type { KillWindow } from './windows.ts';
import { NODE_PORT, configMapWriter, converged, deployments, jobOutcomes, jobStream, listConfigMaps, roller, setUp } from './workload.ts';

/** apart from make lab (10.254.0), the e2e labs (10.253.0, 10.251.0), the lab CLI (10.252.0) and make lab-ha (10.250.0) */
const CHAOS_LAYOUT: LabLayout = { bridge: 'skiffchaos0', net: '10.249.0', prefix: 'skiff-c' };
const HEAL_TIMEOUT_MS = 180_000;
const PROBE_INTERVAL_MS = 100;

const log = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function minutes(): number {
  const m = Number(process.env.CHAOS_MINUTES ?? '10');
  if (!(m > 0 && m <= 120)) throw new Error(`CHAOS_MINUTES must be a number of minutes (0..120], got '${process.env.CHAOS_MINUTES}'`);
  return m;
}

/** the ClusterIP probe inside worker `ns` (a process of its own there), its outcomes into `add` */
function clusterIpProbe(ns: string, url: string, add: (o: ProbeOutcome) => void): { stop(): Promise<void> } {
  const cli = join(repoRoot(), 'e2e', 'dist', 'src', 'chaos', 'probe-cli.js');
  const child = spawn('nsenter', [`--net=/var/run/netns/${ns}`, process.execPath, cli, String(PROBE_INTERVAL_MS), url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      add(JSON.parse(l) as ProbeOutcome);
    } catch {
      process.stderr.write(`probe: ${l}\n`);
    }
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** ms from the last kill until every Deployment was converged at once (polled each second) */
async function convergence(api: ApiClient, lastKilledAt: number, timeoutMs: number): Promise<DeploymentFigure[]> {
  const firstConverged = new Map<string, number>();
  let names: string[] = [];
  while (Date.now() - lastKilledAt < timeoutMs) {
    const ds = await deployments(api);
    if (ds) {
      names = ds.map((d) => d.metadata.name);
      for (const d of ds) if (!firstConverged.has(d.metadata.name) && converged(d)) firstConverged.set(d.metadata.name, Date.now() - lastKilledAt);
      if (names.every((n) => firstConverged.has(n))) break;
    }
    await sleep(1000);
  }
  return names.map((name) => ({ name, ...(firstConverged.has(name) ? { convergedAfterLastKillMs: firstConverged.get(name)! } : {}) }));
}

async function verifyLedger(api: ApiClient, ledger: WriteLedger): Promise<LedgerVerdict> {
  // every apiserver's listing must hold every acknowledged write
  const merged: LedgerVerdict = { createsChecked: 0, deletesChecked: 0, lost: [], changed: [], resurrected: [] };
  for (const server of api.servers) {
    const listing = await listConfigMaps(api, server);
    if (!listing) throw new Error(`could not list the ConfigMaps through ${server}`);
    const v = ledger.verify(listing);
    merged.createsChecked = v.createsChecked;
    merged.deletesChecked = v.deletesChecked;
    for (const k of ['lost', 'changed', 'resurrected'] as const) merged[k] = [...new Set([...merged[k], ...v[k].map((n) => `${n} (via ${server})`)])];
  }
  return merged;
}

async function run(lab: HaLab, workloadMinutes: number): Promise<boolean> {
  const api = apiClient(
    lab.pkiDir,
    lab.controlPlanes.map((c) => c.apiserverUrl),
  );
  const clusterIp = await setUp(api);
  log(`workload ready: Deployment web (2 replicas) behind ClusterIP ${clusterIp} and NodePort ${NODE_PORT}`);

  const clusterTally = tally('ClusterIP (from worker 1)');
  const nodePortTally = tally('NodePort (from the lab host)');
  const probes = [
    clusterIpProbe(lab.workers[0]!.name, `http://${clusterIp}/`, (o) => clusterTally.add(o)),
    probeLoop(
      lab.workers.map((w) => `http://${w.address}:${NODE_PORT}/`),
      PROBE_INTERVAL_MS,
      (o) => nodePortTally.add(o),
    ),
  ];
  const ledger = new WriteLedger();
  const rolls = { rolls: 0, failed: 0 };
  const jobs: string[] = [];
  const loops = [configMapWriter(api, ledger), roller(api, rolls), jobStream(api, jobs)];

  const startedAt = Date.now();
  const workloadMs = workloadMinutes * 60_000;
  const schedule = killSchedule(lab, api);
  const windows: KillWindow[] = [];
  for (const [i, target] of schedule.entries()) {
    const at = startedAt + ((i + 1) * workloadMs) / (schedule.length + 1);
    if (at > Date.now()) await sleep(at - Date.now());
    windows.push(await killAndHeal(target, HEAL_TIMEOUT_MS, log));
  }
  const lastKilledAt = windows.at(-1)!.killedAt;
  const deploymentFigures = await convergence(api, lastKilledAt, 120_000);
  log(
    `Deployments after the last kill: ${deploymentFigures.map((d) => `${d.name} ${d.convergedAfterLastKillMs === undefined ? 'not converged' : `converged after ${(d.convergedAfterLastKillMs / 1000).toFixed(1)} s`}`).join(', ')}`,
  );
  const rest = startedAt + workloadMs - Date.now();
  if (rest > 0) await sleep(rest);
  const endedAt = Date.now();
  log(`workload ran ${((endedAt - startedAt) / 60_000).toFixed(1)} min; stopping it`);
  await Promise.all([...loops, ...probes].map((l) => l.stop()));

  const verdict = await verifyLedger(api, ledger);
  const jobFigures = await jobOutcomes(api, jobs);
  const leaks = await leaksAfterSettling(lab, api, 90_000);
  const service = [probeFigures(clusterTally, windows, endedAt), probeFigures(nodePortTally, windows, endedAt)];
  const writesByWindow = countByWindow(
    windows,
    ledger.unacknowledgedWrites.map((w) => w.at),
    endedAt,
  );
  const report = evaluate({
    startedAt: new Date(startedAt).toISOString(),
    workloadMinutes: Number(((endedAt - startedAt) / 60_000).toFixed(2)),
    kills: windows,
    losses: windows.map((w) => ({
      target: w.target,
      ...(w.healedAt === undefined ? {} : { recoveryMs: w.healedAt - w.killedAt }),
      serviceFailed: Object.fromEntries(service.map((s) => [s.probe, s.failedByWindow[w.target] ?? 0])),
      writesUnacknowledged: writesByWindow[w.target] ?? 0,
    })),
    ledger: { counts: ledger.counts, verdict },
    service,
    deployments: deploymentFigures,
    jobs: { created: jobs.length, ...jobFigures },
    leaks,
  });
  const dir = join(repoRoot(), '.skiff', 'chaos');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `report-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, rolls }, null, 2)}\n`);
  process.stdout.write(`\n${summary(report)}\nDeployment rolls: ${rolls.rolls} (${rolls.failed} patches failed)\nreport: ${file}\n`);
  return report.pass;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('chaos needs root (network namespaces, iptables)');
  const workloadMinutes = minutes();
  const skiffDir = join(repoRoot(), '.skiff', 'chaos', `lab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(skiffDir, { recursive: true });
  log(`HA lab: 3 control-plane nodes, 2 workers, supervised (logs in ${skiffDir}/logs)`);
  const lab = await startHaLab({
    controlPlanes: 3,
    workers: 2,
    layout: CHAOS_LAYOUT,
    supervise: true,
    skiffDir,
    verbose: process.env.SKIFF_E2E_VERBOSE === '1',
  });
  log(`lab Ready after ${(lab.readyAfterMs / 1000).toFixed(1)} s`);
  let stopping = false;
  const down = async () => {
    if (stopping) return;
    stopping = true;
    log('bringing the HA lab down');
    await lab.down().catch((e: unknown) => process.stderr.write(`lab down: ${(e as Error).message}\n`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void down().then(() => process.exit(130));
    });
  }
  try {
    return (await run(lab, workloadMinutes)) ? 0 : 1;
  } finally {
    await down();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
