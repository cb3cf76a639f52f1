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

const units: Array<[string, number]> = [
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['µs', 1e3],
  ['ns', 1],
];

/** Go's time.Duration.String(): `1h2m3.5s`, `150ms`, `0s`. */
export function formatDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  let n = Math.abs(nanos);
  if (n < 1e9) {
    // Sub-second durations use the largest unit that keeps an integer part.
    const [unit, size] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return sign + trimFraction(n / size) + unit;
  }
  const hours = Math.floor(n / 3600e9);
  n -= hours * 3600e9;
  const minutes = Math.floor(n / 60e9);
  n -= minutes * 60e9;
  let out = '';
  if (hours) out += `${hours}h`;
  if (hours || minutes) out += `${minutes}m`;
  return sign + out + trimFraction(n / 1e9) + 's';
}

function trimFraction(x: number): string {
  return x.toFixed(9).replace(/\.?0+$/, '');
}

/** Go's time.ParseDuration for the units Kubernetes uses. */
export function parseDuration(text: string): number {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|us|µs|ns|m|s))+$/.exec(text);
  if (!m) {
    if (text === '0') return 0;
    throw new Error(`invalid duration ${JSON.stringify(text)}`);
  }
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)/g)) {
    total += parseFloat(part[1]!) * units.find(([u]) => u === part[2])![1];
  }
  return Math.round(m[1] === '-' ? -total : total);
}
