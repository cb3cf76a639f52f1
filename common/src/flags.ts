// Configuration by flags and environment variables, the same way for every Skiff service:
// `--etcd-servers=X` or `--etcd-servers X`, else SKIFF_<COMPONENT>_ETCD_SERVERS, else the default.
export type FlagType = 'string' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  type?: FlagType;
  default?: string | number | boolean | readonly string[];
  description: string;
}

export type FlagValues<S extends Record<string, FlagSpec>> = { [K in keyof S]: any };

export class FlagError extends Error {}

export function parseFlags<S extends Record<string, FlagSpec>>(component: string, spec: S, argv = process.argv.slice(2), env = process.env): FlagValues<S> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      printHelp(component, spec);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new FlagError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    let name: string;
    let value: string;
    if (eq > 0) {
      name = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      name = a.slice(2);
      const s = spec[name];
      if (s && (s.type ?? 'string') === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) value = 'true';
      else {
        value = argv[i + 1] ?? '';
        i++;
      }
    }
    if (!(name in spec)) throw new FlagError(`unknown flag --${name} (see --help)`);
    raw.set(name, value);
  }
  const out: Record<string, unknown> = {};
  const prefix = `SKIFF_${component.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
  for (const [name, s] of Object.entries(spec)) {
    const envName = prefix + name.toUpperCase().replace(/-/g, '_');
    const v = raw.get(name) ?? env[envName];
    out[name] = v === undefined ? s.default : convert(name, v, s.type ?? 'string');
  }
  return out as FlagValues<S>;
}

function convert(name: string, v: string, type: FlagType): unknown {
  switch (type) {
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new FlagError(`--${name} wants a number, got "${v}"`);
      return n;
    }
    case 'boolean':
      if (['true', '1', 'yes', ''].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      throw new FlagError(`--${name} wants true or false, got "${v}"`);
    case 'list':
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return v;
  }
}

function printHelp(component: string, spec: Record<string, FlagSpec>): void {
  const lines = [`Usage: ${component} [flags]`, ''];
  for (const [name, s] of Object.entries(spec)) {
    const env = `SKIFF_${component.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${name.toUpperCase().replace(/-/g, '_')}`;
    lines.push(`  --${name}${s.default !== undefined ? ` (default ${JSON.stringify(s.default)})` : ''}  [$${env}]`, `      ${s.description}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
