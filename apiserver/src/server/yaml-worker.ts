// Parses large YAML bodies off the event loop (js-yaml takes ~250 ms for 3 MiB).
import { parentPort } from 'node:worker_threads';
import { parseYamlLimited } from './yaml-parse.ts';

parentPort?.on('message', (m: { id: number; text: string; prefix: string }) => {
  parentPort!.postMessage({ id: m.id, result: parseYamlLimited(m.text, m.prefix) });
});
