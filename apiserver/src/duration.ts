// Durations as the apiserver's flags take them (Go's time.Duration text, or plain seconds).
import { parseGoDurationMs } from '@skiff/common/go-duration';

export function parseDurationSeconds(text: string): number {
  return parseGoDurationMs(text) / 1000;
}
