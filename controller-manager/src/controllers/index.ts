// Every controller the manager can run, by name (the names --controllers accepts).
import type { ControllerDescriptor } from '../controller-context.ts';
import { deploymentController } from './deployment/controller.ts';
import { replicaSetController, replicationControllerController } from './replicaset/controller.ts';
import { daemonSetController } from './daemonset/controller.ts';
import * as endpoints from './endpoints/index.ts';
import * as endpointslice from './endpointslice/index.ts';
import * as garbagecollector from './garbagecollector/index.ts';
import * as namespace from './namespace/index.ts';
import * as nodeipam from './nodeipam/index.ts';
import * as nodelifecycle from './nodelifecycle/index.ts';
import * as serviceaccount from './serviceaccount/index.ts';
import * as certificates from './certificates/index.ts';
import * as rootcacertpublisher from './rootcacertpublisher/index.ts';
import * as podgc from './podgc/index.ts';
import * as resourcequota from './resourcequota/index.ts';
import * as clusterroleaggregation from './clusterroleaggregation/index.ts';
import * as persistentvolume from './persistentvolume/index.ts';
import { pvcProtection, pvProtection } from './persistentvolume/protection.ts';
import * as localpath from './localpath/index.ts';
import * as ephemeral from './ephemeral/index.ts';
import { disruptionController } from './disruption/controller.ts';
import { statefulSetController } from './statefulset/controller.ts';
import { jobController } from './job/controller.ts';
import { ttlAfterFinishedController } from './ttlafterfinished/controller.ts';
import { cronJobController } from './cronjob/controller.ts';
import { horizontalPodAutoscalerController } from './podautoscaler/controller.ts';
import { serviceLbController } from './servicelb/controller.ts';

export const controllers: ControllerDescriptor[] = [
  replicaSetController,
  replicationControllerController,
  deploymentController,
  daemonSetController,
  endpoints,
  endpointslice,
  garbagecollector,
  namespace,
  nodeipam,
  nodelifecycle,
  serviceaccount,
  certificates,
  rootcacertpublisher,
  podgc,
  resourcequota,
  clusterroleaggregation,
  persistentvolume,
  pvcProtection,
  pvProtection,
  localpath,
  ephemeral,
  disruptionController,
  statefulSetController,
  jobController,
  ttlAfterFinishedController(),
  cronJobController,
  horizontalPodAutoscalerController,
  serviceLbController,
];
