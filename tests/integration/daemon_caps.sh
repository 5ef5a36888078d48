#!/usr/bin/env bash
# The capabilities of contrib/systemd/superfluidd.service are enough and all
# needed: superfluidd runs on sf-host1 (uid 0, no_new_privs) with exactly the
# unit's bounding set, CAP_NET_ADMIN and CAP_SYS_ADMIN, and its warm pool,
# ADD, CHECK and DEL all work; with either one dropped, something breaks
# (said how).  Also: `systemd-analyze verify` finds nothing wrong with the
# unit (its binary paths pointed at this build).
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_caps
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
command -v setpriv > /dev/null || skip "setpriv is missing (util-linux)"
UNIT=contrib/systemd/superfluidd.service

# --- the unit -------------------------------------------------------------------
if command -v systemd-analyze > /dev/null; then
	sed "s#/usr/local/sbin/superfluidd#$B/superfluidd#g" "$UNIT" > "$tmp/superfluidd.service"
	# Lines about other units (the host's own) are not ours.
	verify=$(systemd-analyze verify "$tmp/superfluidd.service" 2>&1 | grep -v '^[a-z-]*\.service: Dependency' |
		grep -i 'superfluidd' || true)
	check "systemd-analyze verify: nothing wrong${verify:+: $verify}" test -z "$verify"
else
	say "systemd-analyze is missing (scripts/deps installs systemd): the unit is not verified"
fi
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | sed 's/^CAP_//' | tr '[:upper:]' '[:lower:]' | sort | tr '\n' ' ')
check "the unit's bounding set is net_admin and sys_admin ($unit_caps)" test "$unit_caps" = "net_admin sys_admin "

# --- the daemon under a bounding set --------------------------------------------------
testnet sg
mk_netns ns c
base=$SF_TB_DIR/hosts/host1/superfluid.conf

# run_with LABEL CAPS...: superfluidd in sf-host1 with only CAPS (setpriv's
# names, e.g. net_admin); its pool, an ADD, a CHECK and a DEL.  Sets
# outcome ("ok" or what broke) and leaves nothing: the daemon is stopped,
# its ports deleted, its host ends removed.
run_with() {
	local label=$1 d=$tmp/$1 bset=-all pid c sock id wait_s=60 res
	shift
	for c in "$@"; do bset+=",+$c"; done
	[ $# -lt 2 ] && wait_s=20
	mkdir -p "$d"
	{
		sed -e '/^\[daemon\]/,$d' "$base"
		cat <<-EOF
		[daemon]
		socket = $d/sock
		state_dir = $d/state
		metrics_address = 127.0.0.1:$(own_metrics_port)
		deployment = $NAME-$label
		EOF
		pool_ini on_demand=false p:net:sg min=1 max=1 batch=1
	} > "$d/sf.conf"
	chmod 0600 "$d/sf.conf"
	# ip netns exec and setpriv exec in turn: $! is the daemon.
	ip netns exec sf-host1 setpriv --bounding-set="$bset" --no-new-privs \
		"$B/superfluidd" -c "$d/sf.conf" > "$d/log" 2>&1 < /dev/null &
	pid=$!
	sock=$d/sock
	outcome=""
	if ! wait_until 10 test -S "$sock"; then
		outcome="did not start: $(tail -1 "$d/log")"
	else
		say "$label: the daemon's CapEff is $(awk '/^CapEff/ {print $2}' "/proc/$pid/status")" \
			"$(command -v capsh > /dev/null && capsh --decode="$(awk '/^CapEff/ {print $2}' "/proc/$pid/status")")"
		ready() {
			printf '{"version":1,"ctl":"pools"}' | socat -t 5 - "UNIX-CONNECT:$sock" 2> /dev/null |
				jq -e '.stdout | fromjson | .pools[] | select(.name == "p") | .ready >= 1' > /dev/null
		}
		if ! wait_until "$wait_s" ready; then
			outcome="the pool never had a ready port: $(grep -m1 -i 'warn\|err' "$d/log" | cut -c1-200)"
		fi
		local CONF_SOCKET=$sock
		local cf
		cf=$(conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]")
		cni ADD "$NAME-$label" "/run/netns/$ns" eth0 "$cf"
		if [ "$rc" != 0 ]; then
			outcome+="${outcome:+; }ADD failed: $(jq -r .msg <<< "$out" 2> /dev/null || echo "$out")"
		else
			res=$out
			cni CHECK "$NAME-$label" "/run/netns/$ns" eth0 "$(jq -c --argjson r "$res" '.prevResult = $r' <<< "$cf")"
			[ "$rc" = 0 ] || outcome+="${outcome:+; }CHECK failed: $out"
			ip netns exec "$ns" ip -4 -o addr show dev eth0 | grep -q "$pfx" ||
				outcome+="${outcome:+; }no address in the container"
		fi
		cni DEL "$NAME-$label" "/run/netns/$ns" eth0 "$cf"
		[ "$rc" = 0 ] || outcome+="${outcome:+; }DEL failed: $(jq -r .msg <<< "$out" 2> /dev/null || echo "$out")"
	fi
	kill -TERM "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	# What it made: by its tag in Neutron, by name in sf-host1.
	for id in $(instance_ports "$NAME-$label"); do
		neutron DELETE "ports/$id" > /dev/null
		for c in sfc tap sfp sfb; do ip -n sf-host1 link del "$c${id:0:11}" 2> /dev/null; done
	done
	ip -n "$ns" link del eth0 2> /dev/null
	: "${outcome:=ok}"
}

run_with unit net_admin sys_admin
check "with the unit's capabilities (net_admin, sys_admin): pool, ADD, CHECK, DEL work ($outcome)" \
	test "$outcome" = ok
run_with no-net-admin sys_admin
say "without net_admin: $outcome"
check "without CAP_NET_ADMIN something breaks" test "$outcome" != ok
run_with no-sys-admin net_admin
say "without sys_admin: $outcome"
check "without CAP_SYS_ADMIN something breaks" test "$outcome" != ok
check "no sanitizer report from the daemons run here" \
	not grep -qs 'Sanitizer\|runtime error:' "$tmp"/*/log
check "nothing left in the container's namespace" test -z "$(links_of "$ns")"

finish
