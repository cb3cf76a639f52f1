// Every resource the API server serves, and the objects it creates at start-up.
import type { KObject, ResourceDef } from '../types.ts';
import { namespaces } from './namespaces.ts';
import { nodes } from './nodes.ts';
import { pods } from './pods.ts';
import { services } from './services.ts';
import { endpoints } from './endpoints.ts';
import { configmaps } from './configmaps.ts';
import { secrets } from './secrets.ts';
import { events } from './events.ts';
import { serviceaccounts } from './serviceaccounts.ts';
import { deployments } from './deployments.ts';
import { replicasets } from './replicasets.ts';
import { endpointslices } from './endpointslices.ts';
import { leases } from './leases.ts';
import { eventsK8sIo } from './events-k8s-io.ts';
import { priorityclasses, builtinPriorityClasses } from './priorityclasses.ts';
import { certificatesigningrequests } from './certificatesigningrequests.ts';
import { limitranges } from './limitranges.ts';
import { resourcequotas } from './resourcequotas.ts';
import { roles } from './roles.ts';
import { clusterroles } from './clusterroles.ts';
import { rolebindings } from './rolebindings.ts';
import { clusterrolebindings } from './clusterrolebindings.ts';
import { reviewResources } from './reviews.ts';
import { persistentvolumes } from './persistentvolumes.ts';
import { persistentvolumeclaims } from './persistentvolumeclaims.ts';
import { storageclasses } from './storageclasses.ts';
import { csidrivers } from './csidrivers.ts';
import { controllerrevisions } from './controllerrevisions.ts';
import { poddisruptionbudgets } from './poddisruptionbudgets.ts';
import { replicationcontrollers } from './replicationcontrollers.ts';
import { podtemplates } from './podtemplates.ts';
import { daemonsets } from './daemonsets.ts';
import { statefulsets } from './statefulsets.ts';
import { jobs } from './jobs.ts';
import { cronjobs } from './cronjobs.ts';
import { horizontalpodautoscalersV1, horizontalpodautoscalersV2 } from './horizontalpodautoscalers.ts';
import { apiservices } from './apiservices.ts';
import { customresourcedefinitions } from './customresourcedefinitions.ts';
import { ingresses } from './ingresses.ts';
import { ingressclasses } from './ingressclasses.ts';
import { networkpolicies } from './networkpolicies.ts';

export const allResources: ResourceDef[] = [
  namespaces,
  nodes,
  pods,
  services,
  endpoints,
  configmaps,
  secrets,
  events,
  serviceaccounts,
  deployments,
  replicasets,
  endpointslices,
  leases,
  eventsK8sIo,
  priorityclasses,
  certificatesigningrequests,
  limitranges,
  resourcequotas,
  roles,
  clusterroles,
  rolebindings,
  clusterrolebindings,
  ...reviewResources,
  persistentvolumes,
  persistentvolumeclaims,
  storageclasses,
  csidrivers,
  controllerrevisions,
  poddisruptionbudgets,
  replicationcontrollers,
  podtemplates,
  daemonsets,
  statefulsets,
  jobs,
  cronjobs,
  horizontalpodautoscalersV2,
  horizontalpodautoscalersV1,
  apiservices,
  customresourcedefinitions,
  ingresses,
  ingressclasses,
  networkpolicies,
];

export interface BuiltinObject {
  group: string;
  version: string;
  resource: string;
  object: KObject;
}

export const builtinObjects: BuiltinObject[] = builtinPriorityClasses.map((object) => ({
  group: priorityclasses.group,
  version: priorityclasses.version,
  resource: priorityclasses.resource,
  object,
}));
