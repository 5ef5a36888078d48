# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with bench/move_methods
# Helpers of bench/move_methods: sourced after bench/lib.sh, never run.
# Instances (namespaces on Neutron ports), the client's probes, the
# timings, and a cleanup that removes, before bench/lib.sh's, what that one
# does not know (floating IPs, routers, namespaces, processes).

made_ns=() made_pids=() made_ports=() made_fips=() made_routers=() router_ifaces=()
declare -A SRV NT TL TAP OVSP

# bench/lib.sh's neutron, retried (up to NEUTRON_TRIES times, 1 s apart)
# when the shared test bed's API is away for a moment: a 503 (Keystone or
# Neutron unavailable: nothing was done), or, for a GET only, a broken
# connection (a POST may have been done).  The cleanup waits longer.
NEUTRON_TRIES=${NEUTRON_TRIES:-5}
neutron() {
	local out code i
	for ((i = 1; ; i++)); do
		out=$(curl -sS -X "$1" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
			${3:+--data "$3"} -w '\n%{http_code}' "$SF_TB_NEUTRON_URL/v2.0/$2") || out=$'\n000'
		code=${out##*$'\n'} out=${out%$'\n'*}
		case $code in 2??) printf '%s' "$out"; return 0 ;; esac
		if [ "$i" -ge "$NEUTRON_TRIES" ] || ! { [ "$code" = 503 ] || { [ "$code" = 000 ] && [ "$1" = GET ]; }; }; then
			echo "$1 $2: $code $out" >&2
			return 1
		fi
		sleep 1
	done
}

now_ns() { date +%s%N; }
since_ms() { echo $(( ($(now_ns) - $1) / 1000000 )); } # T0_NS
note() { NTL+=" $1=$2"; }                              # NAME VALUE: one Neutron-side figure

# timed LABEL METHOD PATH [BODY]: a Neutron call, its duration noted; the
# answer in OUT (not echoed: the note must survive).
timed() {
	local l=$1 t0
	shift
	t0=$(now_ns)
	OUT=$(neutron "$@") || return 1
	note "$l" "$(since_ms "$t0")"
}

# mk_port VAR LABEL HOSTN|"" [JQ-UPDATE]: a port on the bench's network with
# its group (NOSG=1: none, and no port security); with a host, bound there
# as a Nova instance's.  Sets VAR, VAR_IP, VAR_MAC.
mk_port() {
	local _v=$1 _pj _body
	_body=$(jq -nc --arg n "sfmove-$RND-$2" --arg net "$NET" --arg h "$3" --arg sg "$SG_ID" \
		--arg nosg "${NOSG:-0}" --arg dev "$(cat /proc/sys/kernel/random/uuid)" \
		'{port: ({name: $n, network_id: $net} + (if $nosg == "1" then {security_groups: [],
		port_security_enabled: false} else {security_groups: [$sg]} end)
		+ (if $h != "" then {device_owner: "compute:nova",
		device_id: $dev, "binding:host_id": $h} else {} end))}' | jq -c "${4:-.}") || return 1
	timed "create_$2" POST ports "$_body" || return 1
	_pj=$(jq -c .port <<< "$OUT")
	made_ports+=("$(jq -r .id <<< "$_pj")")
	printf -v "$_v" '%s' "$(jq -r .id <<< "$_pj")"
	printf -v "${_v}_IP" '%s' "$(jq -r '.fixed_ips[0].ip_address' <<< "$_pj")"
	printf -v "${_v}_MAC" '%s' "$(jq -r .mac_address <<< "$_pj")"
}

ns_of() { printf 'sfmv-%s-%s' "$RND" "$1"; }   # instance name -> its namespace

# inst_plug NAME HOSTN PORT MAC [NETWORK]: the namespace and the plug, as
# os-vif does it for the bed's backend (inst_plug_lb, inst_plug_ovs).  eth0
# stays down, without an address, until inst_start.
inst_plug() {
	local ns
	ns=$(ns_of "$1")
	ip netns add "$ns" || return 1
	made_ns+=("$ns")
	ip -n "$ns" link set lo up
	if [ "${SF_TB_VARIANT:-}" = ovn ]; then inst_plug_ovs "$@"; else inst_plug_lb "$@"; fi
}
# The Linux bridge agent's: tap<port11> in brq<net11> (the bridge made if
# the agent has not yet; it leaves compute:* taps to the plugging side).
inst_plug_lb() {
	local ns hns=sf-$2 tap=tap${3:0:11} br=brq${5:-$NET}
	ns=$(ns_of "$1")
	br=${br:0:14}
	if ! ip -n "$hns" link show dev "$br" > /dev/null 2>&1; then
		ip -n "$hns" link add "$br" type bridge 2> /dev/null || ip -n "$hns" link show dev "$br" > /dev/null ||
			return 1
	fi
	ip -n "$hns" link set "$br" up
	ip -n "$hns" link add "$tap" mtu "$MTU" type veth peer name eth0 netns "$ns" address "$4" mtu "$MTU" ||
		return 1
	ip -n "$hns" link set "$tap" master "$br" up
	TAP[$1]="$hns $tap"
}
# os-vif's OVS plug on an OVN chassis: tap<port11> joins br-int in one
# transaction with iface-id (the logical switch port), attached-mac and
# iface-status; ovn-controller claims it from there (docs/ovn.md).  The
# bed's br-int is a userspace (netdev) datapath, which forwards partial
# checksums and GSO frames unfinished: eth0, the end that sends into the
# tap, has them off (docs/ovn.md, "The userspace datapath and TCP").
inst_plug_ovs() {
	local ns hns=sf-$2 tap=tap${3:0:11}
	ns=$(ns_of "$1")
	ip -n "$hns" link add "$tap" mtu "$MTU" type veth peer name eth0 netns "$ns" address "$4" mtu "$MTU" ||
		return 1
	TAP[$1]="$hns $tap"
	ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off > /dev/null 2>&1 || return 1
	ip -n "$hns" link set "$tap" up
	ovs-vsctl --db="$(ovsdb_of "$2")" --timeout=10 add-port br-int "$tap" -- set Interface "$tap" \
		external_ids:iface-id="$3" external_ids:attached-mac="$4" external_ids:iface-status=active \
		> /dev/null || return 1
	OVSP[$1]="$2 $tap"
}
ovsdb_of() { local v=SF_TB_HOST${1#host}_OVSDB; printf '%s' "${!v}"; } # HOSTN: its OVSDB
# vswitchd_alive HOSTN: its ovs-vswitchd answers on its control socket (next
# to its OVSDB's).  It aborted on this bed after some multichassis moves
# (docs/ovn.md), taking the chassis's data plane with it.
vswitchd_alive() {
	ovs-appctl --target="$(vswitchd_ctl "$1")" --timeout=2 version > /dev/null 2>&1
}
# vswitchd_ctl HOSTN: its ovs-vswitchd's control socket, beside its OVSDB's.
vswitchd_ctl() { local db; db=$(ovsdb_of "$1"); db=${db#unix:}; printf '%s' "${db%/*}/ovs-vswitchd.ctl"; }

# conntrack_entries HOSTN IP: how many of HOSTN's userspace conntrack
# entries name IP ("-" when its ovs-vswitchd does not answer): what the
# stateful ACLs of a security group send through it (none with NOSG=1).
conntrack_entries() {
	local out
	out=$(ovs-appctl --target="$(vswitchd_ctl "$1")" --timeout=5 dpctl/dump-conntrack 2> /dev/null) ||
		{ echo -; return 0; }
	grep -c -F "=$2," <<< "$out" || true
}

# inst_start NAME IP GATEWAY|none [serve]: address, route, and with "serve"
# the segments (httpd :80; /who names the instance) and the stream (nc :9000).
inst_start() {
	local ns www=$W/www-$1
	ns=$(ns_of "$1")
	ip -n "$ns" addr add "$2/24" dev eth0 || return 1
	ip -n "$ns" link set eth0 up
	[ "$3" = none ] || ip -n "$ns" route add default via "$3" dev eth0 || return 1
	[ "${4:-}" = serve ] || return 0
	mkdir -p "$www"
	ln -f "$W/www/seg" "$W/www/big" "$www/"
	printf '%s\n' "$1" > "$www/who"
	# setsid: each server leads its own process group, which inst_stop ends
	# with everything it forked (a background job here leads none, so
	# setsid does not fork and $! is the leader).
	setsid ip netns exec "$ns" busybox httpd -f -p 80 -h "$www" > /dev/null 2>&1 &
	SRV[$1]="$!"
	setsid ip netns exec "$ns" busybox nc -ll -p 9000 -e "$W/stream.sh" > /dev/null 2>&1 &
	SRV[$1]+=" $!"
	read -ra _pids <<< "${SRV[$1]}"
	made_pids+=("${_pids[@]}")
}

# inst_stop NAME: its servers' process groups, its tap (unplugged, as a CNI
# DEL or os-vif does: the namespace itself may outlive `ip netns del` while
# orphaned sockets, a killed httpd's queued data, still hold it, and they
# would go on sending from the old place), then its namespace.
inst_stop() {
	local p
	for p in ${SRV[$1]:-}; do kill -- "-$p" 2> /dev/null; done
	SRV[$1]=""
	[ -z "${OVSP[$1]:-}" ] || ovs-vsctl --db="$(ovsdb_of "${OVSP[$1]% *}")" --timeout=10 --if-exists \
		del-port br-int "${OVSP[$1]#* }" 2> /dev/null
	[ -z "${TAP[$1]:-}" ] || ip -n "${TAP[$1]% *}" link del "${TAP[$1]#* }" 2> /dev/null
	TAP[$1]="" OVSP[$1]=""
	ip netns del "$(ns_of "$1")" 2> /dev/null
}

garp() { # NAME IP: one unsolicited ARP from the instance (arping -U, synchronous)
	ip netns exec "$(ns_of "$1")" busybox arping -U -c 1 -I eth0 -s "$2" "$2" > /dev/null 2>&1
}

# wait_active PORT T0_NS TIMEOUT_S [HOST]: until Neutron says ACTIVE (on
# HOST); prints the ms since T0_NS.
wait_active() {
	local deadline=$((SECONDS + $3))
	while :; do
		neutron GET "ports/$1" | jq -e --arg h "${4:-}" '.port | .status == "ACTIVE" and
			($h == "" or .["binding:host_id"] == $h)' > /dev/null && { since_ms "$2"; return 0; }
		[ "$SECONDS" -ge "$deadline" ] && { echo never; return 1; }
		sleep 0.1
	done
}

# wait_wired HOSTN PORT T0_NS TIMEOUT_S [ADDRESS]: until the host's agent has
# the port's security-group chain (with ADDRESS among its allowed sources);
# on OVN, until the logical switch port's port security allows ADDRESS
# (ovn-controller installs it from there; no agent); prints the ms since
# T0_NS.
wait_wired() {
	local deadline=$((SECONDS + $4)) rules
	while :; do
		if [ "${SF_TB_VARIANT:-}" = ovn ]; then
			rules=$(ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=5 lsp-get-port-security "$2" 2> /dev/null | tr '\n' ' ') &&
				[ -n "${rules// }" ] &&
				{ [ -z "${5:-}" ] || [[ " $rules " == *" $5 "* ]]; } && { since_ms "$3"; return 0; }
		else
			rules=$(ip netns exec "sf-$1" iptables -w -S "neutron-linuxbri-s${2:0:10}" 2> /dev/null) &&
				{ [ -z "${5:-}" ] || [[ $rules == *" $5/32 "* ]]; } && { since_ms "$3"; return 0; }
		fi
		[ "$SECONDS" -ge "$deadline" ] && { echo never; return 1; }
		sleep 0.1
	done
}

# --- OVN's view of a port (the OVN bed) ---------------------------------------------

# ovn_nb_opts PORT: the logical switch port's requested-chassis and
# activation-strategy, "rc=A,B act=rarp" ("-" when unset).
ovn_nb_opts() {
	local rc act
	rc=$(ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=5 --if-exists get Logical_Switch_Port "$1" \
		options:requested-chassis 2> /dev/null | tr -d '"') || rc=""
	act=$(ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=5 --if-exists get Logical_Switch_Port "$1" \
		options:activation-strategy 2> /dev/null | tr -d '"') || act=""
	printf 'rc=%s act=%s' "${rc:--}" "${act:--}"
}
# ovn_sb_binding PORT: the SB Port_Binding's chassis and additional
# chassis by name, "ch=A add=B" ("-" when none).
ovn_sb_binding() {
	local ch add c names=""
	ch=$(ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=5 --bare --columns=chassis find Port_Binding \
		logical_port="$1" 2> /dev/null)
	add=$(ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=5 --bare --columns=additional_chassis find \
		Port_Binding logical_port="$1" 2> /dev/null)
	[ -z "$ch" ] || ch=$(ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=5 --bare --columns=name list Chassis "$ch")
	for c in $add; do
		names+=${names:+,}$(ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=5 --bare --columns=name list Chassis "$c")
	done
	printf 'ch=%s add=%s' "${ch:--}" "${names:--}"
}
# wait_ovn PORT T0_NS TIMEOUT_S WANT: until ovn_sb_binding PORT prints WANT;
# prints the ms since T0_NS, or "never".
wait_ovn() {
	local deadline=$((SECONDS + $3))
	until [ "$(ovn_sb_binding "$1")" = "$4" ]; do
		[ "$SECONDS" -ge "$deadline" ] && { echo never; return 1; }
		sleep 0.02
	done
	since_ms "$2"
}
# wait_installed HOSTN NAME T0_NS TIMEOUT_S: until ovn-controller on HOSTN
# set ovn-installed on instance NAME's interface (its flows are in).
wait_installed() {
	local deadline=$((SECONDS + $4))
	until [ "$(ovs-vsctl --db="$(ovsdb_of "$1")" --timeout=5 --if-exists get Interface "${OVSP[$2]#* }" \
		external_ids:ovn-installed 2> /dev/null)" = '"true"' ]; do
		[ "$SECONDS" -ge "$deadline" ] && { echo never; return 1; }
		sleep 0.02
	done
	since_ms "$3"
}

# --- the client's probes ---------------------------------------------------------

probes_start() { # METHOD TARGET CLIENT_NS: the three probes, until probes_stop
	local d=$W/$1 ns=$3
	mkdir -p "$d"
	PROBES=()
	ip netns exec "$ns" "$PROBE" --url "http://$2/seg" --log "$d/http.log" --mark-file "$d/mark" \
		> "$d/http.json" 2> "$d/http.err" &
	PROBES+=($!)
	ip netns exec "$ns" "$PROBE" --tcp-stream "$2:9000" --timeout-ms 2000 --log "$d/tcp.log" \
		--mark-file "$d/mark" > "$d/tcp.json" 2> "$d/tcp.err" &
	PROBES+=($!)
	ip netns exec "$ns" "$PROBE" --resume-url "http://$2/big" --rate "$RATE" --check-pattern \
		--stall-ms 1000 --log "$d/resume.log" --mark-file "$d/mark" > "$d/resume.json" 2> "$d/resume.err" &
	PROBES+=($!)
	made_pids+=("${PROBES[@]}")
	sleep "$BEFORE_S"
	recent_ok "$1" 10 || { say "  the client gets no answers from $2 before the move"; return 1; }
}
probes_stop() {
	local p
	for p in "${PROBES[@]}"; do kill -TERM "$p" 2> /dev/null; done
	for p in "${PROBES[@]}"; do wait "$p" 2> /dev/null || true; done
	PROBES=()
}
recent_ok() { # METHOD N: the last N requests all answered
	tail -n "$(($2 + 3))" "$W/$1/http.log" | awk -v n="$2" '$1 !~ /^#/ { k++; if ($2 != 1) bad = 1 }
		END { exit !(k >= n && !bad) }'
}
mark() { touch "$W/$1/mark"; step "$1" "mark"; } # METHOD: the move starts, or is done
# wait_recovered METHOD: AFTER_S, then until the last 25 requests (0.5 s)
# were answered, at most MAX_WAIT_S.
wait_recovered() {
	local t0=$SECONDS
	sleep "$AFTER_S"
	while [ $((SECONDS - t0)) -lt "$MAX_WAIT_S" ]; do
		recent_ok "$1" 25 && return 0
		sleep 0.5
	done
	say "  the client still fails after $MAX_WAIT_S s"
}

# result METHOD MOVE_MS: the row of the table, from the probes' summaries.
result() {
	local d=$W/$1 h t r
	h=$(jq -r '[.requests, .failed, .longest_gap_ms,
		(.phases // [] | map({(.phase): .rtt_p50_ms}) | add // {}) as $p
		| $p.before, $p.after, $p.during] | map(tostring) | join(" ")' "$d/http.json" 2> /dev/null) ||
		h="? ? ? ? ? ?"
	t=$(jq -r '(.phases // [] | map(select(.phase != "before")) | map(.longest_stall_ms) | max // -1)
		as $s | "\(.end) stall=\($s|floor)ms" + (if .end == "stopped" and .since_last_read_ms > 1000
		then " (no data for \(.since_last_read_ms|floor)ms)" else "" end)' "$d/tcp.json" 2> /dev/null) ||
		t="?"
	r=$(jq -r '"reconn=\(.reconnects) stall=\((.phases // [] | map(select(.phase != "before")) |
		map(.longest_stall_ms) | max // -1) | floor)ms bad=\(.pattern_mismatches)"' \
		"$d/resume.json" 2> /dev/null) || r="?"
	read -r req fail gap bef aft dur <<< "$h"
	RES[$1]=$(printf '%-18s %5s %5s %8s %11s %8s | %9s %9s %9s | %-22s | %-24s' "$1" "$req" "$fail" \
		"$gap" "$(move_window "$d/http.log")" "$2" "$bef" "$aft" "$dur" "$t" "$r")
	NT[$1]=${NTL# }
	TL[$1]=$(timeline "$1")
	say "  ${RES[$1]}"
	say "  neutron: ${NT[$1]}"
	say "  timeline (ms from the move's start): ${TL[$1]}"
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP/$1" && cp "$d"/*.json "$d"/*.log "$KEEP/$1/" 2> /dev/null
	fi
}

step() { echo "$2 $(date +%s%3N)" >> "$W/$1/steps"; } # METHOD NAME: a step of the move, for timeline

# timeline METHOD: the move's steps, and the client's failed requests and
# gaps over 60 ms (plus twice the median answer time), in ms from the move's
# start (the first mark).
timeline() {
	local thr
	thr=$(jq -r '60 + 2 * ([.rtt_p50_ms, 0] | max)' "$W/$1/http.json" 2> /dev/null) || thr=60
	awk -v thr="$thr" 'FNR == 1 { f++ }
		f == 1 { st[++ns] = $1; sa[ns] = $2; next }
		$1 == "#" && $2 == "sfprobe" { sub("t0_unix_ms=", "", $3); t0 = $3; next }
		$1 == "#" && $2 == "mark" { if (!m1) m1 = $4; next }
		$1 ~ /^#/ { next }
		!$2 { ev[++ne] = sprintf("%.0f:FAIL", $1); next }
		{ e = $1 + $4 / 1000; if (prev && e - prev > thr) ev[++ne] = sprintf("%.0f:gap%.0f", e, e - prev); prev = e }
		END {
			for (i = 1; i <= ns; i++) printf "%s@%.0f ", st[i], sa[i] - t0 - m1
			for (i = 1; i <= ne; i++) { split(ev[i], x, ":"); printf "%s@%.0f ", x[2], x[1] - m1 }
			printf "\n"
		}' "$W/$1/steps" "$W/$1/http.log" 2> /dev/null
}

# move_window HTTP_LOG: "GAP/FAILED" around the move: the longest gap between
# two good answers that overlaps the time from the first mark to 1 s after
# the second, and the requests that failed from the first mark on.  (A gap
# elsewhere is this shared 2-core machine's, not the move's.)
move_window() {
	awk '$1 == "#" && $2 == "mark" { m[$3] = $4; next } $1 ~ /^#/ { next }
		{ t[++n] = $1; end[n] = $1 + $4 / 1000; ok[n] = $2 }
		END {
			if (!(1 in m)) { print "n/a"; exit }
			hi = (2 in m ? m[2] : m[1]) + 1000
			for (i = 1; i <= n; i++) {
				if (!ok[i]) { if (t[i] >= m[1]) f++; continue }
				if (prev != "" && end[i] >= m[1] && prev <= hi && end[i] - prev > g) g = end[i] - prev
				prev = end[i]
			}
			printf "%.1f/%d\n", g, f
		}' "$1"
}

answered_by() { # CLIENT_NS ADDRESS: the name of the instance that answers
	ip netns exec "$1" curl -s --max-time 1 "http://$2/who" 2> /dev/null || echo none
}

drop_ports() { # PORT...: deleted now (the cleanup would do it too)
	local p
	for p in "$@"; do neutron DELETE "ports/$p" > /dev/null 2>&1; done
}

# --- cleanup ------------------------------------------------------------------------

move_cleanup() {
	local rc=$? i
	set +e
	NEUTRON_TRIES=120   # an outage another test made must not leak what we made
	for i in "${made_pids[@]}"; do kill -- "-$i" 2> /dev/null; kill "$i" 2> /dev/null; done
	for i in "${!OVSP[@]}"; do
		[ -z "${OVSP[$i]}" ] || ovs-vsctl --db="$(ovsdb_of "${OVSP[$i]% *}")" --timeout=10 --if-exists \
			del-port br-int "${OVSP[$i]#* }"
	done
	for i in "${!TAP[@]}"; do [ -z "${TAP[$i]}" ] || ip -n "${TAP[$i]% *}" link del "${TAP[$i]#* }" 2> /dev/null; done
	for i in "${made_ns[@]}"; do ip netns del "$i" 2> /dev/null; done
	for i in "${made_fips[@]}"; do
		neutron DELETE "floatingips/$i" > /dev/null || say "  deleting floating IP $i failed"
	done
	for i in "${router_ifaces[@]}"; do
		neutron PUT "routers/${i%% *}/remove_router_interface" "{\"subnet_id\": \"${i#* }\"}" \
			> /dev/null || say "  removing router interface $i failed"
	done
	for i in "${made_routers[@]}"; do
		neutron DELETE "routers/$i" > /dev/null || say "  deleting router $i failed"
	done
	for i in "${made_ports[@]}"; do neutron DELETE "ports/$i" > /dev/null 2>&1; done
	(exit "$rc")
	cleanup
}
