// Image builder CLI:
//   node kubelet/dist/src/images/cli.js build DIR --name NAME[:TAG] [--alias NAME[:TAG]]... [--push] [--registry HOST:PORT] [--registry-ca CA] [--out DIR]
// (--alias: pushed under that name too, e.g. library/busybox beside skiff/busybox)
// (from source: node kubelet/src/images/cli.ts ...). DIR holds an image.json recipe (see recipe.ts).
import { parseArgs } from 'node:util';
import { buildImage } from './builder.ts';
import { pushImage, pushImageAs } from './push.ts';

const USAGE = 'usage: cli build DIR --name NAME[:TAG] [--alias NAME[:TAG]]... [--push] [--force] [--registry HOST:PORT] [--registry-ca CA_FILE] [--out DIR]';

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      alias: { type: 'string', multiple: true, default: [] },
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
    const options = { registry: values.registry, force: values.force, caFile: values['registry-ca'] };
    const results = [await pushImage(image, options)];
    for (const alias of values.alias) results.push(await pushImageAs(image, alias, options));
    for (const result of results) console.log(result.pushed ? `pushed ${result.destination}` : `${result.destination} is up to date`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
