// What the node reports about the machine: CPU, memory, disk, kernel, addresses.
import os from 'node:os';
import { statfsSync } from 'node:fs';

export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  kernel: string;
  osImage: string;
  arch: string;
  machineID: string;
}

export function machineInfo(rootDir: string): MachineInfo {
  let storage = 0;
  try {
    const s = statfsSync(rootDir);
    storage = s.blocks * s.bsize;
  } catch {
    storage = 0;
  }
  let osImage = 'Linux';
  try {
    osImage = /PRETTY_NAME="?([^"\n]+)/.exec(requireText('/etc/os-release'))?.[1] ?? osImage;
  } catch {
    /* keep default */
  }
  let machineID = '';
  try {
    machineID = requireText('/etc/machine-id').trim();
  } catch {
    machineID = '';
  }
  return {
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    ephemeralStorageBytes: storage,
    kernel: os.release(),
    osImage,
    arch: goArch(process.arch),
    machineID,
  };
}

export function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

export function firstIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

import { readFileSync } from 'node:fs';
function requireText(p: string): string {
  return readFileSync(p, 'utf8');
}
