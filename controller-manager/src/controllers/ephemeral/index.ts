export { name, start } from './controller.ts';
