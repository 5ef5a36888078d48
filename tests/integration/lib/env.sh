# shellcheck shell=bash
# The base of every integration test: sourced, never run (tests/run runs
# only tests/integration/*.sh, so this folder is not a test).
#
# What it gives: messages and checks that print every assertion; the
# prerequisites (root, the tools named in ENV_TOOLS, the test bed up, two
# simulated hosts), the test bed's environment and its openrc; a random
# NAME for what the test makes, a scratch folder $tmp; polling; namespaces;
# and the EXIT trap, which runs the cleanups the libs and the test register
# with at_exit, pass or fail.
#
# The caller sets T (its name, for messages) before sourcing, and may set
# ENV_TOOLS (default: jq socat curl openstack ip ping).
# "A && B || C" means "C when A or B fails" here.
# shellcheck disable=SC2015,SC2034
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1

T=${T:-test}
say() { printf '%s: %s\n' "$T" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
failures=0
pass() { say "ok:   $*"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
# A setup step failed: nothing after it means anything.
die() { say "FAIL (fatal): $*"; failures=$((failures + 1)); exit 1; }
# check NAME COMMAND...: passes when the command succeeds (its stdout is
# dropped).
check() {
	local name=$1; shift
	if "$@" > /dev/null; then pass "$name"; else fail "$name"; fi
}
not() { ! "$@"; }
finish() {
	if [ "$failures" -gt 0 ]; then
		say "$failures check(s) failed"
		exit 1
	fi
	say "all checks passed"
	exit 0
}

# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
	local deadline=$((SECONDS + $1)); shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, the test bed)"
for tool in ${ENV_TOOLS:-jq socat curl openstack ip ping}; do
	command -v "$tool" > /dev/null || skip "$tool is missing (scripts/deps)"
done
env_file=$(scripts/testbed env 2> /dev/null) && [ -f "$env_file" ] ||
	skip "the test bed is not up (scripts/testbed up)"
set -a
# shellcheck disable=SC1090
. "$env_file"
# shellcheck disable=SC1090
. "$SF_TB_OPENRC_SUPERFLUID"
set +a
# Two hosts: host1 and host2, or (SF_TESTBED=ovn) the OVN bed's host21 host22.
[ "$(wc -w <<< "${SF_TB_HOSTS:-}")" -ge 2 ] || skip "needs two simulated hosts"
# The tests that run on either bed (tests/integration/ovn_suites.sh) name
# its first two hosts so, never host1 and host2 outright.
read -r TB_H1 TB_H2 _ <<< "$SF_TB_HOSTS"

RND=$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')
NAME=sfit-$RND           # Neutron names and namespaces
tmp=$(mktemp -d "/tmp/sf-$T.XXXXXX")

# --- namespaces ---------------------------------------------------------------

made_netns=()
made_links=()   # "NAMESPACE IFNAME" of interfaces a test made by hand

mk_netns() { # VAR LABEL: a fresh namespace $NAME-LABEL, lo up
	local _mk_ns=$NAME-$2
	ip netns add "$_mk_ns" || die "ip netns add $_mk_ns"
	made_netns+=("$_mk_ns")
	ip -n "$_mk_ns" link set lo up
	printf -v "$1" '%s' "$_mk_ns"
}

netns_cleanup() {
	local i
	for i in "${made_netns[@]}"; do ip netns del "$i" 2> /dev/null; done
	for i in "${made_links[@]}"; do ip -n "${i%% *}" link del "${i#* }" 2> /dev/null; done
	made_netns=() made_links=()
}

# --- the exit trap ------------------------------------------------------------
# at_exit RANK FUNCTION: the trap runs FUNCTION, lowest RANK first (equal
# ranks in the order registered), then removes $tmp and exits with the
# test's status.  The ranks the libs use:
#   10 test-bed services back up (the rest needs them)   30 instances
#   20 what the test runs itself (workers, containers)   40 lib/vm.sh's VMs
#   50 namespaces and links      60 Neutron networks and groups
# A function may set exit_rc (the test's status until then) to fail it.
exit_hooks=()
at_exit() { exit_hooks+=("$1 ${#exit_hooks[@]} $2"); }

cleanup() {
	exit_rc=$?
	local h
	set +e
	trap - EXIT
	say "cleanup"
	for h in $(printf '%s\n' "${exit_hooks[@]}" | sort -n -k1,1 -k2,2 | cut -d' ' -f3); do
		"$h"
	done
	rm -rf "$tmp"
	exit "$exit_rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
at_exit 50 netns_cleanup
