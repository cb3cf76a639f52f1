// The audit.k8s.io/v1 Event, field for field in the order kube-apiserver writes them
// (k8s.io/apiserver/pkg/apis/audit/v1/types.go), and the small facts an event is built from.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { AuditLevel, AuditStage } from './policy.ts';

export interface AuditUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AuditObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** metav1.Status as the audit log keeps it: only the bounded fields. */
export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: AuditUser;
  impersonatedUser?: AuditUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectReference;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** Now, in microseconds since the epoch (metav1.MicroTime's precision). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** metav1.MicroTime's text: RFC 3339 with exactly six fractional digits, in UTC. */
export function microTime(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/** An IPv4 peer of a dual-stack socket reads ::ffff:10.0.0.1; Go prints 10.0.0.1. */
function plainIP(text: string): string | undefined {
  const ip = text.trim().replace(/^\[|\]$/g, '');
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1];
  return isIP(ip) ? ip : undefined;
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** The client's addresses as utilnet.SourceIPs has them: X-Forwarded-For, X-Real-Ip, then the peer. */
export function sourceIPs(req: IncomingMessage): string[] {
  const ips: string[] = [];
  for (const part of header(req, 'x-forwarded-for').split(',')) {
    const ip = plainIP(part);
    if (ip) ips.push(ip);
  }
  const real = plainIP(header(req, 'x-real-ip'));
  if (real && !ips.includes(real)) ips.push(real);
  const remote = plainIP(req.socket.remoteAddress ?? '');
  if (remote && ips[ips.length - 1] !== remote) ips.push(remote);
  return ips;
}

const MAX_USER_AGENT = 1024;

export function userAgent(req: IncomingMessage): string | undefined {
  const ua = header(req, 'user-agent');
  if (!ua) return undefined;
  return ua.length > MAX_USER_AGENT ? `${ua.slice(0, MAX_USER_AGENT)}...TRUNCATED` : ua;
}

/** A copy without metadata.managedFields, on the object and on a list's items (omitManagedFields). */
export function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const o = obj as Record<string, any>;
  let out = o;
  if (o.metadata && typeof o.metadata === 'object' && 'managedFields' in o.metadata) {
    const { managedFields: _dropped, ...metadata } = o.metadata;
    out = { ...o, metadata };
  }
  if (Array.isArray(o.items)) out = { ...out, items: o.items.map(withoutManagedFields) };
  // a Table's rows carry their objects
  if (Array.isArray(o.rows)) out = { ...out, rows: o.rows.map((r: any) => (r?.object ? { ...r, object: withoutManagedFields(r.object) } : r)) };
  return out;
}
