// Where the authentication config comes from: the `extension-apiserver-authentication`
// ConfigMap in kube-system (read at start, retried with back-off until it exists, then
// re-read every minute so a rotated CA is picked up), or files given as flags, which take
// precedence over the ConfigMap's values as in k8s.io/apiserver.
import { readFileSync } from 'node:fs';
import type { Logger } from '@skiff/common';
import { configFromConfigMap, parseCertificates, type AuthenticationConfig } from './authentication.ts';

export interface AuthenticationOverrides {
  clientCAFile?: string;
  requestHeaderCAFile?: string;
  allowedNames?: string[];
}

export interface AuthenticationSourceOptions {
  load: () => Promise<Record<string, string>>;
  overrides: AuthenticationOverrides;
  /** do not read the ConfigMap (--authentication-skip-lookup): only the flags' files */
  skipLookup: boolean;
  refreshMs?: number;
  onChange: (config: AuthenticationConfig, pems: string[]) => void;
  log: Logger;
}

const DEFAULT_HEADERS = { usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'] };

export class AuthenticationSource {
  config?: AuthenticationConfig;
  private readonly o: AuthenticationSourceOptions;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastPems = '';

  constructor(o: AuthenticationSourceOptions) {
    this.o = o;
  }

  private async read(): Promise<{ config: AuthenticationConfig; pems: string[] }> {
    const data = this.o.skipLookup ? {} : await this.o.load();
    const ov = this.o.overrides;
    const clientPem = ov.clientCAFile ? readFileSync(ov.clientCAFile, 'utf8') : data['client-ca-file'];
    const frontPem = ov.requestHeaderCAFile ? readFileSync(ov.requestHeaderCAFile, 'utf8') : data['requestheader-client-ca-file'];
    const fromMap = configFromConfigMap(data);
    const config: AuthenticationConfig = {
      ...fromMap,
      clientCA: parseCertificates(clientPem),
      requestHeaderCA: parseCertificates(frontPem),
      allowedNames: ov.allowedNames?.length ? ov.allowedNames : fromMap.allowedNames,
      usernameHeaders: fromMap.usernameHeaders.length ? fromMap.usernameHeaders : DEFAULT_HEADERS.usernameHeaders,
      groupHeaders: fromMap.groupHeaders.length ? fromMap.groupHeaders : DEFAULT_HEADERS.groupHeaders,
      extraHeaderPrefixes: fromMap.extraHeaderPrefixes.length ? fromMap.extraHeaderPrefixes : DEFAULT_HEADERS.extraHeaderPrefixes,
    };
    return { config, pems: [clientPem, frontPem].filter((p): p is string => !!p) };
  }

  /** Resolves once a config is loaded; keeps trying with back-off (1 s doubling to 30 s) until then. */
  async start(): Promise<void> {
    let delay = 1000;
    for (;;) {
      try {
        this.apply(await this.read());
        break;
      } catch (e) {
        if (this.stopped) return;
        this.o.log.warn('reading extension-apiserver-authentication failed, retrying', { delayMs: delay, err: (e as Error).message });
        await new Promise((r) => {
          this.timer = setTimeout(r, delay);
        });
        delay = Math.min(delay * 2, 30_000);
      }
    }
    const refresh = () => {
      if (this.stopped) return;
      this.read().then(
        (r) => this.apply(r),
        (e: unknown) => this.o.log.warn('re-reading extension-apiserver-authentication failed', { err: (e as Error).message }),
      );
      this.timer = setTimeout(refresh, this.o.refreshMs ?? 60_000);
    };
    this.timer = setTimeout(refresh, this.o.refreshMs ?? 60_000);
  }

  private apply({ config, pems }: { config: AuthenticationConfig; pems: string[] }): void {
    this.config = config;
    const key = pems.join('\n');
    if (key === this.lastPems) return;
    this.lastPems = key;
    this.o.log.info('authentication config loaded', {
      clientCAs: config.clientCA.length,
      requestHeaderCAs: config.requestHeaderCA.length,
      allowedNames: config.allowedNames,
    });
    this.o.onChange(config, pems);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
