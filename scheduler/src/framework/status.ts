// The outcome of a plugin at one extension point, with Kubernetes' codes: Unschedulable
// may be fixed by preemption, UnschedulableAndUnresolvable may not.
export type StatusCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export class Status {
  readonly code: StatusCode;
  readonly reasons: string[];
  /** the plugin that failed */
  plugin = '';
  constructor(code: StatusCode, ...reasons: string[]) {
    this.code = code;
    this.reasons = reasons;
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }
  message(): string {
    return this.reasons.join(', ');
  }
  withPlugin(p: string): this {
    this.plugin = p;
    return this;
  }
}

export const unschedulable = (...reasons: string[]) => new Status('Unschedulable', ...reasons);
export const unresolvable = (...reasons: string[]) => new Status('UnschedulableAndUnresolvable', ...reasons);
export const errorStatus = (message: string) => new Status('Error', message);
export const skip = () => new Status('Skip');
