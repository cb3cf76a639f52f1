// Command-line parsing in kubectl's style: `--flag=value`, `--flag value`, `-n value`,
// `-n=value`, repeatable flags (`-f a -f b`), booleans (`-w`, `--watch=false`) and `--`.
import { UsageError } from './errors.ts';
import { parseGoDurationMs } from '@skiff/common/go-duration';

export type FlagKind = 'string' | 'boolean' | 'list';

export interface FlagDef {
  kind: FlagKind;
  short?: string;
  /** value used when a string flag is given bare (e.g. `--dry-run` means client) */
  bare?: string;
}

export type FlagDefs = Record<string, FlagDef>;

export interface ParsedArgs {
  positionals: string[];
  /** everything after `--` */
  rest: string[];
  strings: Map<string, string>;
  booleans: Map<string, boolean>;
  lists: Map<string, string[]>;
}

/** Flags every command understands. */
export const GLOBAL_FLAGS: FlagDefs = {
  kubeconfig: { kind: 'string' },
  context: { kind: 'string' },
  namespace: { kind: 'string', short: 'n' },
  'request-timeout': { kind: 'string' },
};

export function parseArgs(argv: readonly string[], defs: FlagDefs, usage?: string): ParsedArgs {
  const all: FlagDefs = { ...GLOBAL_FLAGS, ...defs };
  const byShort = new Map<string, string>();
  for (const [name, def] of Object.entries(all)) if (def.short) byShort.set(def.short, name);
  const out: ParsedArgs = { positionals: [], rest: [], strings: new Map(), booleans: new Map(), lists: new Map() };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    let inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    let name = long ? key : byShort.get(key);
    // `-oyaml`, `-n2`: a short flag glued to its value
    if (!long && name === undefined && inline === undefined && byShort.has(key[0]!)) {
      name = byShort.get(key[0]!);
      inline = key.slice(1);
    }
    const def = name === undefined ? undefined : all[name];
    if (!name || !def) throw new UsageError(`unknown flag: ${arg}`, usage);
    if (def.kind === 'boolean') {
      if (inline === undefined) out.booleans.set(name, true);
      else if (inline === 'true' || inline === 'false') out.booleans.set(name, inline === 'true');
      else throw new UsageError(`invalid argument "${inline}" for "${arg}": want true or false`, usage);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (def.bare !== undefined && (next === undefined || next.startsWith('-'))) value = def.bare;
      else if (next === undefined) throw new UsageError(`flag needs an argument: ${arg}`, usage);
      else {
        value = next;
        i++;
      }
    }
    if (def.kind === 'list') out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
    else out.strings.set(name, value);
  }
  return out;
}

/** A whole, non-negative number flag, or undefined when absent. */
export function intFlag(args: ParsedArgs, name: string, usage?: string): number | undefined {
  const raw = args.strings.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new UsageError(`invalid argument "${raw}" for "--${name}": not a whole number`, usage);
  return n;
}

/** A duration such as `30s`, `5m`, `1h30m` or plain seconds, in milliseconds; 0 means none. */
export function durationFlag(args: ParsedArgs, name: string, usage?: string): number | undefined {
  const raw = args.strings.get(name);
  if (raw === undefined) return undefined;
  return parseDuration(raw, `--${name}`, usage);
}

export function parseDuration(raw: string, what: string, usage?: string): number {
  try {
    return parseGoDurationMs(raw);
  } catch {
    throw new UsageError(`invalid duration "${raw}" for ${what} (e.g. 30s, 5m, 1h)`, usage);
  }
}
