// The controller-manager: leader election, then every enabled controller on one shared
// set of informers; health and metrics on the side. main.ts and tests both start it here.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import client from 'prom-client';
import { LeaderElector, createLogger, loadKubeConfig, startServiceEndpoints, type Logger } from '@skiff/common';
import { controllerEnabled, defaultConfig, type ControllerManagerConfig } from './config.ts';
import type { ControllerContext, ControllerDescriptor, StopController } from './controller-context.ts';
import { controllers as allControllers } from './controllers/index.ts';
import { SharedInformerFactory } from './informer-factory.ts';
import { createControllerMetrics } from '@skiff/common';

export interface ControllerManagerHandle {
  identity: string;
  /** Port of /healthz /readyz /metrics, when served. */
  port?: number;
  registry: client.Registry;
  isLeader(): boolean;
  /** Names of the controllers running right now (empty while not leading). */
  running(): string[];
  /** Stops controllers, gives the lease up and closes the endpoints. */
  stop(): Promise<void>;
}

export interface StartOptions extends Partial<ControllerManagerConfig> {
  /** Used instead of loading --kubeconfig. */
  kubeConfig?: KubeConfig;
  log?: Logger;
  /** Controllers to choose from (tests may pass their own); the built-in list by default. */
  available?: ControllerDescriptor[];
  /**
   * Called when leadership is lost while running (not when stop() gives the Lease up). main.ts
   * exits there, as kube-controller-manager does ("leaderelection lost"): informer caches and
   * in-flight work of a former leader cannot be trusted, and the supervisor restarts it.
   */
  onLeadershipLost?: () => void;
}

export async function startControllerManager(opts: StartOptions = {}): Promise<ControllerManagerHandle> {
  const config: ControllerManagerConfig = { ...defaultConfig, ...stripUndefined(opts) };
  const identity = config.identity ?? `${hostname()}_${randomBytes(8).toString('hex')}`;
  const log = opts.log ?? createLogger('controller-manager', { identity });
  const kubeConfig = opts.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const registry = new client.Registry();
  const metrics = createControllerMetrics(registry);
  const chosen = (opts.available ?? allControllers).filter((c) => controllerEnabled(c.name, config.controllers));

  let stopRunning: (() => Promise<void>) | undefined;
  let runningNames: string[] = [];
  // start and stop never overlap: leadership can flap faster than informers start
  let transitions: Promise<void> = Promise.resolve();
  const serially = (fn: () => Promise<void>) => {
    transitions = transitions.then(fn, fn).catch((e) => log.error('controller transition failed', { err: e as Error }));
    return transitions;
  };

  const startControllers = () =>
    serially(async () => {
      if (stopRunning) return;
      const informers = new SharedInformerFactory(kubeConfig, log);
      const ctx: ControllerContext = { kubeConfig, informers, log, metrics, config };
      const stops: StopController[] = [];
      for (const c of chosen) {
        stops.push(await c.start({ ...ctx, log: log.child({ controller: c.name }) }));
        log.info('started controller', { controller: c.name });
      }
      informers.start();
      runningNames = chosen.map((c) => c.name);
      stopRunning = async () => {
        await Promise.all(stops.map((s) => s()));
        informers.stop();
        runningNames = [];
      };
    });
  const stopControllers = () =>
    serially(async () => {
      const s = stopRunning;
      stopRunning = undefined;
      await s?.();
    });

  let elector: LeaderElector | undefined;
  let stopping = false;
  if (config.leaderElect) {
    elector = new LeaderElector({
      kubeConfig,
      namespace: config.leaseNamespace,
      name: config.leaseName,
      identity,
      log,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewDeadlineSeconds: config.renewDeadlineSeconds,
      retryPeriodSeconds: config.retryPeriodSeconds,
      onStartedLeading: () => void startControllers(),
      onStoppedLeading: () => {
        if (!stopping) opts.onLeadershipLost?.();
        void stopControllers();
      },
    });
    elector.start();
  } else {
    await startControllers();
  }

  const endpoints =
    config.port >= 0
      ? await startServiceEndpoints({
          port: config.port,
          bindAddress: config.bindAddress,
          log,
          registry,
          checks: elector ? [elector.healthCheck()] : [],
          // the leader is ready once its controllers run; a standby is ready to take over
          ready: () => !elector?.isLeader() || runningNames.length > 0,
        })
      : undefined;

  return {
    identity,
    port: endpoints ? (endpoints.server.address() as { port: number }).port : undefined,
    registry,
    isLeader: () => (elector ? elector.isLeader() : true),
    running: () => [...runningNames],
    async stop() {
      stopping = true;
      await elector?.stop();
      await stopControllers();
      await endpoints?.close();
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<ControllerManagerConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'kubeConfig' && k !== 'log' && k !== 'available') out[k] = v;
  return out as Partial<ControllerManagerConfig>;
}
