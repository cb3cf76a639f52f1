// `pattern` is a Go (RE2) regular expression in Kubernetes. JavaScript reads most of RE2 the same;
// this translates the Go-only spellings CRDs use: leading inline flags `(?i)`, `(?s)`, `(?m)`,
// `\A` and `\z`, POSIX classes such as `[[:alpha:]]`, and one-letter Unicode classes `\pL`.
const posix: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** The JavaScript source and flags for a Go pattern; throws SyntaxError where JavaScript cannot follow. */
export function translateGoPattern(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    if (lead[1]!.includes('U')) throw new SyntaxError('the ungreedy flag (?U) is not supported');
    flags = [...new Set(lead[1]!)].join('');
    source = source.slice(lead[0].length);
  }
  source = source
    .replace(/\[:(\w+):\]/g, (m, name: string) => posix[name] ?? m)
    .replace(/\\A/g, '(?<![\\s\\S])')
    .replace(/\\z/g, '(?![\\s\\S])')
    .replace(/\\([pP])([A-Z])/g, '\\$1{$2}');
  return { source, flags };
}

/** ajv's regExp engine option: patterns compile as Go would read them. */
export function goRegExp(pattern: string, u: string): RegExp {
  const { source, flags } = translateGoPattern(pattern);
  return new RegExp(source, `${u}${flags}`);
}
goRegExp.code = 'goRegExp';
