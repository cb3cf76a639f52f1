// What a controller gets from the manager, and what it gives back.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@skiff/common';
import type { ControllerManagerConfig } from './config.ts';
import type { SharedInformerFactory } from './informer-factory.ts';
import type { ControllerMetrics } from '@skiff/common';

export interface ControllerContext {
  kubeConfig: KubeConfig;
  informers: SharedInformerFactory;
  log: Logger;
  metrics: ControllerMetrics;
  config: ControllerManagerConfig;
}

/** Stops the controller's workers; resolves once they returned. */
export type StopController = () => Promise<void>;

export interface ControllerDescriptor {
  name: string;
  /** Registers handlers on shared informers and starts workers (which wait for the caches). */
  start(ctx: ControllerContext): Promise<StopController>;
}
