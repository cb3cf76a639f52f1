// The WebSocket side of `exec`: Kubernetes' channel protocol, where every binary message
// starts with a channel byte (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize) and
// v5.channel.k8s.io adds 255 to close a channel, so the remote command sees stdin's end.
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { ApiClient } from './client.ts';
import { withQuery } from './client.ts';
import { ApiStatusError, type ApiStatus } from './errors.ts';
import type { Sink } from './io.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface ExecStreams {
  stdout: Sink;
  stderr: Sink;
  stdin?: AsyncIterable<Buffer | string>;
}

/** Exit code from the final Status on the error channel: 0, the command's code, or a failure. */
export function exitCodeFromStatus(status: ApiStatus): { code: number; message?: string } {
  if (status.status === 'Success') return { code: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { code, message: `command terminated with exit code ${code}` };
  }
  return { code: 1, message: status.message || 'the command failed' };
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', () => resolve(''));
  });
}

/** Runs the exec session; resolves with the Status the server sent (Success when none came). */
export async function runExecStream(client: ApiClient, path: string, query: Record<string, string | string[]>, streams: ExecStreams): Promise<ApiStatus> {
  const base = await client.connectionOptions();
  const url = (client.target.server + withQuery(path, query)).replace(/^http/, 'ws');
  const ws = new WebSocket(url, EXEC_PROTOCOLS, {
    ca: base.ca,
    cert: base.cert,
    key: base.key,
    rejectUnauthorized: base.rejectUnauthorized,
    headers: base.headers as Record<string, string> | undefined,
  });
  let status: ApiStatus | undefined;
  return new Promise<ApiStatus>((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      void readBody(res).then((text) => {
        let parsed: ApiStatus = { message: text.trim() || `exec upgrade refused with HTTP ${res.statusCode}` };
        try {
          const j = JSON.parse(text);
          if (j?.kind === 'Status') parsed = j;
        } catch {
          /* plain text */
        }
        reject(new ApiStatusError(res.statusCode ?? 500, parsed));
      });
    });
    ws.on('error', (err) => reject(new Error(`exec connection failed: ${err.message}`)));
    ws.on('open', () => {
      if (!streams.stdin) return;
      void (async () => {
        for await (const chunk of streams.stdin!) {
          const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          ws.send(Buffer.concat([Buffer.from([CHANNEL.stdin]), data]));
        }
        if (ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([CHANNEL.close, CHANNEL.stdin]));
      })().catch(() => {
        /* the session ended first */
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (buf.length === 0) return;
      const payload = buf.subarray(1);
      switch (buf[0]) {
        case CHANNEL.stdout:
          streams.stdout.write(payload.toString('utf8'));
          break;
        case CHANNEL.stderr:
          streams.stderr.write(payload.toString('utf8'));
          break;
        case CHANNEL.error:
          if (payload.length === 0) break;
          try {
            status = JSON.parse(payload.toString('utf8')) as ApiStatus;
          } catch {
            status = { status: 'Failure', message: payload.toString('utf8') };
          }
          break;
        default:
          break;
      }
    });
    ws.on('close', () => resolve(status ?? { status: 'Success' }));
  });
}
