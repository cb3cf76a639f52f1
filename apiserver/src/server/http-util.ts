// Writing responses directly (no ETag, no router work) keeps the API's hot path lean.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../errors.ts';

export const maxBodyBytes = 3 * 1024 * 1024;

export function writeJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data), 'Cache-Control': 'no-cache, private' });
  res.end(data);
}

export function writeError(res: ServerResponse, err: unknown): number {
  const e = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return e.code;
  }
  writeJson(res, e.code, e.toStatus());
  return e.code;
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return errors.internal(msg);
}

export function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      drain(req);
      reject(errors.tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        drain(req);
        reject(errors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(errors.badRequest(e.message));
      }
    });
  });
}

function drain(req: IncomingMessage): void {
  req.resume();
}

export function statusSuccess(details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}
