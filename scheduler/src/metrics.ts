// kube-scheduler's main metrics under their Kubernetes names.
import client from 'prom-client';

export interface SchedulerMetrics {
  registry: client.Registry;
  attempts: client.Counter<'result' | 'profile'>;
  attemptDuration: client.Histogram<'result' | 'profile'>;
  e2eDuration: client.Histogram<'profile'>;
  pendingPods: client.Gauge<'queue'>;
  preemptionAttempts: client.Counter<string>;
  preemptionVictims: client.Histogram<string>;
}

export function createSchedulerMetrics(registry = new client.Registry()): SchedulerMetrics {
  const buckets = client.exponentialBuckets(0.001, 2, 15);
  // queue-to-bind latency is what the benchmark reads a p99 from: finer buckets, up to ~2 min
  const sliBuckets = client.exponentialBuckets(0.001, 1.25, 55);
  return {
    registry,
    attempts: new client.Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result.',
      labelNames: ['result', 'profile'],
      registers: [registry],
    }),
    attemptDuration: new client.Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding).',
      labelNames: ['result', 'profile'],
      buckets,
      registers: [registry],
    }),
    e2eDuration: new client.Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds',
      help: 'Latency from a pod entering the queue to its binding.',
      labelNames: ['profile'],
      buckets: sliBuckets,
      registers: [registry],
    }),
    pendingPods: new client.Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type.',
      labelNames: ['queue'],
      registers: [registry],
    }),
    preemptionAttempts: new client.Counter({
      name: 'scheduler_preemption_attempts_total',
      help: 'Total preemption attempts in the cluster till now.',
      registers: [registry],
    }),
    preemptionVictims: new client.Histogram({
      name: 'scheduler_preemption_victims',
      help: 'Number of selected preemption victims.',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
  };
}
