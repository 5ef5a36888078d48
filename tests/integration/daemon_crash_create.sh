#!/usr/bin/env bash
# superfluidd SIGKILLed while its bulk create is in flight in Neutron, and
# started again at once: the ports that create makes may appear after the
# new daemon's first listing of its tagged ports.  They must still be
# adopted (a soak finding: they stayed unknown until the five-minute
# reconcile), so that Neutron and the daemon agree well before that.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2034,SC2154,SC2317
T=daemon_crash_create
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

pfx=$(rand_prefix)
mk_network net_id net
mk_subnet subnet_id "$net_id" "$pfx"
mk_sg sg_id sg

# [neutron] timeout bounds how long a request of the killed daemon can
# still be at work; the second listing waits for it.
start_instance c host1 << EOF
[pools]
min = 0
max = 64
batch = 16
[pool p]
network = $NAME-net
security_groups = $NAME-sg
EOF
R=$INSTANCE
sed -i '/^\[neutron\]/a timeout = 10' "$(scripts/sfhost conf "$R")"
grep -q '^timeout = 10' "$(scripts/sfhost conf "$R")" || die "no [neutron] timeout in the config"

agree() { [ "$(ctl "$R" ports | jq -r '.ports[].port_id' | sort)" = "$(instance_ports "$R")" ]; }
creating() { [ "$(pool_field "$R" p creating)" -gt 0 ]; }
hits=0
for round in 1 2 3; do
	# Each round asks for 16 more ports than the last.
	scripts/sfhost stop "$R" > /dev/null
	sed -i "s/^min = .*/min = $((16 * round))/" "$(scripts/sfhost conf "$R")"
	scripts/sfhost restart "$R" > /dev/null || die "restart $R"
	# Kill it while Neutron works on its bulk create of up to 16 ports.
	wait_until 20 creating || { say "round $round: no create to interrupt"; continue; }
	sleep 0.$((RANDOM % 5))
	scripts/sfhost kill "$R" > /dev/null || die "kill $R"
	scripts/sfhost restart "$R" > /dev/null || die "restart $R"
	before=$(ctl "$R" ports | jq '.ports | length')
	sleep 3
	if ! agree; then
		hits=$((hits + 1))
		say "round $round: Neutron has $(instance_ports "$R" | wc -l) ports, the daemon $(ctl "$R" ports | jq '.ports | length') (it started with $before)"
	fi
	check "round $round: Neutron's ports tagged $R become the daemon's within the Neutron timeout" \
		wait_until 40 agree
	wait_pool "$R" p $((16 * round)) 120
done
say "the kill left ports the first listing missed in $hits of 3 rounds"
finish
