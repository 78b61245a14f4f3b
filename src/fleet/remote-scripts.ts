/**
 * Every command switchyard runs on a node. Each is a fixed script: values
 * arrive only as quoted positional parameters (see remoteScript), so nothing
 * a user typed can become shell code. The nginx test and reload commands come
 * from the operator's config and run through `sh -c`.
 *
 * Lines on stdout that start with `@` are the scripts' reports to us.
 */

/** Reads the app's upstream file; exit 3 when it is missing. */
export const READ_UPSTREAM = `[ -f "$1" ] || { echo "no such file: $1" >&2; exit 3; }
cat -- "$1"`;

/**
 * Stages stdin next to the live file (named so it does not match the
 * backends.d/*.conf include) and keeps a backup of the live file. The staged
 * copy starts as a copy of the live one so it keeps its owner and mode.
 * $1 live file, $2 staged file, $3 backup.
 */
export const STAGE_UPSTREAM = `set -e
umask 022
cp -p -- "$1" "$2.tmp"
cat > "$2.tmp"
mv -f -- "$2.tmp" "$2"
cp -p -- "$1" "$3.tmp"
mv -f -- "$3.tmp" "$3"`;

/**
 * Shared by commit and revert: test the config in place, reload, and confirm
 * the reload took. A reload's exit status proves nothing (nginx -s reload and
 * service nginx reload return 0 even when the master then fails to apply the
 * config), so the proof is a new generation of worker processes under the
 * master, and every old worker marked "shutting down": until an old worker
 * has taken the signal it still accepts new connections with the old
 * config. Where the test or the confirmation fails, the backup goes back in.
 * $1 live file, $3 backup, $4 test command, $5 reload command, $6 pid file,
 * $7 milliseconds to wait for new workers.
 */
const TEST_RELOAD_CONFIRM = `live=$1 backup=$3
restore() { cp -p -- "$backup" "$live.restore" && mv -f -- "$live.restore" "$live"; }
if ! out=$(sh -c "$4" 2>&1); then
  restore
  printf '@nginx-test-failed\\n%s\\n' "$out"
  exit 22
fi
master=$(cat -- "$6" 2>/dev/null) && kill -0 "$master" 2>/dev/null || {
  restore; echo "@nginx-not-running: no live master in $6"; exit 23; }
old=" $(ps -o pid= --ppid "$master" | tr -s ' \\n' '  ') "
echo "@reload-start $(date +%s%N)"
if ! out=$(sh -c "$5" 2>&1); then
  restore
  printf '@reload-failed\\n%s\\n' "$out"
  exit 24
fi
end=$(( $(date +%s%N) / 1000000 + $7 ))
while :; do
  state=$(ps -o pid=,args= --ppid "$master" | awk -v old="$old" '
    BEGIN { n = split(old, o, " "); for (i = 1; i <= n; i++) was[o[i]] = 1 }
    { if ($1 in was) { if ($0 !~ /shutting down/) busy = 1 } else fresh = 1 }
    END { print (fresh && !busy) ? "applied" : "waiting" }')
  if [ "$state" = applied ]; then
    echo "@reload-done $(date +%s%N)"; echo "@old-workers$old"; exit 0
  fi
  if [ "$(( $(date +%s%N) / 1000000 ))" -ge "$end" ]; then
    restore
    echo "@reload-not-applied: no new nginx workers after $7 ms; the master kept its old config (see nginx's error log)"
    exit 25
  fi
  sleep 0.02
done`;

/**
 * Moves the staged file in (an atomic rename), then tests, reloads and
 * confirms. Refuses if the live file changed since prepare read it.
 * $2 staged file; the rest as TEST_RELOAD_CONFIRM.
 */
export const COMMIT_UPSTREAM = `cmp -s -- "$1" "$3" || { echo "@changed-since-prepare: $1 no longer matches what prepare read"; exit 20; }
mv -f -- "$2" "$1" || exit 21
${TEST_RELOAD_CONFIRM}`;

/**
 * Puts the backup back on a node that already switched, then tests, reloads
 * and confirms, so the node serves the old colour again.
 */
export const REVERT_UPSTREAM = `cp -p -- "$3" "$1.restore" && mv -f -- "$1.restore" "$1" || exit 21
${TEST_RELOAD_CONFIRM}`;

/** Removes a staged file left by a prepare that went no further. $1 staged file. */
export const DISCARD_STAGED = `rm -f -- "$1" "$1.tmp"`;

/**
 * Waits until none of the given old workers is still a child of the master
 * (they exit once their in-flight requests end), for at most $3 milliseconds.
 * $1 pid file, $2 old worker pids (space separated), $3 milliseconds.
 */
export const WAIT_DRAINED = `master=$(cat -- "$1" 2>/dev/null) || { echo "@drained $(date +%s%N)"; exit 0; }
end=$(( $(date +%s%N) / 1000000 + $3 ))
while :; do
  now=" $(ps -o pid= --ppid "$master" | tr -s ' \\n' '  ') "
  alive=
  for p in $2; do case "$now" in *" $p "*) alive="$alive $p" ;; esac; done
  [ -z "$alive" ] && { echo "@drained $(date +%s%N)"; exit 0; }
  [ "$(( $(date +%s%N) / 1000000 ))" -ge "$end" ] && { echo "@still-draining$alive"; exit 0; }
  sleep 0.05
done`;

/** The app's post-deploy command, from config. $1 command. */
export const POST_DEPLOY = `sh -c "$1"`;

/**
 * Keeps the newest $2 release folders in $1 (by modification time) and
 * removes the rest, printing each removed path.
 */
export const CLEAN_RELEASES = `cd -- "$1" || exit 3
n=0
ls -1t | while IFS= read -r dir; do
  [ -d "$dir" ] || continue
  n=$((n + 1))
  [ "$n" -le "$2" ] && continue
  rm -rf -- "./$dir" && echo "@removed $1/$dir"
done`;

/** Pulls `@key value` report lines out of a script's stdout. */
export function reports(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^@([a-z-]+)(?::? ?)(.*)$/.exec(line);
    if (m) found.set(m[1]!, m[2]!);
  }
  return found;
}
