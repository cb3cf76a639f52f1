// One kubelet: node agent (registration, lease, status, CNI), pod manager (workers over a
// runtime) and, unless hollow, the node API server. main.ts and hollow.ts build it from flags.
import type https from 'node:https';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import client from 'prom-client';
import { createLogger, EventRecorder, type Logger } from '@skiff/common';
import { apiObjectSource } from './api/objects.ts';
import { apiClients, type ApiClients } from './api/client.ts';
import { CriClient } from './cri/client.ts';
import { writeCniConfig } from './node/cni-config.ts';
import { NodeDrainer, type DrainResult } from './node/drain.ts';
import { machineInfo, type MachineInfo } from './node/machine.ts';
import { NodeAgent } from './node/node-agent.ts';
import { PodEvents } from './pods/events.ts';
import { PodManager } from './pods/pod-manager.ts';
import { Backoff } from './runtime/backoff.ts';
import { CriRuntime } from './runtime/cri-runtime.ts';
import type { PodRuntime } from './runtime/interface.ts';
import { SimulatedRuntime } from './runtime/simulated-runtime.ts';
import { createKubeletServer } from './server/kubelet-server.ts';
import { clientCaPem } from './server/client-ca.ts';
import { NodeApiAuth, type AuthTtls } from './server/node-api-auth.ts';
import { apiserverReviewer } from './server/review-client.ts';
import { ensureServingCert } from './server/serving-cert.ts';
import { CriStatsProvider } from './stats/cri-stats.ts';
import { SyntheticStatsProvider } from './stats/synthetic-stats.ts';
import type { StatsProvider } from './stats/summary.ts';

export interface KubeletConfig {
  kubeConfig: KubeConfig;
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  podLogDir?: string;
  cniConfDir?: string;
  cniBridge?: string;
  runtime: 'cri' | 'simulated';
  containerRuntimeEndpoint?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  maxPods?: number;
  podCIDR?: string;
  simulatedReadyDelayMs?: number;
  /** hollow nodes: the CPU and memory a running container reports, as a fraction of its requests */
  simulatedUsageFactor?: number;
  /** 0 = any free port; -1 = do not serve (hollow nodes) */
  port?: number;
  bindAddress?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** a serving certificate from the cluster, asked for once the Node is registered (--rotate-server-certificates) */
  requestServingCertificate?: () => Promise<{ certFile: string; keyFile: string }>;
  /** CA for client certificates on the node API; default: the CA of kubeConfig's cluster */
  clientCaFile?: string;
  /** how long TokenReview / SubjectAccessReview answers are cached (tests shorten them) */
  authTtls?: Partial<AuthTtls>;
  labels?: Record<string, string>;
  /** API clients shared by hollow kubelets; built from kubeConfig when absent */
  api?: ApiClients;
  machine?: MachineInfo;
  resyncMs?: number;
  /** first CrashLoopBackOff delay (doubles up to 5 min); 10 s as in Kubernetes, shorter in tests */
  restartBackoffInitialMs?: number;
  /** record Events for pods (default true); hollow nodes do not: see hollow.ts */
  recordEvents?: boolean;
  logger?: Logger;
}

/** How long stop() waits for queued events to be sent. */
const EVENT_FLUSH_MS = 2000;

export class Kubelet {
  readonly config: KubeletConfig;
  readonly log: Logger;
  readonly api: ApiClients;
  readonly runtime: PodRuntime;
  readonly pods: PodManager;
  readonly node: NodeAgent;
  readonly metrics = new client.Registry();
  readonly stats: StatsProvider;
  private readonly recorder?: EventRecorder;
  private server?: https.Server;
  /** set while drain() runs: /readyz says not ready */
  private draining = false;
  private readonly startTime = new Date().toISOString();
  port = 0;

  constructor(config: KubeletConfig) {
    this.config = config;
    this.log = config.logger ?? createLogger('kubelet').child({ node: config.nodeName });
    this.api = config.api ?? apiClients(config.kubeConfig);
    const wake = (uid: string) => this.pods.wake(uid);
    if (config.recordEvents !== false) {
      this.recorder = EventRecorder.forKubeConfig(config.kubeConfig, { component: 'kubelet', host: config.nodeName, log: this.log.child({ part: 'events' }) });
    }
    const events = new PodEvents(this.recorder);
    if (config.runtime === 'cri') {
      if (!config.containerRuntimeEndpoint) throw new Error('--container-runtime-endpoint is required with --runtime=cri');
      const machine = config.machine ?? machineInfo(config.rootDir);
      this.runtime = new CriRuntime({
        cri: new CriClient({ endpoint: config.containerRuntimeEndpoint, logger: this.log.child({ part: 'cri' }) }),
        rootDir: config.rootDir,
        sandbox: {
          podLogDir: config.podLogDir ?? join(config.rootDir, 'pod-logs'),
          clusterDNS: config.clusterDNS ?? ['10.96.0.10'],
          clusterDomain: config.clusterDomain ?? 'cluster.local',
        },
        node: { nodeName: config.nodeName, hostIP: config.nodeIP, allocatableCpuMillis: machine.cpus * 1000, allocatableMemoryBytes: machine.memoryBytes },
        objects: apiObjectSource(this.api),
        wake,
        networkReady: () => this.node.networkReady,
        backoff: new Backoff({ initialMs: config.restartBackoffInitialMs }),
        events,
        logger: this.log.child({ part: 'cri-runtime' }),
      });
    } else {
      const n = Number.parseInt(config.nodeName.replace(/\D/g, '') || '0', 10);
      this.runtime = new SimulatedRuntime({
        readyDelayMs: config.simulatedReadyDelayMs,
        ipPrefix: `10.${200 + (Math.floor(n / 256) % 50)}.${n % 256}`,
        wake,
        events,
      });
    }
    this.pods = new PodManager({
      kubeConfig: config.kubeConfig,
      api: this.api,
      nodeName: config.nodeName,
      hostIP: () => config.nodeIP,
      runtime: this.runtime,
      log: this.log.child({ part: 'pods' }),
      resyncMs: config.resyncMs,
    });
    const machine = config.machine ?? machineInfo(config.rootDir);
    this.node = new NodeAgent({
      api: this.api,
      log: this.log.child({ part: 'node' }),
      identity: {
        nodeName: config.nodeName,
        nodeIP: config.nodeIP,
        hostname: config.runtime === 'cri' ? os.hostname() : config.nodeName,
        port: config.port && config.port > 0 ? config.port : 10250,
        maxPods: config.maxPods ?? 110,
        machine,
        runtimeVersion: '',
        labels: config.labels,
      },
      runtimeReady: async () => {
        if (this.runtime instanceof CriRuntime) {
          const st = await this.runtime.cri.status(false, { timeoutMs: 5000 });
          const bad = st.status?.conditions.filter((c) => !c.status && c.type === 'RuntimeReady') ?? [];
          return { ok: bad.length === 0, message: bad.map((c) => `${c.type}: ${c.message}`).join('; ') };
        }
        return { ok: true, message: '' };
      },
      // host-local leases live beside the conf dir, where scripts/node/cni-config.sh keeps
      // them too: whichever wrote the config, no address is handed out twice.
      onPodCIDR:
        config.runtime === 'cri' && config.cniConfDir
          ? (cidr) => {
              if (
                writeCniConfig({
                  confDir: config.cniConfDir!,
                  podCIDR: cidr,
                  bridge: config.cniBridge ?? 'cni0',
                  ipamDataDir: join(dirname(config.cniConfDir!), 'ipam'),
                })
              )
                this.log.info('wrote CNI config', { cidr });
            }
          : undefined,
      fallbackPodCIDR: config.podCIDR,
    });
    const statsOptions = { nodeName: config.nodeName, startTime: this.startTime, pods: () => this.pods.pods() };
    this.stats =
      this.runtime instanceof CriRuntime
        ? new CriStatsProvider({ ...statsOptions, cri: this.runtime.cri })
        : new SyntheticStatsProvider({ ...statsOptions, factor: config.simulatedUsageFactor ?? 0.5 });
    const pods = this.pods;
    new client.Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods this kubelet runs',
      registers: [this.metrics],
      collect() {
        this.set(pods.podCount);
      },
    });
  }

  async start(): Promise<void> {
    const v = await this.runtime.version();
    this.node.identity.runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    const serving = (this.config.port ?? 10250) >= 0;
    const requested = this.config.requestServingCertificate;
    if (serving && !requested) await this.serve();
    await this.node.start();
    if (serving && requested) await this.serve(await requested());
    await this.pods.start();
    this.log.info('kubelet started', { runtime: this.runtime.kind, port: this.port });
  }

  private async serve(requested?: { certFile: string; keyFile: string }): Promise<void> {
    const tls =
      requested ??
      (this.config.tlsCertFile && this.config.tlsPrivateKeyFile
        ? { certFile: this.config.tlsCertFile, keyFile: this.config.tlsPrivateKeyFile }
        : ensureServingCert(join(this.config.rootDir, 'pki'), this.config.nodeName, this.config.nodeIP));
    const clientCa = clientCaPem(this.config.clientCaFile, this.config.kubeConfig);
    if (!clientCa) this.log.warn('no client CA (--client-ca-file, or a CA in the kubeconfig): the node API accepts bearer tokens only');
    this.server = createKubeletServer({
      ...tls,
      clientCa,
      auth: new NodeApiAuth(this.config.nodeName, apiserverReviewer(this.config.kubeConfig), this.config.authTtls),
      log: this.log.child({ part: 'server' }),
      backend: {
        nodeName: this.config.nodeName,
        startTime: this.startTime,
        metrics: this.metrics,
        stats: this.stats,
        findPod: (ns, name) => this.pods.findPod(ns, name),
        pods: () => this.pods.pods(),
        cri: this.runtime instanceof CriRuntime ? this.runtime : undefined,
        healthy: () => true,
        ready: () => !this.draining,
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.port ?? 10250, this.config.bindAddress ?? '0.0.0.0', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    this.node.identity.port = this.port;
  }

  /**
   * Graceful node shutdown (--drain-on-shutdown, see node/drain.ts): cordons the Node and
   * evicts its pods, waiting for them to be gone, for at most `budgetMs` or until `signal`
   * aborts. The kubelet keeps running meanwhile (its pod workers kill the evicted pods);
   * stop() follows.
   */
  async drain(budgetMs: number, signal: AbortSignal): Promise<DrainResult> {
    this.draining = true;
    const drainer = new NodeDrainer({
      nodeName: this.config.nodeName,
      core: this.api.core,
      boundPods: () => this.pods.boundPods(),
      events: this.recorder,
      log: this.log.child({ part: 'drain' }),
    });
    return drainer.drain(budgetMs, signal);
  }

  async stop(): Promise<void> {
    this.pods.stop();
    this.node.stop();
    if (this.server) {
      this.server.close();
      this.server.closeAllConnections();
    }
    this.runtime.close();
    // the last Killing events of a shutdown go out, but stop() never hangs on them
    await this.recorder?.flush(EVENT_FLUSH_MS);
  }
}
