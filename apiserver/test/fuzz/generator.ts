// Generates bad requests for the apiserver fuzz test from a seed: wrong-typed fields in real
// objects, huge and deep bodies, bad patches of each patch type, bad query strings, bad paths
// and bad content types, over every resource and verb that discovery lists.

/** A served resource as discovery lists it. */
export interface FuzzResource {
  group: string;
  version: string;
  /** plural, e.g. pods, or pods/status for a subresource */
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** An object that exists on the server, as a target for get, update, patch, delete. */
export interface FuzzTarget {
  resource: FuzzResource;
  namespace?: string;
  name: string;
  object: Record<string, unknown>;
}

export interface FuzzRequest {
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const wrongValues: unknown[] = [
  5,
  0,
  -1,
  -2147483649,
  2 ** 63,
  1.5,
  1e308,
  true,
  false,
  null,
  '',
  'x',
  'y',
  '-1',
  '1Gi',
  '../..',
  '\u0000',
  '😀',
  'a'.repeat(300),
  [],
  [1, 'a'],
  [null],
  [[]],
  {},
  { a: 1 },
  { '': null },
  { $patch: 'delete' },
];

export function wrongValue(rng: Rng): unknown {
  return structuredClone(rng.pick(wrongValues));
}

/** Every path into a JSON value, objects and arrays included. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (out.length > 2000) return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      paths(v, [...prefix, k], out);
    }
  }
  return out;
}

function setPath(obj: unknown, path: (string | number)[], value: unknown): void {
  let cur = obj as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object') return;
    cur = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** Field names objects commonly have, so that wrong types land where strategies look. */
const commonFields = [
  ['metadata', 'name'],
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'finalizers'],
  ['metadata', 'ownerReferences'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
  ['metadata', 'generateName'],
  ['metadata', 'namespace'],
  ['metadata', 'deletionGracePeriodSeconds'],
  ['spec'],
  ['spec', 'replicas'],
  ['spec', 'selector'],
  ['spec', 'template'],
  ['spec', 'template', 'spec', 'containers'],
  ['spec', 'containers'],
  ['spec', 'containers', 0, 'image'],
  ['spec', 'containers', 0, 'ports'],
  ['spec', 'containers', 0, 'resources'],
  ['spec', 'ports'],
  ['spec', 'type'],
  ['spec', 'clusterIP'],
  ['spec', 'sessionAffinityConfig'],
  ['status'],
  ['data'],
  ['stringData'],
  ['subsets'],
  ['rules'],
  ['value'],
  ['type'],
];

/** A copy of `obj` with one field (an existing one, or a common one) given a wrong type. */
export function mutate(rng: Rng, obj: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(obj);
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const existing = paths(out);
    const path = existing.length > 0 && rng.chance(0.7) ? rng.pick(existing) : rng.pick(commonFields);
    if (path[0] === 'apiVersion' || path[0] === 'kind') continue;
    setPath(out, path, rng.chance(0.1) ? undefined : wrongValue(rng));
    if (path.length === 1 && path[0] !== 'metadata') out[path[0] as string] ??= wrongValue(rng);
  }
  return out;
}

function resourceBase(r: FuzzResource, namespace: string | undefined): string {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && namespace ? `${prefix}/namespaces/${namespace}` : prefix;
}

function collectionPath(r: FuzzResource, namespace: string | undefined): string {
  return `${resourceBase(r, namespace)}/${r.name.split('/')[0]}`;
}

function objectPath(r: FuzzResource, namespace: string | undefined, name: string): string {
  const [plural, sub] = r.name.split('/');
  return `${resourceBase(r, namespace)}/${plural}/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`;
}

const json = { 'content-type': 'application/json' };

const fillers = new Map<number, Buffer>();

/** `size` bytes of `x`, made once per size. */
function filler(size: number): Buffer {
  let b = fillers.get(size);
  if (!b) fillers.set(size, (b = Buffer.alloc(size, 'x')));
  return b;
}

export class FuzzGenerator {
  private readonly rng: Rng;
  private readonly resources: FuzzResource[];
  private readonly targets: FuzzTarget[];
  private readonly namespace: string;
  private counter = 0;

  constructor(seed: number, resources: FuzzResource[], targets: FuzzTarget[], namespace: string) {
    this.rng = new Rng(seed);
    this.resources = resources;
    this.targets = targets;
    this.namespace = namespace;
  }

  next(): FuzzRequest {
    const r = this.rng;
    const roll = r.next();
    if (roll < 0.3) return this.wrongTypes();
    if (roll < 0.5) return this.badPatch();
    if (roll < 0.65) return this.badQuery();
    if (roll < 0.75) return this.badPath();
    if (roll < 0.85) return this.badContentType();
    if (roll < 0.95) return this.deepBody();
    if (roll < 0.998) return this.oddVerb();
    return this.hugeBody();
  }

  private target(): FuzzTarget {
    return this.rng.pick(this.targets);
  }

  private resource(): FuzzResource {
    return this.rng.pick(this.resources);
  }

  private nsFor(res: FuzzResource): string | undefined {
    return res.namespaced ? this.namespace : undefined;
  }

  /** PUT, POST or a merge patch of a real object with wrong-typed fields. */
  private wrongTypes(): FuzzRequest {
    const r = this.rng;
    const t = this.target();
    const bad = mutate(r, t.object);
    const mode = r.int(4);
    if (mode === 0 && t.resource.verbs.includes('create') && !t.resource.name.includes('/')) {
      const meta = (bad.metadata && typeof bad.metadata === 'object' && !Array.isArray(bad.metadata) ? bad.metadata : {}) as Record<string, unknown>;
      if (r.chance(0.8)) {
        meta.name = `fuzz-${this.counter++}`;
        delete meta.resourceVersion;
        delete meta.uid;
      }
      return { category: 'wrong-types:create', method: 'POST', path: collectionPath(t.resource, t.namespace), headers: json, body: JSON.stringify(bad) };
    }
    if (mode === 1) {
      return { category: 'wrong-types:update', method: 'PUT', path: objectPath(t.resource, t.namespace, t.name), headers: json, body: JSON.stringify(bad) };
    }
    const patchType = r.pick(['application/merge-patch+json', 'application/strategic-merge-patch+json']);
    const patch = bad;
    delete patch.apiVersion;
    delete patch.kind;
    return {
      category: `wrong-types:patch ${patchType.split('/')[1]}`,
      method: 'PATCH',
      path: objectPath(t.resource, t.namespace, t.name),
      headers: { 'content-type': patchType },
      body: JSON.stringify(patch),
    };
  }

  private badPatch(): FuzzRequest {
    const r = this.rng;
    const t = this.target();
    const path = objectPath(t.resource, t.namespace, t.name);
    const kind = r.int(4);
    if (kind === 0)
      return { category: 'bad-patch:json', method: 'PATCH', path, headers: { 'content-type': 'application/json-patch+json' }, body: this.jsonPatch(t) };
    if (kind === 1 || kind === 2) {
      const type = kind === 1 ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json';
      return { category: `bad-patch:${type.split('/')[1]}`, method: 'PATCH', path, headers: { 'content-type': type }, body: this.mergePatch(t) };
    }
    return {
      category: 'bad-patch:apply',
      method: 'PATCH',
      path: path + this.applyQuery(),
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: this.applyPatch(t),
    };
  }

  private jsonPatch(t: FuzzTarget): string {
    const r = this.rng;
    const existing = paths(t.object).map((p) => `/${p.join('/')}`);
    const somePath = () =>
      r.chance(0.6) && existing.length
        ? r.pick(existing)
        : r.pick(['', '/', '/x/y/z', '/metadata/labels/~2', '/spec/containers/-', '/spec/containers/99', '/a~1b', '//']);
    const op = () => {
      const o: Record<string, unknown> = { op: r.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', 5]), path: somePath() };
      if (r.chance(0.7)) o.value = wrongValue(r);
      if (r.chance(0.5)) o.from = somePath();
      if (r.chance(0.05)) o.path = wrongValue(r);
      return o;
    };
    const shape = r.int(8);
    if (shape === 0) return JSON.stringify(wrongValue(r));
    if (shape === 1) return '[{"op":"add","path":"/x","value":';
    if (shape === 2 && r.chance(0.1)) return JSON.stringify(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: t.object.kind })));
    if (shape === 3) {
      const ops: object[] = [{ op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(20) } }];
      for (let i = 0; i < 25; i++) ops.push({ op: 'copy', from: '/metadata/annotations', path: `/metadata/annotations/c${i}` });
      return JSON.stringify(ops);
    }
    return JSON.stringify(Array.from({ length: 1 + r.int(5) }, op));
  }

  private mergePatch(t: FuzzTarget): string {
    const r = this.rng;
    const shape = r.int(6);
    if (shape === 0) return JSON.stringify(wrongValue(r));
    if (shape === 1) return '{"metadata":';
    if (shape === 2) {
      return JSON.stringify({
        spec: r.pick([
          { $patch: r.pick(['delete', 'replace', 'merge', 'bogus', 5]) },
          { $retainKeys: wrongValue(r) },
          { containers: [{ $patch: 'delete' }] },
          { containers: [{ name: wrongValue(r), $patch: r.pick(['delete', 'replace']) }] },
          { $setElementOrder: wrongValue(r) },
          { '$setElementOrder/containers': wrongValue(r) },
          { '$deleteFromPrimitiveList/finalizers': wrongValue(r) },
        ]),
        metadata: r.chance(0.5) ? { finalizers: wrongValue(r), '$deleteFromPrimitiveList/finalizers': wrongValue(r) } : undefined,
      });
    }
    const bad = mutate(r, t.object);
    delete bad.apiVersion;
    delete bad.kind;
    return JSON.stringify(bad);
  }

  private applyQuery(): string {
    const r = this.rng;
    return r.pick([
      '?fieldManager=fuzz',
      '?fieldManager=fuzz&force=true',
      '',
      '?fieldManager=',
      `?fieldManager=${'m'.repeat(200)}`,
      '?fieldManager=fuzz&force=x',
    ]);
  }

  private applyPatch(t: FuzzTarget): string {
    const r = this.rng;
    const shape = r.int(6);
    if (shape === 0) return r.pick(['a: [b', '- 1\n- 2', '!!binary x', 'a: &a [*a]', '{', 'null', '5', '"x"', '---\na: 1\n---\nb: 2', '\t\tx: y']);
    if (shape === 1)
      return `a: &a ["x","x","x","x","x","x","x","x"]\n${'bcdefgh'
        .split('')
        .map((c, i) => `${c}: &${c} [${Array(8).fill(`*${'abcdefgh'[i]}`).join(',')}]`)
        .join('\n')}\n`;
    const bad = mutate(r, t.object);
    if (r.chance(0.3)) bad.kind = r.pick(['Bogus', 5, '', t.resource.kind]);
    if (r.chance(0.3)) bad.apiVersion = r.pick(['v9', 5, '', 'apps/v1']);
    return JSON.stringify(bad);
  }

  private badQuery(): FuzzRequest {
    const r = this.rng;
    const res = this.resource();
    const bad = [
      'limit=-1',
      'limit=abc',
      'limit=99999999999999999999',
      'continue=garbage',
      'continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9',
      'resourceVersion=abc',
      'resourceVersion=-5',
      'resourceVersion=99999999999',
      'resourceVersionMatch=Bogus',
      'resourceVersionMatch=NotOlderThan',
      'resourceVersionMatch=Exact&resourceVersion=0',
      'labelSelector=!!!',
      'labelSelector=a%20in%20(',
      'labelSelector=a=b=c',
      'labelSelector=%E0%A4%A',
      `labelSelector=${'a'.repeat(500)}=b`,
      'fieldSelector=garbage',
      'fieldSelector=spec.bogus=x',
      'fieldSelector=metadata.name%3D%3D%3Dx',
      'fieldSelector=metadata.name!=',
      'timeoutSeconds=x',
      'timeoutSeconds=-1',
      'timeoutSeconds=1e400',
      'timeout=x',
      'timeout=-5s',
      'dryRun=Bogus',
      'fieldValidation=Bogus',
      'fieldManager=' + 'f'.repeat(200),
      'propagationPolicy=Bogus',
      'gracePeriodSeconds=x',
      'gracePeriodSeconds=-99999999999999999999',
      'orphanDependents=maybe',
      'watch=maybe',
      'allowWatchBookmarks=x',
      'sendInitialEvents=x',
      'pretty=x',
      'includeObject=Bogus',
      '%zz=1',
      'a=%',
    ];
    const q = [r.pick(bad), ...(r.chance(0.3) ? [r.pick(bad)] : [])];
    const verb = r.pick(['list', 'watch', 'get', 'create', 'delete', 'deletecollection', 'patch', 'update']);
    const ns = this.nsFor(res);
    let method = 'GET';
    let path = collectionPath(res, ns);
    let body: string | undefined;
    const headers: Record<string, string> = { ...json };
    if (verb === 'watch') {
      q.push('watch=1');
      // a watch the bad parameter happens not to break must still end soon
      if (!q.some((p) => p.startsWith('timeoutSeconds='))) q.push('timeoutSeconds=1');
    } else if (verb === 'get' || verb === 'delete' || verb === 'patch' || verb === 'update') {
      const t = this.target();
      path = objectPath(t.resource, t.namespace, t.name);
      method = { get: 'GET', delete: 'DELETE', patch: 'PATCH', update: 'PUT' }[verb];
      if (verb === 'patch') {
        headers['content-type'] = 'application/merge-patch+json';
        body = '{"metadata":{"annotations":{"fuzz":"1"}}}';
      }
      if (verb === 'update') body = JSON.stringify(t.object);
      if (verb === 'delete') {
        // never delete a target for real: a precondition that cannot hold
        body = JSON.stringify({
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          preconditions: { uid: 'fuzz-never' },
          ...(r.chance(0.5) ? { gracePeriodSeconds: wrongValue(r) } : {}),
        });
      }
    } else if (verb === 'create') {
      method = 'POST';
      body = JSON.stringify({
        apiVersion: res.group ? `${res.group}/${res.version}` : res.version,
        kind: res.kind,
        metadata: { name: `fuzz-q-${this.counter++}` },
      });
    } else if (verb === 'deletecollection') {
      method = 'DELETE';
      // a selector nothing matches, or a bad one
      if (!q.some((p) => p.startsWith('labelSelector='))) q.push('labelSelector=fuzz-never%3Dmatch');
    }
    return { category: `bad-query:${verb}`, method, path: `${path}?${q.join('&')}`, headers, body };
  }

  private badPath(): FuzzRequest {
    const r = this.rng;
    const res = this.resource();
    const base = collectionPath(res, this.nsFor(res));
    const path = r.pick([
      `${base}/%E0%A4%A`,
      `${base}/%`,
      `${base}/%zz`,
      `${base}/x%00y`,
      `${base}/a/b/c/d/e/f`,
      `${base}/${'n'.repeat(3000)}`,
      `${base}/..%2F..%2Fsecrets`,
      `${base}//x`,
      `${base}/x/bogus-subresource`,
      `/api/v1/namespaces/%E0%A4%A/pods`,
      `/apis/${res.group || 'core'}/v999/${res.name}`,
      '/apis/%/v1/x',
      '/api/%',
      '/apis/bogus.example.com/v1/things',
      `/api/v1/namespaces/${this.namespace}/pods/x/exec?command=ls`,
      `/api/v1/namespaces/${this.namespace}/pods/x/log?follow=x&tailLines=-1&sinceSeconds=x&limitBytes=x`,
      `/api/v1/namespaces/${this.namespace}/pods/x/portforward?ports=x`,
      `/api/v1/namespaces/${this.namespace}/pods/x/proxy/%2e%2e`,
      `/api/v1/watch/namespaces/${this.namespace}/bogus?timeoutSeconds=1`,
      '/openapi/v2/%',
      '/openapi/v3/apis/%zz',
      '/metrics/%',
      '/readyz/%zz',
      '/%',
      `${base}?${'x'.repeat(8000)}`,
    ]);
    let method = r.pick(['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    // a DELETE that the server may read as the collection itself is a valid deletecollection with
    // no selector: it would wipe the cluster's own objects (the RBAC bootstrap policy among them)
    if (method === 'DELETE' && (path.startsWith(`${base}?`) || path.startsWith(`${base}//`))) method = 'GET';
    return { category: 'bad-path', method, path, headers: json, body: '{}' };
  }

  private badContentType(): FuzzRequest {
    const r = this.rng;
    const t = this.target();
    const ct = r.pick([
      'text/plain',
      'application/xml',
      'application/vnd.kubernetes.protobuf',
      'application/json; charset=utf-16',
      'application/apply-patch+cbor',
      'multipart/form-data; boundary=x',
      '',
      '*/*',
      'application/yaml',
      'application/json-patch+json',
      ';;;',
      'application/json;stream=watch',
    ]);
    const body = r.pick([
      JSON.stringify(t.object),
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0x01, 0x02, 0x03, 0x0a, 0x05]),
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]),
      'a: [b',
      '<x/>',
      '\uFEFF{}',
    ]);
    const where = r.int(3);
    const method = where === 0 ? 'POST' : where === 1 ? 'PUT' : 'PATCH';
    const path = where === 0 ? collectionPath(t.resource, t.namespace) : objectPath(t.resource, t.namespace, t.name);
    const headers: Record<string, string> = ct ? { 'content-type': ct } : {};
    if (r.chance(0.2))
      headers.accept = r.pick(['application/bogus', 'application/json;as=Table;g=meta.k8s.io;v=v1', 'application/json;as=Bogus;g=x;v=y', 'application/yaml']);
    return { category: 'bad-content-type', method, path, headers, body };
  }

  private deepBody(): FuzzRequest {
    const r = this.rng;
    const t = this.target();
    // mostly just past the cap; now and then far past it (those bodies are large to send)
    const depth = r.chance(0.01) ? 300_000 : r.pick([200, 990, 1001, 2000, 5000, 20_000]);
    const open = r.pick(['[', '{"a":']);
    const close = open === '[' ? ']' : '}';
    const deep = `${open.repeat(depth)}1${close.repeat(depth)}`;
    // block YAML nests by indentation, so its text grows with the square of the depth: js-yaml
    // stops at 100 levels, 150 is past that
    const yamlDeep = () => `a:\n${Array.from({ length: 150 }, (_, i) => `${' '.repeat(i + 1)}b:`).join('\n')} 1\n`;
    const kind = r.int(4);
    if (kind === 0) {
      return {
        category: 'deep:create',
        method: 'POST',
        path: collectionPath(t.resource, t.namespace),
        headers: json,
        body: `{"apiVersion":"v1","kind":"${t.resource.kind}","metadata":{"name":"d"},"spec":${deep}}`,
      };
    }
    if (kind === 1) {
      return {
        category: 'deep:merge-patch',
        method: 'PATCH',
        path: objectPath(t.resource, t.namespace, t.name),
        headers: { 'content-type': r.pick(['application/merge-patch+json', 'application/strategic-merge-patch+json']) },
        body: `{"spec":${deep}}`,
      };
    }
    if (kind === 2) {
      return {
        category: 'deep:json-patch',
        method: 'PATCH',
        path: objectPath(t.resource, t.namespace, t.name),
        headers: { 'content-type': 'application/json-patch+json' },
        body: `[{"op":"add","path":"/x","value":${deep}}]`,
      };
    }
    return {
      category: 'deep:yaml',
      method: 'POST',
      path: collectionPath(t.resource, t.namespace),
      headers: { 'content-type': 'application/yaml' },
      body: r.chance(0.5) ? yamlDeep() : `x: ${'['.repeat(depth)}`,
    };
  }

  private oddVerb(): FuzzRequest {
    const r = this.rng;
    const res = this.resource();
    const t = this.target();
    return {
      category: 'odd-verb',
      method: r.pick(['OPTIONS', 'TRACE', 'HEAD', 'POST', 'PUT', 'PATCH']),
      path: r.pick([
        collectionPath(res, this.nsFor(res)),
        `${objectPath(t.resource, t.namespace, t.name)}/status`,
        `${objectPath(t.resource, t.namespace, t.name)}/scale`,
      ]),
      headers: { 'content-type': 'application/json' },
      body: r.chance(0.5) ? '' : JSON.stringify(mutate(r, t.object)),
    };
  }

  private hugeBody(): FuzzRequest {
    const r = this.rng;
    const t = this.target();
    const size = r.pick([3 * 1024 * 1024 + 1, 4 * 1024 * 1024, 8 * 1024 * 1024]);
    // the object's own JSON with the filler spliced in: stringifying megabytes each time is slow
    const head = JSON.stringify({ ...t.object, metadata: { name: `fuzz-huge-${this.counter++}` }, data: { k: '' } });
    const body = Buffer.concat([Buffer.from(head.slice(0, -3)), filler(size), Buffer.from('"}}')]);
    const ct = r.pick(['application/json', 'application/yaml']);
    return { category: 'huge', method: 'POST', path: collectionPath(t.resource, t.namespace), headers: { 'content-type': ct }, body };
  }
}
