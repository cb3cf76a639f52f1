// Applies a computed ruleset with one `iptables-restore --noflush` per table: our chains are
// declared (which flushes them) and refilled, stale chains of ours are deleted, and the
// jumps from the built-in chains are replaced, all in one transaction per table.
import { run } from './exec.ts';
import { CHAIN_PREFIX } from './rules.ts';
import type { Ruleset, TableRules } from './rules.ts';

export type Table = 'nat' | 'filter';

export interface SavedTable {
  /** chains of ours that exist now */
  chains: string[];
  /** `-A BUILTIN ...` lines of built-in chains that jump to one of ours, as iptables-save prints them */
  jumps: string[];
}

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** Reads the parts of `iptables-save -t TABLE` output that concern us. */
export function parseSave(text: string): SavedTable {
  const chains: string[] = [];
  const jumps: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(`:${CHAIN_PREFIX}`)) chains.push(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      if (BUILTIN.has(chain) && new RegExp(` -j ${CHAIN_PREFIX}\\S+`).test(line)) jumps.push(line);
    }
  }
  return { chains, jumps };
}

/** The iptables-restore input that turns `current` into `wanted` (wanted undefined: remove all of ours). */
export function restorePayload(table: Table, current: SavedTable, wanted: TableRules | undefined): string {
  const lines = [`*${table}`];
  const keep = new Set(wanted?.chains ?? []);
  const stale = current.chains.filter((c) => !keep.has(c));
  // declaring a chain flushes it; stale ones are flushed too so they can be deleted below
  for (const c of [...keep, ...stale]) lines.push(`:${c} - [0:0]`);
  for (const j of current.jumps) lines.push(`-D${j.slice(2)}`);
  // inserted in reverse at position 1 so that they end up first and in the wanted order
  for (const j of [...(wanted?.jumps ?? [])].reverse()) lines.push(`-I ${j.chain} 1 ${j.spec}`);
  lines.push(...(wanted?.rules ?? []));
  for (const c of stale) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export interface IptablesRunner {
  save(table: Table): Promise<string>;
  restore(payload: string): Promise<void>;
}

export const systemIptables: IptablesRunner = {
  save: (table) => run('iptables-save', ['-t', table]),
  restore: async (payload) => {
    await run('iptables-restore', ['--noflush', '-w', '5'], payload);
  },
};

/** Makes the packet filter hold exactly `wanted` of ours (undefined: nothing of ours). */
export async function applyRuleset(wanted: Ruleset | undefined, runner: IptablesRunner = systemIptables): Promise<void> {
  const [nat, filter] = await Promise.all([runner.save('nat'), runner.save('filter')]);
  // filter first: a REJECT for a service that lost its endpoints must not wait for nat
  const payload = restorePayload('filter', parseSave(filter), wanted?.filter) + restorePayload('nat', parseSave(nat), wanted?.nat);
  await runner.restore(payload);
}

type ChainRules = Map<string, string[]>;

/** Groups `-A CHAIN ...` lines by chain, keeping every declared chain (even empty ones). */
export function rulesByChain(t: TableRules): ChainRules {
  const out: ChainRules = new Map(t.chains.map((c) => [c, [] as string[]]));
  for (const r of t.rules) {
    const chain = r.split(' ', 2)[1]!;
    out.get(chain)?.push(r) ?? out.set(chain, [r]);
  }
  return out;
}

/** Rewrites only the chains that changed since `before`, and deletes the ones that went away. */
export function partialPayload(table: Table, before: ChainRules, after: ChainRules): string | undefined {
  const changed = [...after].filter(([c, rules]) => {
    const old = before.get(c);
    return !old || old.length !== rules.length || old.some((r, i) => r !== rules[i]);
  });
  const stale = [...before.keys()].filter((c) => !after.has(c));
  if (changed.length === 0 && stale.length === 0) return undefined;
  const lines = [`*${table}`];
  for (const [c] of changed) lines.push(`:${c} - [0:0]`);
  for (const c of stale) lines.push(`:${c} - [0:0]`);
  for (const [, rules] of changed) lines.push(...rules);
  for (const c of stale) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/**
 * kube-proxy's "minimize iptables-restore": after one full sync, a sync writes only the
 * chains whose rules changed. Any failure, or fullSync(), falls back to the full rewrite
 * (which also repairs rules someone else changed).
 */
export class IptablesSyncer {
  private readonly runner: IptablesRunner;
  private last?: { nat: ChainRules; filter: ChainRules };
  /** bytes of the last payload, for metrics and the bench */
  lastPayloadBytes = 0;

  constructor(runner: IptablesRunner = systemIptables) {
    this.runner = runner;
  }

  forceFullSync(): void {
    this.last = undefined;
  }

  async apply(wanted: Ruleset): Promise<'full' | 'partial' | 'unchanged'> {
    const next = { nat: rulesByChain(wanted.nat), filter: rulesByChain(wanted.filter) };
    const last = this.last;
    this.last = undefined; // unknown state until this apply succeeds
    if (!last) {
      const [nat, filter] = await Promise.all([this.runner.save('nat'), this.runner.save('filter')]);
      const payload = restorePayload('filter', parseSave(filter), wanted.filter) + restorePayload('nat', parseSave(nat), wanted.nat);
      this.lastPayloadBytes = payload.length;
      await this.runner.restore(payload);
      this.last = next;
      return 'full';
    }
    const payload = (partialPayload('filter', last.filter, next.filter) ?? '') + (partialPayload('nat', last.nat, next.nat) ?? '');
    this.lastPayloadBytes = payload.length;
    if (payload) await this.runner.restore(payload);
    this.last = next;
    return payload ? 'partial' : 'unchanged';
  }
}
