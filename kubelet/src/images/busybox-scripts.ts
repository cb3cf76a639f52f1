// Commands that tutorials type but Debian's busybox 1.35 build lacks or breaks, as small shell
// scripts on its applets. Each is added only when the binary needs it, so a busybox with the
// real applet keeps its link.
import { spawnSync } from 'node:child_process';

export interface ScriptCommand {
  /** where it goes, e.g. usr/bin/printenv (replacing the applet's link when there is one) */
  path: string;
  script: string;
}

// printenv [NAME]...: every variable, or the values of the named ones (exit 1 when one is
// unset), as coreutils' and the official busybox image's printenv do.
const PRINTENV = `#!/bin/sh
# printenv [NAME]...: this busybox build has no printenv applet (written by Skiff's image builder)
[ $# -eq 0 ] && exec env
exec awk 'BEGIN { rc = 0; for (i = 1; i < ARGC; i++) if (ARGV[i] in ENVIRON) print ENVIRON[ARGV[i]]; else rc = 1; exit rc }' "$@"
`;

// wget -T SEC / --timeout=SEC (as in the NetworkPolicy tutorial's `wget --spider --timeout=1`):
// Debian builds wget without its timeout option; -T then crashes it (exit 139) and --timeout
// is refused. Here the limit applies to the whole download, through the timeout applet.
const WGET = `#!/bin/sh
# wget with -T SEC / --timeout=SEC for a busybox built without them (written by Skiff's image builder)
seconds=
n=$#
while [ "$n" -gt 0 ]; do
  arg=$1
  shift
  n=$((n - 1))
  case $arg in
    -T | --timeout)
      [ "$n" -gt 0 ] || { echo "wget: option requires an argument: $arg" >&2; exit 1; }
      seconds=$1
      shift
      n=$((n - 1)) ;;
    -T*) seconds=\${arg#-T} ;;
    --timeout=*) seconds=\${arg#--timeout=} ;;
    *) set -- "$@" "$arg" ;;
  esac
done
[ -z "$seconds" ] && exec /bin/busybox wget "$@"
# SIGINT, not SIGTERM: a shell reports the latter ("Terminated") on the user's terminal
/bin/busybox timeout -s INT "$seconds" /bin/busybox wget "$@"
rc=$?
# 128 + SIGINT: the timeout applet ended it
[ "$rc" -eq 130 ] && { echo "wget: download timed out" >&2; exit 1; }
exit "$rc"
`;

/** The scripts this busybox binary needs, given the applet paths it lists. */
export function scriptCommands(busyboxPath: string, applets: readonly string[]): ScriptCommand[] {
  const has = (name: string) => applets.some((a) => a.endsWith(`/${name}`));
  const out: ScriptCommand[] = [];
  if (!has('printenv')) out.push({ path: 'usr/bin/printenv', script: PRINTENV });
  const wget = applets.find((a) => a.endsWith('/wget'));
  if (wget && has('timeout') && !appletUsage(busyboxPath, 'wget').includes('-T SEC')) out.push({ path: wget, script: WGET });
  return out;
}

function appletUsage(busyboxPath: string, applet: string): string {
  const r = spawnSync(busyboxPath, [applet, '--help'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}
