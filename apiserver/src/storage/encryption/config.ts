// --encryption-provider-config: an apiserver.config.k8s.io/v1 EncryptionConfiguration (YAML or
// JSON), checked as Kubernetes' validation_encryption.go checks it, turned into one transformer
// per group-resource (encryptionconfig/config.go). Skiff has the aescbc, aesgcm and identity
// providers; secretbox and kms are refused by name.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { aesCbcTransformer, aesGcmTransformer } from './aes.ts';
import { identityTransformer, PrefixTransformers } from './transformer.ts';
import type { PrefixTransformer, ValueTransformer } from './transformer.ts';

export const AESCBC_PREFIX = 'k8s:enc:aescbc:v1:';
export const AESGCM_PREFIX = 'k8s:enc:aesgcm:v1:';
const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const AES_KEY_SIZES = [16, 24, 32];
const KNOWN_UNSUPPORTED = ['secretbox', 'kms'];

export class EncryptionConfigError extends Error {}

export interface GroupResource {
  group: string;
  resource: string;
}

/** Transformers by group-resource, as written in the config: `secrets`, `deployments.apps`, `*.apps`, `*.`, `*.*`. */
export type TransformerOverrides = Map<string, ValueTransformer>;

/** schema.ParseGroupResource: `deployments.apps` → apps/deployments, `secrets` → core, `*.` → every core resource. */
export function parseGroupResource(text: string): GroupResource {
  const dot = text.indexOf('.');
  return dot < 0 ? { group: '', resource: text } : { group: text.slice(dot + 1), resource: text.slice(0, dot) };
}

const grKey = (gr: GroupResource) => `${gr.resource}.${gr.group}`;

/** The transformer for a group-resource: its own rule, else `*.<group>`, else `*.*` (Kubernetes' lookup order). */
export function transformerFor(overrides: TransformerOverrides, gr: GroupResource): ValueTransformer | undefined {
  return overrides.get(grKey(gr)) ?? overrides.get(grKey({ group: gr.group, resource: '*' })) ?? overrides.get('*.*');
}

type Problems = string[];
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validateResourceNames(resources: unknown[], path: string, problems: Problems): void {
  const seen: GroupResource[] = [];
  let duplicate = false;
  let overlap = false;
  resources.forEach((res, j) => {
    const at = `${path}[${j}]`;
    if (typeof res !== 'string' || res === '') {
      problems.push(`${at}: Invalid value: ${JSON.stringify(res)}: must be a resource name such as secrets or deployments.apps`);
      return;
    }
    if (res.toLowerCase() !== res) problems.push(`${at}: Invalid value: "${res}": resource name should not contain capital letters`);
    else if (res === '*')
      problems.push(`${at}: Invalid value: "${res}": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
    else if (['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].includes(res)) {
      problems.push(`${at}: Invalid value: "${res}": resources which do not have REST API/s cannot be encrypted`);
    } else {
      const gr = parseGroupResource(res);
      if (gr.group === 'events.k8s.io') {
        problems.push(
          `${at}: Invalid value: "${res}": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
        );
      } else if (gr.group === 'extensions')
        problems.push(`${at}: Invalid value: "${res}": 'extensions' group has been removed and cannot be used for encryption`);
      else if (gr.group === '*' && gr.resource !== '*')
        problems.push(`${at}: Invalid value: "${res}": encrypting the same resource across groups is not supported`);
    }
    if (typeof res !== 'string') return;
    const gr = parseGroupResource(res);
    for (const other of seen) {
      if (other.group === gr.group && other.resource === gr.resource) duplicate = true;
      else if ((other.group === '*' && other.resource === '*') || (gr.group === '*' && gr.resource === '*')) overlap = true;
      else if (other.group === gr.group && (other.resource === '*' || gr.resource === '*')) overlap = true;
    }
    seen.push(gr);
  });
  if (duplicate) problems.push(`${path}: Invalid value: ${JSON.stringify(resources)}: the same resource cannot be specified multiple times`);
  if (overlap) {
    problems.push(
      `${path}: Invalid value: ${JSON.stringify(resources)}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`,
    );
  }
}

/** One aes provider's keys as prefix transformers (`<name>:`); problems are collected, keys never printed. */
function aesKeys(provider: unknown, path: string, make: (key: Buffer) => ValueTransformer, problems: Problems): PrefixTransformer[] {
  const keys = isObject(provider) ? provider.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) {
    problems.push(`${path}.keys: Required value: at least one keys is required`);
    return [];
  }
  const out: PrefixTransformer[] = [];
  keys.forEach((k, i) => {
    const at = `${path}.keys[${i}]`;
    const name = isObject(k) && typeof k.name === 'string' ? k.name : '';
    const secret = isObject(k) && typeof k.secret === 'string' ? k.secret : '';
    if (!name) problems.push(`${at}.name: Required value: name is a mandatory field for a key`);
    if (!secret) {
      problems.push(`${at}.secret: Required value: secret is a mandatory field for a key`);
      return;
    }
    // Go's base64.StdEncoding: the standard alphabet, padded
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret)) {
      problems.push(`${at}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
      return;
    }
    const bytes = Buffer.from(secret, 'base64');
    if (!AES_KEY_SIZES.includes(bytes.length)) {
      problems.push(`${at}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of [16 24 32]`);
      return;
    }
    if (name) out.push({ prefix: Buffer.from(`${name}:`), transformer: make(bytes) });
  });
  return out;
}

function providerTransformer(provider: unknown, path: string, problems: Problems): PrefixTransformer | undefined {
  const present = isObject(provider) ? Object.keys(provider).filter((k) => provider[k] != null) : [];
  const known = present.filter((k) => ['aescbc', 'aesgcm', 'identity', ...KNOWN_UNSUPPORTED].includes(k));
  if (known.length === 0) {
    problems.push(
      `${path}: Invalid value: ${JSON.stringify(provider)}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity`,
    );
    return undefined;
  }
  if (known.length > 1) {
    problems.push(
      `${path}: Invalid value: ${JSON.stringify(known)}: more than one provider specified in a single element, should split into different list elements`,
    );
    return undefined;
  }
  const kind = known[0]!;
  const body = (provider as Record<string, unknown>)[kind];
  switch (kind) {
    case 'identity':
      return { prefix: Buffer.alloc(0), transformer: identityTransformer };
    case 'aescbc':
    case 'aesgcm': {
      const keys = aesKeys(body, `${path}.${kind}`, kind === 'aescbc' ? aesCbcTransformer : aesGcmTransformer, problems);
      if (keys.length === 0) return undefined;
      return {
        prefix: Buffer.from(kind === 'aescbc' ? AESCBC_PREFIX : AESGCM_PREFIX),
        transformer: new PrefixTransformers(keys, `no matching key was found for the provided AES transformer`),
      };
    }
    default:
      problems.push(`${path}.${kind}: Unsupported value: the ${kind} provider is not implemented by Skiff (aescbc, aesgcm and identity are)`);
      return undefined;
  }
}

/** Parses and checks a config document; throws EncryptionConfigError with every problem on one line. */
export function parseEncryptionConfig(text: string): TransformerOverrides {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new EncryptionConfigError(`not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new EncryptionConfigError('want an EncryptionConfiguration object');
  if (doc.apiVersion !== API_VERSION || doc.kind !== KIND) {
    throw new EncryptionConfigError(
      `want apiVersion ${API_VERSION} and kind ${KIND}, got apiVersion ${JSON.stringify(doc.apiVersion)} kind ${JSON.stringify(doc.kind)}`,
    );
  }
  const problems: Problems = [];
  const entries = doc.resources;
  if (!Array.isArray(entries) || entries.length === 0) throw new EncryptionConfigError('resources: Required value: at least one resources is required');
  const lists = new Map<string, PrefixTransformer[]>();
  entries.forEach((entry, i) => {
    const resources: unknown[] = isObject(entry) && Array.isArray(entry.resources) ? entry.resources : [];
    const providers: unknown[] = isObject(entry) && Array.isArray(entry.providers) ? entry.providers : [];
    if (resources.length === 0) problems.push(`resources[${i}].resources: Required value: at least one resources[${i}].resources is required`);
    if (providers.length === 0) problems.push(`resources[${i}].providers: Required value: at least one resources[${i}].providers is required`);
    validateResourceNames(resources, `resources[${i}].resources`, problems);
    const transformers: PrefixTransformer[] = [];
    providers.forEach((p, j) => {
      const t = providerTransformer(p, `resources[${i}].providers[${j}]`, problems);
      if (t) transformers.push(t);
    });
    for (const res of resources) {
      if (typeof res !== 'string') continue;
      const gr = parseGroupResource(res);
      // a rule after `*.group` or `*.*` would never be used: Kubernetes refuses it
      for (const masking of [
        { group: gr.group, resource: '*' },
        { group: '*', resource: '*' },
      ]) {
        if (lists.has(grKey(masking))) {
          problems.push(`resource "${res}" is masked by earlier rule "${masking.resource}.${masking.group}"`);
        }
      }
      // the same resource in two entries: the providers of both, in order
      lists.set(grKey(gr), [...(lists.get(grKey(gr)) ?? []), ...transformers]);
    }
  });
  if (problems.length > 0) throw new EncryptionConfigError(problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);
  const overrides: TransformerOverrides = new Map();
  for (const [gr, list] of lists) overrides.set(gr, new PrefixTransformers(list, 'no matching prefix found'));
  return overrides;
}

export function loadEncryptionConfig(file: string): TransformerOverrides {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EncryptionConfigError(
      `error reading encryption provider configuration file "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (text.trim() === '') throw new EncryptionConfigError(`encryption provider configuration file "${file}" is empty`);
  try {
    return parseEncryptionConfig(text);
  } catch (e) {
    if (e instanceof EncryptionConfigError) throw new EncryptionConfigError(`error while parsing file "${file}": ${e.message}`);
    throw e;
  }
}
