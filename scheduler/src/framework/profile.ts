// Profiles from a KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1 subset):
// per profile, which plugins run at which extension point and with what score weight.
//
//   apiVersion: kubescheduler.config.k8s.io/v1
//   kind: KubeSchedulerConfiguration
//   percentageOfNodesToScore: 0
//   profiles:
//   - schedulerName: default-scheduler
//     plugins:
//       multiPoint: { disabled: [{ name: ImageLocality }] }
//       score: { enabled: [{ name: NodeResourcesFit, weight: 5 }] }
//     pluginConfig:
//     - name: NodeResourcesFit
//       args: { scoringStrategy: { type: MostAllocated } }
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { AnyPlugin } from './interface.ts';
import { Framework, implementsPoint } from './framework.ts';
import type { FrameworkPlugins } from './framework.ts';
import { defaultPlugins, pluginRegistry } from '../plugins/index.ts';
import type { PluginDeps } from '../plugins/index.ts';

interface PluginRef {
  name: string;
  weight?: number;
}
interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}
type Point = keyof FrameworkPlugins;
const points: Point[] = ['preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'bind'];

export interface ProfileConfig {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: Partial<Record<Point | 'multiPoint', PluginSet>>;
  pluginConfig?: { name: string; args?: unknown }[];
}

export interface SchedulerConfig {
  percentageOfNodesToScore?: number;
  profiles?: ProfileConfig[];
}

export class ConfigError extends Error {}

export function loadSchedulerConfig(path: string | undefined): SchedulerConfig {
  if (!path) return {};
  let doc: any;
  try {
    doc = yaml.load(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`reading ${path}: ${(e as Error).message}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object') throw new ConfigError(`${path}: expected a KubeSchedulerConfiguration object`);
  if (doc.kind && doc.kind !== 'KubeSchedulerConfiguration') throw new ConfigError(`${path}: kind must be KubeSchedulerConfiguration, not ${doc.kind}`);
  const pct = doc.percentageOfNodesToScore;
  if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100))
    throw new ConfigError(`${path}: percentageOfNodesToScore must be between 0 and 100`);
  if (doc.profiles !== undefined && !Array.isArray(doc.profiles)) throw new ConfigError(`${path}: profiles must be a list`);
  return { percentageOfNodesToScore: pct, profiles: doc.profiles };
}

const names = (refs?: PluginRef[]) => new Set((refs ?? []).map((r) => r.name));

/** Builds one Framework per profile. */
export function buildFrameworks(cfg: SchedulerConfig, deps: PluginDeps, defaultName: string, flagPercentage?: number): Map<string, Framework> {
  const profiles = cfg.profiles?.length ? cfg.profiles : [{}];
  const out = new Map<string, Framework>();
  for (const prof of profiles) {
    const name = prof.schedulerName ?? defaultName;
    if (out.has(name)) throw new ConfigError(`duplicate profile for scheduler name "${name}"`);
    out.set(name, buildFramework(name, prof, deps, prof.percentageOfNodesToScore ?? flagPercentage ?? cfg.percentageOfNodesToScore ?? 0));
  }
  return out;
}

export function buildFramework(schedulerName: string, prof: ProfileConfig, deps: PluginDeps, percentage: number): Framework {
  const mp = prof.plugins?.multiPoint ?? {};
  const mpDisabled = names(mp.disabled);
  let multi: PluginRef[] = mpDisabled.has('*') ? [] : defaultPlugins.filter((p) => !mpDisabled.has(p.name));
  for (const e of mp.enabled ?? []) multi = [...multi.filter((p) => p.name !== e.name), e];

  const instances = new Map<string, AnyPlugin>();
  const args = new Map((prof.pluginConfig ?? []).map((c) => [c.name, c.args]));
  const instance = (n: string): AnyPlugin => {
    let p = instances.get(n);
    if (!p) {
      const factory = pluginRegistry[n];
      if (!factory) throw new ConfigError(`plugin "${n}" does not exist; known: ${Object.keys(pluginRegistry).join(', ')}`);
      p = factory(args.get(n), deps);
      instances.set(n, p);
    }
    return p;
  };

  const plugins: FrameworkPlugins = { preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], bind: [] };
  for (const point of points) {
    const set = prof.plugins?.[point] ?? {};
    const disabled = names(set.disabled);
    let refs: PluginRef[] = disabled.has('*') ? [] : multi.filter((r) => !disabled.has(r.name) && implementsPoint(instance(r.name), point));
    for (const e of set.enabled ?? []) {
      if (!implementsPoint(instance(e.name), point)) throw new ConfigError(`plugin "${e.name}" does not implement ${point}`);
      const known = refs.find((r) => r.name === e.name);
      if (known) refs = refs.map((r) => (r.name === e.name ? { ...r, weight: e.weight ?? r.weight } : r));
      else refs.push(e);
    }
    for (const r of refs) {
      const p = instance(r.name) as any;
      if (point === 'score') {
        const weight = r.weight ?? 1;
        if (!(weight > 0)) throw new ConfigError(`score plugin ${r.name}: weight must be positive`);
        plugins.score.push({ plugin: p, weight });
      } else (plugins[point] as any[]).push(p);
    }
  }
  if (plugins.bind.length === 0) throw new ConfigError(`profile ${schedulerName}: at least one bind plugin is needed`);
  return new Framework(schedulerName, plugins, percentage);
}
