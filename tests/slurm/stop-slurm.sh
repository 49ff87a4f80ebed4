#!/usr/bin/env bash
# Stops the daemons tests/slurm/start-slurm.sh DIR started, by the PIDs in their PID files (never by name).
set -uo pipefail
dir=${1:?usage: stop-slurm.sh DIR}
# First cancel whatever still runs on this private cluster (a failed test may leave array tasks behind).
if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
  SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" >/dev/null 2>&1 && sleep 1
fi
for name in slurmd slurmctld munged; do
  f="$dir/$name.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
exit 0
