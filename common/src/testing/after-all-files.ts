// Fixtures that several test files share (a whole single-node cluster, for example) are
// stopped once, after every file has run: they register here, and the root hook plugin
// (root-hooks.ts) runs the registered stops in reverse order.
const stops: Array<() => Promise<void>> = [];

export function stopAfterAllFiles(stop: () => Promise<void>): void {
  stops.push(stop);
}

export async function runAfterAllFilesStops(): Promise<void> {
  while (stops.length > 0) {
    const stop = stops.pop()!;
    await stop().catch((e: unknown) => console.error(`stopping a shared test fixture failed: ${(e as Error).message}`));
  }
}
