// Where a command reads and writes: the real process streams from main.ts, buffers in tests.
export interface Sink {
  write(chunk: string): unknown;
}

export interface CliIO {
  stdout: Sink;
  stderr: Sink;
  /** read by `-f -`, `exec -i` and `compose ... -f -` */
  stdin?: AsyncIterable<Buffer | string>;
  env?: NodeJS.ProcessEnv;
  /** base for relative paths; the process's cwd by default */
  cwd?: string;
  /** ends long-running commands (`get -w`, `logs -f`, `rollout status`) */
  signal?: AbortSignal;
}

export async function readStdin(io: CliIO): Promise<string> {
  if (!io.stdin) return '';
  const parts: string[] = [];
  for await (const chunk of io.stdin) parts.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  return parts.join('');
}
