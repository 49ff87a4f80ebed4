#!/usr/bin/env bash
# Starts a private single-node Slurm cluster (munged + slurmctld + slurmd, Debian's packages) for tests.
#   tests/slurm/start-slurm.sh DIR     → writes DIR/slurm.conf, starts the daemons, waits until the node is idle.
# The node is this host (its short name, as slurmd reports it) at 127.0.0.1, so no DNS is needed.
# Everything lives under DIR (config, munge key and socket, state, spool, logs, PID files) and the ports are free
# ones picked at start, so it never touches a system Slurm/munge and two runs do not collide. Needs root
# (SlurmUser=root). On success prints `SLURM_CONF=DIR/slurm.conf`; on failure prints the reason (with the daemons'
# log tails) to stderr, stops what it started and exits 1. Stop with tests/slurm/stop-slurm.sh DIR (by PID files).
set -euo pipefail
dir=${1:?usage: start-slurm.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

fail() {
  echo "start-slurm: $*" >&2
  for f in munged.log slurmctld.log slurmd.log; do
    [ -s "$dir/$f" ] && { echo "--- $dir/$f (tail) ---" >&2; tail -n 15 "$dir/$f" >&2; }
  done
  "$here/stop-slurm.sh" "$dir" >/dev/null 2>&1 || true
  exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (the test cluster uses SlurmUser=root); running as $(id -un)"
for b in munged slurmctld slurmd sinfo sbatch; do
  command -v "$b" >/dev/null 2>&1 || fail "'$b' not found; install Debian's packages: apt-get install -y slurmctld slurmd munge"
done

# A free TCP port: ask the kernel for one by binding port 0 (no python needed: bash cannot bind, so probe upward).
free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 200); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
ctl_port=$(free_port) || fail "no free TCP port"
d_port=$(free_port) || fail "no free TCP port"
[ "$ctl_port" != "$d_port" ] || d_port=$((ctl_port + 1))
host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"

# munge: a private key and socket (munged insists on owner-only permissions).
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" \
  || fail "munged did not start"

cat > "$dir/slurm.conf" <<CONF
ClusterName=llclabtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -f "$SLURM_CONF" -i || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"

# Wait (up to 60 s) for the node to register and turn idle.
for _ in $(seq 1 120); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle*) echo "SLURM_CONF=$SLURM_CONF"; exit 0 ;;
  esac
  sleep 0.5
done
fail "node '$host' did not become idle within 60 s (sinfo says: '${state:-nothing}')"
