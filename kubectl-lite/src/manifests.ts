// Objects from `-f`: files, directories (their .yaml/.yml/.json files), `-` for stdin;
// multi-document YAML and `kind: List` are split into single objects.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { CliError } from './errors.ts';
import { readStdin, type CliIO } from './io.ts';

export interface SourcedObject {
  obj: any;
  /** file name (or `STDIN`) for error messages */
  source: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

function filesOf(path: string, recursive: boolean): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CliError(`the path "${path}" does not exist`);
  }
  if (!stat.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...filesOf(full, true));
    } else if (MANIFEST_FILE.test(entry.name)) out.push(full);
  }
  return out;
}

export function parseManifests(text: string, source: string): SourcedObject[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    throw new CliError(`error parsing ${source}: ${(err as Error).message.split('\n')[0]}`);
  }
  const out: SourcedObject[] = [];
  const add = (doc: any) => {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`error validating "${source}": a document is not an object`);
    if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      for (const item of doc.items) add(item);
      return;
    }
    if (!doc.apiVersion) throw new CliError(`error validating "${source}": apiVersion not set`);
    if (!doc.kind) throw new CliError(`error validating "${source}": kind not set`);
    if (!doc.metadata?.name && !doc.metadata?.generateName) throw new CliError(`error validating "${source}": metadata.name not set`);
    out.push({ obj: doc, source });
  };
  for (const doc of docs) add(doc);
  return out;
}

export async function readManifests(paths: readonly string[], io: CliIO, opts: { recursive?: boolean; verb?: string } = {}): Promise<SourcedObject[]> {
  const out: SourcedObject[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(await readStdin(io), 'STDIN'));
      continue;
    }
    if (/^https?:\/\//.test(p)) throw new CliError(`reading manifests from URLs is not supported: ${p}`);
    for (const file of filesOf(resolve(io.cwd ?? process.cwd(), p), opts.recursive ?? false)) {
      out.push(...parseManifests(readFileSync(file, 'utf8'), file));
    }
  }
  if (out.length === 0) throw new CliError(`no objects passed to ${opts.verb ?? 'apply'}`);
  return out;
}
