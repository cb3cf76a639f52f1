// Why an allocation failed; the services strategy turns it into the field error Kubernetes shows.
export type AllocationFailure = 'taken' | 'outOfRange' | 'full';

export class AllocationError extends Error {
  readonly failure: AllocationFailure;
  constructor(failure: AllocationFailure, message: string) {
    super(message);
    this.failure = failure;
  }
}
