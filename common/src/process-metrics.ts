// The Node process metrics (CPU, memory, GC, event-loop lag) every Skiff component exposes on
// /metrics, collected the same way everywhere; and, as every component comes here, the process's
// memory upkeep (idle-gc.ts).
import client from 'prom-client';
import { startIdleGc } from './idle-gc.ts';

/**
 * How often the event-loop lag is sampled. prom-client's default of 10 ms wakes an idle process
 * 100 times a second: about 0.7% of a core per process, idle, measured on the 2-core test
 * machine (0.94% at 10 ms, 0.3% at 500 ms, 0.24% without the monitor). A cluster runs some ten
 * Node components, and make test a few dozen at a time. Sampled every 500 ms, the lag's
 * histogram still gets 30-60 samples between two scrapes, and a blocked loop still shows as the
 * delay of the sample that waited for it.
 */
export const EVENT_LOOP_LAG_SAMPLE_MS = 500;

/**
 * Registers the default process metrics (nodejs_*, process_*) on `registry`, and starts the
 * idle collection (once per process) with its counter, skiff_idle_gc_total.
 */
export function collectProcessMetrics(registry: client.Registry): void {
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_LAG_SAMPLE_MS });
  const collections = new client.Counter({
    name: 'skiff_idle_gc_total',
    help: 'Full garbage collections made because the process was quiet and its heap had grown (node --expose-gc).',
    registers: [registry],
  });
  idleCollections.push(collections);
  startIdleGc({ onCollect: () => idleCollections.forEach((c) => c.inc()) });
}

// the counters of every registry that asked (tests make several in one process)
const idleCollections: client.Counter[] = [];
