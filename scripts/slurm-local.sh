#!/usr/bin/env bash
# A real SLURM cluster on this machine, for the slurm and multinode test suites and for trying `spct submit`.
#
#   scripts/slurm-local.sh start DIR [--nodes N]
#        render DIR/slurm.conf (slurm/local/slurm.conf.in), start munged, slurmctld and slurmd, wait (with a
#        deadline) until every node is idle; a cluster still running from DIR is stopped first.
#        Without --nodes: one node, this machine, on free ports.
#        With --nodes N: N nodes, one per namespace host (scripts/netns-hosts.sh start DIR/hosts N): slurmctld on
#        host 1, and on host i a `slurmd -N NAME` whose NodeName is the host's hostname and NodeAddr its address.
#        Each host gets its own DIR/node-tmp (SLURM's TmpFS: PMIx's per-step directories, which must not be
#        shared between nodes). The hosts' addresses exist only inside the namespaces, so the client commands run
#        on host 1: DIR/bin holds sbatch, srun, squeue, scontrol, scancel, sinfo and sacct wrappers that do that.
#   scripts/slurm-local.sh stop DIR    cancel every job, stop the daemons by their pid files, wait for them; with
#                                      --nodes, then remove the hosts (killing whatever still runs on them)
#   scripts/slurm-local.sh env DIR     print `export SLURM_CONF=...` for the shell (and, with --nodes, put DIR/bin
#                                      first on PATH): eval "$(... env DIR)"
#
# Everything (state, spool, logs, pid files, the munge socket) lives under DIR, so two clusters (two build
# directories) on one machine do not meet. Needs root and the Debian packages slurm-wlm and munge
# (scripts/install-deps.sh --with-slurm). Exit codes: 0 ok, 1 failure (the daemons' logs are printed),
# 2 usage, 77 SLURM or munge not installed, or (--nodes) namespaces forbidden (CTest counts that as skipped).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,20p' "$0" >&2; exit 2; }
(($# >= 2)) || usage
action=$1
dir=$2
shift 2
[[ "$dir" == /* ]] || dir=$(pwd)/$dir
conf=$dir/slurm.conf
hosts_script=$root/scripts/netns-hosts.sh
hosts_dir=$dir/hosts
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

on_host() {  # on_host I CMD...: run CMD on namespace host I
  bash "$hosts_script" exec "$hosts_dir" "$@"
}

# mount_cgroups I: gives host I the cgroup hierarchies this machine has. slurmd refuses to start without them
# ("No filesystem mounted on /sys/fs/cgroup"), and a host's /sys is a sysfs of its own network namespace, with
# nothing mounted under it. The mounts live in the host's mount namespace only.
mount_cgroups() {
  local mounts
  mounts=$(awk '$2 ~ "^/sys/fs/cgroup(/|$)" {print $2, $3, $4}' /proc/self/mounts)
  on_host "$1" bash -c '
    while read -r path type options; do
      mkdir -p "$path"
      mountpoint -q "$path" || mount -t "$type" -o "$options" cgroup "$path"
    done <<<"$1"' _ "$mounts"
}

write_wrappers() {  # DIR/bin/<client>: the client run on host 1, where slurmctld's address is reachable
  mkdir -p "$dir/bin"
  local client
  for client in sbatch srun squeue scontrol scancel sinfo sacct; do
    cat > "$dir/bin/$client" <<WRAPPER
#!/usr/bin/env bash
# $client on namespace host 1 of $hosts_dir (written by scripts/slurm-local.sh start --nodes).
exec bash "$hosts_script" exec "$hosts_dir" 1 "$(command -v "$client")" "\$@"
WRAPPER
    chmod +x "$dir/bin/$client"
  done
}

start_munged() {
  # munged runs as the munge user: it must own its directory, which every client must be able to enter. Its
  # socket is a file under DIR, so processes on the namespace hosts reach it too.
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
  runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --key-file="$key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || { show_logs; exit 1; }
  cp "$dir/munge/munged.pid" "$dir/run/munged.pid"
}

render_conf() {  # render_conf HOST NODES TMPFS CTLD_PORT SLURMD_PORT
  sed -e "s|@HOST@|$1|g" -e "s|@NODES@|$2|g" -e "s|@TMPFS@|$3|g" -e "s|@SLURM_DIR@|$dir|g" \
    -e "s|@CTLD_PORT@|$4|g" -e "s|@SLURMD_PORT@|$5|g" -e "s|@CPUS@|8|g" "$root/slurm/local/slurm.conf.in" > "$conf"
}

start() {
  local nodes=0
  while (($#)); do
    case "$1" in
      --nodes) (($# >= 2)) && [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage; nodes=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  for program in munged slurmctld slurmd sinfo; do
    command -v "$program" >/dev/null || [[ -x /usr/sbin/$program ]] || {
      echo "slurm-local: $program is not installed (scripts/install-deps.sh --with-slurm)" >&2
      exit 77
    }
  done
  [[ $(id -u) -eq 0 ]] || { echo "slurm-local: the daemons run as root here; run as root" >&2; exit 1; }
  # A cluster left over from an interrupted test run is replaced: a fresh one, with no jobs and no old state.
  [[ -d "$dir/run" ]] && stop
  rm -rf "${dir:?}"/{state,spool,log,bin,node-tmp,nodes}
  mkdir -p "$dir"/{state,spool,run,log,munge}
  start_munged
  local names=()
  if ((nodes == 0)); then
    local ctld_port slurmd_port
    ctld_port=$(free_port)
    slurmd_port=$(free_port "$ctld_port")
    render_conf "$(hostname)" "$(hostname)" /tmp "$ctld_port" "$slurmd_port"
    mkdir -p "$dir/spool/$(hostname)"
    /usr/sbin/slurmctld -f "$conf" || { show_logs; exit 1; }
    /usr/sbin/slurmd -f "$conf" || { show_logs; exit 1; }
    names=("$(hostname)")
  else
    mkdir -p "$dir/node-tmp"
    local status=0
    bash "$hosts_script" start "$hosts_dir" "$nodes" --private "$dir/node-tmp" || status=$?
    ((status == 0)) || { stop_daemon munged; exit "$status"; }
    echo "$nodes" > "$dir/nodes"
    local i addrs=()
    for ((i = 1; i <= nodes; i++)); do
      names+=("$(on_host "$i" hostname)")
      addrs+=("$(bash "$hosts_script" addr "$hosts_dir" "$i")")
      mount_cgroups "$i"
    done
    # Each slurmd has a network namespace of its own, so every node uses the same ports.
    render_conf "${names[0]}(${addrs[0]})" \
      "$(IFS=,; echo "${names[*]}") NodeAddr=$(IFS=,; echo "${addrs[*]}")" "$dir/node-tmp" 6817 6818
    write_wrappers
    on_host 1 /usr/sbin/slurmctld -f "$conf" || { show_logs; exit 1; }
    for ((i = 1; i <= nodes; i++)); do
      mkdir -p "$dir/spool/${names[i - 1]}"
      on_host "$i" /usr/sbin/slurmd -f "$conf" -N "${names[i - 1]}" || { show_logs; exit 1; }
    done
  fi

  local deadline=$((SECONDS + start_deadline_s)) states="" want
  want=$(printf 'idle\n%.0s' "${names[@]}")
  while ((SECONDS < deadline)); do
    states=$(SLURM_CONF=$conf PATH="$dir/bin:$PATH" sinfo -h -N -o %T 2>/dev/null || true)
    [[ "$states" == "${want%$'\n'}" ]] && {
      echo "slurm-local: ${#names[@]} node(s) idle (${names[*]}); SLURM_CONF=$conf"
      return 0
    }
    sleep 0.5
  done
  echo "slurm-local: the nodes are not all idle after ${start_deadline_s}s (states: '${states:-no answer}')" >&2
  show_logs
  exit 1
}

stop() {
  if [[ -f "$conf" ]] && [[ -n "$(pid_of slurmctld)" ]]; then
    SLURM_CONF=$conf PATH="$dir/bin:$PATH" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  local file names=()
  for file in "$dir"/run/slurmd-*.pid; do
    [[ -e "$file" ]] && names+=("$(basename "$file" .pid)")
  done
  # Every slurmd is told at once (each takes about 2 s to go), then each is waited for.
  for name in "${names[@]}"; do kill "$(pid_of "$name")" 2>/dev/null || true; done
  for name in "${names[@]}"; do stop_daemon "$name"; done
  stop_daemon slurmctld
  # The hosts go before munged: whatever still runs on them (a job's ranks) is killed with them.
  [[ -s "$dir/nodes" ]] && bash "$hosts_script" stop "$hosts_dir" && rm -f "$dir/nodes"
  stop_daemon munged
  echo "slurm-local: stopped the cluster in $dir"
}

case "$action" in
  start) start "$@" ;;
  stop) (($# == 0)) || usage; stop ;;
  env)
    (($# == 0)) || usage
    echo "export SLURM_CONF=$conf"
    [[ ! -s "$dir/nodes" ]] || echo "export PATH=$dir/bin:\$PATH"
    ;;
  *) usage ;;
esac
