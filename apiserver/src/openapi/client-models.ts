// Reads the Kubernetes type models that the official JavaScript client (@kubernetes/client-node)
// generates from Kubernetes' own OpenAPI: the `.js` file of each model carries the field types
// and formats (attributeTypeMap), its `.d.ts` carries the descriptions (JSDoc) and which fields
// are required (no `?`). Files are read lazily, one model at a time, so start-up pays only for
// the types the served resources reach.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModelField {
  name: string;
  /** client-node's type: 'string', 'number', 'boolean', 'Date', 'any', 'IntOrString', 'V1Foo', 'Array<T>', '{ [key: string]: T; }' */
  type: string;
  format: string;
  description?: string;
  required: boolean;
}

export interface ClientModel {
  className: string;
  description?: string;
  fields: ModelField[];
}

let modelsDir: string | undefined;

/** The folder holding the generated models of the installed @kubernetes/client-node. */
export function clientModelsDir(): string {
  if (modelsDir) return modelsDir;
  const require = createRequire(import.meta.url);
  // The package's exports hide package.json; its main entry sits in dist/.
  const main = require.resolve('@kubernetes/client-node');
  const dir = join(dirname(main), 'gen', 'models');
  if (!existsSync(join(dir, 'V1ObjectMeta.js'))) {
    throw new Error(`@kubernetes/client-node models not found under ${dir}`);
  }
  modelsDir = dir;
  return dir;
}

const cache = new Map<string, ClientModel | null>();

/** The model of one generated class (`V1Deployment`), or undefined if the client has none. */
export function readClientModel(className: string): ClientModel | undefined {
  const hit = cache.get(className);
  if (hit !== undefined) return hit ?? undefined;
  const model = loadModel(className);
  cache.set(className, model ?? null);
  return model;
}

export function hasClientModel(className: string): boolean {
  return readClientModel(className) !== undefined;
}

function loadModel(className: string): ClientModel | undefined {
  if (!/^[A-Za-z0-9]+$/.test(className)) return undefined;
  const dir = clientModelsDir();
  const jsPath = join(dir, `${className}.js`);
  const dtsPath = join(dir, `${className}.d.ts`);
  if (!existsSync(jsPath) || !existsSync(dtsPath)) return undefined;
  const js = readFileSync(jsPath, 'utf8');
  const dts = readFileSync(dtsPath, 'utf8');
  const typeMap = parseAttributeTypeMap(js, className);
  const docs = parseDeclarations(dts, className);
  return {
    className,
    description: docs.classDescription,
    fields: typeMap.map((a) => ({
      name: a.baseName,
      type: a.type,
      format: a.format,
      description: docs.fields.get(a.name)?.description,
      required: docs.fields.get(a.name)?.required ?? false,
    })),
  };
}

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

function parseAttributeTypeMap(js: string, className: string): AttributeType[] {
  const m = new RegExp(`${className}\\.attributeTypeMap = (\\[[\\s\\S]*?\\]);`).exec(js);
  if (!m) return [];
  // The generator writes the table as a JSON array literal.
  return JSON.parse(m[1]) as AttributeType[];
}

interface Declarations {
  classDescription?: string;
  fields: Map<string, { description?: string; required: boolean }>;
}

const fieldDecl = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\??):/g;

function parseDeclarations(dts: string, className: string): Declarations {
  const fields = new Map<string, { description?: string; required: boolean }>();
  const classAt = dts.indexOf(`export declare class ${className}`);
  if (classAt < 0) return { fields };
  const before = dts.slice(0, classAt);
  const lastDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before);
  const body = dts.slice(classAt, dts.indexOf('static readonly discriminator', classAt));
  for (const m of body.matchAll(fieldDecl)) {
    fields.set(m[2], { description: m[1] ? jsDocText(m[1]) : undefined, required: m[3] !== '?' });
  }
  return { classDescription: lastDoc ? jsDocText(lastDoc[1]) : undefined, fields };
}

function jsDocText(raw: string): string | undefined {
  const text = raw
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, ''))
    .join('\n')
    .trim();
  return text || undefined;
}
