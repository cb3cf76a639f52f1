// The audit log file (--audit-log-path): lines are queued in memory and appended in batches by
// one asynchronous write at a time, so a request never waits for the disk. Rotation follows
// kube-apiserver's lumberjack logger: before a write that would pass --audit-log-maxsize the
// file is renamed to NAME-<UTC time>.EXT and a new one opened; backups beyond
// --audit-log-maxbackup, or older than --audit-log-maxage days, are removed.
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from '@skiff/common';

export interface LogWriterOptions {
  /** a file, or '-' for standard output */
  path: string;
  /** rotate before the file would pass this many bytes; 0: lumberjack's default, 100 MiB */
  maxSizeBytes: number;
  /** backups kept; 0 keeps all */
  maxBackups: number;
  /** days a backup is kept; 0 keeps them regardless of age */
  maxAgeDays: number;
  /** lines waiting beyond this many bytes (the disk is stuck) are dropped and counted */
  maxQueuedBytes?: number;
  log?: Logger;
}

const MIB = 1024 * 1024;
const DEFAULT_MAX_SIZE = 100 * MIB;

/** lumberjack's backup name: audit.log -> audit-2006-01-02T15-04-05.000.log, in UTC. */
export function backupName(path: string, at: Date): string {
  const ext = extname(path);
  const prefix = basename(path, ext);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return join(dirname(path), `${prefix}-${stamp}${ext}`);
}

/** The time a backup of `path` was rotated, from its name; undefined for other files. */
function backupTime(path: string, file: string): Date | undefined {
  const ext = extname(path);
  const prefix = `${basename(path, ext)}-`;
  if (!file.startsWith(prefix) || !file.endsWith(ext)) return undefined;
  const stamp = file.slice(prefix.length, file.length - ext.length);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(stamp);
  if (!m) return undefined;
  const t = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

export class AuditLogWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private file: FileHandle | undefined;
  private size = 0;
  private lastRotation = 0;
  private readonly maxSize: number;
  private readonly maxQueued: number;
  private failures = 0;
  /** lines dropped because the queue was full or a write failed */
  dropped = 0;

  private readonly o: LogWriterOptions;

  constructor(o: LogWriterOptions) {
    this.o = o;
    this.maxSize = o.maxSizeBytes > 0 ? o.maxSizeBytes : DEFAULT_MAX_SIZE;
    this.maxQueued = o.maxQueuedBytes ?? 64 * MIB;
  }

  /** Creates the directory and the file (mode 0600) now, so that a bad path stops the start. */
  async open(): Promise<void> {
    if (this.o.path === '-') return;
    await this.openFile();
  }

  /** Queues one line (with its newline); it is written soon after, in a batch. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > this.maxQueued) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) this.o.log?.warn('audit log queue full: events dropped', { dropped: this.dropped });
      return;
    }
    this.queue.push(line);
    this.queuedBytes += bytes;
    this.writing ??= this.drain();
  }

  /** Resolves once every line queued so far is written. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file?.close();
    this.file = undefined;
  }

  private async drain(): Promise<void> {
    // let the requests of this turn of the event loop queue their lines first
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        try {
          await this.writeBatch(batch);
          this.failures = 0;
        } catch (e) {
          this.dropped += batch.length;
          this.failures++;
          if (this.failures === 1 || this.failures % 100 === 0) this.o.log?.error('writing the audit log failed', { err: e as Error, dropped: this.dropped });
          await this.file?.close().catch(() => undefined);
          this.file = undefined;
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeBatch(lines: string[]): Promise<void> {
    if (this.o.path === '-') {
      const text = lines.join('');
      await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
      return;
    }
    if (!this.file) await this.openFile();
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      // a line larger than the limit is written alone into a fresh file rather than lost
      if (this.size + chunkBytes + bytes > this.maxSize && this.size + chunkBytes > 0) {
        await this.append(chunk, chunkBytes);
        chunk = [];
        chunkBytes = 0;
        await this.rotate();
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    await this.append(chunk, chunkBytes);
  }

  private async append(lines: string[], bytes: number): Promise<void> {
    if (!lines.length) return;
    await this.file!.appendFile(lines.join(''));
    this.size += bytes;
  }

  private async openFile(): Promise<void> {
    await mkdir(dirname(this.o.path), { recursive: true, mode: 0o700 });
    this.file = await open(this.o.path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o600);
    this.size = (await this.file.stat()).size;
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    // two rotations in one millisecond would share a name
    const at = Math.max(Date.now(), this.lastRotation + 1);
    this.lastRotation = at;
    await rename(this.o.path, backupName(this.o.path, new Date(at)));
    await this.openFile();
    await this.removeOldBackups().catch((e: unknown) => this.o.log?.warn('removing old audit log backups failed', { err: e as Error }));
  }

  private async removeOldBackups(): Promise<void> {
    if (this.o.maxBackups <= 0 && this.o.maxAgeDays <= 0) return;
    const dir = dirname(this.o.path);
    const backups: { file: string; at: Date }[] = [];
    for (const file of await readdir(dir)) {
      const at = backupTime(this.o.path, file);
      if (at) backups.push({ file: join(dir, file), at });
    }
    backups.sort((a, b) => b.at.getTime() - a.at.getTime());
    const cutoff = Date.now() - this.o.maxAgeDays * 24 * 3600 * 1000;
    for (const [i, b] of backups.entries()) {
      const tooMany = this.o.maxBackups > 0 && i >= this.o.maxBackups;
      const tooOld = this.o.maxAgeDays > 0 && b.at.getTime() < cutoff;
      if (tooMany || tooOld) await unlink(b.file).catch(() => undefined);
    }
  }
}
