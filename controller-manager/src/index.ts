export { startControllerManager } from './manager.ts';
export type { ControllerManagerHandle, StartOptions } from './manager.ts';
export { defaultConfig, controllerEnabled } from './config.ts';
export type { ControllerManagerConfig } from './config.ts';
export type { ControllerContext, ControllerDescriptor, StopController } from './controller-context.ts';
export { SharedInformerFactory } from './informer-factory.ts';
export { controllers } from './controllers/index.ts';
