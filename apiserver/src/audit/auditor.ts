// One audited request, from authentication to the last byte, as kube-apiserver's WithAudit
// filter follows it (k8s.io/apiserver/pkg/endpoints/filters/audit.go): the policy decides
// the level once, the event is written at RequestReceived, at ResponseStarted for long-running
// requests (watch, exec, logs, proxy), and at ResponseComplete (or Panic).
//
// The request path tells the event what it learns through a few calls keyed by the request
// (the body it read, the body it wrote, the authorization decision, the impersonated user);
// they cost one WeakMap lookup when the request is not audited.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import type { Attributes } from '../auth/attributes.ts';
import { attributesOf } from '../auth/request-attributes.ts';
import { decodeProtobufObject, isProtobufBody } from '../protobuf/index.ts';
import type { UserInfo } from '../registry/store.ts';
import { parseRequestInfo } from '../server/request-info.ts';
import { type AuditEvent, type AuditResponseStatus, type AuditUser, microTime, nowMicros, sourceIPs, userAgent, withoutManagedFields } from './event.ts';
import type { AuditLogWriter } from './log-writer.ts';
import { type AuditStage, levelAtLeast, type PolicyEvaluator, type RequestAuditConfig } from './policy.ts';

export const AUDIT_ID_HEADER = 'Audit-Id';
const DECISION_ANNOTATION = 'authorization.k8s.io/decision';
const REASON_ANNOTATION = 'authorization.k8s.io/reason';

// BasicLongRunningRequestCheck(watch, proxy; attach, exec, proxy, log, portforward)
const longRunningSubresources = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

function isLongRunning(a: Attributes): boolean {
  return a.verb === 'watch' || a.verb === 'proxy' || (!!a.subresource && longRunningSubresources.has(a.subresource));
}

function auditUser(u: UserInfo): AuditUser {
  return { username: u.name, groups: [...u.groups] };
}

function contentTypeOf(v: string | number | readonly string[] | undefined): string {
  return String(Array.isArray(v) ? v[0] : (v ?? ''))
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

/** A body as the object it encodes (JSON, YAML, protobuf), or undefined when it does not decode. */
function decodeBody(body: Buffer | string, contentType: string): unknown {
  try {
    if (contentType === 'application/vnd.kubernetes.protobuf') {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
      return isProtobufBody(buf) ? decodeProtobufObject(buf).object : undefined;
    }
    const text = body.toString();
    if (contentType.includes('yaml')) return yaml.load(text);
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function attributesOfRequest(req: IncomingMessage): Attributes {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  try {
    return attributesOf(parseRequestInfo(req.method ?? 'GET', path, query), query);
  } catch {
    // a path that does not parse (a bad %-escape) is audited as the non-resource path it is
    return { verb: (req.method ?? 'GET').toLowerCase(), isResourceRequest: false, path, group: '', resource: '' };
  }
}

class AuditedRequest {
  private readonly event: AuditEvent;
  private requestBody?: { body: Buffer; contentType: string };
  private responseBody?: { body: unknown; contentType: string };
  private started = false;
  private done = false;
  /** authentication failed: one ResponseStarted event, as WithFailedAuthenticationAudit writes */
  failedAuthentication = false;
  /** what admission plugins record for the audit log (PodSecurity's audit mode); written with the event */
  readonly admissionAnnotations: Record<string, string> = {};

  private readonly writer: AuditLogWriter;
  private readonly config: RequestAuditConfig;
  private readonly longRunning: boolean;

  constructor(
    writer: AuditLogWriter,
    config: RequestAuditConfig,
    longRunning: boolean,
    req: IncomingMessage,
    auditID: string,
    user: UserInfo | undefined,
    a: Attributes,
  ) {
    this.writer = writer;
    this.config = config;
    this.longRunning = longRunning;
    const received = nowMicros();
    this.event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: config.level,
      auditID,
      stage: 'RequestReceived',
      requestURI: req.url ?? '/',
      verb: a.verb,
      user: user ? auditUser(user) : { username: '' },
      sourceIPs: sourceIPs(req),
      userAgent: userAgent(req),
      objectRef: a.isResourceRequest
        ? {
            resource: a.resource || undefined,
            namespace: a.namespace || undefined,
            name: a.name || undefined,
            apiGroup: a.group || undefined,
            apiVersion: apiVersionOf(req.url ?? ''),
            subresource: a.subresource || undefined,
          }
        : undefined,
      requestReceivedTimestamp: microTime(received),
      stageTimestamp: microTime(received),
    };
  }

  get level() {
    return this.config.level;
  }

  received(): void {
    this.emit('RequestReceived');
  }

  noteRequestBody(body: Buffer, contentType: string): void {
    this.requestBody ??= { body, contentType };
  }

  noteResponseBody(code: number, body: unknown, contentType: string): void {
    this.responseBody ??= { body, contentType };
    this.setCode(code);
  }

  annotate(key: string, value: string): void {
    (this.event.annotations ??= {})[key] = value;
  }

  impersonated(user: UserInfo): void {
    this.event.impersonatedUser = auditUser(user);
  }

  /** The status line went out: the ResponseStarted event of a long-running request. */
  responseStarted(code: number): void {
    if (this.started) return;
    this.started = true;
    this.setCode(code);
    if (this.longRunning) this.emit('ResponseStarted');
  }

  complete(res: ServerResponse): void {
    if (this.done) return;
    this.done = true;
    if (!this.event.responseStatus && res.headersSent) this.setCode(res.statusCode);
    if (this.failedAuthentication) {
      this.event.responseStatus = { metadata: {}, code: this.event.responseStatus?.code ?? 401 };
      this.emit('ResponseStarted');
      return;
    }
    // neither a status nor a body was sent: kube-apiserver fakes a success
    const faked: AuditResponseStatus = { metadata: {}, status: 'Success', message: 'Connection closed early', code: 200 };
    if (!this.started && this.longRunning) {
      this.started = true;
      this.event.responseStatus ??= faked;
      this.emit('ResponseStarted');
    }
    this.event.responseStatus ??= faked;
    this.fillFromBodies();
    this.emit('ResponseComplete');
  }

  panic(message: string): void {
    if (this.done) return;
    this.done = true;
    this.event.responseStatus = { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${message}`, reason: 'InternalError', code: 500 };
    this.fillFromBodies();
    this.emit('Panic');
  }

  private setCode(code: number): void {
    if (this.event.responseStatus) return;
    this.event.responseStatus = { metadata: {}, code };
  }

  /** What LogRequestObject, LogRequestPatch and LogResponseObject add at the end. */
  private fillFromBodies(): void {
    const ev = this.event;
    const omit = this.config.omitManagedFields;
    if (this.requestBody) {
      const { body, contentType } = this.requestBody;
      const isObjectWrite = ev.verb === 'create' || ev.verb === 'update';
      if (isObjectWrite || levelAtLeast(this.config.level, 'Request')) {
        const obj = decodeBody(body, contentType);
        // a created or replaced object names itself; a patch does not
        const meta = isObjectWrite ? (obj as any)?.metadata : undefined;
        if (meta && typeof meta === 'object' && ev.objectRef) {
          const ref = ev.objectRef;
          if (!ref.namespace && typeof meta.namespace === 'string' && meta.namespace) ref.namespace = meta.namespace;
          if (!ref.name && typeof meta.name === 'string' && meta.name) ref.name = meta.name;
          if (!ref.uid && typeof meta.uid === 'string' && meta.uid) ref.uid = meta.uid;
          if (!ref.resourceVersion && typeof meta.resourceVersion === 'string' && meta.resourceVersion) ref.resourceVersion = meta.resourceVersion;
        }
        if (levelAtLeast(this.config.level, 'Request') && obj !== undefined) ev.requestObject = omit ? withoutManagedFields(obj) : obj;
      }
    }
    if (this.responseBody) {
      const { body, contentType } = this.responseBody;
      const code = ev.responseStatus?.code ?? 200;
      const full = levelAtLeast(this.config.level, 'RequestResponse');
      const isObject = typeof body === 'object' && body !== null && !Buffer.isBuffer(body);
      // an encoded body (a list put together from kept encodings, protobuf) is decoded only when
      // the event needs what it holds: a successful one at Metadata level does not
      if (full || code >= 400 || isObject) {
        const obj = isObject ? body : decodeBody(body as Buffer | string, contentType);
        const status = obj as Record<string, any> | undefined;
        if (status?.kind === 'Status' && typeof status.code === 'number') {
          ev.responseStatus = {
            metadata: {},
            status: status.status,
            message: status.message,
            reason: status.reason,
            details: status.details,
            code: status.code,
          };
        }
        if (full && obj !== undefined) ev.responseObject = omit ? withoutManagedFields(obj) : obj;
      }
    }
  }

  private emit(stage: AuditStage): void {
    if (this.config.omitStages.has(stage)) return;
    const ev = this.event;
    if (Object.keys(this.admissionAnnotations).length) ev.annotations = { ...ev.annotations, ...this.admissionAnnotations };
    ev.stage = stage;
    ev.stageTimestamp = stage === 'RequestReceived' ? ev.requestReceivedTimestamp : microTime(nowMicros());
    this.writer.write(`${JSON.stringify(ev)}\n`);
  }
}

/** apiVersion of a resource URL: /api/v1/... -> v1, /apis/apps/v1/... -> v1. */
function apiVersionOf(url: string): string | undefined {
  const parts = url.split('?')[0]!.split('/');
  if (parts[1] === 'api') return parts[2] || undefined;
  if (parts[1] === 'apis') return parts[3] || undefined;
  return undefined;
}

// both the request and its response lead to the record, whichever the caller holds
const audited = new WeakMap<IncomingMessage | ServerResponse, AuditedRequest>();

export interface AuditorOptions {
  policy: PolicyEvaluator;
  writer: AuditLogWriter;
}

/** The audit of a running apiserver: the listener calls begin() for every authenticated request. */
export class Auditor {
  private readonly o: AuditorOptions;

  constructor(o: AuditorOptions) {
    this.o = o;
  }

  /**
   * Right after authentication (user undefined: it failed, the 401 follows): gives the
   * response its Audit-Id and, unless the policy says None, starts the request's event.
   */
  begin(req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined): void {
    const given = req.headers['audit-id'];
    const auditID = (Array.isArray(given) ? given[0] : given) || randomUUID();
    res.setHeader(AUDIT_ID_HEADER, auditID);
    const a = attributesOfRequest(req);
    const config = this.o.policy.evaluate(user, a);
    if (config.level === 'None') return;
    const longRunning = isLongRunning(a);
    const record = new AuditedRequest(this.o.writer, config, longRunning, req, auditID, user, a);
    audited.set(req, record);
    audited.set(res, record);
    // a failed authentication is first seen when its answer starts (WithFailedAuthenticationAudit)
    if (user) record.received();
    else record.failedAuthentication = true;
    if (longRunning) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        record.responseStarted(typeof args[0] === 'number' ? args[0] : this.statusCode);
        return (writeHead as (...x: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse['writeHead'];
    }
    const complete = () => record.complete(res);
    res.once('finish', complete);
    res.once('close', complete);
    // a taken-over upgrade socket may outlive the response object's notice
    if (req.headers.upgrade) req.socket.once('close', complete);
  }

  /** An unexpected error escaped the request path: the Panic stage. */
  panic(req: IncomingMessage, err: unknown): void {
    audited.get(req)?.panic(err instanceof Error ? err.message : String(err));
  }

  flush(): Promise<void> {
    return this.o.writer.flush();
  }

  close(): Promise<void> {
    return this.o.writer.close();
  }
}

// ---- what the request path reports; no-ops for requests that are not audited ----

/** A request body was read (the requestObject at Request level; a created object's name). */
export function auditRequestBody(req: IncomingMessage, body: Buffer): void {
  audited.get(req)?.noteRequestBody(body, contentTypeOf(req.headers['content-type']));
}

/** A response body is being written (its Status, and the responseObject at RequestResponse level). */
export function auditResponseBody(res: ServerResponse, code: number, body: unknown, contentType: string): void {
  audited.get(res)?.noteResponseBody(code, body, contentTypeOf(contentType));
}

/** The authorizers' answer, as WithAuthorization annotates the event. */
export function auditAuthorization(req: IncomingMessage, allowed: boolean, reason: string): void {
  const r = audited.get(req);
  if (!r) return;
  r.annotate(DECISION_ANNOTATION, allowed ? 'allow' : 'forbid');
  r.annotate(REASON_ANNOTATION, reason);
}

/** The request runs as another user (Impersonate-User). */
export function auditImpersonation(req: IncomingMessage, user: UserInfo): void {
  audited.get(req)?.impersonated(user);
}

/** Where this request's admission plugins put their audit annotations (undefined: not audited). */
export function auditAnnotationsFor(req: IncomingMessage): Record<string, string> | undefined {
  return audited.get(req)?.admissionAnnotations;
}

/** An upgrade (exec, attach, port-forward) switched protocols: its response has started. */
export function auditSwitchingProtocols(req: IncomingMessage): void {
  audited.get(req)?.responseStarted(101);
}
