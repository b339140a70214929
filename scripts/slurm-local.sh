#!/usr/bin/env bash
# A real SLURM cluster of one node on this machine, for the slurm test suite and for trying `spct submit`.
#
#   scripts/slurm-local.sh start DIR   render DIR/slurm.conf (slurm/local/slurm.conf.in), start munged,
#                                      slurmctld and slurmd, wait (with a deadline) until the node is idle;
#                                      a cluster still running from DIR is stopped first
#   scripts/slurm-local.sh stop DIR    cancel every job, stop the daemons by their pid files, wait for them
#   scripts/slurm-local.sh env DIR     print `export SLURM_CONF=...` for the shell: eval "$(... env DIR)"
#
# Everything (state, spool, logs, pid files, the munge socket) lives under DIR, on free ports, so two clusters
# (two build directories) on one machine do not meet. Needs root and the Debian packages slurm-wlm and munge
# (scripts/install-deps.sh --with-slurm). Exit codes: 0 ok, 1 failure (the daemons' logs are printed),
# 2 usage, 77 SLURM or munge not installed (CTest counts that as skipped).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,12p' "$0" >&2; exit 2; }
(($# == 2)) || usage
action=$1
dir=$2
[[ "$dir" == /* ]] || dir=$(pwd)/$dir
conf=$dir/slurm.conf
start_deadline_s=60
stop_deadline_s=30

pid_of() {  # pid_of NAME: the pid in DIR/run/NAME.pid, or nothing
  local file=$dir/run/$1.pid
  [[ -s "$file" ]] && cat "$file" || true
}

wait_gone() {  # wait_gone PID SECONDS: 0 once the process has exited, 1 at the deadline
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

stop_daemon() {  # stop_daemon NAME: SIGTERM, then SIGKILL if it outlives the deadline
  local pid
  pid=$(pid_of "$1")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid"
  if ! wait_gone "$pid" "$stop_deadline_s"; then
    echo "slurm-local: $1 (pid $pid) ignored SIGTERM for ${stop_deadline_s}s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
}

free_port() {  # free_port EXCLUDE: a TCP port in 20000-29999 nobody listens on
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 10000))
    [[ "$port" != "${1:-}" ]] || continue
    ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
  echo "slurm-local: no free TCP port found" >&2
  exit 1
}

show_logs() {
  for log in "$dir"/log/*.log "$dir"/munge/munged.log; do
    [[ -f "$log" ]] && { echo "--- $log (last 20 lines)"; tail -20 "$log"; }
  done >&2
}

start() {
  for program in munged slurmctld slurmd sinfo; do
    command -v "$program" >/dev/null || [[ -x /usr/sbin/$program ]] || {
      echo "slurm-local: $program is not installed (scripts/install-deps.sh --with-slurm)" >&2
      exit 77
    }
  done
  [[ $(id -u) -eq 0 ]] || { echo "slurm-local: the daemons run as root here; run as root" >&2; exit 1; }
  # A cluster left over from an interrupted test run is replaced: a fresh one, with no jobs and no old state.
  [[ -d "$dir/run" ]] && stop
  rm -rf "$dir"/{state,spool,log}
  mkdir -p "$dir"/{state,spool,run,log,munge}
  # munged runs as the munge user: it must own its directory, which every client must be able to enter.
  chmod 755 "$dir"
  chown munge:munge "$dir/munge"
  chmod 755 "$dir/munge"  # clients need to reach the socket
  local key=/etc/munge/munge.key
  if [[ ! -s "$key" ]]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    chown munge:munge "$key"
    chmod 400 "$key"
  fi
  local ctld_port slurmd_port
  ctld_port=$(free_port)
  slurmd_port=$(free_port "$ctld_port")
  sed -e "s|@HOST@|$(hostname)|g" -e "s|@SLURM_DIR@|$dir|g" -e "s|@CTLD_PORT@|$ctld_port|g" \
    -e "s|@SLURMD_PORT@|$slurmd_port|g" -e "s|@CPUS@|8|g" "$root/slurm/local/slurm.conf.in" > "$conf"

  runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --key-file="$key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || { show_logs; exit 1; }
  cp "$dir/munge/munged.pid" "$dir/run/munged.pid"
  /usr/sbin/slurmctld -f "$conf" || { show_logs; exit 1; }
  /usr/sbin/slurmd -f "$conf" || { show_logs; exit 1; }

  local deadline=$((SECONDS + start_deadline_s)) state=""
  while ((SECONDS < deadline)); do
    state=$(SLURM_CONF=$conf sinfo -h -N -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && { echo "slurm-local: node $(hostname) idle; SLURM_CONF=$conf"; return 0; }
    sleep 0.5
  done
  echo "slurm-local: the node is not idle after ${start_deadline_s}s (state: '${state:-no answer}')" >&2
  show_logs
  exit 1
}

stop() {
  if [[ -f "$conf" ]] && [[ -n "$(pid_of slurmctld)" ]]; then
    SLURM_CONF=$conf scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  echo "slurm-local: stopped the cluster in $dir"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) usage ;;
esac
