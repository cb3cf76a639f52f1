// Printing objects and tables the way kubectl does.
import yaml from 'js-yaml';

/** Columns padded to their widest cell, three spaces apart, like kubectl's tabwriter. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function toYaml(value: unknown): string {
  return yaml.dump(value, { noRefs: true, lineWidth: -1, quotingType: '"' });
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n';
}

/** A table cell as text: kubectl prints `<none>` for absent values. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '<none>';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Age like kubectl: 45s, 5m10s, 3h, 2d4h, 400d. */
export function humanAge(from: string | undefined, now: Date = new Date()): string {
  if (!from) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 ? `${minutes}m${seconds % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 && hours < 8 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
  return `${days}d`;
}
