// The first syntax error of a JSON text as Go's encoding/json scanner words it
// (`invalid character 'a' looking for beginning of value`, `unexpected end of JSON input`):
// Kubernetes quotes these in its decode errors, and clients match on them.

class SyntaxProblem extends Error {}

/** Go's quoteChar: the character in single quotes, escaped as a Go string literal would be. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const code = c.codePointAt(0) ?? 0;
  if (code >= 0x20 && code !== 0x7f && c !== '\\') return `'${c}'`;
  const escaped = JSON.stringify(c).slice(1, -1);
  return `'${escaped.startsWith('\\u') ? `\\x${code.toString(16).padStart(2, '0')}` : escaped}'`;
}

class Scanner {
  private i = 0;
  private readonly s: string;
  constructor(text: string) {
    this.s = text;
  }

  private fail(context: string): never {
    if (this.i >= this.s.length) throw new SyntaxProblem('unexpected end of JSON input');
    throw new SyntaxProblem(`invalid character ${quoteChar(String.fromCodePoint(this.s.codePointAt(this.i)!))} ${context}`);
  }

  private skipSpace(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }

  scanAll(): void {
    this.value();
    this.skipSpace();
    if (this.i < this.s.length) this.fail('after top-level value');
  }

  private value(): void {
    this.skipSpace();
    const c = this.peek();
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number();
    else if (c === 't') this.literal('true');
    else if (c === 'f') this.literal('false');
    else if (c === 'n') this.literal('null');
    else this.fail('looking for beginning of value');
  }

  private object(): void {
    this.i++; // {
    this.skipSpace();
    if (this.peek() === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== '"') this.fail('looking for beginning of object key string');
      this.string();
      this.skipSpace();
      if (this.peek() !== ':') this.fail('after object key');
      this.i++;
      this.value();
      this.skipSpace();
      const c = this.peek();
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return;
      }
      this.fail('after object key:value pair');
    }
  }

  private array(): void {
    this.i++; // [
    this.skipSpace();
    if (this.peek() === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const c = this.peek();
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return;
      }
      this.fail('after array element');
    }
  }

  private string(): void {
    this.i++; // opening quote
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('in string literal');
      if (c === '"') {
        this.i++;
        return;
      }
      if (c < ' ') this.fail('in string literal');
      if (c === '\\') {
        this.i++;
        const e = this.peek();
        if (e === 'u') {
          this.i++;
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(this.peek() ?? '')) this.fail('in \\u hexadecimal character escape');
            this.i++;
          }
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail('in string escape code');
      }
      this.i++;
    }
  }

  private digits(context: string): void {
    const c = this.peek();
    if (c === undefined || c < '0' || c > '9') this.fail(context);
    while ((this.peek() ?? '') >= '0' && (this.peek() ?? '') <= '9') this.i++;
  }

  private number(): void {
    if (this.peek() === '-') this.i++;
    if (this.peek() === '0') this.i++;
    else this.digits('in numeric literal');
    if (this.peek() === '.') {
      this.i++;
      this.digits('after decimal point in numeric literal');
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.i++;
      if (this.peek() === '+' || this.peek() === '-') this.i++;
      this.digits('in exponent of numeric literal');
    }
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) {
      if (this.peek() !== word[k]) this.fail(`in literal ${word} (expecting ${quoteChar(word[k]!)})`);
      this.i++;
    }
  }
}

/** The scanner's message for the first error of `text`; undefined when it is valid JSON (or too deep to scan). */
export function goJsonSyntaxError(text: string): string | undefined {
  try {
    new Scanner(text).scanAll();
    return undefined;
  } catch (e) {
    if (e instanceof SyntaxProblem) return e.message;
    return undefined; // nested too deep for the stack: the caller keeps its own error
  }
}
