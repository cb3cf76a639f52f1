// The base layer of every Skiff image: Debian's static busybox plus one symlink per applet
// at the path the binary itself names (`busybox --list-full`: bin/sh, usr/bin/wget, ...), as in
// the official busybox image, and the few files that tools expect in /etc. Commands that
// tutorials use but Debian's build leaves out or breaks (printenv, wget -T) come as small
// scripts on the applets (busybox-scripts.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { scriptCommands } from './busybox-scripts.ts';
import type { TarEntry } from './tar.ts';

export const DEFAULT_BUSYBOX = '/bin/busybox';

export function busyboxRootfs(busyboxPath: string = process.env.SKIFF_BUSYBOX ?? DEFAULT_BUSYBOX): TarEntry[] {
  const binary = readFileSync(busyboxPath);
  assertStatic(binary, busyboxPath);
  // Ask the binary itself which applets it has and where they belong (bin/sh, usr/bin/wget...).
  const applets = execFileSync(busyboxPath, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && line !== 'bin/busybox');
  if (!applets.includes('bin/sh')) throw new Error(`${busyboxPath} has no sh applet; need a full busybox`);

  const dirs = new Set([
    'bin',
    'sbin',
    'usr',
    'usr/bin',
    'usr/sbin',
    'usr/local',
    'usr/local/bin',
    'dev',
    'etc',
    'proc',
    'sys',
    'root',
    'home',
    'var',
    'var/log',
    'var/www',
    'run',
  ]);
  for (const applet of applets) for (const dir of parentDirs(applet)) dirs.add(dir);

  const entries: TarEntry[] = [];
  for (const dir of [...dirs].sort()) entries.push({ type: 'dir', path: dir, mode: dir === 'root' ? 0o700 : 0o755 });
  entries.push({ type: 'dir', path: 'tmp', mode: 0o1777 });
  entries.push({ type: 'file', path: 'bin/busybox', mode: 0o755, content: binary });
  const scripts = scriptCommands(busyboxPath, applets);
  const scripted = new Set(scripts.map((s) => s.path));
  for (const applet of [...new Set(applets)].sort()) {
    if (!scripted.has(applet)) entries.push({ type: 'symlink', path: applet, target: '/bin/busybox' });
  }
  entries.push(textFile('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'));
  entries.push(textFile('etc/group', 'root:x:0:\nnogroup:x:65534:\n'));
  entries.push(textFile('etc/nsswitch.conf', 'hosts: files dns\n'));
  for (const { path, script } of scripts) entries.push({ type: 'file', path, mode: 0o755, content: Buffer.from(script) });
  return entries;
}

export function parentDirs(path: string): string[] {
  const segments = path.replace(/^\/+/, '').split('/').slice(0, -1);
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'));
}

function textFile(path: string, text: string): TarEntry {
  return { type: 'file', path, mode: 0o644, content: Buffer.from(text) };
}

// A dynamically linked busybox would fail inside the image with a confusing "no such file".
// Static binaries have no PT_INTERP program header (checked for 64-bit little-endian ELF).
function assertStatic(binary: Buffer, path: string): void {
  if (binary.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${path} is not an ELF binary`);
  const is64LittleEndian = binary[4] === 2 && binary[5] === 1;
  if (!is64LittleEndian) return;
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phentsize = binary.readUInt16LE(0x36);
  const phnum = binary.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    if (binary.readUInt32LE(phoff + i * phentsize) === PT_INTERP) {
      throw new Error(`${path} is dynamically linked; install busybox-static`);
    }
  }
}
