// CronJob schedules: the standard five-field cron syntax Kubernetes accepts (minute, hour, day
// of month, month, day of week; ranges, lists, steps, month and day names, `*` and `?`) and the
// @yearly-style macros, with the next activation computed in an IANA time zone. The API server
// validates schedules with it and the CronJob controller runs them, so both agree on what a
// schedule means.

export class CronSyntaxError extends Error {}

interface FieldRange {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const monthNames: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dayNames: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const fields: FieldRange[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day of week', min: 0, max: 6, names: dayNames },
];

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One parsed field: the allowed values, and whether it was an unrestricted `*`/`?` (day matching needs it). */
interface FieldSet {
  values: Set<number>;
  star: boolean;
}

export interface CronSchedule {
  readonly minutes: FieldSet;
  readonly hours: FieldSet;
  readonly daysOfMonth: FieldSet;
  readonly months: FieldSet;
  readonly daysOfWeek: FieldSet;
}

function parseNumber(text: string, range: FieldRange): number {
  const named = range.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

/** One comma-separated part: `*`, `?`, `n`, `a-b`, each optionally `/step`. */
function parsePart(part: string, range: FieldRange, into: FieldSet): void {
  const [span, stepText, extra] = part.split('/');
  if (extra !== undefined) throw new CronSyntaxError(`too many slashes: ${part}`);
  let start: number;
  let end: number;
  let star = false;
  if (span === '*' || span === '?') {
    start = range.min;
    end = range.max;
    star = true;
  } else {
    const bounds = span.split('-');
    if (bounds.length > 2) throw new CronSyntaxError(`too many hyphens: ${part}`);
    start = parseNumber(bounds[0], range);
    end = bounds.length === 2 ? parseNumber(bounds[1], range) : start;
  }
  let step = 1;
  if (stepText !== undefined) {
    step = parseNumber(stepText, { ...range, names: undefined });
    if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${part}`);
    // `n/step` means from n to the end of the range
    if (!star && !span.includes('-')) end = range.max;
    if (step > 1) star = false;
  }
  if (start < range.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${range.min}): ${part}`);
  if (end > range.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${range.max}): ${part}`);
  if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
  for (let v = start; v <= end; v += step) into.values.add(v);
  if (star) into.star = true;
}

function parseField(text: string, range: FieldRange): FieldSet {
  const set: FieldSet = { values: new Set(), star: false };
  for (const part of text.split(',')) {
    if (part === '') throw new CronSyntaxError(`empty field in ${range.name}: ${text}`);
    parsePart(part, range, set);
  }
  return set;
}

/** Parses a schedule as Kubernetes' cron.ParseStandard does; throws CronSyntaxError. */
export function parseSchedule(schedule: string): CronSchedule {
  const text = schedule.trim();
  if (text === '') throw new CronSyntaxError('empty spec string');
  if (/^(CRON_)?TZ=/.test(text)) throw new CronSyntaxError('time zones belong in spec.timeZone');
  if (text.startsWith('@')) {
    const expanded = macros[text.toLowerCase()];
    if (!expanded) throw new CronSyntaxError(`unrecognized descriptor: ${text}`);
    return parseSchedule(expanded);
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${parts.length}: ${text}`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = parts.map((p, i) => parseField(p, fields[i]));
  return { minutes, hours, daysOfMonth, months, daysOfWeek };
}

/** Whether a schedule or a time zone has a TZ= prefix, which Kubernetes refuses in spec.schedule. */
export function scheduleHasTimeZone(schedule: string): boolean {
  return /(^|\s)(CRON_)?TZ=/.test(schedule);
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  if (zone === '' || zone.toLowerCase() === 'local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at instant `ms`, in milliseconds (UTC is zone 'UTC' or undefined). */
export function zoneOffsetMs(ms: number, zone: string | undefined): number {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function toWall(ms: number, zone: string | undefined): Wall {
  const d = new Date(ms + zoneOffsetMs(ms, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** The instant of a wall-clock time in `zone` (the earlier one when the clock went back). */
function fromWall(w: Wall, zone: string | undefined): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const first = naive - zoneOffsetMs(naive, zone);
  const second = naive - zoneOffsetMs(first, zone);
  return Math.min(first, second);
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.daysOfMonth.values.has(w.day);
  const dow = s.daysOfWeek.values.has(new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay());
  // as Vixie cron: both restricted means either may match
  if (s.daysOfMonth.star || s.daysOfWeek.star) return dom && dow;
  return dom || dow;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The first activation strictly after `afterMs`, as epoch milliseconds, or undefined when the
 * schedule never fires (a 31st of February) within the next five years.
 */
export function nextActivation(s: CronSchedule, afterMs: number, zone?: string): number | undefined {
  // start at the next whole minute
  let w = toWall(Math.floor(afterMs / 60_000) * 60_000 + 60_000, zone);
  const limitYear = w.year + 5;
  while (w.year <= limitYear) {
    if (!s.months.values.has(w.month)) {
      w = nextMonth(w);
      continue;
    }
    if (!dayMatches(s, w)) {
      w = nextDay(w);
      continue;
    }
    if (!s.hours.values.has(w.hour)) {
      w = w.hour === 23 ? nextDay(w) : { ...w, hour: w.hour + 1, minute: 0 };
      continue;
    }
    if (!s.minutes.values.has(w.minute)) {
      w = w.minute === 59 ? nextHour(w) : { ...w, minute: w.minute + 1 };
      continue;
    }
    const at = fromWall(w, zone);
    if (at > afterMs) return at;
    w = w.minute === 59 ? nextHour(w) : { ...w, minute: w.minute + 1 };
  }
  return undefined;
}

function nextMonth(w: Wall): Wall {
  return w.month === 12 ? { year: w.year + 1, month: 1, day: 1, hour: 0, minute: 0 } : { year: w.year, month: w.month + 1, day: 1, hour: 0, minute: 0 };
}
function nextDay(w: Wall): Wall {
  return w.day >= daysInMonth(w.year, w.month) ? nextMonth(w) : { ...w, day: w.day + 1, hour: 0, minute: 0 };
}
function nextHour(w: Wall): Wall {
  return w.hour === 23 ? nextDay(w) : { ...w, hour: w.hour + 1, minute: 0 };
}

/** RFC 3339 of an instant as seen in `zone`, with its offset (`2024-05-01T10:00:00+02:00`), as Go formats it. */
export function formatInZone(ms: number, zone?: string): string {
  const offset = zoneOffsetMs(ms, zone);
  const local = new Date(ms + offset).toISOString().replace(/\.\d+Z$/, '');
  if (offset === 0) return `${local}Z`;
  const abs = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
