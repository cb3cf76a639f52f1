// JSON forms of the apimachinery value types whose Go MarshalJSON is custom
// (metav1.Time, metav1.MicroTime, metav1.Duration), and their parsers.

export interface Timestamp {
  seconds: number;
  nanos: number;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatUtc(ts: Timestamp, fractionDigits: number): string {
  const d = new Date(ts.seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new Error(`timestamp out of range: ${ts.seconds}`);
  const year = d.getUTCFullYear();
  let s =
    `${year < 0 ? '-' : ''}${pad(Math.abs(year), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (fractionDigits > 0) s += '.' + pad(Math.floor(ts.nanos / 10 ** (9 - fractionDigits)), fractionDigits);
  return s + 'Z';
}

/** metav1.Time: RFC3339 in UTC, whole seconds (`2024-01-02T03:04:05Z`). */
export function formatTime(ts: Timestamp): string {
  return formatUtc(ts, 0);
}

/** metav1.MicroTime: RFC3339 with exactly six fraction digits. */
export function formatMicroTime(ts: Timestamp): string {
  return formatUtc(ts, 6);
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC3339 time (any fraction, any offset) to seconds + nanos since the epoch. */
export function parseTime(text: string): Timestamp {
  const m = rfc3339.exec(text);
  if (!m) throw new Error(`invalid RFC3339 time ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let seconds = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) / 1000;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    seconds -= sign * (+zone!.slice(1, 3) * 3600 + +zone!.slice(4, 6) * 60);
  }
  const nanos = frac ? +frac.padEnd(9, '0') : 0;
  return { seconds, nanos };
}

// metav1.Duration's text is Go's time.Duration text: one parser and printer, in common
export { formatGoDuration as formatDuration, parseGoDuration as parseDuration } from '@skiff/common/go-duration';
