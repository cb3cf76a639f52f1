// A course lesson as the runner sees it: the Markdown's fenced blocks, in order. The format is
// described in course/README.md; in short, a ```sh block is run by bash, the ```input block after
// it (if any) is its stdin, and the ```expect block after it holds lines that must appear in its
// output, in order, where `...` stands for any text within a line (ages, pod-name suffixes, IPs).

export interface Step {
  /** 1-based line of the ```sh fence in the lesson, for messages */
  line: number;
  script: string;
  input?: string;
  expect?: string[];
  /** the exit status the commands must end with (default 0) */
  exit: number;
  /** seconds during which the step is run again until its output matches (default: once) */
  retrySeconds?: number;
  /** shown to the student, not run (interactive sessions, other machines) */
  skip: boolean;
}

interface Fence {
  line: number;
  lang: string;
  options: Map<string, string>;
  body: string;
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang, rest] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(ticks!) && /^`+$/.test(l.trim())) break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l);
    }
    const options = new Map<string, string>();
    for (const word of rest!.split(/\s+/).filter(Boolean)) {
      const [k, v] = word.split('=', 2);
      options.set(k!, v ?? '');
    }
    found.push({ line: i + 1, lang: lang!, options, body: body.join('\n') });
    i = j;
  }
  return found;
}

export function parseLesson(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const f of fences(markdown)) {
    if (f.lang === 'sh') {
      const exit = Number(f.options.get('exit') ?? 0);
      const retry = f.options.get('retry');
      if (!Number.isInteger(exit)) throw new Error(`line ${f.line}: exit=${f.options.get('exit')} is not a number`);
      steps.push({
        line: f.line,
        script: f.body,
        exit,
        retrySeconds: retry === undefined ? undefined : Number.parseInt(retry, 10),
        skip: f.options.has('skip'),
      });
      continue;
    }
    if (f.lang !== 'expect' && f.lang !== 'input') continue;
    const last = steps.at(-1);
    if (!last) throw new Error(`line ${f.line}: a ${f.lang} block needs a sh block before it`);
    if (f.lang === 'input') {
      if (last.input !== undefined || last.expect) throw new Error(`line ${f.line}: input comes right after its sh block`);
      last.input = `${f.body}\n`;
    } else {
      if (last.expect) throw new Error(`line ${f.line}: a second expect block for the sh block of line ${last.line}`);
      last.expect = f.body.split('\n').filter((l) => l.trim() !== '');
    }
  }
  return steps;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** One expected line as a regular expression over one output line (whitespace squashed). */
export function linePattern(expected: string): RegExp {
  // in a run of more than three dots the last three are the wildcard: `10.96....` is `10.96.` and anything
  const parts = squash(expected)
    .split(/\.{3}(?!\.)/)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/**
 * Checks that every expected line matches an output line, in order (other output lines may
 * come between). Returns undefined on a match, else the first difference, for the report.
 */
export function firstDifference(expected: string[], output: string): string | undefined {
  const lines = output.split('\n').map(squash);
  let at = 0;
  for (const want of expected) {
    const re = linePattern(want);
    const found = lines.findIndex((l, i) => i >= at && re.test(l));
    if (found < 0) {
      const rest = lines.slice(at).filter(Boolean);
      return `expected a line like\n    ${squash(want)}\n  in the output${at > 0 ? ' after the lines already matched' : ''}:\n${rest
        .slice(0, 25)
        .map((l) => `    ${l}`)
        .join('\n')}${rest.length > 25 ? `\n    ... (${rest.length - 25} more lines)` : ''}`;
    }
    at = found + 1;
  }
  return undefined;
}
