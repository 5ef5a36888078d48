#!/usr/bin/env bash
# A binding move (`--method binding`, docs/superfluidity.md, "The binding
# method on OVN") whose mover dies midway leaves the service answered by
# exactly one instance and nothing behind, on the OVN bed (lib/service.sh's
# binding bed: a on host21 answering, b on host22 standing by).  b's daemon
# is killed (SIGKILL, by its own hand: SF_TEST_MOVE_CRASH) at each step of a
# move to b: before the readiness check ("ready"); after the plug, the
# migrating_to and the claim, before the commit ("moving"); after the
# commit ("take"); after a went quiet, before the switch ("stable").
#  - ready, moving: a answers while b's daemon is dead; restarted, b's
#    daemon drops migrating_to and unplugs b: the service settles on a;
#  - take: a goes quiet (the commit asked it to); restarted, b's daemon
#    finishes the move if a said quiet, or undoes it: the service settles
#    on one of them;
#  - stable: restarted, b's daemon finishes: the service settles on b;
# "settled" is everything at once (lib/service.sh): the state, the holder's
# svc interface and no other's, its host's OVSDB and nothing on the other,
# Neutron's binding without migrating_to, the SB on one chassis, the
# client answered by it.  A service settled on b is moved back to a.
# Exit 0 pass, 1 fail, 77 skip (only when a package is missing).
# shellcheck disable=SC2016,SC2154,SC2317
T=service_faults_binding
ENV_TOOLS="jq socat curl openstack ip ping busybox ovs-vsctl ovn-nbctl ovn-sbctl"
# shellcheck source=tests/integration/lib/ovn.sh
. "$(dirname "$0")/lib/ovn.sh"
# shellcheck source=tests/integration/lib/service.sh
. tests/integration/lib/service.sh

svc_binding_bed

for step in ready moving take stable; do
	say "--- [$SECONDS s] b's daemon dies at '$step'"
	crash_move "$step" "$IB" b
	case $step in
	ready | moving)
		check "$step: a answers while b's daemon is dead" got_who a
		check "$step: Neutron still says a answers" answers "${port_of[a]}" ;;
	*)
		check "$step: Neutron says the move to b was committed" eval 'svc_json | jq -e \
			--arg b "${port_of[b]}" ".service.active == \$b and .service.phase != \"stable\"" \
			> /dev/null' ;;
	esac
	scripts/sfhost restart "$IB" > /dev/null || die "restart b after '$step'"
	case $step in
	ready | moving) want=a ;;
	stable) want=b ;;
	take) want=either ;;
	esac
	if [ "$want" = either ]; then
		wait_until 40 eval 'settled a || settled b'
		if settled b; then want=b; else want=a; fi
		say "$step: settled on $want"
	fi
	check "$step: after the restart the service settles on $want" wait_until 40 settled "$want"
	if [ "$want" = b ]; then
		check "$step: and moves back to a" sfctl "$IA" service move "$svc" --to "$NAME-a"
		check "$step: a answers again" wait_until 40 settled a
	fi
done

say "--- delete"
check "sfctl service delete" sfctl "$IA" service delete "$svc"
check "no svc interface left in a or b" wait_until 20 eval \
	'link_absent "${ns_of[a]}" "$svc_if" && link_absent "${ns_of[b]}" "$svc_if"'
check "nothing of the service port on $H1 or $H2" wait_until 20 eval 'host_free "$H1" && host_free "$H2"'
finish
