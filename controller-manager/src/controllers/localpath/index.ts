export { name, start } from './provisioner.ts';
