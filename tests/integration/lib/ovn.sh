# shellcheck shell=bash disable=SC2154,SC2034  # T is the test's; H1, H2 and t_bed are for it
# The OVN bed's preamble for a test (sourced first, with T set): brings the
# OVN bed up (lib/ovn_bed.sh), sources lib/daemon.sh, and gives H1 H2 (its
# two chassis) and vsctl/nbctl/sbctl.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
# shellcheck source=tests/integration/lib/ovn_bed.sh
. tests/integration/lib/ovn_bed.sh
# shellcheck source=tests/integration/lib/daemon.sh
. tests/integration/lib/daemon.sh
[ "${SF_TB_VARIANT:-}" = ovn ] || die "scripts/testbed env is not the OVN bed's ($SF_TB_DIR)"
say "the OVN bed: up in $t_bed s ($(tail -n 1 <<< "$bed_out"))"
read -r H1 H2 _ <<< "$SF_TB_OVN_HOSTS"
vsctl() { local h=$1; shift; ovs-vsctl --db="$(host_ovsdb "$h")" --timeout=10 "$@"; }
nbctl() { ovn-nbctl --db="$SF_TB_OVN_NB" --timeout=10 "$@"; }
sbctl() { ovn-sbctl --db="$SF_TB_OVN_SB" --timeout=10 "$@"; }
