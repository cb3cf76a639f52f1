// Namespace policy (the pod-security.kubernetes.io labels) and evaluation of a pod against a
// level, in upstream's check order: Baseline checks, then for Baseline its overlapping checks
// or for Restricted the Restricted checks (which replace those overlapping ones).
import * as baseline from './baseline.ts';
import type { Check, CheckResult } from './helpers.ts';
import * as restricted from './restricted.ts';

export type Level = 'privileged' | 'baseline' | 'restricted';
export const levels: readonly Level[] = ['privileged', 'baseline', 'restricted'];
export type Mode = 'enforce' | 'audit' | 'warn';
export const modes: readonly Mode[] = ['enforce', 'audit', 'warn'];
export const labelPrefix = 'pod-security.kubernetes.io/';

export interface LevelVersion {
  level: Level;
  /** 'latest' or 'v1.N' */
  version: string;
}

export const levelVersionText = (lv: LevelVersion) => `${lv.level}:${lv.version}`;

const baselineChecks: Check[] = [
  baseline.appArmorProfile,
  baseline.hostNamespaces,
  baseline.hostPorts,
  baseline.privileged,
  baseline.procMount,
  baseline.seLinuxOptions,
  baseline.sysctls,
  baseline.windowsHostProcess,
];
const overlappingBaselineChecks: Check[] = [baseline.capabilitiesBaseline, baseline.hostPathVolumes, baseline.seccompProfileBaseline];
const restrictedChecks: Check[] = [
  restricted.allowPrivilegeEscalation,
  restricted.capabilitiesRestricted,
  restricted.restrictedVolumes,
  restricted.runAsNonRoot,
  restricted.runAsUser,
  restricted.seccompProfileRestricted,
];

/** The failed checks of a pod (metadata and spec) at a level; empty when allowed. */
export function evaluatePod(level: Level, meta: any, spec: any): CheckResult[] {
  if (level === 'privileged') return [];
  const checks = [...baselineChecks, ...(level === 'baseline' ? overlappingBaselineChecks : restrictedChecks)];
  return checks.map((c) => c(meta, spec)).filter((r): r is CheckResult => r !== undefined);
}

/** `reason (detail), reason (detail)` as upstream's aggregate ForbiddenDetail. */
export function forbiddenDetail(results: CheckResult[]): string {
  return results.map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason)).join(', ');
}

export interface LabelError {
  label: string;
  value: string;
  message: string;
}

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

/** The namespace's policy from its labels (unset modes are privileged:latest); errors for bad values. */
export function policyFromLabels(labels: Record<string, string> | undefined): { policy: NamespacePolicy; errors: LabelError[] } {
  const errors: LabelError[] = [];
  const read = (mode: Mode): LevelVersion => {
    const levelLabel = `${labelPrefix}${mode}`;
    const versionLabel = `${levelLabel}-version`;
    const rawLevel = labels?.[levelLabel];
    const rawVersion = labels?.[versionLabel];
    let level: Level = 'privileged';
    if (rawLevel !== undefined) {
      if ((levels as readonly string[]).includes(rawLevel)) level = rawLevel as Level;
      else errors.push({ label: levelLabel, value: rawLevel, message: `must be one of ${levels.join(', ')}` });
    }
    let version = 'latest';
    if (rawVersion !== undefined) {
      if (rawVersion === 'latest' || /^v1\.(0|[1-9][0-9]*)$/.test(rawVersion)) version = rawVersion;
      else errors.push({ label: versionLabel, value: rawVersion, message: 'must be "latest" or "v1.x"' });
    }
    return { level, version };
  };
  return { policy: { enforce: read('enforce'), audit: read('audit'), warn: read('warn') }, errors };
}
