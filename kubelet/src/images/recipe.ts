// The recipe format of a Skiff image: a directory with an `image.json` such as
//   { "base": "busybox", "files": [{ "src": "start.sh", "dest": "/start.sh", "mode": "0755" }],
//     "entrypoint": ["/start.sh"], "cmd": [], "env": { "PORT": "8080" }, "workdir": "/",
//     "ports": [8080], "user": "0", "labels": {} }
// `src` is relative to the recipe directory and may name a directory (copied recursively).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';

export type ImageBase = 'busybox' | 'scratch';

export interface RecipeFile {
  src: string; // absolute path on the build machine
  dest: string; // absolute path inside the image
  mode?: number;
}

export interface ImageRecipe {
  dir: string;
  base: ImageBase;
  files: RecipeFile[];
  entrypoint?: string[];
  cmd?: string[];
  env: string[]; // KEY=value
  workdir?: string;
  ports: string[]; // "8080/tcp"
  user?: string;
  labels: Record<string, string>;
}

export const RECIPE_FILE = 'image.json';

export function loadRecipe(dir: string): ImageRecipe {
  const path = join(dir, RECIPE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read recipe ${path}: ${(err as Error).message}`);
  }
  return parseRecipe(raw, resolve(dir));
}

export function parseRecipe(raw: unknown, dir: string): ImageRecipe {
  const fail = (msg: string): never => {
    throw new Error(`invalid recipe in ${dir}: ${msg}`);
  };
  if (!isRecord(raw)) return fail('top level must be an object');
  const known = new Set(['base', 'files', 'entrypoint', 'cmd', 'env', 'workdir', 'ports', 'user', 'labels', 'description']);
  for (const key of Object.keys(raw)) if (!known.has(key)) fail(`unknown field "${key}"`);

  const rawBase = raw.base ?? 'busybox';
  const base: ImageBase =
    rawBase === 'busybox' || rawBase === 'scratch' ? rawBase : fail(`base must be "busybox" or "scratch", got ${JSON.stringify(rawBase)}`);

  const files = optionalArray(raw.files, 'files', fail).map((item, i): RecipeFile => {
    if (!isRecord(item)) return fail(`files[${i}] must be an object`);
    if (typeof item.src !== 'string' || !item.src) return fail(`files[${i}].src must be a non-empty string`);
    if (typeof item.dest !== 'string' || !item.dest.startsWith('/')) return fail(`files[${i}].dest must be an absolute path`);
    const src = resolve(dir, item.src);
    if (isAbsolute(item.src) || relative(dir, src).startsWith('..')) fail(`files[${i}].src must stay inside the recipe directory`);
    const dest = normalize(item.dest);
    if (dest === '/') fail(`files[${i}].dest must not be /`);
    return { src, dest, mode: item.mode === undefined ? undefined : parseMode(item.mode, `files[${i}].mode`, fail) };
  });

  return {
    dir,
    base,
    files,
    entrypoint: optionalStrings(raw.entrypoint, 'entrypoint', fail),
    cmd: optionalStrings(raw.cmd, 'cmd', fail),
    env: parseEnv(raw.env, fail),
    workdir: optionalAbsolutePath(raw.workdir, 'workdir', fail),
    ports: optionalArray(raw.ports, 'ports', fail).map((p, i) => parsePort(p, `ports[${i}]`, fail)),
    user: raw.user === undefined ? undefined : typeof raw.user === 'string' ? raw.user : fail('user must be a string'),
    labels: parseStringMap(raw.labels, 'labels', fail),
  };
}

type Fail = (msg: string) => never;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalArray(v: unknown, field: string, fail: Fail): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : fail(`${field} must be an array`);
}

function optionalStrings(v: unknown, field: string, fail: Fail): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return fail(`${field} must be an array of strings`);
  return v as string[];
}

function optionalAbsolutePath(v: unknown, field: string, fail: Fail): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' && v.startsWith('/') ? v : fail(`${field} must be an absolute path`);
}

function parseMode(v: unknown, field: string, fail: Fail): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o7777) return v;
  if (typeof v === 'string' && /^0?[0-7]{3,4}$/.test(v)) return parseInt(v, 8);
  return fail(`${field} must be an octal string like "0755"`);
}

function parseEnv(v: unknown, fail: Fail): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) {
    if (!v.every((s) => typeof s === 'string' && /^[^=]+=/.test(s))) fail('env entries must look like KEY=value');
    return v as string[];
  }
  return Object.entries(parseStringMap(v, 'env', fail)).map(([k, val]) => `${k}=${val}`);
}

function parseStringMap(v: unknown, field: string, fail: Fail): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v) || !Object.values(v).every((s) => typeof s === 'string')) return fail(`${field} must map strings to strings`);
  return v as Record<string, string>;
}

function parsePort(v: unknown, field: string, fail: Fail): string {
  const match = typeof v === 'number' ? [String(v), String(v), undefined] : typeof v === 'string' ? /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(v) : null;
  const port = match ? Number(match[1]) : NaN;
  if (!match || !(port >= 1 && port <= 65535)) return fail(`${field} must be a port number or "N/tcp|udp|sctp"`);
  return `${port}/${match[2] ?? 'tcp'}`;
}
