// How a controller of the controller-manager runs: the one loop (common's runController) with
// what every one of them passes, its logger and the manager's metrics, a conflict counted as
// routine (the cache was behind; retried at once) and the apiserver's message in the log, and
// its events flushed after the workers stopped, so the last ones reach `kubectl describe`.
import { runController, type EventRecorder, type RunControllerOptions, type StopController } from '@skiff/common';
import type { ControllerContext } from '../controller-context.ts';
import { errorMessage, isConflict } from './api-errors.ts';
import { FLUSH_TIMEOUT_MS } from './events.ts';

export interface ManagedControllerOptions<K> extends Omit<RunControllerOptions<K>, 'log' | 'metrics' | 'describeError'> {
  /** flushed once the workers returned */
  events?: EventRecorder;
  /** the name in the log, when it is not the controller's name */
  logName?: string;
}

export function runManagedController<K>(ctx: ControllerContext, opts: ManagedControllerOptions<K>): StopController {
  const { events, logName, ...loop } = opts;
  const stop = runController({
    isRoutine: isConflict,
    ...loop,
    log: ctx.log.child({ controller: logName ?? opts.name }),
    metrics: ctx.metrics,
    describeError: errorMessage,
  });
  return async () => {
    await stop();
    await events?.flush(FLUSH_TIMEOUT_MS);
  };
}
