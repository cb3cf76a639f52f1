// docker-compose → Kubernetes: one Deployment per service (label app: <service>) and a
// Service for its ports: NodePort when ports are published ("8080:80"), ClusterIP when
// they are only exposed. The Service port is the container port, so that other services
// reach it as <service>:<port>, exactly as on a compose network.
import { isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import { CliError } from '../errors.ts';
import { shellWords } from './shell-words.ts';
import { parseGoDurationMs } from '@skiff/common/go-duration';

export const DEPENDS_ON_ANNOTATION = 'compose.skiff.dev/depends-on';
export const PUBLISHED_ANNOTATION = 'compose.skiff.dev/published-ports';
export const SERVICE_ANNOTATION = 'compose.skiff.dev/service';
const NODE_PORT_RANGE = [30000, 32767] as const;
const DEFAULT_REGISTRY = '127.0.0.1:5000';

export interface ConvertOptions {
  /** directory of the compose file: relative bind mounts and build contexts start there */
  composeDir: string;
  /** names built images: <registry>/<project>/<service>:latest */
  projectName: string;
  registry?: string;
}

export interface BuildRequest {
  service: string;
  /** absolute build directory */
  context: string;
  image: string;
}

export interface ComposeConversion {
  objects: any[];
  builds: BuildRequest[];
  /** things that were ignored or approximated, one sentence each */
  warnings: string[];
}

interface PortMapping {
  target: number;
  published?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

const SUPPORTED_KEYS = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'ports',
  'expose',
  'depends_on',
  'volumes',
  'deploy',
  'scale',
  'labels',
  'working_dir',
  'restart',
  'container_name',
  'hostname',
  'healthcheck',
  'env_file',
]);

/** A DNS-1123 label from a compose service name (`my_db` → `my-db`). */
export function k8sName(name: string): string {
  const out = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  if (!out) throw new CliError(`compose service name "${name}" has no letters or digits to build a Kubernetes name from`);
  return out;
}

function asStringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return shellWords(value);
  if (Array.isArray(value)) return value.map((v) => String(v));
  throw new CliError(`${what} must be a string or a list`);
}

function environment(value: unknown, service: string, warnings: string[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  if (value === undefined || value === null) return out;
  const add = (name: string, v: unknown) => {
    if (v === null || v === undefined) {
      warnings.push(`service "${service}": environment ${name} has no value (compose would take it from the host); set to ""`);
      out.push({ name, value: '' });
    } else {
      out.push({ name, value: String(v) });
    }
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item);
      const eq = text.indexOf('=');
      if (eq < 0) add(text, undefined);
      else add(text.slice(0, eq), text.slice(eq + 1));
    }
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(k, v);
  } else {
    throw new CliError(`service "${service}": environment must be a list or a map`);
  }
  return out;
}

function protocolOf(p: string | undefined, service: string): PortMapping['protocol'] {
  const v = (p ?? 'tcp').toUpperCase();
  if (v === 'TCP' || v === 'UDP' || v === 'SCTP') return v;
  throw new CliError(`service "${service}": unknown port protocol "${p}"`);
}

function portNumber(raw: string, service: string, spec: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`service "${service}": port "${spec}" is not a valid port (ranges are not supported)`);
  return n;
}

/** "80", "8080:80", "127.0.0.1:8080:80", "8080:80/udp", or the long form {target, published, protocol}. */
export function parsePort(spec: unknown, service: string): PortMapping {
  if (spec && typeof spec === 'object') {
    const p = spec as { target?: unknown; published?: unknown; protocol?: string };
    if (p.target === undefined) throw new CliError(`service "${service}": a long-form port needs target`);
    return {
      target: portNumber(String(p.target), service, JSON.stringify(spec)),
      ...(p.published !== undefined && p.published !== '' ? { published: portNumber(String(p.published), service, JSON.stringify(spec)) } : {}),
      protocol: protocolOf(p.protocol, service),
    };
  }
  const text = String(spec);
  const [addr, proto] = text.split('/', 2) as [string, string | undefined];
  const parts = addr.split(':');
  if (parts.length > 3) throw new CliError(`service "${service}": cannot read port "${text}" (IPv6 host addresses are not supported)`);
  const target = portNumber(parts[parts.length - 1]!, service, text);
  const published = parts.length >= 2 && parts[parts.length - 2] !== '' ? portNumber(parts[parts.length - 2]!, service, text) : undefined;
  return { target, ...(published !== undefined ? { published } : {}), protocol: protocolOf(proto, service) };
}

interface VolumeResult {
  volume: any;
  mount: any;
}

function volume(spec: unknown, index: number, service: string, opts: ConvertOptions, named: Set<string>, warnings: string[]): VolumeResult {
  let type: string;
  let source: string | undefined;
  let target: string;
  let readOnly = false;
  if (spec && typeof spec === 'object') {
    const v = spec as { type?: string; source?: string; target?: string; read_only?: boolean };
    if (!v.target) throw new CliError(`service "${service}": a long-form volume needs target`);
    type = v.type ?? 'volume';
    source = v.source;
    target = v.target;
    readOnly = Boolean(v.read_only);
  } else {
    const parts = String(spec).split(':');
    if (parts.length === 1) {
      type = 'volume';
      target = parts[0]!;
    } else {
      source = parts[0]!;
      target = parts[1]!;
      readOnly = (parts[2] ?? '').split(',').includes('ro');
      type = source.startsWith('.') || source.startsWith('/') || source.startsWith('~') ? 'bind' : 'volume';
    }
  }
  if (!target.startsWith('/')) throw new CliError(`service "${service}": volume target "${target}" must be an absolute path`);
  const name = source && type !== 'bind' ? k8sName(source) : `${type === 'bind' ? 'bind' : 'data'}-${index}`;
  const mount = { name, mountPath: target, ...(readOnly ? { readOnly: true } : {}) };
  if (type === 'bind') {
    if (!source) throw new CliError(`service "${service}": a bind mount needs a source`);
    if (source.startsWith('~')) throw new CliError(`service "${service}": bind mount source "${source}" uses ~, give a relative or absolute path`);
    const path = isAbsolute(source) ? source : resolve(opts.composeDir, source);
    warnings.push(`service "${service}": bind mount ${source} becomes hostPath ${path}, which exists only on the node that runs the pod`);
    return { volume: { name, hostPath: { path } }, mount };
  }
  if (type === 'tmpfs') return { volume: { name, emptyDir: { medium: 'Memory' } }, mount };
  if (type !== 'volume') throw new CliError(`service "${service}": volume type "${type}" is not supported`);
  if (source && !named.has(source)) warnings.push(`service "${service}": volume "${source}" is not declared under top-level volumes`);
  if (source) warnings.push(`service "${service}": named volume "${source}" becomes an emptyDir: its data lives as long as the pod`);
  return { volume: { name, emptyDir: {} }, mount };
}

function dependsOn(value: unknown): string[] {
  if (!value) return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object') return Object.keys(value as object);
  return [String(value)];
}

function replicasOf(svc: any, service: string): number {
  const raw = svc.deploy?.replicas ?? svc.scale ?? 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`service "${service}": replicas must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

function buildContext(build: unknown, service: string, opts: ConvertOptions): string {
  const context = typeof build === 'string' ? build : ((build as { context?: string })?.context ?? '.');
  if (typeof build === 'object' && (build as { dockerfile?: string }).dockerfile) {
    throw new CliError(`service "${service}": build.dockerfile is not supported; the Skiff image builder reads an image.json recipe`);
  }
  return resolve(opts.composeDir, context);
}

function healthProbe(hc: any, service: string, warnings: string[]): any | undefined {
  if (!hc || hc.disable) return undefined;
  const test = hc.test;
  let command: string[];
  if (typeof test === 'string') command = ['sh', '-c', test];
  else if (Array.isArray(test) && test[0] === 'CMD') command = test.slice(1).map(String);
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL') command = ['sh', '-c', test.slice(1).join(' ')];
  else {
    warnings.push(`service "${service}": healthcheck test ${JSON.stringify(test)} not understood; no probe`);
    return undefined;
  }
  // compose durations are Go's text (1m30s); one that does not parse is left to the default
  const seconds = (v: unknown) => {
    if (typeof v !== 'string') return undefined;
    try {
      return Math.max(1, Math.round(parseGoDurationMs(v) / 1000));
    } catch {
      return undefined;
    }
  };
  return {
    exec: { command },
    ...(seconds(hc.interval) ? { periodSeconds: seconds(hc.interval) } : {}),
    ...(seconds(hc.timeout) ? { timeoutSeconds: seconds(hc.timeout) } : {}),
    ...(seconds(hc.start_period) ? { initialDelaySeconds: seconds(hc.start_period) } : {}),
    ...(hc.retries ? { failureThreshold: Number(hc.retries) } : {}),
  };
}

function convertService(rawName: string, svc: any, opts: ConvertOptions, named: Set<string>, out: ComposeConversion): void {
  if (!svc || typeof svc !== 'object') throw new CliError(`service "${rawName}" must be a map`);
  const name = k8sName(rawName);
  const w = out.warnings;
  for (const key of Object.keys(svc)) if (!SUPPORTED_KEYS.has(key)) w.push(`service "${rawName}": "${key}" is not supported and was ignored`);
  if (svc.env_file) w.push(`service "${rawName}": env_file is not read; put the variables under environment`);

  let image: string | undefined = svc.image;
  if (svc.build !== undefined) {
    image ??= `${opts.registry ?? DEFAULT_REGISTRY}/${k8sName(opts.projectName)}/${name}:latest`;
    out.builds.push({ service: rawName, context: buildContext(svc.build, rawName, opts), image });
  }
  if (!image) throw new CliError(`service "${rawName}" has neither image nor build`);

  const labels = { app: name };
  const ports = [...(svc.ports ?? [])].map((p: unknown) => parsePort(p, rawName));
  const exposed = [...(svc.expose ?? [])].map((p: unknown) => parsePort(String(p).split(':').pop(), rawName));
  const allPorts = [...ports, ...exposed.filter((e) => !ports.some((p) => p.target === e.target && p.protocol === e.protocol))];

  const volumes: any[] = [];
  const mounts: any[] = [];
  (svc.volumes ?? []).forEach((v: unknown, i: number) => {
    const r = volume(v, i, rawName, opts, named, w);
    if (!volumes.some((x) => x.name === r.volume.name)) volumes.push(r.volume);
    mounts.push(r.mount);
  });

  const entrypoint = asStringList(svc.entrypoint, `service "${rawName}": entrypoint`);
  const command = asStringList(svc.command, `service "${rawName}": command`);
  const env = environment(svc.environment, rawName, w);
  const probe = healthProbe(svc.healthcheck, rawName, w);
  const container: any = {
    name,
    image,
    ...(entrypoint.length ? { command: entrypoint } : {}),
    ...(command.length ? { args: command } : {}),
    ...(svc.working_dir ? { workingDir: String(svc.working_dir) } : {}),
    ...(env.length ? { env } : {}),
    ...(allPorts.length ? { ports: uniquePorts(allPorts).map((p) => ({ containerPort: p.target, protocol: p.protocol })) } : {}),
    ...(probe ? { livenessProbe: probe } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };

  const deps = dependsOn(svc.depends_on);
  const annotations: Record<string, string> = { [SERVICE_ANNOTATION]: rawName };
  if (deps.length) annotations[DEPENDS_ON_ANNOTATION] = deps.join(',');
  if (svc.labels) {
    const entries = Array.isArray(svc.labels) ? svc.labels.map((l: string) => l.split('=', 2)) : Object.entries(svc.labels);
    for (const [k, v] of entries) annotations[String(k)] = String(v ?? '');
  }
  if (deps.length) w.push(`service "${rawName}": depends_on (${deps.join(', ')}) is noted as an annotation; Kubernetes starts pods in any order`);

  if (allPorts.length) {
    const published = ports.filter((p) => p.published !== undefined);
    const nodePort = published.length > 0;
    const svcAnnotations: Record<string, string> = { [SERVICE_ANNOTATION]: rawName };
    if (nodePort) svcAnnotations[PUBLISHED_ANNOTATION] = published.map((p) => `${p.published}:${p.target}/${p.protocol.toLowerCase()}`).join(',');
    out.objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels, annotations: svcAnnotations },
      spec: {
        type: nodePort ? 'NodePort' : 'ClusterIP',
        selector: labels,
        ports: uniquePorts(allPorts).map((p) => {
          const pub = ports.find((x) => x.target === p.target && x.protocol === p.protocol && x.published !== undefined)?.published;
          const inRange = pub !== undefined && pub >= NODE_PORT_RANGE[0] && pub <= NODE_PORT_RANGE[1];
          if (pub !== undefined && !inRange)
            w.push(
              `service "${rawName}": published port ${pub} is outside the NodePort range ${NODE_PORT_RANGE.join('-')}; the cluster picks the node port (see kubectl-lite get svc ${name})`,
            );
          return {
            name: `${p.protocol.toLowerCase()}-${p.target}`,
            port: p.target,
            targetPort: p.target,
            protocol: p.protocol,
            ...(inRange ? { nodePort: pub } : {}),
          };
        }),
      },
    });
  }
  out.objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels, annotations },
    spec: {
      replicas: replicasOf(svc, rawName),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(svc.hostname ? { hostname: k8sName(String(svc.hostname)) } : {}),
          containers: [container],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  });
}

function uniquePorts(ports: PortMapping[]): PortMapping[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.target}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Parses a compose file and converts every service. Services come first, then Deployments. */
export function convertCompose(text: string, opts: ConvertOptions): ComposeConversion {
  let doc: any;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new CliError(`cannot parse the compose file: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || !doc.services || typeof doc.services !== 'object') {
    throw new CliError('the compose file has no services');
  }
  const out: ComposeConversion = { objects: [], builds: [], warnings: [] };
  const named = new Set(Object.keys(doc.volumes ?? {}));
  for (const key of Object.keys(doc)) {
    if (!['services', 'volumes', 'version', 'name', 'networks'].includes(key)) out.warnings.push(`top-level "${key}" is not supported and was ignored`);
  }
  if (doc.networks) out.warnings.push('networks are ignored: every pod reaches every Service by name');
  const seen = new Map<string, string>();
  for (const [name, svc] of Object.entries(doc.services)) {
    const k = k8sName(name);
    if (seen.has(k)) throw new CliError(`services "${seen.get(k)}" and "${name}" both become "${k}"`);
    seen.set(k, name);
    convertService(name, svc, { ...opts, projectName: doc.name ?? opts.projectName }, named, out);
  }
  out.objects.sort((a, b) => Number(a.kind === 'Deployment') - Number(b.kind === 'Deployment'));
  return out;
}
