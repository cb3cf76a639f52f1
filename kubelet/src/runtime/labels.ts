// Labels and annotations the kubelet puts on CRI sandboxes and containers: they are all it
// needs to find a pod's state again after a restart (the same keys the real kubelet uses).
export const POD_UID = 'io.kubernetes.pod.uid';
export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const CONTAINER_NAME = 'io.kubernetes.container.name';
/** set on every object this kubelet creates, so a shared containerd can hold other things */
export const MANAGED_BY = 'io.skiff.managed-by';
export const MANAGED_BY_VALUE = 'skiff-kubelet';

export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const ANNOTATION_INIT = 'io.skiff.container.init';
export const ANNOTATION_SPEC_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
