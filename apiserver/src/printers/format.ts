// Small text formatters shared by the printers; each mirrors one apimachinery/printers helper so
// cells look the same as a real cluster's.
import { type LabelSelectorObject, selectorFromObject } from '@skiff/common/apimachinery/label-selector';

/** labels.FormatLabels: `a=1,b=2` in key order, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/**
 * A metav1.LabelSelector as labels.Selector.String() prints it: requirements sorted by key,
 * `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Empty string for an empty or absent selector;
 * throws for a selector that cannot be converted.
 */
export function labelSelectorString(selector: LabelSelectorObject | undefined | null): string {
  return selector ? selectorFromObject(selector).toString() : '';
}

/** metav1.FormatLabelSelector: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelectorObject | undefined | null): string {
  try {
    const s = labelSelectorString(selector);
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

/** Container names and images, comma-joined, as the wide columns of workload printers show them. */
export function containerCells(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** At most three entries then ` + N more...`; `<unset>` for none (listWithMoreString). */
export function listWithMore(all: string[], max = 3): string {
  if (all.length === 0) return '<unset>';
  const shown = all.slice(0, max).join(',');
  return all.length > max ? `${shown} + ${all.length - max} more...` : shown;
}

/** net.JoinHostPort: IPv6 addresses get brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go prints int32/int64 cells as JSON numbers; missing numbers are zero. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** printBoolPtr: `True`/`False`, `<unset>` for nil. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}
