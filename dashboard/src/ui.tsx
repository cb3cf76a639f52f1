// Small shared pieces of the pages: error box, tables, links, ages, quantities.
import { millisOf, unitsOf } from '@skiff/common/apimachinery/quantity';
import type { ComponentChildren } from 'preact';
import { describeError, type KObject } from './api.ts';

/** A failed request as a sentence the user can read (a 403 says who may not do what). */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Table({ head, rows, label }: { head: string[]; rows: ComponentChildren[][]; label: string }) {
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

/** "5m", "3h", "2d" since a timestamp, as kubectl's AGE column. */
export function age(ts: string | undefined): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const cpuMillis = (q: string | undefined) => (q ? millisOf(q) : 0);
export const bytes = (q: string | undefined) => (q ? unitsOf(q) : 0);
export const mib = (b: number) => `${Math.round(b / 1048576)}Mi`;

export function condition(o: KObject, type: string): { status?: string; reason?: string; message?: string } | undefined {
  return (o.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

/** A small line graph of the last samples (0..max). */
export function Sparkline({ values, max, label }: { values: number[]; max: number; label: string }) {
  const w = 120;
  const h = 28;
  if (values.length < 2 || max <= 0) return <svg class="spark" width={w} height={h} role="img" aria-label={label} />;
  const step = w / (values.length - 1);
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(h - (Math.min(v, max) / max) * (h - 2) - 1).toFixed(1)}`).join(' ');
  return (
    <svg class="spark" width={w} height={h} role="img" aria-label={label}>
      <polyline points={pts} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

export function Bar({ used, total, label }: { used: number; total: number; label: string }) {
  return <meter class="bar" min={0} max={total || 1} value={Math.min(used, total)} aria-label={label} />;
}
