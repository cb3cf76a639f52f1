// Promise-based CRI client (runtime.v1 RuntimeService + ImageService) over containerd's unix
// socket. Every call has a deadline and waits for the channel to be ready within it, so a
// containerd restart is ridden out by grpc-js's reconnect backoff; idempotent reads are also
// retried on UNAVAILABLE until their deadline.
import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '@skiff/common';
import { loadCriServices } from './proto.ts';
import type {
  AttachRequest,
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatusResponse,
  ExecRequest,
  ExecSyncResponse,
  Image,
  ImageFsInfoResponse,
  ImageSpec,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatusResponse,
  StatusResponse,
  VersionResponse,
} from './types.ts';

export interface CriClientOptions {
  /** `unix:///run/containerd/containerd.sock` or a plain socket path. */
  endpoint: string;
  /** Default deadline per call; default 2 minutes (RunPodSandbox and PullImage can be slow). */
  timeoutMs?: number;
  logger?: Logger;
}

export interface CallOptions {
  timeoutMs?: number;
}

/** A failed CRI call, with the gRPC status code (5 = NOT_FOUND, 14 = UNAVAILABLE, ...). */
export class CriError extends Error {
  readonly code: grpc.status;
  readonly method: string;
  readonly details: string;
  constructor(method: string, code: grpc.status, details: string) {
    super(`CRI ${method}: ${details || 'failed'} (${grpc.status[code] ?? code})`);
    this.name = 'CriError';
    this.method = method;
    this.code = code;
    this.details = details;
  }
  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND;
  }
}

export const CRI_API_VERSION = 'v1';
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024; // ExecSync may return 16 MiB each of stdout and stderr

export function criEndpoint(socketOrEndpoint: string): string {
  if (socketOrEndpoint.startsWith('unix:')) return socketOrEndpoint;
  if (!socketOrEndpoint.startsWith('/')) throw new Error(`CRI endpoint must be unix:///abs/path or an absolute path, got ${socketOrEndpoint}`);
  return `unix://${socketOrEndpoint}`;
}

type Unary = (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export class CriClient {
  readonly endpoint: string;
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;
  private readonly timeoutMs: number;
  private readonly log: Logger;

  constructor(options: CriClientOptions) {
    this.endpoint = criEndpoint(options.endpoint);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = options.logger ?? createLogger('cri-client');
    const { RuntimeService, ImageService } = loadCriServices();
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 5_000,
    };
    this.runtime = new RuntimeService(this.endpoint, grpc.credentials.createInsecure(), channelOptions);
    // Share one channel (one connection) between both services.
    this.images = new ImageService(this.endpoint, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: this.runtime.getChannel() });
  }

  /** Resolves once the socket accepts a connection, rejects after timeoutMs. */
  waitForReady(timeoutMs: number = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.runtime.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new Error(`CRI endpoint ${this.endpoint} not ready after ${timeoutMs} ms: ${err.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    this.images.close();
    this.runtime.close();
  }

  // ---- runtime ----

  version(opts?: CallOptions): Promise<VersionResponse> {
    return this.read(this.runtime, 'Version', { version: CRI_API_VERSION }, opts);
  }

  status(verbose = false, opts?: CallOptions): Promise<StatusResponse> {
    return this.read(this.runtime, 'Status', { verbose }, opts);
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    const res = await this.write<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config, runtimeHandler }, opts);
    return res.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'StopPodSandbox', { podSandboxId }, opts);
  }

  async removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'RemovePodSandbox', { podSandboxId }, opts);
  }

  podSandboxStatus(podSandboxId: string, verbose = false, opts?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.read(this.runtime, 'PodSandboxStatus', { podSandboxId, verbose }, opts);
  }

  async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]> {
    return (await this.read<{ items: PodSandbox[] }>(this.runtime, 'ListPodSandbox', { filter }, opts)).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const res = await this.write<{ containerId: string }>(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig }, opts);
    return res.containerId;
  }

  async startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'StartContainer', { containerId }, opts);
  }

  /** Sends the stop signal, then SIGKILL after timeoutSeconds (0 = kill at once). */
  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    const timeoutMs = opts?.timeoutMs ?? Math.max(this.timeoutMs, (timeoutSeconds + 30) * 1000);
    await this.write(this.runtime, 'StopContainer', { containerId, timeout: timeoutSeconds }, { timeoutMs });
  }

  async removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'RemoveContainer', { containerId }, opts);
  }

  async listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]> {
    return (await this.read<{ containers: Container[] }>(this.runtime, 'ListContainers', { filter }, opts)).containers;
  }

  containerStatus(containerId: string, verbose = false, opts?: CallOptions): Promise<ContainerStatusResponse> {
    return this.read(this.runtime, 'ContainerStatus', { containerId, verbose }, opts);
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'UpdateContainerResources', { containerId, linux }, opts);
  }

  async reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    await this.write(this.runtime, 'ReopenContainerLog', { containerId }, opts);
  }

  /** Runs cmd in the container; timeoutSeconds 0 means no limit on the command itself. */
  execSync(containerId: string, cmd: string[], timeoutSeconds = 0, opts?: CallOptions): Promise<ExecSyncResponse> {
    const timeoutMs = opts?.timeoutMs ?? (timeoutSeconds > 0 ? timeoutSeconds * 1000 + 10_000 : this.timeoutMs);
    return this.write(this.runtime, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, { timeoutMs });
  }

  /** Returns the streaming-server URL for an exec session. */
  async exec(request: ExecRequest, opts?: CallOptions): Promise<string> {
    return (await this.write<{ url: string }>(this.runtime, 'Exec', request, opts)).url;
  }

  async attach(request: AttachRequest, opts?: CallOptions): Promise<string> {
    return (await this.write<{ url: string }>(this.runtime, 'Attach', request, opts)).url;
  }

  async portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string> {
    return (await this.write<{ url: string }>(this.runtime, 'PortForward', { podSandboxId, port: ports }, opts)).url;
  }

  async containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | null> {
    return (await this.read<{ stats: ContainerStats | null }>(this.runtime, 'ContainerStats', { containerId }, opts)).stats;
  }

  async listContainerStats(filter?: ContainerStatsFilter, opts?: CallOptions): Promise<ContainerStats[]> {
    return (await this.read<{ stats: ContainerStats[] }>(this.runtime, 'ListContainerStats', { filter }, opts)).stats;
  }

  // ---- images ----

  async listImages(filter?: ImageSpec, opts?: CallOptions): Promise<Image[]> {
    const request = filter ? { filter: { image: filter } } : {};
    return (await this.read<{ images: Image[] }>(this.images, 'ListImages', request, opts)).images;
  }

  /** The image, or null when the runtime does not have it. */
  async imageStatus(image: string | ImageSpec, verbose = false, opts?: CallOptions): Promise<Image | null> {
    return (await this.read<{ image: Image | null }>(this.images, 'ImageStatus', { image: imageSpec(image), verbose }, opts)).image;
  }

  /** Pulls the image and returns its reference (image id) on the node. */
  async pullImage(image: string | ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const timeoutMs = opts?.timeoutMs ?? Math.max(this.timeoutMs, 300_000);
    const res = await this.write<{ imageRef: string }>(this.images, 'PullImage', { image: imageSpec(image), auth, sandboxConfig }, { timeoutMs });
    return res.imageRef;
  }

  async removeImage(image: string | ImageSpec, opts?: CallOptions): Promise<void> {
    await this.write(this.images, 'RemoveImage', { image: imageSpec(image) }, opts);
  }

  imageFsInfo(opts?: CallOptions): Promise<ImageFsInfoResponse> {
    return this.read(this.images, 'ImageFsInfo', {}, opts);
  }

  // ---- plumbing ----

  /** Side-effect-free calls: retried on UNAVAILABLE (e.g. containerd restarting) until the deadline. */
  private async read<T>(client: grpc.Client, method: string, request: unknown, opts?: CallOptions): Promise<T> {
    const deadline = Date.now() + (opts?.timeoutMs ?? this.timeoutMs);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.unary<T>(client, method, request, deadline);
      } catch (err) {
        const retriable = err instanceof CriError && err.code === grpc.status.UNAVAILABLE;
        if (!retriable || Date.now() + delay >= deadline) throw err;
        this.log.debug('CRI call unavailable, retrying', { method, delayMs: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private write<T>(client: grpc.Client, method: string, request: unknown, opts?: CallOptions): Promise<T> {
    return this.unary<T>(client, method, request, Date.now() + (opts?.timeoutMs ?? this.timeoutMs));
  }

  private unary<T>(client: grpc.Client, method: string, request: unknown, deadline: number): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (typeof fn !== 'function') throw new Error(`CRI method ${method} is not in api.proto`);
    const started = Date.now();
    return new Promise<T>((resolve, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline, waitForReady: true } as grpc.CallOptions, (err, res) => {
        if (err) {
          this.log.debug('CRI call failed', { method, code: err.code, details: err.details, ms: Date.now() - started });
          reject(new CriError(method, err.code, err.details));
        } else {
          this.log.debug('CRI call', { method, ms: Date.now() - started });
          resolve(res as T);
        }
      });
    });
  }
}

function imageSpec(image: string | ImageSpec): ImageSpec {
  return typeof image === 'string' ? { image } : image;
}
