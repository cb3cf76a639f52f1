// Container log files in the CRI format ("<RFC3339Nano> <stdout|stderr> <P|F> <text>", P a
// partial line continued by the next entry) turned back into what `kubectl logs` shows.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

export function parseCriLogLine(line: string): LogEntry | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, partial: tag.split(':')[0] === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

export interface LogOptions {
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

/** An entry as kubectl shows it: text plus newline unless partial, optional timestamp prefix. */
export function formatEntry(e: LogEntry, timestamps: boolean, startOfLine: boolean): string {
  return (timestamps && startOfLine ? `${e.time} ` : '') + e.text + (e.partial ? '' : '\n');
}

function entriesAfter(e: LogEntry, since?: Date): boolean {
  return !since || new Date(e.time).getTime() >= since.getTime();
}

/** The existing content of a log file, filtered per the options. */
export function readLog(path: string, o: LogOptions): string {
  if (!existsSync(path)) return '';
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const entries = lines.map(parseCriLogLine).filter((e): e is LogEntry => !!e && entriesAfter(e, o.sinceTime));
  // tailLines counts whole lines: a run of partials plus its final entry is one line.
  let start = 0;
  if (o.tailLines !== undefined && o.tailLines >= 0) {
    let full = 0;
    start = entries.length;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (!entries[i]!.partial) {
        if (full === o.tailLines) break;
        full++;
      }
      start = i;
    }
    if (o.tailLines === 0) start = entries.length;
  }
  let out = '';
  let sol = true;
  for (const e of entries.slice(start)) {
    out += formatEntry(e, !!o.timestamps, sol);
    sol = !e.partial;
  }
  return o.limitBytes ? out.slice(0, o.limitBytes) : out;
}

/** The last n lines of a log file as plain text (the FallbackToLogsOnError message). */
export function tailLogLines(path: string, n: number): string {
  return readLog(path, { tailLines: n });
}

/**
 * Follows a log file from byte offset `from`: calls write for every complete new line until
 * stop() is called (or `until` resolves true, e.g. the container has exited and was drained).
 */
export function followLog(path: string, from: number, o: LogOptions, write: (chunk: string) => void, done: () => Promise<boolean>): { stop(): void } {
  let offset = from;
  let rest = '';
  let stopped = false;
  let sol = true;
  const buf = Buffer.alloc(64 * 1024);
  const poll = async () => {
    if (stopped) return;
    try {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size < offset) offset = 0; // rotated or truncated
      if (size > offset) {
        const fd = openSync(path, 'r');
        try {
          let n: number;
          while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
            offset += n;
            rest += buf.subarray(0, n).toString('utf8');
          }
        } finally {
          closeSync(fd);
        }
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        let out = '';
        for (const l of lines) {
          const e = parseCriLogLine(l);
          if (!e || !entriesAfter(e, o.sinceTime)) continue;
          out += formatEntry(e, !!o.timestamps, sol);
          sol = !e.partial;
        }
        if (out) write(out);
      } else if (await done()) {
        stopped = true;
        write('');
        return;
      }
    } catch {
      /* file briefly missing during rotation */
    }
    if (!stopped) setTimeout(() => void poll(), 200);
  };
  void poll();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
