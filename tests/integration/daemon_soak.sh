#!/usr/bin/env bash
# The crash soak (issue 5): workers run ADD and DEL through the real plugin,
# several at once, while a killer SIGKILLs superfluidd at random moments and
# starts it again.  Every answer goes into a ledger (a file per container).
# At the end, with the daemon up: no port, MAC or address held by two
# containers; every container whose last ADD succeeded still has its eth0
# with its MAC and address and pings others; then every container that may
# hold anything is DELed, and Neutron and the host must hold nothing of
# theirs: no leaked port, no leaked interface.
#
# Size: SF_SOAK_OPS (ADD+DEL invocations in all, default 1200),
# SF_SOAK_WORKERS (default 4), SF_SOAK_KILL_MS (mean time between kills,
# default 4000), SF_SOAK_FILL_S (the first fill's time limit, default 90).
# The long run is in docs/soak.md.  On either bed (the first host of
# SF_TB_HOSTS; tests/integration/ovn_suites.sh runs a short one on an OVN
# chassis); where the host has an OVSDB, no br-int port of a gone port may
# be left either.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2034,SC2154,SC2317
T=daemon_soak
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

OPS=${SF_SOAK_OPS:-1200}
WORKERS=${SF_SOAK_WORKERS:-4}
KILL_MS=${SF_SOAK_KILL_MS:-4000}
KEEP=3   # containers a worker keeps up at once
for v in OPS WORKERS KILL_MS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "SF_SOAK_$v must be a positive integer"
done
t_start=$SECONDS

# The workers' namespaces are made in subshells, so the lib's trap does not
# know them: they are all named $NAME-w*, and this removes them first.
soak_cleanup() {
	local ns
	touch "$tmp/stop" 2> /dev/null
	for ns in $(ip netns list | awk -v p="$NAME-w" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2> /dev/null
	done
}
at_exit 20 soak_cleanup

testnet sg:icmp
# A create in flight at a kill may finish after the restarted daemon listed
# its ports: the garbage collector adopts such a port on its second
# sighting (docs/gc.md), so it runs every 5 s here, not every minute.
SF_DAEMON_INI="gc_interval = 5" ready_instance s "$TB_H1" 6 "${SF_SOAK_FILL_S:-90}" min=6 max=24 batch=6 cooldown_ms=300
R=$INSTANCE
HNS=$(host_ns "$TB_H1")
S=$tmp   # the soak's shared files; workers move their own $tmp under it
led=$S/ledger
mkdir -p "$led" "$S/ports"
say "soak: $OPS ops, $WORKERS workers, a kill every ~$KILL_MS ms"

# ---- the workers -------------------------------------------------------------

# A ledger line per plugin answer: "ADD rc code ip mac" or "DEL rc code".
ledger() { # CID LINE...
	printf '%s\n' "${*:2}" >> "$led/$1"
}
code_of() { jq -r '.code // "none"' <<< "$out" 2> /dev/null || echo bad; }

# soak_del CID: one DEL; 0 when the plugin said yes.
soak_del() {
	cni DEL "$1" "/run/netns/$1" eth0 "$cf"
	wops=$((wops + 1))
	if [ "$rc" -eq 0 ]; then
		ledger "$1" DEL 0 -
		[ -n "$out" ] && echo "DEL $1 printed '$out'" >> "$S/fails"
		return 0
	fi
	ledger "$1" DEL "$rc" "$(code_of)"
	return 1
}

worker() { # N
	local w=$1 i=0 n cid mac ip ans c
	local -a r
	local -a live=() pending=()
	wops=0
	tmp=$tmp/w$w   # the lib's cni writes its stdin and stderr under $tmp
	mkdir -p "$tmp"
	while [ "$wops" -lt $((OPS / WORKERS)) ] && [ ! -e "$S/stop" ]; do
		i=$((i + 1))
		cid=$NAME-w$w-$i
		ip netns add "$cid" && ip -n "$cid" link set lo up ||
			{ echo "ip netns add $cid failed" >> "$S/fails"; break; }
		cni ADD "$cid" "/run/netns/$cid" eth0 "$cf"
		wops=$((wops + 1))
		if [ "$rc" -eq 0 ]; then
			ip=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
			mac=$(jq -r '.interfaces[0].mac' <<< "$out")
			ledger "$cid" ADD 0 - "$ip" "$mac"
			ans=$(ip -n "$cid" -j addr show dev eth0 2> /dev/null |
				jq -r '.[0] | "\(.address) \([.addr_info[] | select(.family == "inet") | .local] | join(","))"')
			[ "$ans" = "$mac $ip" ] ||
				echo "ADD $cid answered $mac $ip, its eth0 has '$ans'" >> "$S/fails"
			live+=("$cid")
		else
			ledger "$cid" ADD "$rc" "$(code_of)"
			pending+=("$cid")   # a failed ADD is cleaned by DEL too (CNI)
			sleep 0.$((RANDOM % 3 + 1))   # a runtime's back-off
		fi
		# Retry the DELs that failed (at most two per round).
		r=() n=0
		for c in "${pending[@]}"; do
			if [ "$n" -ge 2 ]; then r+=("$c"); continue; fi
			n=$((n + 1))
			if soak_del "$c"; then ip netns del "$c" 2> /dev/null; else r+=("$c"); fi
		done
		pending=("${r[@]}")
		# Release the oldest live container, now and then or when too many.
		if [ "${#live[@]}" -gt "$KEEP" ] || [ $((RANDOM % 10)) -lt 6 ] && [ "${#live[@]}" -gt 0 ]; then
			cid=${live[0]}
			live=("${live[@]:1}")
			case $((RANDOM % 10)) in
			[0-5]) soak_del "$cid" && ip netns del "$cid" || pending+=("$cid") ;;
			[6-7]) # twice: the repeat must say 0 too (11 if the daemon just died)
				if soak_del "$cid"; then soak_del "$cid"; ip netns del "$cid"
				else pending+=("$cid"); fi ;;
			*) # the runtime removed the namespace first
				ip netns del "$cid"
				soak_del "$cid" || pending+=("$cid") ;;
			esac
		fi
	done
	echo "$wops" > "$S/ops.$w"
}

# The killer: SIGKILL at a random moment around every KILL_MS, down for up
# to 0.3 s, then started again (scripts/sfhost restart returns once the new
# daemon's socket is there).
killer() {
	local kills=0 restarts=0 fails=0
	while [ ! -e "$tmp/stop" ]; do
		sleep "$(awk -v m="$KILL_MS" -v r="$RANDOM" 'BEGIN { printf "%.3f", m * (0.5 + r / 32768) / 1000 }')"
		[ -e "$tmp/stop" ] && break
		scripts/sfhost kill "$R" > /dev/null 2>&1 && kills=$((kills + 1))
		sleep 0.$((RANDOM % 4))
		until scripts/sfhost restart "$R" >> "$tmp/restart.log" 2>&1; do
			fails=$((fails + 1)); sleep 1
			[ "$fails" -gt 20 ] && break
		done
		restarts=$((restarts + 1))
		echo "$kills $restarts $fails" > "$tmp/killer"
	done
}

# Two containers must never show the same MAC or address: every sweep reads
# the eth0 of every namespace of the test; a pair seen twice is read again,
# and counts when it is still there (a sweep is not atomic).
sweep() { # -> "ns mac ip" lines
	local ns
	for ns in $(ip netns list | awk -v p="$NAME-w" 'index($1, p) == 1 {print $1}'); do
		ip -n "$ns" -j addr show dev eth0 2> /dev/null | jq -r --arg ns "$ns" '.[0] |
			"\($ns) \(.address) \([.addr_info[] | select(.family == "inet") | .local] | join(","))"'
	done
}
dup_check() { # -> number of duplicates confirmed; lists them on stderr
	local n=0 f a b v
	sweep > "$tmp/sweep"
	for f in 2 3; do
		while read -r v; do
			[ -z "$v" ] && continue
			# shellcheck disable=SC2046
			set -- $(awk -v f="$f" -v v="$v" '$f == v {print $1}' "$tmp/sweep")
			a=$1 b=$2
			if ip -n "$a" -j addr show dev eth0 2> /dev/null | grep -q "\"$v\"" &&
			   ip -n "$b" -j addr show dev eth0 2> /dev/null | grep -q "\"$v\""; then
				echo "$v held by $a and $b" >&2
				n=$((n + 1))
			fi
		done <<< "$(awk -v f="$f" '$f != "" {print $f}' "$tmp/sweep" | sort | uniq -d)"
	done
	echo "$n"
}
sampler() {
	while [ ! -e "$tmp/stop" ]; do
		instance_ports "$R" > "$tmp/ports/$SECONDS" 2> /dev/null
		dup_check 2>> "$tmp/dups" >> "$tmp/dupcount"
		sleep 1
	done
}

killer & kpid=$!
sampler & spid=$!
wpids=()
for w in $(seq 1 "$WORKERS"); do
	worker "$w" & wpids+=($!)
done
for p in "${wpids[@]}"; do wait "$p"; done
t_run=$((SECONDS - t_start))
touch "$tmp/stop"
wait "$kpid" "$spid"
read -r kills restarts rfails < "$tmp/killer" 2> /dev/null || { kills=0 restarts=0 rfails=0; }
pass "workers done in ${t_run}s; $kills kills, $restarts restarts"
[ "$kills" -gt 0 ] || fail "the killer never killed the daemon (SF_SOAK_KILL_MS too long for the run?)"
[ "$rfails" -eq 0 ] || say "note: $rfails restarts failed and were retried: $(tail -3 "$tmp/restart.log")"

# ---- after the storm: the daemon up, in-flight work done ----------------------
scripts/sfhost restart "$R" > /dev/null 2>&1   # in case the last kill came last
check "the daemon answers after the soak" wait_until 30 ctl "$R" pools
wait_until 90 pool_settled "$R" p 1 || fail "the pool did not settle: $(ctl "$R" pools)"

# The ledger: the last answer for each container.
declare -A last_add state
for f in "$led"/*; do
	c=${f##*/}
	l=$(tail -n 1 "$f")
	case $l in
	"ADD 0 "*) state[$c]=up; last_add[$c]=$l ;;
	"DEL 0 "*) state[$c]=clean ;;
	*) state[$c]=unsure ;;   # a failed ADD, or a failed DEL: may hold anything
	esac
done
n_up=0 n_clean=0 n_unsure=0
for c in "${!state[@]}"; do
	case ${state[$c]} in up) n_up=$((n_up + 1)) ;; clean) n_clean=$((n_clean + 1)) ;; *) n_unsure=$((n_unsure + 1)) ;; esac
done
say "containers: ${#state[@]} ($n_up up, $n_clean DELed, $n_unsure unsure)"

# (c) no port, MAC or address held by two containers
dups=$(dup_check 2>> "$tmp/dups")
dups_run=$(awk '{s += $1} END {print s + 0}' "$tmp/dupcount" 2> /dev/null)
[ "$dups" -eq 0 ] && [ "$dups_run" -eq 0 ] && pass "no MAC or address held by two containers ($(wc -l < "$tmp/dupcount") sweeps)" ||
	fail "duplicates: $dups now, $dups_run during the run: $(sort -u "$tmp/dups" | head -5)"
ports_json=$(ctl "$R" ports) || die "the daemon lists no ports"
dup_ports=$(jq '[.ports[] | select(.state == "in_use") | .container_id] | length - (unique | length)' <<< "$ports_json")
check "no container holds two ports ($dup_ports)" test "$dup_ports" = 0
# Every port in use is held by a container the ledger says may hold one.
stray=$(jq -r '.ports[] | select(.state == "in_use") | .container_id' <<< "$ports_json" |
	while read -r c; do [ "${state[$c]:-none}" = clean ] || [ "${state[$c]:-none}" = none ] && echo "$c"; done)
check "no port in use by a DELed or unknown container${stray:+: $stray}" test -z "$stray"

# (d) every container whose last ADD succeeded keeps its eth0, MAC, address
# and port; Neutron learns it holds the port.
device_id_is() { [ "$(port_get "$1" | jq -r .device_id)" = "$2" ]; }
bad=0 up_list=()
for c in "${!state[@]}"; do
	[ "${state[$c]}" = up ] || continue
	read -r _ _ _ ip mac <<< "${last_add[$c]}"
	ans=$(ip -n "$c" -j addr show dev eth0 2> /dev/null |
		jq -r '.[0] | "\(.address) \([.addr_info[] | select(.family == "inet") | .local] | join(","))"')
	port=$(jq -r --arg c "$c" '.ports[] | select(.state == "in_use" and .container_id == $c) | .port_id' <<< "$ports_json")
	np=$(port_get "${port:-none}" 2> /dev/null)
	if [ "$ans" != "$mac $ip" ] || [ -z "$port" ] ||
	   [ "$(jq -r '"\(.mac_address) \(.fixed_ips[0].ip_address)"' <<< "$np")" != "$mac $ip" ]; then
		fail "$c: the ADD gave $mac $ip; eth0 has '$ans'; the daemon's port '${port:-none}' is $(jq -c '[.mac_address, .fixed_ips]' <<< "$np" 2> /dev/null)"
		bad=$((bad + 1))
		continue
	fi
	wait_until 30 device_id_is "$port" "$c" || { fail "$c: Neutron's device_id of $port is not $c"; bad=$((bad + 1)); }
	up_list+=("$c")
done
[ "$bad" -eq 0 ] && pass "all $n_up containers up keep eth0, MAC, address and port; Neutron names them"
ip_of() { read -r _ _ _ ip _ <<< "${last_add[$1]}"; echo "$ip"; }
pings=0
for ((k = 0; k + 1 < ${#up_list[@]} && k < 12; k += 2)); do
	a=${up_list[k]} b=${up_list[k + 1]}
	if ping_ok "$a" "$(ip_of "$b")" 10 && ping_ok "$b" "$(ip_of "$a")" 5; then pings=$((pings + 1))
	else fail "$a and $b do not ping each other"; fi
done
[ "${#up_list[@]}" -lt 2 ] && say "note: fewer than two containers up, no ping pair"
pass "$pings pairs of containers up ping each other"

# ---- every container that may hold something is DELed ----------------------------
no_links() { [ -z "$(links_of "$1")" ]; }
left=0
for c in "${!state[@]}"; do
	[ "${state[$c]}" = clean ] && continue
	wops=0
	wait_until 30 soak_del "$c" || { fail "DEL $c never succeeds: $out"; left=$((left + 1)); }
	ops_final=$((${ops_final:-0} + wops))
	# A DEL leaves no container-side interface.
	if [ -e "/run/netns/$c" ]; then
		wait_until 10 no_links "$c" || { fail "$c still has '$(links_of "$c")' after DEL"; left=$((left + 1)); }
	fi
done
check "every container DELed, each without an interface left ($left)" test "$left" = 0
in_use_now() { [ "$(ctl "$R" ports | jq '[.ports[] | select(.state == "in_use")] | length')" = 0 ]; }
check "the daemon holds no port in use" wait_until 30 in_use_now
wait_until 90 pool_settled "$R" p 1 || fail "the pool did not settle: $(ctl "$R" pools)"

# (a) Neutron: the instance's ports are the store's, nobody's device_id is
# one of ours, and nothing else is left on the network.
agree() { [ "$(ctl "$R" ports | jq -r '.ports[].port_id' | sort)" = "$(instance_ports "$R")" ]; }
if wait_until 30 agree; then
	pass "Neutron's ports tagged $R are the daemon's ($(instance_ports "$R" | wc -l))"
else
	fail "Neutron's ports tagged $R are not the daemon's: $(diff <(ctl "$R" ports | jq -r '.ports[].port_id' | sort) \
		<(instance_ports "$R") | grep '^[<>]' | tr '\n' ' ')"
	for id in $(comm -13 <(ctl "$R" ports | jq -r '.ports[].port_id' | sort) <(instance_ports "$R")); do
		say "in Neutron only: $(port_get "$id" | jq -c '{id, created_at, status, device_id}')"
	done
	say "the daemon's starts: $(instance_log "$R" | grep -o '^[^ ]* superfluidd\[info\]: serving' | cut -c12-23 | tr '\n' ' ')"
fi
named() { neutron GET "ports?network_id=$net_id" | jq -r --arg p "$NAME-" '.ports[] | select(.device_id | startswith($p)) | .id'; }
none_named() { [ -z "$(named)" ]; }
check "no port in Neutron names a container of the test" wait_until 30 none_named
others=$(comm -13 <(instance_ports "$R") <(neutron GET "ports?network_id=$net_id&fields=id" | jq -r '.ports[].id' | sort))
leak_ports=$(wc -w <<< "$others")
check "no untagged port on the network ($leak_ports)" test "$leak_ports" = 0

# (b) the host: no interface of a port that is gone, no container veth.
instance_ports "$R" > "$tmp/ports/final"
cur=$(cut -c1-11 "$tmp/ports/final" | sort -u)
ever=$(cat "$tmp/ports"/* | cut -c1-11 | sort -u)
gone=$(comm -23 <(echo "$ever") <(echo "$cur"))
leak_ifs=$(ip -n "$HNS" -j link show | jq -r '.[].ifname' | awk -v gone="$gone" -v cur="$cur" '
	BEGIN { n = split(gone, g); for (i = 1; i <= n; i++) G[g[i]] = 1
	        n = split(cur, c); for (i = 1; i <= n; i++) C[c[i]] = 1 }
	/^(sfc|tap|sfp|sfb)/ { p = substr($1, 4) } !/^(sfc|tap|sfp|sfb)/ { next }
	(p in G) || (/^sfc/ && (p in C)) { print }')
n_leak_ifs=$(wc -w <<< "$leak_ifs")
check "no host interface of a gone port, no container veth on the host ($n_leak_ifs of $(wc -w <<< "$ever") ports seen)" \
	test "$n_leak_ifs" = 0
[ "$n_leak_ifs" -eq 0 ] || say "leaked: $leak_ifs"
# ... nor, on an OVS or OVN host, an OVSDB port (br-int) of a gone port.
leak_ovsdb=$(host_ovsdb_ifaces "$TB_H1" "$R" | awk -v gone="$gone" '
	BEGIN { n = split(gone, g); for (i = 1; i <= n; i++) G[g[i]] = 1 }
	(substr($1, 4) in G) { print }')
n_leak_ovsdb=$(wc -w <<< "$leak_ovsdb")
if [ -n "$(host_ovsdb "$TB_H1")" ]; then
	check "no OVSDB port of a gone port on $TB_H1 ($n_leak_ovsdb${leak_ovsdb:+: $leak_ovsdb})" \
		test "$n_leak_ovsdb" = 0
fi
if [ -s "$tmp/fails" ]; then
	fail "$(wc -l < "$tmp/fails") worker check(s) failed: $(head -5 "$tmp/fails")"
else
	pass "every worker check passed (each ADD's eth0 as answered, each DEL silent)"
fi

# ---- figures -----------------------------------------------------------------------
ops=$(cat "$tmp"/ops.* | awk '{s += $1} END {print s}')
codes() { # VERB -> "ok N, code C: N, ..."
	cat "$led"/* | awk -v v="$1" '$1 == v { k = ($2 == 0) ? "ok" : "code " $3; n[k]++ }
		END { for (k in n) printf "%s%s %d", (s++ ? ", " : ""), k, n[k]; print "" }'
}
unexpected=$(cat "$led"/* | awk '$2 != 0 && $3 != 11 {print}' | sort | uniq -c)
check "every failed ADD or DEL said code 11 (try again)${unexpected:+: $unexpected}" test -z "$unexpected"
say "FIGURES: ops $ops during the run (+ ${ops_final:-0} final DELs), $WORKERS workers, ${t_run}s run"
say "FIGURES: ADD $(codes ADD); DEL $(codes DEL)"
say "FIGURES: kills $kills, restarts $restarts, containers ${#state[@]} ($n_up up at the end, $n_unsure unsure)"
say "FIGURES: leaked ports $leak_ports, leaked interfaces $n_leak_ifs (OVSDB ports ${n_leak_ovsdb}), duplicates $((dups + dups_run)), wall time $((SECONDS - t_start))s"
finish
