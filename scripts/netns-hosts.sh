#!/usr/bin/env bash
# Several real hosts on this machine, each a set of Linux namespaces: its own network stack (one address on a
# private bridge), its own hostname (UTS) and its own mounts, so a tmpfs mounted on one host is invisible to the
# others. For the multinode test suite and for trying multi-node runs without a cluster.
#
#   scripts/netns-hosts.sh start DIR [N] [--private PATH]
#        create N hosts (default 3) on a new bridge; with --private, mount an empty tmpfs on PATH (an existing
#        directory) in every host, so PATH is a per-host disk; write DIR/hostfile (one address per host, for
#        mpirun) and DIR/agent (Open MPI's launch agent: plm_rsh_agent=DIR/agent). Hosts left over from DIR are
#        stopped first.
#   scripts/netns-hosts.sh stop DIR         kill every process on the hosts, remove them and their Open MPI
#                                           session directories in /tmp; idempotent
#   scripts/netns-hosts.sh exec DIR I CMD.. run CMD on host I (1..N) (what the agent does)
#   scripts/netns-hosts.sh mpirun DIR ARGS  mpirun on host 1, ranks spread over the hosts by ARGS (-H/--map-by),
#                                           over TCP on the bridge only (no shared memory between hosts)
#   scripts/netns-hosts.sh launch DIR CMD.. run CMD on host 1 with Open MPI's settings for the hosts in its
#                                           environment (OMPI_MCA_*), so that an mpirun CMD starts (`spct train`'s
#                                           own) spreads its ranks over them as the mpirun action does; the
#                                           hostfile is DIR/hostfile unless OMPI_MCA_orte_default_hostfile names one
#   scripts/netns-hosts.sh pids DIR I       the processes running on host I
#   scripts/netns-hosts.sh link DIR I up|down   raise or cut host I's cable (its veth on the bridge)
#   scripts/netns-hosts.sh signal DIR I SIG send SIG (STOP, CONT, KILL) to every process on host I
#   scripts/netns-hosts.sh addr DIR I       host I's address
#
# Names derive from a hash of DIR: namespaces spct-<hash>-h<i>, bridge spb<hash>, host veths spv<hash><i>, the
# subnet 10.<a>.<b>.0/24. The subnet's addresses exist only inside the namespaces (the bridge in this namespace
# has none, and no route is added here), so nothing outside what this script made is touched or reachable.
# Inside each host, TCP gives up on an unacknowledged peer after about 6 s (net.ipv4.tcp_retries2=4) so that a
# cut cable is noticed by the transport as well as by spct's deadlines.
# Needs root and iproute2 + util-linux (nsenter, unshare). Exit codes: 0 ok, 1 failure, 2 usage, 77 the kernel or
# the container forbids namespaces (the reason is printed; CTest counts 77 as skipped).
set -euo pipefail
usage() { sed -n '2,27p' "$0" >&2; exit 2; }
(($# >= 2)) || usage
action=$1
dir=$2
shift 2
[[ "$dir" == /* ]] || dir=$(pwd)/$dir
hash=$(printf '%s' "$dir" | sha256sum | cut -c1-6)
prefix=spct-$hash
bridge=spb$hash
subnet_a=$((16#${hash:0:2}))
subnet_b=$((16#${hash:2:2}))
subnet=10.$subnet_a.$subnet_b

host_count() { [[ -s "$dir/hosts" ]] && cat "$dir/hosts" || echo 0; }
netns_of() { echo "$prefix-h$1"; }
veth_of() { echo "spv$hash$1"; }
addr_of() { echo "$subnet.$((10 + $1))"; }

check_host() {  # check_host I: I names a running host
  local count
  count=$(host_count)
  [[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= count)) || {
    echo "netns-hosts: no host '$1' in $dir (hosts 1..$count)" >&2
    exit 2
  }
}

enter() {  # enter I CMD...: run CMD inside every namespace of host I, in the current directory
  local i=$1
  shift
  exec nsenter --target "$(anchor_of "$i")" --net --uts --mount --wd="$PWD" -- "$@"
}

# Each host's UTS and mount namespaces live as long as its anchor, a `sleep` started in them; the agent finds them
# by pid, in /proc, which every host's mount namespace sees (a file bound to a namespace would not be: each
# host's mounts are private, copied before the later hosts existed).
anchor_of() { cat "$dir/anchor-h$1"; }

pids_of() {  # pids_of I: every process on host I but its anchor
  ip netns pids "$(netns_of "$1")" 2>/dev/null | grep -vx "$(anchor_of "$1" 2>/dev/null)" || true
}

stop() {
  local count i
  count=$(host_count)
  for ((i = 1; i <= count; i++)); do
    # Stopped processes die on SIGKILL too; repeat until none is left (a dying mpirun may still fork).
    for _ in 1 2 3 4 5; do
      local pids
      pids=$(ip netns pids "$(netns_of "$i")" 2>/dev/null || true)
      [[ -n "$pids" ]] || break
      kill -9 $pids 2>/dev/null || true
      sleep 0.2
    done
  done
  # Deleting a host's cable end removes both ends at once: a namespace whose last process is gone can outlive
  # `ip netns del` for minutes (sockets of a host whose link was cut still retransmit), and with it the cable.
  for ((i = 1; i <= count; i++)); do
    ip link del "$(veth_of "$i")" 2>/dev/null || true
    ip netns del "$(netns_of "$i")" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  rm -f "$dir"/anchor-h* "$dir/hosts" "$dir/hostfile" "$dir/agent"
  # Open MPI's session directories of the hosts' daemons and mpiruns (named by each host's hostname, in the /tmp
  # they share with this machine): a killed or frozen host's are never removed by Open MPI (about 12 MB a run).
  rm -rf "${TMPDIR:-/tmp}/ompi.$prefix-h"[0-9]*
}

forbidden() {  # forbidden WHAT: the kernel or container refused a namespace operation; skip (77)
  echo "netns-hosts: SKIP: this kernel or container forbids $1 (needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN," \
    "as in a privileged container or on a host); multinode tests cannot run here" >&2
  stop
  exit 77
}

start() {
  local count=3 private="" i
  while (($#)); do
    case "$1" in
      --private) private=$2; shift 2 ;;
      [0-9]*) count=$1; shift ;;
      *) usage ;;
    esac
  done
  ((count >= 1 && count <= 200)) || { echo "netns-hosts: 1..200 hosts, not $count" >&2; exit 2; }
  [[ -z "$private" || -d "$private" ]] || { echo "netns-hosts: --private $private is not a directory" >&2; exit 2; }
  for program in ip nsenter unshare; do
    command -v "$program" >/dev/null || {
      echo "netns-hosts: $program is not installed (scripts/install-deps.sh: iproute2, util-linux)" >&2
      exit 1
    }
  done
  [[ $(id -u) -eq 0 ]] || forbidden "namespaces to this user (not root)"
  mkdir -p "$dir"
  [[ -s "$dir/hosts" ]] && stop
  echo "$count" > "$dir/hosts"
  # Leftovers of hosts of DIR whose record is gone (a removed build directory) carry this DIR's names: remove
  # them, so that creating them again cannot fail as if namespaces were forbidden.
  ip link del "$bridge" 2>/dev/null || true
  ip link add "$bridge" type bridge 2>/dev/null || forbidden "creating network interfaces"
  ip link set "$bridge" up
  : > "$dir/hostfile"
  for ((i = 1; i <= count; i++)); do
    local ns veth
    ns=$(netns_of "$i")
    veth=$(veth_of "$i")
    local stale
    stale=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z "$stale" ]] || kill -9 $stale 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns" 2>/dev/null || forbidden "network namespaces (ip netns add)"
    ip link del "$veth" 2>/dev/null || true
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" addr add "$(addr_of "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_retries2=4 net.ipv4.tcp_syn_retries=2
    # The mount namespace starts as a copy of this one (the build tree, /tmp, ... stay visible) made private,
    # so the per-host tmpfs below stays on this host.
    ip netns exec "$ns" unshare --uts --mount --propagation private \
      sh -c "hostname $prefix-h$i${private:+ && mount -t tmpfs -o size=512m spct-h$i '$private'} && exec sleep infinity" \
      </dev/null >/dev/null 2>"$dir/anchor-h$i.err" &
    echo $! > "$dir/anchor-h$i"
    echo "$(addr_of "$i") slots=64" >> "$dir/hostfile"
  done
  # Open MPI calls the agent as `agent HOST COMMAND...`, as it would call ssh: run the command by a shell there.
  cat > "$dir/agent" <<EOF
#!/usr/bin/env bash
# Open MPI's launch agent for the namespace hosts of $dir (written by scripts/netns-hosts.sh).
host=\$1
shift
i=\$(grep -n "^\$host " "$dir/hostfile" | cut -d: -f1)
[[ -n "\$i" ]] || { echo "netns agent: no host \$host in $dir/hostfile" >&2; exit 1; }
exec "$(cd "$(dirname "$0")" && pwd)/netns-hosts.sh" exec "$dir" "\$i" /bin/sh -c "\$*"
EOF
  chmod +x "$dir/agent"
  for ((i = 1; i <= count; i++)); do  # each anchor is up once its hostname is set
    local deadline=$((SECONDS + 10))
    until [[ "$(nsenter --target "$(anchor_of "$i")" --uts hostname 2>/dev/null)" == "$prefix-h$i" ]]; do
      kill -0 "$(anchor_of "$i")" 2>/dev/null && ((SECONDS < deadline)) || {
        cat "$dir/anchor-h$i.err" >&2
        forbidden "UTS and mount namespaces (unshare --uts --mount)"
      }
      sleep 0.1
    done
  done
  # Host 1 reaches every host before the hosts count as up: a TCP connection to a closed port is refused (the
  # peer answered) rather than timed out.
  for ((i = 1; i <= count; i++)); do
    local answer
    answer=$(ip netns exec "$(netns_of 1)" timeout 10 bash -c "</dev/tcp/$(addr_of "$i")/9" 2>&1 || true)
    [[ "$answer" == *refused* ]] || {
      echo "netns-hosts: host 1 cannot reach host $i at $(addr_of "$i")" >&2
      stop
      exit 1
    }
  done
  echo "netns-hosts: $count hosts on $bridge ($subnet.0/24): $(tr '\n' ' ' < "$dir/hostfile" | sed 's/ slots=64//g')"
}

mpirun_on_hosts() {
  [[ -s "$dir/hosts" ]] || { echo "netns-hosts: no hosts in $dir (run start first)" >&2; exit 1; }
  # btl tcp,self: no shared memory or other transport, even between two ranks of one host, so every byte between
  # ranks crosses a TCP socket on the bridge; the out-of-band channel (mpirun <-> daemons) uses the bridge too.
  enter 1 mpirun --allow-run-as-root --oversubscribe --bind-to none --hostfile "$dir/hostfile" \
    --mca plm_rsh_agent "$dir/agent" --mca btl tcp,self --mca btl_tcp_if_include "$subnet.0/24" \
    --mca oob_tcp_if_include "$subnet.0/24" "$@"
}

launch_on_hosts() {
  [[ -s "$dir/hosts" ]] || { echo "netns-hosts: no hosts in $dir (run start first)" >&2; exit 1; }
  (($#)) || usage
  OMPI_MCA_orte_default_hostfile=${OMPI_MCA_orte_default_hostfile:-$dir/hostfile} OMPI_MCA_plm_rsh_agent=$dir/agent \
    OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$subnet.0/24 OMPI_MCA_oob_tcp_if_include=$subnet.0/24 \
    enter 1 "$@"
}

case $action in
  start) start "$@" ;;
  stop) stop ;;
  exec) (($# >= 2)) || usage; check_host "$1"; enter "$@" ;;
  mpirun) mpirun_on_hosts "$@" ;;
  launch) launch_on_hosts "$@" ;;
  pids) (($# == 1)) || usage; check_host "$1"; pids_of "$1" ;;
  addr) (($# == 1)) || usage; check_host "$1"; addr_of "$1" ;;
  link)
    (($# == 2)) && [[ "$2" == up || "$2" == down ]] || usage
    check_host "$1"
    ip link set "$(veth_of "$1")" "$2"
    ;;
  signal)
    (($# == 2)) || usage
    check_host "$1"
    pids=$(pids_of "$1")
    [[ -z "$pids" ]] || kill -s "$2" $pids 2>/dev/null || true
    ;;
  *) usage ;;
esac
