export { name, start, assignPodCidr } from './controller.ts';
export type { NodeIpamConfig } from './controller.ts';
export { CidrAllocator, parseCidr, formatCidr } from './cidr-allocator.ts';
