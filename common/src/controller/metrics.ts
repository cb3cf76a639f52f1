// Controller and workqueue metrics, named like kube-controller-manager's workqueue metrics
// (workqueue_depth{name}, workqueue_adds_total{name}, workqueue_retries_total{name}) plus
// reconcile counts and latencies per controller. One set per registry, shared by all the
// controllers of a process.
import client from 'prom-client';

export interface ControllerMetrics {
  registry: client.Registry;
  queueAdds: client.Counter<'name'>;
  retries: client.Counter<'name'>;
  reconciles: client.Counter<'controller' | 'result'>;
  reconcileSeconds: client.Histogram<'controller'>;
  /** Registers a function that reports a queue's current depth at scrape time. */
  trackQueueDepth(name: string, depth: () => number): void;
}

export function createControllerMetrics(registry: client.Registry): ControllerMetrics {
  const depthSources = new Map<string, () => number>();
  new client.Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of a controller workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      for (const [name, depth] of depthSources) this.set({ name }, depth());
    },
  });
  return {
    registry,
    queueAdds: new client.Counter({ name: 'workqueue_adds_total', help: 'Keys added to a controller workqueue', labelNames: ['name'], registers: [registry] }),
    retries: new client.Counter({
      name: 'workqueue_retries_total',
      help: 'Keys put back on a controller workqueue with back-off after a failed reconcile',
      labelNames: ['name'],
      registers: [registry],
    }),
    reconciles: new client.Counter({
      name: 'controller_reconcile_total',
      help: 'Reconciles per controller and result (success, error)',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileSeconds: new client.Histogram({
      name: 'controller_reconcile_duration_seconds',
      help: 'Reconcile latency per controller (the work duration of one key)',
      labelNames: ['controller'],
      registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    trackQueueDepth(name, depth) {
      depthSources.set(name, depth);
    },
  };
}
