// The Node process metrics (CPU, memory, GC, event-loop lag) every Skiff component exposes on
// /metrics, collected the same way everywhere.
import client from 'prom-client';

/**
 * How often the event-loop lag is sampled. prom-client's default of 10 ms wakes an idle process
 * 100 times a second: about 0.7% of a core per process, idle, measured on the 2-core test
 * machine (0.94% at 10 ms, 0.3% at 500 ms, 0.24% without the monitor). A cluster runs some ten
 * Node components, and make test a few dozen at a time. Sampled every 500 ms, the lag's
 * histogram still gets 30-60 samples between two scrapes, and a blocked loop still shows as the
 * delay of the sample that waited for it.
 */
export const EVENT_LOOP_LAG_SAMPLE_MS = 500;

/** Registers the default process metrics (nodejs_*, process_*) on `registry`. */
export function collectProcessMetrics(registry: client.Registry): void {
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_LAG_SAMPLE_MS });
}
