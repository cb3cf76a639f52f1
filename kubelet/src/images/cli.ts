// Image builder CLI:
//   node kubelet/dist/src/images/cli.js build DIR --name NAME[:TAG] [--push] [--registry HOST:PORT] [--registry-ca CA] [--out DIR]
// (from source: node kubelet/src/images/cli.ts ...). DIR holds an image.json recipe (see recipe.ts).
import { parseArgs } from 'node:util';
import { buildImage } from './builder.ts';
import { pushImage } from './push.ts';

const USAGE = 'usage: cli build DIR --name NAME[:TAG] [--push] [--force] [--registry HOST:PORT] [--registry-ca CA_FILE] [--out DIR]';

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      push: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      registry: { type: 'string' },
      'registry-ca': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, dir, ...extra] = positionals;
  if (command !== 'build' || !dir || extra.length > 0 || !values.name) throw new Error(USAGE);

  const image = buildImage(dir, { name: values.name, outDir: values.out });
  console.log(`built ${image.ref.repository}:${image.ref.tag} ${image.manifest.digest} in ${image.layoutDir}`);
  if (values.push) {
    const result = await pushImage(image, { registry: values.registry, force: values.force, caFile: values['registry-ca'] });
    console.log(result.pushed ? `pushed ${result.destination}` : `${result.destination} is up to date`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
