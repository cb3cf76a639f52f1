// A containerd of its own (root, state, socket, CNI config, bridge and pod subnet) for tests
// and single-machine nodes, set up with the scripts in scripts/node/ and stopped by its pid.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runScript } from './run-script.ts';

const execFileAsync = promisify(execFile);

export interface PrivateContainerdOptions {
  /** IPv4 CIDR for pod IPs, e.g. 10.250.0.0/24; pick one no other node or test uses. */
  subnet: string;
  /** Linux bridge for the pods (max 15 chars), e.g. skiff-test0. */
  bridge: string;
  /** Directory for everything; default a fresh /tmp/skiff-containerd-XXXXXX. */
  dir?: string;
  sandboxImage?: string;
  /** Run containerd inside /var/run/netns/NAME. */
  netns?: string;
}

export interface PrivateContainerd {
  dir: string;
  socket: string;
  endpoint: string;
  pid: number;
  logFile: string;
  /** Stops only the daemon (pods keep running in their shims), as a node restart would. */
  stopDaemon(): Promise<void>;
  /** Starts the daemon again with the same config; `pid` is updated. */
  startDaemon(): Promise<void>;
  /** Stops containerd, deletes the bridge and, unless keepDir, the directory. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export async function startPrivateContainerd(options: PrivateContainerdOptions): Promise<PrivateContainerd> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'skiff-containerd-'));
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  const pidFile = join(dir, 'containerd.pid');
  const logFile = join(dir, 'containerd.log');
  const cniConfDir = join(dir, 'net.d');

  await runScript('scripts/node/containerd-config.sh', [
    '--root',
    join(dir, 'root'),
    '--state',
    join(dir, 'state'),
    '--socket',
    socket,
    '--cni-conf-dir',
    cniConfDir,
    '--config',
    config,
    ...(options.sandboxImage ? ['--sandbox-image', options.sandboxImage] : []),
  ]);
  await runScript('scripts/node/cni-config.sh', [
    '--conf-dir',
    cniConfDir,
    '--subnet',
    options.subnet,
    '--bridge',
    options.bridge,
    '--ip-masq',
    'false',
    '--ipam-dir',
    join(dir, 'ipam'),
  ]);
  const startDaemon = async () => {
    await runScript('scripts/node/start-containerd.sh', [
      '--config',
      config,
      '--socket',
      socket,
      '--pid-file',
      pidFile,
      '--log',
      logFile,
      ...(options.netns ? ['--netns', options.netns] : []),
    ]);
    handle.pid = Number(readFileSync(pidFile, 'utf8').trim());
  };
  const stopDaemon = async () => {
    await runScript('scripts/node/stop-containerd.sh', ['--pid-file', pidFile]);
  };
  const handle: PrivateContainerd = {
    dir,
    socket,
    endpoint: `unix://${socket}`,
    pid: 0,
    logFile,
    stopDaemon,
    startDaemon,
    stop: async (stopOptions = {}) => {
      await stopDaemon();
      await deleteLink(options.bridge, options.netns);
      if (!stopOptions.keepDir) removeDirUnlessMounted(dir);
    },
  };
  await startDaemon();
  return handle;
}

async function deleteLink(name: string, netns?: string): Promise<void> {
  const args = netns ? ['-n', netns, 'link', 'del', name] : ['link', 'del', name];
  await execFileAsync('ip', args).catch(() => undefined); // absent when no pod ever ran
}

// A leftover mount (a container rootfs, a netns) under dir means something still runs there;
// rm -rf would then reach into it, so leave the directory for inspection instead.
function removeDirUnlessMounted(dir: string): void {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4]?.startsWith(dir + '/'));
  if (mounted) throw new Error(`not removing ${dir}: mounts remain under it (see /proc/self/mountinfo)`);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
