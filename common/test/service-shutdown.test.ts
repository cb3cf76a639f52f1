// onShutdown in a process of its own: one SIGTERM runs the shutdown work (the kubelet's drain on
// shutdown) to its end and then stop(); a second SIGTERM cuts the work short and stop() follows;
// without work, SIGTERM runs stop() as before. Each exits 0.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../src/testing/index.ts';

const script = (prepareMs: number | undefined) => `
import { onShutdown } from ${JSON.stringify(pathToFileURL(join(repoRoot(), 'common/dist/src/service.js')).href)};
const say = (msg) => process.stdout.write(msg + '\\n');
const log = { debug() {}, info: say, warn: say, error: say, child() { return log; } };
const prepare = (abort) => new Promise((resolve) => {
  say('preparing');
  const t = setTimeout(() => { say('prepared'); resolve(); }, ${prepareMs ?? 0});
  abort.addEventListener('abort', () => { clearTimeout(t); say('aborted'); resolve(); });
});
onShutdown(log, async () => say('stopped'), ${prepareMs === undefined ? '{}' : '{ prepare }'});
setInterval(() => {}, 1000);
say('ready');
`;

/** Runs the script, sends SIGTERM when a line appears (each line of `signalOn` once); its lines and exit code. */
function run(prepareMs: number | undefined, signalOn: string[]): Promise<{ lines: string[]; code: number | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script(prepareMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  const pending = [...signalOn];
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (pending[0] === line) {
        pending.shift();
        child.kill('SIGTERM');
      }
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ lines, code })));
}

describe('onShutdown with shutdown work (prepare)', function () {
  this.timeout(30_000);

  it('one SIGTERM: the work runs to its end, then stop', async () => {
    const r = await run(300, ['ready']);
    expect(r.lines).to.deep.equal(['ready', 'shutting down', 'preparing', 'prepared', 'stopped']);
    expect(r.code).to.equal(0);
  });

  it('a second SIGTERM cuts the work short, and stop follows', async () => {
    const r = await run(60_000, ['ready', 'preparing']);
    expect(r.lines).to.deep.equal(['ready', 'shutting down', 'preparing', 'second signal: cutting the shutdown work short', 'aborted', 'stopped']);
    expect(r.code).to.equal(0);
  });

  it('without work, SIGTERM stops at once', async () => {
    const r = await run(undefined, ['ready']);
    expect(r.lines).to.deep.equal(['ready', 'shutting down', 'stopped']);
    expect(r.code).to.equal(0);
  });
});
