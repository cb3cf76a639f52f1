// Resource arguments as kubectl takes them: `pods`, `pods a b`, `pods,services`,
// `pod/a service/b`.
import type { ResourceInfo } from './discovery.ts';
import { UsageError } from './errors.ts';
import type { Session } from './session.ts';

export interface Target {
  info: ResourceInfo;
  /** empty: every object of the type (subject to selectors) */
  names: string[];
}

export async function resolveTargets(s: Session, positionals: readonly string[], usage: string): Promise<Target[]> {
  if (positionals.length === 0) throw new UsageError('you must specify the type of resource', usage);
  if (positionals[0]!.includes('/')) {
    const out: Target[] = [];
    for (const p of positionals) {
      const slash = p.indexOf('/');
      if (slash <= 0 || slash === p.length - 1)
        throw new UsageError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got "${p}")`,
          usage,
        );
      const info = await s.discovery.resolve(p.slice(0, slash));
      const existing = out.find((t) => t.info === info);
      if (existing) existing.names.push(p.slice(slash + 1));
      else out.push({ info, names: [p.slice(slash + 1)] });
    }
    return out;
  }
  const types = positionals[0]!.split(',').filter(Boolean);
  const names = positionals.slice(1);
  if (names.some((n) => n.includes('/'))) throw new UsageError('arguments in resource/name form must have a single resource and name', usage);
  if (types.length > 1 && names.length > 0) throw new UsageError('names can only be given with a single resource type', usage);
  const infos = await Promise.all(types.map((t) => s.discovery.resolve(t)));
  return infos.map((info) => ({ info, names: [...names] }));
}

/** Exactly one TYPE NAME or TYPE/NAME, as scale, rollout, describe of one object take. */
export async function resolveOne(s: Session, positionals: readonly string[], usage: string): Promise<{ info: ResourceInfo; name: string }> {
  const targets = await resolveTargets(s, positionals, usage);
  if (targets.length !== 1 || targets[0]!.names.length !== 1) throw new UsageError('exactly one resource name is required, as TYPE NAME or TYPE/NAME', usage);
  return { info: targets[0]!.info, name: targets[0]!.names[0]! };
}
