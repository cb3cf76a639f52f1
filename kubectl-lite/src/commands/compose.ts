// `compose convert` prints the Kubernetes objects for a docker-compose file;
// `compose up` builds what needs building (with the Skiff image builder) and applies them.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from '../args.ts';
import { convertCompose, type BuildRequest, type ComposeConversion } from '../compose/convert.ts';
import { kindLabel } from '../discovery.ts';
import { CliError, errorLine, UsageError } from '../errors.ts';
import { readStdin, type CliIO } from '../io.ts';
import { toJson, toYaml } from '../output.ts';
import { openSession } from '../session.ts';
import { applyObject, dryRunFlag, dryRunSuffix } from './apply.ts';

const USAGE =
  'Usage: kubectl-lite compose (convert|up) [-f docker-compose.yml] [-p PROJECT] [-o yaml|json] [-n NS] [--dry-run=server|client] [--registry HOST:PORT]';
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const RECIPE = 'image.json';

async function loadCompose(file: string | undefined, project: string | undefined, registry: string | undefined, io: CliIO): Promise<ComposeConversion> {
  const cwd = io.cwd ?? process.cwd();
  let text: string;
  let dir: string;
  if (file === '-') {
    text = await readStdin(io);
    dir = cwd;
  } else {
    const path = file ? resolve(cwd, file) : DEFAULT_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f));
    if (!path) throw new CliError(`no compose file: pass -f, or run where one of ${DEFAULT_FILES.join(', ')} is`);
    if (!existsSync(path)) throw new CliError(`the compose file ${path} does not exist`);
    text = readFileSync(path, 'utf8');
    dir = dirname(path);
  }
  return convertCompose(text, { composeDir: dir, projectName: project ?? basename(dir), registry });
}

/** Why a build cannot happen, or undefined when its directory holds a recipe. */
export function unsupportedBuild(b: BuildRequest): string | undefined {
  if (existsSync(join(b.context, RECIPE))) return undefined;
  return `service "${b.service}": build from ${b.context} is not supported: the Skiff image builder needs an ${RECIPE} recipe there (Dockerfiles are not built); build the image elsewhere and set image:`;
}

async function buildAndPush(b: BuildRequest, io: CliIO, registry: string | undefined): Promise<void> {
  // loaded on demand: only `compose up` with build: needs the builder
  const { buildImage } = await import('@skiff/kubelet/images/builder');
  const { pushImage } = await import('@skiff/kubelet/images/push');
  const image = buildImage(b.context, { name: b.image, outDir: join(tmpdir(), 'skiff-compose-images') });
  io.stderr.write(`built ${b.image} (${image.manifest.digest}) for service "${b.service}"\n`);
  const pushed = await pushImage(image, { registry });
  io.stderr.write(pushed.pushed ? `pushed ${pushed.destination}\n` : `${pushed.destination} is up to date\n`);
}

export async function composeCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'convert' && sub !== 'up') throw new UsageError(sub ? `unknown compose command "${sub}"` : 'compose needs convert or up', USAGE);
  const args = parseArgs(
    rest,
    {
      file: { kind: 'string', short: 'f' },
      'project-name': { kind: 'string', short: 'p' },
      output: { kind: 'string', short: 'o' },
      'dry-run': { kind: 'string', bare: 'client' },
      registry: { kind: 'string' },
      'no-build': { kind: 'boolean' },
    },
    USAGE,
  );
  if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, USAGE);
  const registry = args.strings.get('registry');
  const conv = await loadCompose(args.strings.get('file'), args.strings.get('project-name'), registry, io);
  const unsupported = conv.builds.map(unsupportedBuild).filter((m): m is string => m !== undefined);

  if (sub === 'convert') {
    const output = args.strings.get('output') ?? 'yaml';
    if (output !== 'yaml' && output !== 'json') throw new UsageError(`compose convert prints yaml or json, not "${output}"`, USAGE);
    for (const w of [...conv.warnings, ...unsupported]) io.stderr.write(`warning: ${w}\n`);
    if (output === 'json') io.stdout.write(toJson({ apiVersion: 'v1', kind: 'List', items: conv.objects }));
    else io.stdout.write(conv.objects.map((o) => toYaml(o)).join('---\n'));
    return 0;
  }

  if (unsupported.length > 0) throw new CliError(unsupported.join('\n'));
  for (const w of conv.warnings) io.stderr.write(`warning: ${w}\n`);
  const dryRun = dryRunFlag(args, USAGE);
  const s = openSession(args, io);
  if (!args.booleans.get('no-build') && dryRun === 'none') {
    for (const b of conv.builds) await buildAndPush(b, io, registry);
  }
  let failed = 0;
  for (const obj of conv.objects) {
    try {
      const r = await applyObject(s, obj, dryRun);
      io.stdout.write(`${kindLabel(r.info)}/${obj.metadata.name} ${r.outcome}${dryRunSuffix(dryRun)}\n`);
    } catch (err) {
      failed++;
      io.stderr.write(`${errorLine(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
