/**
 * Every command switchyard runs on a node. Each is a fixed script: values
 * arrive only as quoted positional parameters (see remoteScript), so nothing
 * a user typed can become shell code. The nginx test, dump and reload
 * commands come from the operator's config and run through `sh -c`.
 *
 * Lines on stdout that start with `@` are the scripts' reports to us.
 *
 * Beside each app's upstream file `<app>.conf` (names that the
 * backends.d/*.conf include does not match):
 *   <app>.conf.staged             the next file, written by prepare
 *   <app>.conf.switchyard-backup  the file as prepare read it
 *   <app>.conf.switchyard-armed   the journal (below)
 *   <app>.conf.switchyard-lock    flock(1)ed by every script that reads or
 *                                 writes the file, so runs never interleave
 *   <app>.conf.fence              the highest fencing token a commit ran under
 * and, shared by every app on the node:
 *   switchyard-node.lock          flock(1)ed, after the app's lock, by whatever
 *                                 tests or reloads nginx (arm → reload →
 *                                 confirm, a settle, a revert), and holding
 *                                 the name of the run that holds it
 *
 * A reload loads every app's files, so while one app's file is armed no other
 * run may test or reload that nginx: the node lock is held from before arming
 * until the reload is confirmed or the backup is back and nginx runs it.
 * Locks are always taken app first, node second, and a switch takes its nodes'
 * locks one node at a time in one order (FleetSwitch), or all at once when
 * every one is free without waiting for any, so no two runs ever wait on
 * each other.
 *
 * The journal exists while the file may differ from what nginx runs: it is
 * written before the staged file is renamed in (or a backup put back), and
 * removed only once a reload of the file is confirmed, or the backup is back
 * and nginx is known to run it. A script that finds a journal under the lock
 * knows that the run which wrote it died (a live run holds the lock), and
 * settles the node first: backup back in, `nginx -t`, reload, confirmed. Only
 * then is the file trusted. Reloading even when switchyard never reloaded
 * covers a reload nobody here asked for (salt, certbot) that made an armed
 * file live.
 */

/** The files a switch keeps beside an app's upstream file. */
export function nodeFiles(live: string): { staged: string; backup: string; journal: string; lock: string } {
  return { staged: `${live}.staged`, backup: `${live}.switchyard-backup`, journal: `${live}.switchyard-armed`, lock: `${live}.switchyard-lock` };
}

/**
 * Shared by the scripts that touch the upstream file, which all take the same
 * arguments: $1 live file, $2 nginx test command, $3 nginx reload command,
 * $4 nginx pid file, $5 ms to wait for a reload, $6 ms to wait at the commit
 * barrier, $7 ms to wait for a lock.
 *
 * SIGHUP and SIGPIPE are ignored: when the agent dies (SIGKILL, OOM, an
 * evicted pod) its connection goes, and a report written to it must not kill
 * a script that still has to put a file back. Reports go through `say`,
 * which carries on when nobody listens. The nginx commands run with the locks'
 * descriptors closed, so a daemon one of them starts cannot hold a lock.
 *
 * A reload's exit status proves nothing (`nginx -s reload` and `service nginx
 * reload` return 0 even when the master then fails to apply the config), so a
 * reload is confirmed by its result: a new generation of workers under the
 * master, and every old worker marked "shutting down" (until an old worker
 * takes the signal it still accepts connections with the old config). The
 * loop reads /proc with shell builtins so that thirty nodes polling at once
 * stay cheap, and needs no right to signal nginx, so it works as a user
 * without root.
 */
const COMMON = `trap '' HUP PIPE
live=$1 test_cmd=$2 reload_cmd=$3 pid_file=$4 confirm_ms=$5 barrier_ms=$6 lock_ms=$7
staged=$live.staged backup=$live.switchyard-backup journal=$live.switchyard-armed
node_lock=\${live%/*}/switchyard-node.lock
say() { printf '%s\\n' "$*" 2>/dev/null || :; }
hold_lock() {
  command -v flock >/dev/null && command -v setsid >/dev/null || { say "@missing-tool: flock and setsid (util-linux) are needed"; exit 27; }
  exec 9>>"$live.switchyard-lock" || { say "@lock-failed: cannot open $live.switchyard-lock"; exit 27; }
  flock -w "$(( (lock_ms + 999) / 1000 ))" 9 || {
    say "@busy: another switchyard run has held $live.switchyard-lock for over $(( lock_ms / 1000 )) s"; exit 28; }
}
# $1: ms to wait. Says who it waits for, so a switch held up by another app's says so rather than hang
# silently, then writes its own name in the lock file for the next one to read.
hold_node_lock() {
  exec 8>>"$node_lock" || { say "@lock-failed: cannot open $node_lock"; exit 27; }
  if ! flock -n 8; then
    holder=$(cat -- "$node_lock" 2>/dev/null)
    say "@node-lock-waiting: \${holder:-another switchyard run}"
    flock -w "$(( $1 / 1000 )).$(( $1 % 1000 / 100 ))" 8 || {
      say "@node-busy: \${holder:-another switchyard run} has held $node_lock for over $(( $1 / 1000 )) s"; exit 28; }
  fi
  printf '%s (pid %s)\\n' "\${live##*/}" "$$" > "$node_lock" 2>/dev/null || :
}
nginx_test() { out=$(sh -c "$test_cmd" 8>&- 9>&- 2>&1); }
restore() {
  [ -f "$backup" ] || { say "@restore-failed: there is no backup $backup to put back"; return 1; }
  cp -p -- "$backup" "$live.restore" 2>/dev/null && mv -f -- "$live.restore" "$live" && cmp -s -- "$backup" "$live" || {
    say "@restore-failed: could not put $backup back as $live"; return 1; }
}
# Sets kids: the master's children, read with builtins where /proc allows.
workers() {
  kids=
  if [ -r "/proc/$master/task/$master/children" ]; then
    read -r kids < "/proc/$master/task/$master/children"
  else
    kids=$(ps -o pid= --ppid "$master" | tr '\\n' ' ')
  fi
}
read_master() { master=; { read -r master < "$pid_file"; } 2>/dev/null; [ -n "$master" ] && [ -d "/proc/$master" ]; }
# Sets gen: the master and its serving workers, in the order it started them. The
# same generation means no reload was applied in between. Builtins only: it runs as a node arms.
generation() {
  read_master || { gen=none; return; }
  workers
  serving=
  for p in $kids; do
    title=; { read -r title < "/proc/$p/cmdline"; } 2>/dev/null
    case "$title" in *"shutting down"*) ;; *) serving="$serving $p" ;; esac
  done
  gen="$master:$serving"
}
# $1: what nginx ran as the journal was written: the backup's config (arming) or another (reverting).
# Written in place: a journal cut short still exists, and only weakens what settle may assume.
journal_write() {
  generation
  printf 'nginx-ran %s\\ngeneration %s\\n' "$1" "$gen" > "$journal" || { say "@journal-failed: cannot write $journal"; return 1; }
}
journal_says() { sed -n "s/^$1 //p" "$journal" 2>/dev/null; }
# 0 confirmed, 1 the command failed, 2 not applied, 3 no nginx running; $why says more.
reload() {
  read_master || { why="no live nginx master in $pid_file"; return 3; }
  workers; old=" $kids "
  say "@reload-start $(date +%s%N)"
  if ! why=$(sh -c "$reload_cmd" 8>&- 9>&- 2>&1); then return 1; fi
  # nginx's master lets old workers go on accepting for 100 ms after the new
  # ones start, so there is nothing to see before then.
  sleep 0.1
  tries=$(( confirm_ms / 10 - 10 ))
  while :; do
    fresh=
    workers
    for p in $kids; do case "$old" in *" $p "*) ;; *) fresh=1 ;; esac; done
    if [ -n "$fresh" ]; then
      busy=
      for p in $old; do
        title=; { read -r title < "/proc/$p/cmdline"; } 2>/dev/null
        case "$title" in ''|*"shutting down"*) ;; *) busy=1 ;; esac
      done
      if [ -z "$busy" ]; then say "@reload-done $(date +%s%N)"; say "@old-workers$old"; return 0; fi
    fi
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      why="no new nginx workers after $confirm_ms ms; the master kept its old config (see nginx's error log)"; return 2
    fi
    sleep 0.01
  done
}
# Makes nginx run the backup: puts it back, tests, reloads, confirms, and
# only then drops the journal. When the reload cannot be applied, nginx still
# runs what it ran: the backup, if it ran it as the journal was written and no
# reload took since (the same generation).
settle() {
  restore || return 1
  if nginx_test; then reload; rc=$?; else rc=4 why="nginx -t fails on the restored file: $out"; fi
  case $rc in
    0|3) ;;
    *) generation
       [ "$(journal_says nginx-ran)" = backup ] && [ "$gen" = "$(journal_says generation)" ] || {
         say "@put-back-failed: $why"; return 1; } ;;
  esac
  rm -f -- "$journal"
}
`;

/**
 * Reads the app's upstream file once any interrupted switch on the node is
 * settled: reports, then a line `@file`, then the file. Exit 3 when the file
 * is missing.
 */
export const READ_UPSTREAM = `${COMMON}
[ -f "$live" ] || [ -e "$journal" ] || { echo "no such file: $live" >&2; exit 3; }
hold_lock
if [ -e "$journal" ]; then hold_node_lock "$lock_ms"; settle || exit 29; say "@settled: put $backup back and reloaded nginx"; fi
say "@file"
cat -- "$live"`;

/**
 * Stages stdin next to the live file and keeps a backup of the live file.
 * The staged copy starts as a copy of the live one so it keeps its owner and
 * mode. Reports `@staged <sha256 of the staged file> <sha256 of the
 * backup>`, what COMMIT_UPSTREAM compares when handed them: the backup's, since that
 * is the live file the commit expects (a hand edit landing while this runs
 * is then seen as a change since staging).
 */
export const STAGE_UPSTREAM = `${COMMON}
hold_lock
[ ! -e "$journal" ] || { hold_node_lock "$lock_ms"; settle; } || exit 29
umask 022
cp -p -- "$live" "$staged.tmp" && cat > "$staged.tmp" && mv -f -- "$staged.tmp" "$staged" &&
  cp -p -- "$live" "$backup.tmp" && mv -f -- "$backup.tmp" "$backup" || exit 1
say "@staged $(sha256sum < "$staged" | cut -c1-64) $(sha256sum < "$backup" | cut -c1-64)"`;

/**
 * Commits one node in two steps with a barrier between them, on one channel.
 * Under the app's lock it first waits for the word `lock <ms>` on stdin and
 * takes the node lock, waiting at most that long (anything else: it leaves,
 * having changed nothing), and reports `@node-locked`. The word `try` takes
 * the node lock only if it is free at once (`@node-locked`, else
 * `@node-lock-busy`) and waits for `arm` to go on; any other word, or a
 * busy lock, and it leaves having changed nothing. Then it arms (journal,
 * rename the staged file in, atomically, and run `nginx -t`), reports
 * `@armed`, and waits for a second word. `reload` reloads and confirms;
 * anything else, stdin closing, or no word within the barrier time (a frozen
 * or cut-off agent) settles the node. The agent says `reload` only once every
 * node has armed, so a failed `nginx -t` anywhere needs no reload anywhere,
 * and the reloads start together, which keeps the mixed window short.
 * Refuses if the live file changed since prepare read it.
 *
 * $9 and $10, when given, are the hashes STAGE_UPSTREAM reported when it
 * staged this commit ahead (hours ago, perhaps: a deploy waits for its
 * promote). Right after taking the app's lock, before anything else, the
 * script checks that what staging left is still there: no journal (no
 * switch ran or died since), the staged file and the backup hash as they
 * did, and the live file is the backup. It reports `@stage-unchanged` and
 * goes on, or `@stage-changed: <why>` and exits 33, having changed nothing;
 * the agent then prepares in full. Held from there to the end, the app's
 * lock leaves no gap between the check and the commit.
 *
 * $8, when given (it may be empty), is the fencing token of the app's lock the run holds
 * (LockResult.fence). The node keeps the highest token a commit ran under
 * and refuses a lower one before changing anything: a runner whose lock was
 * taken over while it was frozen or cut off cannot commit, whatever it
 * believes.
 */
export const COMMIT_UPSTREAM = `${COMMON}
fence=$8 fence_file=$live.fence
# Each word is read by the shell itself so that a reload starts the moment its word comes; a
# watchdog interrupts the read if none comes within the barrier time (a frozen or cut-off agent).
# It runs in a session of its own, so one kill of its group ends it and its sleep together
# (however soon), without a descriptor that would hold the channel open; and it signals only this
# script (a script killed outright leaves its pid free).
timed_out=
trap 'timed_out=1' ALRM
watch() {
  setsid sh -c 'sleep "$1"; grep -qa switchyard "/proc/$2/cmdline" && kill -s ALRM "$2"' watchdog "$(( (barrier_ms + 999) / 1000 ))" $$ </dev/null >/dev/null 2>&1 8>&- 9>&- &
  watchdog=$!
}
unwatch() { kill -- "-$watchdog" 2>/dev/null || kill "$watchdog" 2>/dev/null; }
no_word() { say "@barrier-timeout: no word from switchyard within $(( barrier_ms / 1000 )) s"; }
hold_lock
if [ -n "$9" ]; then
  # One sha256sum for both files (a promote's cost is counted in processes on a busy node).
  sums=$(sha256sum -- "$staged" "$backup" 2>/dev/null)
  changed=
  if [ -e "$journal" ]; then changed="$journal exists (a switch ran or died here since staging)"
  elif [ ! -f "$staged" ]; then changed="$staged is gone"
  else case $sums in
    "$9  $staged"*) case $sums in
      *"\${10}  $backup") cmp -s -- "$live" "$backup" || changed="$live changed since staging" ;;
      *) changed="$live changed since staging" ;;
      esac ;;
    *) changed="$staged is not the file staged" ;;
  esac; fi
  [ -z "$changed" ] || { say "@stage-changed: $changed"; exit 33; }
  say "@stage-unchanged"
fi
watch
word= node_ms=; read -r word node_ms
if [ "$word" = try ] && [ -z "$timed_out" ]; then
  # \`arm\` follows at once: one watchdog covers both words.
  exec 8>>"$node_lock" || { say "@lock-failed: cannot open $node_lock"; exit 27; }
  locked=
  if flock -n 8; then
    printf '%s (pid %s)\\n' "\${live##*/}" "$$" > "$node_lock" 2>/dev/null || :
    locked=1; say "@node-locked"
  else
    say "@node-lock-busy"
  fi
  word=; read -r word _
  unwatch
  [ -z "$timed_out" ] || { no_word; exit 31; }
  [ -n "$locked" ] && [ "$word" = arm ] || { say "@disarmed"; exit 26; }
else
  unwatch
  [ -z "$timed_out" ] || { no_word; exit 31; }
  [ "$word" = lock ] || { say "@disarmed"; exit 26; }
  hold_node_lock "$node_ms"
  say "@node-locked"
fi
if [ -n "$fence" ]; then
  seen=0; [ ! -e "$fence_file" ] || { read -r seen < "$fence_file"; } 2>/dev/null || seen=
  case $seen in ''|*[!0-9]*) say "@fence-unreadable: $fence_file holds no fencing token"; exit 21 ;; esac
  [ "$fence" -ge "$seen" ] || {
    say "@fenced-out: this run holds the app's lock under fence $fence, but a commit under fence $seen (a newer holder of the lock) already ran here ($fence_file)"; exit 32; }
  [ "$fence" -eq "$seen" ] || { printf '%s\\n' "$fence" > "$fence_file.tmp" && mv -f -- "$fence_file.tmp" "$fence_file"; } || {
    say "@fence-failed: cannot write $fence_file"; exit 21; }
fi
[ ! -e "$journal" ] || settle || exit 29
cmp -s -- "$live" "$backup" || { say "@changed-since-prepare: $live no longer matches what prepare read"; exit 20; }
journal_write backup || exit 21
mv -f -- "$staged" "$live" || { rm -f -- "$journal"; say "@rename-failed: cannot rename $staged to $live"; exit 21; }
if ! nginx_test; then
  # Under the node lock no other switch reloaded, so nginx still runs the backup and putting it back
  # is enough, unless something else (salt, certbot) reloaded since arming: then it may run the
  # armed file (a failing test command proves little), and a settle reloads the backup.
  generation
  if [ "$gen" = "$(journal_says generation)" ]; then restore && rm -f -- "$journal" || exit 29; else settle || exit 29; fi
  printf '@nginx-test-failed\\n%s\\n' "$out" 2>/dev/null
  exit 22
fi
watch
say "@armed"
go=; read -r go
unwatch
if [ "$go" != reload ]; then
  settle || exit 29
  [ -z "$timed_out" ] || { no_word; exit 31; }
  say "@disarmed"; exit 26
fi
reload; rc=$?
failed=$why
case $rc in
  0) rm -f -- "$journal"; exit 0 ;;
  3) restore && rm -f -- "$journal" || exit 29; say "@nginx-not-running: $failed"; exit 23 ;;
  1) settle || exit 29; printf '@reload-failed\\n%s\\n' "$failed" 2>/dev/null; exit 24 ;;
  *) settle || exit 29; say "@reload-not-applied: $failed"; exit 25 ;;
esac`;

/**
 * Puts the backup back on a node that may already have reloaded, then tests,
 * reloads and confirms. A journal left by a run that died is settled the
 * same way, which is all a revert needs.
 */
export const REVERT_UPSTREAM = `${COMMON}
hold_lock
hold_node_lock "$lock_ms"
if [ -e "$journal" ]; then settle || exit 29; exit 0; fi
journal_write other || exit 21
settle || exit 29`;

/** Removes a staged file left by a prepare that went no further. $1 staged file. */
export const DISCARD_STAGED = `rm -f -- "$1" "$1.tmp"`;

/**
 * The configuration nginx would load (the dump command, `nginx -T`), cut down
 * to what proves which files define the app's upstream: every file's
 * `# configuration file <path>:` line, and the text of the files that
 * mention the upstream's name. A large config stays on the node.
 * $1 dump command, $2 upstream name. Exit 30 when the dump command fails.
 */
export const LOADED_CONFIG = `trap '' HUP PIPE
tmp=$(mktemp) || exit 1
if ! sh -c "$1" > "$tmp" 2> "$tmp.err"; then
  printf '@dump-failed\\n'; cat -- "$tmp.err"; rm -f -- "$tmp" "$tmp.err"; exit 30
fi
awk -v name="$2" '
  function flush() { if (header != "") { print header; if (keep) printf "%s", body } }
  /^# configuration file .*:$/ { flush(); header = $0; body = ""; keep = 0; next }
  { body = body $0 "\\n"; if (index($0, name)) keep = 1 }
  END { flush() }' "$tmp"
rm -f -- "$tmp" "$tmp.err"`;

/**
 * Waits until none of the given old workers is still a child of the master
 * (they exit once their in-flight requests end), for at most $3 milliseconds.
 * $1 pid file, $2 old worker pids (space separated), $3 milliseconds.
 * Without a running master to ask, whether the workers drained cannot be
 * told: `@drain-unknown` and exit 3, never a guess.
 */
export const WAIT_DRAINED = `master=; { read -r master < "$1"; } 2>/dev/null
[ -n "$master" ] || { echo "@drain-unknown: cannot read nginx's pid file $1"; exit 3; }
[ -d "/proc/$master" ] || { echo "@drain-unknown: no nginx master $master (from $1) is running"; exit 3; }
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
