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
 * Shared by the commit-family scripts, which all take the same arguments:
 * $1 live file, $2 staged file, $3 backup, $4 nginx test command,
 * $5 nginx reload command, $6 nginx pid file, $7 ms to wait for a reload.
 *
 * A reload's exit status proves nothing (`nginx -s reload` and `service nginx
 * reload` return 0 even when the master then fails to apply the config), so a
 * reload is confirmed by its result: a new generation of workers under the
 * master, and every old worker marked "shutting down" (until an old worker
 * takes the signal it still accepts connections with the old config). The
 * loop reads /proc with shell builtins so that thirty nodes polling at once
 * stay cheap.
 */
const COMMON = `live=$1 staged=$2 backup=$3 test_cmd=$4 reload_cmd=$5 pid_file=$6 confirm_ms=$7
restore() { cp -p -- "$backup" "$live.restore" && mv -f -- "$live.restore" "$live"; }
test_config() {
  if ! out=$(sh -c "$test_cmd" 2>&1); then
    restore
    printf '@nginx-test-failed\n%s\n' "$out"
    exit 22
  fi
}
workers() {
  if [ -r "/proc/$master/task/$master/children" ]; then
    kids=; read -r kids < "/proc/$master/task/$master/children"; echo "$kids"
  else
    ps -o pid= --ppid "$master" | tr '\n' ' '
  fi
}
reload_confirm() {
  master=; { read -r master < "$pid_file"; } 2>/dev/null
  [ -n "$master" ] && kill -0 "$master" 2>/dev/null || {
    restore; echo "@nginx-not-running: no live nginx master in $pid_file"; exit 23; }
  old=" $(workers) "
  echo "@reload-start $(date +%s%N)"
  if ! out=$(sh -c "$reload_cmd" 2>&1); then
    restore
    printf '@reload-failed\n%s\n' "$out"
    exit 24
  fi
  # nginx's master lets old workers go on accepting for 100 ms after the new
  # ones start, so there is nothing to see before then.
  sleep 0.1
  tries=$(( confirm_ms / 10 - 10 ))
  while :; do
    fresh=
    for p in $(workers); do case "$old" in *" $p "*) ;; *) fresh=1 ;; esac; done
    if [ -n "$fresh" ]; then
      busy=
      for p in $old; do
        title=; { read -r title < "/proc/$p/cmdline"; } 2>/dev/null
        case "$title" in ''|*"shutting down"*) ;; *) busy=1 ;; esac
      done
      if [ -z "$busy" ]; then echo "@reload-done $(date +%s%N)"; echo "@old-workers$old"; return 0; fi
    fi
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      restore
      echo "@reload-not-applied: no new nginx workers after $confirm_ms ms; the master kept its old config (see nginx's error log)"
      exit 25
    fi
    sleep 0.01
  done
}
`;

/**
 * Commits one node in two steps with a barrier between them, on one channel:
 * arm (rename the staged file in, atomically, and run `nginx -t`), report
 * `@armed`, then wait for a word on stdin. `reload` reloads and confirms;
 * anything else, or stdin closing, puts the backup back (nginx never read
 * the new file). The agent says `reload` only once every node has armed, so
 * a failed `nginx -t` anywhere needs no reload anywhere, and the reloads
 * start together, which keeps the mixed window short.
 * Refuses if the live file changed since prepare read it.
 */
export const COMMIT_UPSTREAM = `${COMMON}
cmp -s -- "$live" "$backup" || { echo "@changed-since-prepare: $live no longer matches what prepare read"; exit 20; }
mv -f -- "$staged" "$live" || exit 21
test_config
echo "@armed"
go=; read -r go || true
if [ "$go" != reload ]; then restore; echo "@disarmed"; exit 26; fi
reload_confirm`;

/** Puts the backup back on a node that already reloaded, then tests, reloads and confirms. */
export const REVERT_UPSTREAM = `${COMMON}
restore || exit 21
test_config
reload_confirm`;

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
  if [ -r "/proc/$master/task/$master/children" ]; then
    now=; read -r now < "/proc/$master/task/$master/children"; now=" $now "
  else
    now=" $(ps -o pid= --ppid "$master" | tr '\\n' ' ') "
  fi
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
 * removes the rest, printing each removed path. It never deletes outside the
 * folder: $1 is resolved (symlinks followed) and refused when that lands
 * fewer than two levels below /, and only its direct subfolders are
 * candidates: real directories (not symlinks) on the same file system (not
 * mount points) whose names are plain (letters, digits, ".", "_", "-"), so no
 * name can be misread on its way through the pipe. `rm` stays on that file
 * system too. $1 folder, $2 how many to keep.
 */
export const CLEAN_RELEASES = `dir=$(realpath -e -- "$1" 2>/dev/null) && [ -d "$dir" ] || { echo "no such folder: $1" >&2; exit 3; }
case "$dir" in /?*/?*) ;; *) echo "refusing to clean $1: it resolves to $dir, fewer than two levels below /" >&2; exit 4 ;; esac
dev=$(stat -c %d -- "$dir") || exit 3
nl='
'
find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name "*$nl*" -printf '%D %T@ %f\\n' |
  awk -v dev="$dev" 'NF == 3 && $1 == dev && $3 ~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/ { print $2, $3 }' |
  sort -rn | tail -n +$(($2 + 1)) |
  while read -r _ name; do
    [ -d "$dir/$name" ] && [ ! -L "$dir/$name" ] || continue
    rm -rf --one-file-system -- "$dir/$name" && echo "@removed \${1%/}/$name"
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
