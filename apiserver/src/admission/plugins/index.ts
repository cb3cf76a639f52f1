// The admission plugins in the order kube-apiserver runs them (its recommended order,
// pkg/kubeapiserver/options/plugins.go): the order is fixed, flags only turn plugins on or off.
import type { AdmissionPlugin } from '../interface.ts';
import { defaultStorageClassPlugin } from './default-storage-class.ts';
import { defaultTolerationSeconds } from './default-toleration-seconds.ts';
import { limitRanger } from './limit-ranger.ts';
import { namespaceLifecycle } from './namespace-lifecycle.ts';
import { nodeRestriction } from './node-restriction.ts';
import { podSecurity } from './pod-security.ts';
import { priority } from './priority.ts';
import { resourceQuota } from './resource-quota.ts';
import { serviceAccount } from './service-account.ts';
import { storageObjectInUseProtection } from './storage-object-in-use-protection.ts';

export const orderedPlugins: readonly AdmissionPlugin[] = [
  namespaceLifecycle,
  limitRanger,
  serviceAccount,
  nodeRestriction,
  podSecurity,
  priority,
  defaultTolerationSeconds,
  defaultStorageClassPlugin,
  storageObjectInUseProtection,
  // last: it counts what the others let through
  resourceQuota,
];

export class AdmissionFlagError extends Error {}

/**
 * The plugins `--enable-admission-plugins` and `--disable-admission-plugins` leave on: every
 * plugin is on unless disabled; naming an unknown plugin, or one in both lists, is an error.
 * Enabling is accepted for upstream compatibility (all are on by default).
 */
export function selectPlugins(
  opts: { enable?: readonly string[]; disable?: readonly string[] },
  all: readonly AdmissionPlugin[] = orderedPlugins,
): AdmissionPlugin[] {
  const known = new Set(all.map((p) => p.name));
  const enable = (opts.enable ?? []).filter(Boolean);
  const disable = new Set((opts.disable ?? []).filter(Boolean));
  for (const [flag, names] of [
    ['--enable-admission-plugins', enable],
    ['--disable-admission-plugins', [...disable]],
  ] as const) {
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length) {
      throw new AdmissionFlagError(`${flag}: unknown admission plugin(s): ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
    }
  }
  const both = enable.filter((n) => disable.has(n));
  if (both.length) throw new AdmissionFlagError(`${both.join(', ')} in both --enable-admission-plugins and --disable-admission-plugins`);
  return all.filter((p) => !disable.has(p.name));
}
