// Keeps the kernel's ipsets of ours (names `sknp-...`) equal to the wanted ones with one
// `ipset restore` per sync. A set whose members changed is rebuilt under a temporary name and
// swapped in, so that a packet never meets a half-filled set. Sets no rule references any more
// are destroyed after the iptables rules that used them are gone (destroy() after the restore).
import { run } from '../exec.ts';
import { isIPv4, parseCidr } from '../ipv4.ts';
import { SET_PREFIX } from './model.ts';
import type { IpSet } from './model.ts';

export interface IpsetRunner {
  list(): Promise<string[]>;
  restore(payload: string): Promise<void>;
}

export const systemIpset: IpsetRunner = {
  list: async () => (await run('ipset', ['list', '-n'])).split('\n').filter(Boolean),
  restore: async (payload) => {
    await run('ipset', ['restore'], payload);
  },
};

const namePattern = /^sknp-[A-Z]-[0-9a-f]{16}$/;
const typeOptions: Record<IpSet['type'], string> = {
  'hash:ip': 'family inet',
  'hash:net': 'family inet',
  'hash:ip,port': 'family inet',
};

/** The edge check of one member: what the set type takes, nothing else reaches `ipset restore`. */
export function validMember(type: IpSet['type'], entry: string): boolean {
  if (type === 'hash:ip') return isIPv4(entry);
  if (type === 'hash:net') {
    const [cidr, flag, ...rest] = entry.split(' ');
    if (rest.length || (flag !== undefined && flag !== 'nomatch')) return false;
    try {
      return parseCidr(cidr!).text === cidr && !cidr!.endsWith('/0');
    } catch {
      return false;
    }
  }
  const m = /^([\d.]+),(tcp|udp|sctp):(\d{1,5})$/.exec(entry);
  return m !== null && isIPv4(m[1]) && Number(m[3]) >= 1 && Number(m[3]) <= 65535;
}

function isTmp(name: string): boolean {
  return name.startsWith(`${SET_PREFIX}t`);
}

function tmpName(name: string): string {
  return `${SET_PREFIX}t${name.slice(SET_PREFIX.length)}`;
}

export class IpsetSyncer {
  private readonly runner: IpsetRunner;
  /** name → type and members as last applied; undefined: unknown, rewrite everything */
  private last?: Map<string, string>;
  lastPayloadBytes = 0;

  constructor(runner: IpsetRunner = systemIpset) {
    this.runner = runner;
  }

  forceFullSync(): void {
    this.last = undefined;
  }

  /** Creates or updates every wanted set; returns how many were written. Throws on a bad name or member. */
  async apply(wanted: readonly IpSet[]): Promise<number> {
    const existing = this.last ? undefined : new Set((await this.runner.list()).filter((n) => n.startsWith(SET_PREFIX)));
    const lines: string[] = [];
    // temporary sets left by a sync that died half-way
    for (const n of existing ?? []) if (isTmp(n)) lines.push(`destroy ${n}`);
    const next = new Map<string, string>();
    let written = 0;
    for (const set of wanted) {
      if (!namePattern.test(set.name)) throw new Error(`ipset name ${JSON.stringify(set.name)} is not one of ours`);
      const bad = set.entries.find((e) => !validMember(set.type, e));
      if (bad !== undefined) throw new Error(`ipset ${set.name}: ${JSON.stringify(bad)} is not a ${set.type} member`);
      const content = `${set.type}\n${set.entries.join('\n')}`;
      next.set(set.name, content);
      if (this.last?.get(set.name) === content) continue;
      written++;
      const tmp = tmpName(set.name);
      const opts = `${typeOptions[set.type]} maxelem ${Math.max(65536, set.entries.length * 2)}`;
      lines.push(`create ${set.name} ${set.type} ${opts} -exist`);
      lines.push(`create ${tmp} ${set.type} ${opts}`);
      for (const e of set.entries) lines.push(`add ${tmp} ${e}`);
      lines.push(`swap ${tmp} ${set.name}`, `destroy ${tmp}`);
    }
    this.lastPayloadBytes = 0;
    const last = this.last;
    this.last = undefined; // unknown state until this restore succeeds
    if (lines.length) {
      const payload = `${lines.join('\n')}\n`;
      this.lastPayloadBytes = payload.length;
      await this.runner.restore(payload);
    }
    // the sets of ours that exist now, wanted or stale, so that destroyStale() finds them
    const now = new Map(next);
    for (const n of existing ?? []) if (!now.has(n) && !isTmp(n)) now.set(n, '');
    for (const [n] of last ?? []) if (!now.has(n)) now.set(n, '');
    this.last = now;
    return written;
  }

  /** Destroys the sets of ours that are not wanted; call once no rule references them. */
  async destroyStale(wanted: readonly IpSet[]): Promise<number> {
    if (!this.last) return 0;
    const keep = new Set(wanted.map((s) => s.name));
    const stale = [...this.last.keys()].filter((n) => !keep.has(n));
    if (!stale.length) return 0;
    await this.runner.restore(`${stale.map((n) => `destroy ${n}`).join('\n')}\n`);
    for (const n of stale) this.last.delete(n);
    return stale.length;
  }
}

/** `--cleanup`: destroys every set of ours (after the rules that use them are gone). */
export async function destroyAllSets(runner: IpsetRunner = systemIpset): Promise<void> {
  const ours = (await runner.list()).filter((n) => n.startsWith(SET_PREFIX));
  if (ours.length) await runner.restore(`${ours.map((n) => `destroy ${n}`).join('\n')}\n`);
}
