// Which printer serves which kind. Kinds without one get the generic Name / Created At layout,
// as kube-apiserver's default table convertor does.
import type { KObject } from '../registry/types.ts';
import { col, docs, nameColumn, type Printer } from './columns.ts';
import { parseTimestamp } from './duration.ts';
import * as core from './core.ts';
import * as groups from './groups.ts';
import { podPrinter } from './pod.ts';
import { csiDriverPrinter } from './storage.ts';
import * as workloads from './workloads.ts';

/** RFC 3339 in UTC without fractions, Go's zero time when absent (time.RFC3339 formatting). */
function rfc3339(ts: unknown): string {
  const d = parseTimestamp(ts);
  return d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '0001-01-01T00:00:00Z';
}

export const defaultPrinter: Printer = {
  columns: [nameColumn(), col('Created At', 'date', docs.creationTimestamp)],
  cells: (o: KObject) => [o.metadata.name ?? '', rfc3339(o.metadata.creationTimestamp)],
};

const byGroupKind = new Map<string, Printer>([
  ['/Pod', podPrinter],
  ['/PodTemplate', workloads.podTemplatePrinter],
  ['/ReplicationController', workloads.replicationControllerPrinter],
  ['/Service', core.servicePrinter],
  ['/Node', core.nodePrinter],
  ['/Namespace', core.namespacePrinter],
  ['/Secret', core.secretPrinter],
  ['/ConfigMap', core.configMapPrinter],
  ['/ServiceAccount', core.serviceAccountPrinter],
  ['/Endpoints', core.endpointsPrinter],
  ['/Event', core.eventPrinter],
  ['/PersistentVolume', core.persistentVolumePrinter],
  ['/PersistentVolumeClaim', core.persistentVolumeClaimPrinter],
  ['/ResourceQuota', core.resourceQuotaPrinter],
  ['events.k8s.io/Event', core.eventsV1Printer],
  ['apps/Deployment', workloads.deploymentPrinter],
  ['apps/ReplicaSet', workloads.replicaSetPrinter],
  ['apps/StatefulSet', workloads.statefulSetPrinter],
  ['apps/DaemonSet', workloads.daemonSetPrinter],
  ['apps/ControllerRevision', workloads.controllerRevisionPrinter],
  ['batch/Job', workloads.jobPrinter],
  ['batch/CronJob', workloads.cronJobPrinter],
  ['coordination.k8s.io/Lease', groups.leasePrinter],
  ['scheduling.k8s.io/PriorityClass', groups.priorityClassPrinter],
  ['certificates.k8s.io/CertificateSigningRequest', groups.certificateSigningRequestPrinter],
  ['discovery.k8s.io/EndpointSlice', groups.endpointSlicePrinter],
  ['rbac.authorization.k8s.io/RoleBinding', groups.roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', groups.clusterRoleBindingPrinter],
  ['networking.k8s.io/Ingress', groups.ingressPrinter],
  ['networking.k8s.io/IngressClass', groups.ingressClassPrinter],
  ['networking.k8s.io/NetworkPolicy', groups.networkPolicyPrinter],
  ['storage.k8s.io/StorageClass', groups.storageClassPrinter],
  ['storage.k8s.io/CSIDriver', csiDriverPrinter],
  ['policy/PodDisruptionBudget', groups.podDisruptionBudgetPrinter],
  ['autoscaling/HorizontalPodAutoscaler', groups.horizontalPodAutoscalerPrinter],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', groups.webhookConfigurationPrinter],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', groups.webhookConfigurationPrinter],
  ['node.k8s.io/RuntimeClass', groups.runtimeClassPrinter],
  ['apiregistration.k8s.io/APIService', groups.apiServicePrinter],
]);

export function printerFor(group: string, kind: string): Printer {
  return byGroupKind.get(`${group}/${kind}`) ?? defaultPrinter;
}

/** Whether a kind has its own printer (the rest print Name / Created At). */
export function hasPrinter(group: string, kind: string): boolean {
  return byGroupKind.has(`${group}/${kind}`);
}
