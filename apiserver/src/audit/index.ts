// The audit log: kube-apiserver's --audit-* flags, and the Auditor they configure. Auditing is
// on when both a policy file and a log path are given, as in kube-apiserver.
import { readFileSync } from 'node:fs';
import { FlagError } from '@skiff/common/flags';
import type { Logger } from '@skiff/common/log';
import { Auditor } from './auditor.ts';
import { AuditLogWriter } from './log-writer.ts';
import { parsePolicy, PolicyEvaluator, type AuditPolicy } from './policy.ts';

export { Auditor, auditAuthorization, auditImpersonation, auditRequestBody, auditResponseBody, auditSwitchingProtocols, AUDIT_ID_HEADER } from './auditor.ts';
export { parsePolicy, PolicyEvaluator, levelAtLeast } from './policy.ts';
export type { AuditLevel, AuditPolicy, AuditStage, PolicyRule, RequestAuditConfig } from './policy.ts';
export type { AuditEvent } from './event.ts';
export { AuditLogWriter, backupName } from './log-writer.ts';

export const auditFlags = {
  'audit-policy-file': { default: '', description: 'audit.k8s.io/v1 Policy file: which requests the audit log records, and at what level' },
  'audit-log-path': { default: '', description: "file the audit log's JSON lines are appended to; '-' for standard output" },
  'audit-log-maxsize': { type: 'number', default: 0, description: 'megabytes the audit log file may grow to before it is rotated (0: 100)' },
  'audit-log-maxbackup': { type: 'number', default: 0, description: 'rotated audit log files kept (0: all)' },
  'audit-log-maxage': { type: 'number', default: 0, description: 'days rotated audit log files are kept (0: no limit by age)' },
} as const;

export interface AuditConfig {
  policy?: AuditPolicy;
  logPath: string;
  maxSizeMegabytes: number;
  maxBackups: number;
  maxAgeDays: number;
}

function wholeNumber(flag: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`--${flag}: must be a whole number, 0 or more, got ${n}`);
  return n;
}

/** The audit flags, checked; the policy file is read and validated now, so a bad one stops the start. */
export function auditConfig(f: Record<keyof typeof auditFlags, any>): AuditConfig {
  const file = String(f['audit-policy-file']);
  let policy: AuditPolicy | undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new FlagError(`--audit-policy-file: ${(e as Error).message}`);
    }
    try {
      policy = parsePolicy(text, file);
    } catch (e) {
      throw new FlagError(`--audit-policy-file: ${(e as Error).message}`);
    }
  }
  return {
    policy,
    logPath: String(f['audit-log-path']),
    maxSizeMegabytes: wholeNumber('audit-log-maxsize', f['audit-log-maxsize']),
    maxBackups: wholeNumber('audit-log-maxbackup', f['audit-log-maxbackup']),
    maxAgeDays: wholeNumber('audit-log-maxage', f['audit-log-maxage']),
  };
}

/** The Auditor, with its log file open; undefined when auditing is off. */
export async function createAuditor(cfg: AuditConfig, log?: Logger): Promise<Auditor | undefined> {
  if (!cfg.policy || !cfg.logPath) {
    if (cfg.policy || cfg.logPath) log?.warn('audit log off: it needs both --audit-policy-file and --audit-log-path');
    return undefined;
  }
  const writer = new AuditLogWriter({
    path: cfg.logPath,
    maxSizeBytes: cfg.maxSizeMegabytes * 1024 * 1024,
    maxBackups: cfg.maxBackups,
    maxAgeDays: cfg.maxAgeDays,
    log,
  });
  await writer.open();
  log?.info('audit log on', { path: cfg.logPath, rules: cfg.policy.rules.length });
  return new Auditor({ policy: new PolicyEvaluator(cfg.policy), writer });
}
