// kube-scheduler for Skiff: leader-elected through the kube-system/kube-scheduler Lease,
// binds pending pods to nodes, serves /healthz and /metrics.
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { createLogger, FlagError, LeaderElector, loadKubeConfig, onShutdown, parseFlags, startServiceEndpoints } from '@skiff/common';
import { SchedulerApi } from './api.ts';
import { loadSchedulerConfig, ConfigError } from './framework/profile.ts';
import { wireInformers } from './informers.ts';
import { createSchedulerMetrics } from './metrics.ts';
import { Scheduler } from './scheduler.ts';

const log = createLogger('scheduler');

const flagSpec = {
  kubeconfig: { description: 'kubeconfig file to reach the apiserver' },
  'leader-elect': { type: 'boolean' as const, default: true, description: 'elect a leader through the kube-system/kube-scheduler Lease before scheduling' },
  'leader-elect-lease-duration': { type: 'number' as const, default: 15, description: 'seconds a leader holds the lease without renewing it' },
  'leader-elect-renew-deadline': { type: 'number' as const, default: 10, description: 'seconds the leader keeps trying to renew before it steps down' },
  'leader-elect-retry-period': { type: 'number' as const, default: 2, description: 'seconds between lease attempts' },
  'scheduler-name': { default: 'default-scheduler', description: 'the schedulerName of the pods to schedule (default profile)' },
  config: { description: 'KubeSchedulerConfiguration YAML: profiles with plugins, weights and plugin args' },
  port: { type: 'number' as const, default: 10259, description: 'port for /healthz and /metrics (0: any free port)' },
  'bind-address': { default: '127.0.0.1', description: 'address for /healthz and /metrics' },
  'percentage-of-nodes-to-score': { type: 'number' as const, description: 'share of nodes to find feasible before scoring; 0 is adaptive' },
};

async function main(): Promise<void> {
  const flags = parseFlags('scheduler', flagSpec);
  const config = loadSchedulerConfig(flags.config);
  const kc = loadKubeConfig(flags.kubeconfig);
  const identity = `${os.hostname()}_${randomUUID()}`;
  const metrics = createSchedulerMetrics();
  const scheduler = new Scheduler({
    writer: new SchedulerApi(loadKubeConfig(flags.kubeconfig)),
    log,
    config,
    metrics,
    schedulerName: flags['scheduler-name'],
    instance: identity,
    percentageOfNodesToScore: flags['percentage-of-nodes-to-score'],
  });
  const informers = wireInformers(kc, scheduler, log);
  let leading = !flags['leader-elect'];
  let elector: LeaderElector | undefined;
  const endpoints = await startServiceEndpoints({
    port: flags.port,
    bindAddress: flags['bind-address'],
    log,
    registry: metrics.registry,
    checks: [
      { name: 'informers', check: () => !leading || (informers.pods.hasSynced() && informers.nodes.hasSynced()) },
      { name: 'leaderElection', check: () => elector?.healthCheck().check() ?? true },
    ],
  });

  const startScheduling = async () => {
    leading = true;
    await informers.start();
    log.info('scheduling', { profiles: [...scheduler.frameworks.keys()], nodes: scheduler.cache.nodeCount() });
    await scheduler.run();
  };

  let shuttingDown = false;
  if (flags['leader-elect']) {
    elector = new LeaderElector({
      kubeConfig: kc,
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity,
      log,
      leaseDurationSeconds: flags['leader-elect-lease-duration'],
      renewDeadlineSeconds: flags['leader-elect-renew-deadline'],
      retryPeriodSeconds: flags['leader-elect-retry-period'],
      onStartedLeading: () => {
        void startScheduling().catch((e) => {
          log.error('scheduler stopped', { err: e as Error });
          process.exit(1);
        });
      },
      // as kube-scheduler: a former leader's cache and in-flight bindings cannot be trusted, so exit
      onStoppedLeading: () => {
        if (shuttingDown) return;
        log.error('leader election lost');
        process.exit(1);
      },
    });
    elector.start();
  } else {
    void startScheduling().catch((e) => {
      log.error('scheduler stopped', { err: e as Error });
      process.exit(1);
    });
  }

  onShutdown(log, async () => {
    shuttingDown = true;
    scheduler.stop();
    informers.stop();
    await elector?.stop();
    await endpoints.close();
  });
}

main().catch((e) => {
  if (e instanceof FlagError || e instanceof ConfigError) {
    process.stderr.write(`scheduler: ${e.message}\n`);
    process.exit(2);
  }
  log.error('scheduler failed to start', { err: e as Error });
  process.exit(1);
});
