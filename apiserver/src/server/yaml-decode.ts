// Decodes a YAML (or JSON) request body: small ones inline, large ones on a worker thread, so
// that no request blocks the event loop for long. Failures are 400 BadRequest.
import { Worker } from 'node:worker_threads';
import { errors } from '../errors.ts';
import { parseYamlLimited, type YamlResult } from './yaml-parse.ts';

/** Below this size js-yaml parses in a few milliseconds: not worth a thread hop. */
const inlineBytes = 64 * 1024;

export async function decodeYaml(body: Buffer, prefix: string): Promise<unknown> {
  const text = body.toString('utf8');
  const result = body.length <= inlineBytes ? parseYamlLimited(text, prefix) : await parseOnWorker(text, prefix);
  if (!result.ok) throw errors.badRequest(result.message);
  return result.value;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (r: YamlResult) => void; reject: (e: Error) => void }>();

function parseOnWorker(text: string, prefix: string): Promise<YamlResult> {
  const w = (worker ??= startWorker());
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, text, prefix });
  });
}

function startWorker(): Worker {
  // the compiled server loads yaml-worker.js, the source one (--conditions=source) yaml-worker.ts
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const w = new Worker(new URL(`./yaml-worker${ext}`, import.meta.url));
  w.unref();
  w.on('message', (m: { id: number; result: YamlResult }) => {
    pending.get(m.id)?.resolve(m.result);
    pending.delete(m.id);
  });
  const fail = (e: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`YAML worker exited with code ${code}`)));
  return w;
}
