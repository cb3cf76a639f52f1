// A program run on a pseudo-terminal, as a user at a shell runs it: util-linux `script`
// gives it a pty (so `kubectl run -i --tty` sees a terminal and puts it into raw mode) while
// the test types into it and reads the screen output.
import { spawn } from 'node:child_process';

export interface TerminalSession {
  /** everything the program wrote to the terminal so far */
  output(): string;
  /** types text (use \r for Enter, as a terminal sends it) */
  type(text: string): void;
  /** resolves when the output matches, rejects with the output so far on timeout or exit */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** the program's exit code */
  exited: Promise<number>;
  kill(): void;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function startInTerminal(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): TerminalSession {
  const line = [command, ...args].map(shellQuote).join(' ');
  // -q no banner, -f flush at once, -e the program's exit code, -c what to run; no typescript file
  const child = spawn('script', ['-qfec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const collect = (b: Buffer) => {
    out += b.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.stdin.on('error', () => {
    /* gone with the program */
  });
  let done = false;
  const exited = new Promise<number>((resolve) =>
    child.once('close', (code) => {
      done = true;
      for (const w of waiters) w();
      resolve(code ?? 128);
    }),
  );
  return {
    output: () => out,
    type: (text) => {
      child.stdin.write(text);
    },
    waitFor: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            finish();
            resolve();
          } else if (done) {
            finish();
            reject(new Error(`exited before ${pattern} appeared; output:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${pattern} did not appear within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    exited,
    kill: () => {
      if (!done) child.kill('SIGKILL');
    },
  };
}
