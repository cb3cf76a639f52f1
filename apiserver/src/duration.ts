// Durations as the Kubernetes flags take them (Go's time.Duration text, whole units only):
// `1h`, `90m`, `3600s`, `1h0m0s`, or plain seconds.

export function parseDurationSeconds(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`invalid duration "${text}" (use e.g. 24h, 90m, 3600s)`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
