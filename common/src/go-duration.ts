// Go's time.Duration text, as Kubernetes writes it in objects (metav1.Duration) and components
// take it on the command line: 15s, 5m0s, 1m30s, 500ms, 1.5h. The one parser and printer.

const units: Array<[string, number]> = [
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['\u00b5s', 1e3], // micro sign, as Go accepts
  ['\u03bcs', 1e3], // Greek mu, as Go accepts
  ['ns', 1],
];

// The micro signs are written as escapes so that compiled code and bundles stay ASCII.
const unitPattern = 'h|ms|us|\u00b5s|\u03bcs|ns|m|s';
const durationRe = new RegExp(`^([+-]?)((?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:${unitPattern}))+$`);
const partRe = new RegExp(`(\\d+(?:\\.\\d*)?|\\.\\d+)(${unitPattern})`, 'g');

/** Go's time.Duration.String(): `1h2m3.5s`, `150ms`, `0s`. */
export function formatGoDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  let n = Math.abs(nanos);
  if (n < 1e9) {
    // Sub-second durations use the largest unit that keeps an integer part.
    const [unit, size] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['\u00b5s', 1e3] : ['ms', 1e6];
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

/** Go's time.ParseDuration: `300ms`, `-1.5h`, `2h45m`, units h m s ms us (or micro sign) ns; a bare `0`. Nanoseconds. */
export function parseGoDuration(text: string): number {
  const m = durationRe.exec(text);
  if (!m) {
    if (text === '0') return 0;
    throw new Error(`invalid duration ${JSON.stringify(text)}`);
  }
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(partRe)) {
    total += parseFloat(part[1]!) * units.find(([u]) => u === part[2])![1];
  }
  return Math.round(m[1] === '-' ? -total : total);
}

/** Go's time.ParseDuration in seconds, or undefined for text that is not a duration. */
export function parseGoDurationSeconds(text: string): number | undefined {
  try {
    return parseGoDuration(text) / 1e9;
  } catch {
    return undefined;
  }
}

/**
 * A component flag's duration in milliseconds: Go's text, or a bare number of seconds (as
 * several Kubernetes flags also take). Negative durations are refused.
 */
export function parseGoDurationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let nanos: number;
  try {
    nanos = parseGoDuration(text);
  } catch {
    nanos = Number.NaN;
  }
  if (!text || !(nanos >= 0)) throw new Error(`invalid duration "${text}" (use e.g. 15s, 5m0s, 500ms)`);
  return nanos / 1e6;
}
