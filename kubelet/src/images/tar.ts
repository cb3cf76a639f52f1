// A minimal ustar writer: image layers only need directories, regular files and symlinks,
// and we want byte-for-byte reproducible output (fixed mtime, uid/gid 0) so that an unchanged
// recipe yields the same layer digest and a push can be skipped.

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
// 2000-01-01T00:00:00Z: a fixed timestamp keeps layer digests stable across builds.
export const REPRODUCIBLE_MTIME = 946684800;

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? entry.content : Buffer.alloc(0);
    parts.push(header(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end-of-archive marker
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const path = normalizeEntryPath(entry);
  const { name, prefix } = splitPath(path);
  writeString(h, 0, 100, name);
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, REPRODUCIBLE_MTIME);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h.write(entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0', 156, 'ascii');
  if (entry.type === 'symlink') {
    if (Buffer.byteLength(entry.target) > 100) throw new Error(`tar: symlink target too long: ${entry.target}`);
    writeString(h, 157, 100, entry.target);
  }
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  writeString(h, 265, 32, 'root');
  writeString(h, 297, 32, 'root');
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function normalizeEntryPath(entry: TarEntry): string {
  const trimmed = entry.path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!trimmed) throw new Error('tar: empty entry path');
  if (trimmed.split('/').some((seg) => seg === '..' || seg === '')) throw new Error(`tar: bad entry path: ${entry.path}`);
  return entry.type === 'dir' ? trimmed + '/' : trimmed;
}

// ustar stores long paths as prefix + '/' + name (155 + 100 bytes).
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  if (Buffer.byteLength(value) > length) throw new Error(`tar: field too long: ${value}`);
  buf.write(value, offset, length, 'utf8');
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar: number ${value} does not fit a ${length}-byte field`);
  buf.write(digits.padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}
