// The lab as a command, with a control plane of its own (nothing of `make up` is touched):
//   node --conditions=source e2e/src/lab/cli.ts [N]
// brings up N workers (default 3), prints the kubeconfig and the time to Ready, and tears
// everything down on Ctrl-C or SIGTERM. `make lab` (scripts/lab.sh) is the variant on top of
// the `make up` cluster.
import { startLab } from './lab.ts';
import type { LabLayout } from './layout.ts';

// beside both `make lab` (skifflab0) and the e2e suite (skiffe2e0)
const CLI_LAYOUT: LabLayout = { bridge: 'skifflab1', net: '10.252.0', prefix: 'skiff-v' };

const count = Number(process.argv[2] ?? '3');
if (!Number.isInteger(count) || count < 1 || count > 9) {
  process.stderr.write(`usage: cli.ts [N]   (N workers, 1..9; got "${process.argv[2]}")\n`);
  process.exit(2);
}
const lab = await startLab({ workers: count, layout: CLI_LAYOUT, verbose: true });
process.stdout.write(`lab: ${count} workers Ready after ${(lab.readyAfterMs / 1000).toFixed(1)} s\n`);
process.stdout.write(`export KUBECONFIG=${lab.kubeconfig}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await lab.down();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
setInterval(() => undefined, 1 << 30);
