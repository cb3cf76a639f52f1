// Printers of storage.k8s.io kinds beyond StorageClass (printers.go's printCSIDriver).
import { ageColumn, col, nameColumn, type Printer } from './columns.ts';
import { timestampSince } from './duration.ts';

export const csiDriverPrinter: Printer = {
  columns: [
    nameColumn(),
    col(
      'AttachRequired',
      'boolean',
      'Indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting.',
    ),
    col(
      'PodInfoOnMount',
      'boolean',
      'Indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations.',
    ),
    col('StorageCapacity', 'boolean', 'Indicates this CSI volume driver supports storage capacity tracking.'),
    col('TokenRequests', 'string', 'Indicates this CSI volume driver requires the service account token to be passed in NodePublishVolume.'),
    col(
      'RequiresRepublish',
      'boolean',
      'Indicates this CSI volume driver requires NodePublishVolume being periodically called to reflect any possible change in the mounted volume.',
    ),
    col('Modes', 'string', 'Indicates volume modes supported by this driver.'),
    ageColumn(),
  ],
  cells(o, now) {
    const spec = o.spec ?? {};
    const tokens = (spec.tokenRequests ?? []).map((t: any) => String(t?.audience ?? '')).join(',');
    const modes: string[] = spec.volumeLifecycleModes ?? [];
    return [
      o.metadata.name ?? '',
      spec.attachRequired === true,
      spec.podInfoOnMount === true,
      spec.storageCapacity === true,
      tokens || '<unset>',
      spec.requiresRepublish === true,
      modes.length ? modes.join(',') : '<none>',
      timestampSince(o.metadata.creationTimestamp, now),
    ];
  },
};
