# shellcheck shell=bash disable=SC2154,SC2034  # T is the test's; H1, H2 and t_bed are for it
# The OVN bed's preamble for a test (sourced first, with T set): brings the
# OVN bed up (SF_TESTBED=ovn, docs/testbed.md), skips (77) only when a
# package is missing, sources lib/daemon.sh, and gives H1 H2 (its two
# chassis) and ovsdb/vsctl/nbctl/sbctl.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
export SF_TESTBED=ovn
t_bed=$SECONDS
if ! bed_out=$(scripts/testbed up 2>&1); then
	if grep -q 'missing: run scripts/deps' <<< "$bed_out"; then
		echo "$T: SKIP: $(grep 'missing: run scripts/deps' <<< "$bed_out" | head -1)"
		exit 77
	fi
	echo "$T: FAIL (fatal): SF_TESTBED=ovn scripts/testbed up failed:"
	tail -n 20 <<< "$bed_out" | sed 's/^/    | /'
	exit 1
fi
t_bed=$((SECONDS - t_bed))
# shellcheck source=tests/integration/lib/daemon.sh
. tests/integration/lib/daemon.sh
[ "${SF_TB_VARIANT:-}" = ovn ] || die "scripts/testbed env is not the OVN bed's ($SF_TB_DIR)"
say "the OVN bed: up in $t_bed s ($(tail -n 1 <<< "$bed_out"))"
read -r H1 H2 _ <<< "$SF_TB_OVN_HOSTS"
ovsdb() { local v=SF_TB_HOST${1#host}_OVSDB; printf '%s' "${!v}"; }
vsctl() { local h=$1; shift; ovs-vsctl --db="$(ovsdb "$h")" --timeout=10 "$@"; }
nbctl() { ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=10 "$@"; }
sbctl() { ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=10 "$@"; }
