// What every Pod Security check shares: its result, how upstream words lists of names, and
// the containers a pod runs (init, regular and ephemeral, in that order).
export interface CheckResult {
  /** e.g. "allowPrivilegeEscalation != false" */
  reason: string;
  /** e.g. `container "c" must set securityContext.allowPrivilegeEscalation=false` */
  detail: string;
}

/** A check: the metadata and spec of a pod in, undefined when it passes. */
export type Check = (meta: any, spec: any) => CheckResult | undefined;

export const pluralize = (singular: string, plural: string, n: number) => (n === 1 ? singular : plural);

/** `"a", "b"` */
export const joinQuote = (items: readonly unknown[]) => items.map((i) => JSON.stringify(String(i))).join(', ');

export function allContainers(spec: any): any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].filter((c) => c && typeof c === 'object');
}

/** `container "a"` or `containers "a", "b"` */
export function containersWord(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}
