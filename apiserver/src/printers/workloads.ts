// Workload controllers (apps, batch, core ReplicationController): replica counts, then the
// containers/images/selector wide columns.
import type { KObject } from '../registry/types.ts';
import { ageColumn, col, containersColumn, imagesColumn, nameColumn, type Printer } from './columns.ts';
import { humanDuration, parseTimestamp, timestampSince } from './duration.ts';
import { boolPtr, containerCells, formatLabels, formatLabelSelector, int, labelSelectorString, str } from './format.ts';

const age = (o: KObject, now: Date) => timestampSince(o.metadata.creationTimestamp, now);
const selectorDoc = "A label query over pods that should match the replica count. It must match the pod template's labels.";

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', {
      wide: true,
    }),
  ],
  cells(d, now) {
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    let selector: string;
    try {
      selector = labelSelectorString(d.spec?.selector);
    } catch {
      selector = '<invalid>';
    }
    return [
      d.metadata.name ?? '',
      `${int(d.status?.readyReplicas)}/${int(d.spec?.replicas)}`,
      int(d.status?.updatedReplicas),
      int(d.status?.availableReplicas),
      age(d, now),
      names,
      images,
      selector,
    ];
  },
};

/** ReplicaSet and ReplicationController share a layout; only the selector format differs. */
function replicaPrinter(selectorText: (o: KObject) => string): Printer {
  return {
    columns: [
      nameColumn(),
      col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      ageColumn(),
      containersColumn(),
      imagesColumn(),
      col('Selector', 'string', selectorDoc, { wide: true }),
    ],
    cells(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec?.containers);
      return [o.metadata.name ?? '', int(o.spec?.replicas), int(o.status?.replicas), int(o.status?.readyReplicas), age(o, now), names, images, selectorText(o)];
    },
  };
}

export const replicaSetPrinter = replicaPrinter((o) => formatLabelSelector(o.spec?.selector));
export const replicationControllerPrinter = replicaPrinter((o) => formatLabels(o.spec?.selector));

export const statefulSetPrinter: Printer = {
  columns: [nameColumn(), col('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersColumn(), imagesColumn()],
  cells(o, now) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return [o.metadata.name ?? '', `${int(o.status?.readyReplicas)}/${int(o.spec?.replicas)}`, age(o, now), names, images];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', { wide: true }),
  ],
  cells(o, now) {
    const s = o.status ?? {};
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return [
      o.metadata.name ?? '',
      int(s.desiredNumberScheduled),
      int(s.currentNumberScheduled),
      int(s.numberReady),
      int(s.updatedNumberScheduled),
      int(s.numberAvailable),
      formatLabels(o.spec?.template?.spec?.nodeSelector),
      age(o, now),
      names,
      images,
      formatLabelSelector(o.spec?.selector),
    ];
  },
};

function jobCondition(job: KObject, type: string): boolean {
  const c = (job.status?.conditions ?? []).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

function jobStatus(job: KObject): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: KObject): string {
  const succeeded = int(job.status?.succeeded);
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KObject, now: Date): string {
  const start = parseTimestamp(job.status?.startTime);
  if (!start) return '';
  const end = parseTimestamp(job.status?.completionTime) ?? now;
  return humanDuration(end.getTime() - start.getTime());
}

export const jobPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    col('Selector', 'string', 'A label query over pods that should match the pod count.', { wide: true }),
  ],
  cells(o, now) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    return [o.metadata.name ?? '', jobStatus(o), jobCompletions(o), jobDuration(o, now), age(o, now), names, images, formatLabelSelector(o.spec?.selector)];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col(
      'Suspend',
      'boolean',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
    ),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    col('Selector', 'string', 'A label query over pods that should match the pod count.', { wide: true }),
  ],
  cells(o, now) {
    const jobSpec = o.spec?.jobTemplate?.spec ?? {};
    const [names, images] = containerCells(jobSpec.template?.spec?.containers);
    const last = o.status?.lastScheduleTime ? timestampSince(o.status.lastScheduleTime, now) : '<none>';
    return [
      o.metadata.name ?? '',
      str(o.spec?.schedule),
      str(o.spec?.timeZone) || '<none>',
      boolPtr(o.spec?.suspend),
      (o.status?.active ?? []).length,
      last,
      age(o, now),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(o) {
    const [names, images] = containerCells(o.template?.spec?.containers);
    return [o.metadata.name ?? '', names, images, formatLabels(o.template?.metadata?.labels)];
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn(),
  ],
  cells(o, now) {
    const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
    let controller = '<none>';
    if (ref) {
      const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
      controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
    }
    return [o.metadata.name ?? '', controller, int(o.revision), age(o, now)];
  },
};
