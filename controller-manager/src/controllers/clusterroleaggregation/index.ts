export { name, start, aggregatedRules } from './controller.ts';
