// Building blocks of `describe` output: aligned "Key:  value" lines, nested sections.
export class Describer {
  private lines: string[] = [];

  /** `Key:  value` at an indent level; several keys in one section align. */
  field(key: string, value: unknown, level = 0): void {
    this.lines.push(`${'  '.repeat(level)}${key}:\t${text(value)}`);
  }

  section(key: string, level = 0): void {
    this.lines.push(`${'  '.repeat(level)}${key}:`);
  }

  line(textLine: string, level = 0): void {
    this.lines.push(`${'  '.repeat(level)}${textLine}`);
  }

  /** `Labels:  a=b` then further pairs under it, as kubectl prints maps. */
  map(key: string, m: Record<string, string> | undefined, level = 0): void {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      this.field(key, '<none>', level);
      return;
    }
    entries.forEach(([k, v], i) => {
      const pair = `${k}=${v.length > 200 ? `${v.slice(0, 200)}...` : v}`;
      if (i === 0) this.field(key, pair, level);
      else this.lines.push(`${'  '.repeat(level)}\t${pair}`);
    });
  }

  /** Aligns the tab-separated key/value pairs of each run of lines at the same indent. */
  toString(): string {
    const out: string[] = [];
    let block: string[] = [];
    const flush = () => {
      const width = Math.max(0, ...block.map((l) => (l.includes('\t') ? l.indexOf('\t') : 0)));
      for (const l of block) {
        const tab = l.indexOf('\t');
        out.push(tab < 0 ? l : (l.slice(0, tab).padEnd(width + 2) + l.slice(tab + 1)).trimEnd());
      }
      block = [];
    };
    const indent = (l: string) => l.length - l.trimStart().length;
    for (const l of this.lines) {
      if (block.length > 0 && indent(l) !== indent(block[0]!) && !l.startsWith(' '.repeat(indent(block[0]!)) + '\t')) flush();
      block.push(l);
    }
    flush();
    return out.join('\n') + '\n';
  }
}

export function text(value: unknown): string {
  if (value === undefined || value === null || value === '') return '<none>';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '<none>';
  return String(value);
}
