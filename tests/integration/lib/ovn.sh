# shellcheck shell=bash disable=SC2154,SC2034  # T is the test's; H1, H2 and t_bed are for it
# The OVN bed's preamble for a test (sourced first, with T set): brings the
# OVN bed up (lib/ovn_bed.sh), sources lib/daemon.sh, and gives H1 H2 (its
# two chassis), vsctl/nbctl/sbctl, and sb_binding (a port's SB Port_Binding).
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

# --- the SB's Port_Binding of a port, by chassis name --------------------------------
# Chassis names by their SB Chassis row's UUID: sb_chassis_load fills them
# for H1 and H2 up front (a sampler in a subshell resolves them there, where
# a cache filled on the way would not stay); chassis_of UUID asks the SB for
# any other.
declare -A chassis_name=()
sb_chassis_load() {
	local h u
	for h in "$H1" "$H2"; do
		u=$(sbctl --bare --columns=_uuid find Chassis name="$h")
		[ -n "$u" ] || die "no SB chassis $h"
		chassis_name[$u]=$h
	done
}
chassis_of() { printf '%s' "${chassis_name[$1]:-$(sbctl --bare --columns=name list Chassis "$1")}"; }
# sb_binding PORT: its SB Port_Binding, "ch=CHASSIS add=CHASSIS,... act=CHASSIS"
# (act: options:additional-chassis-activated; "-" for none), as
# bench/move_lib.sh's ovn_sb_binding reads it (that lib is bench/move_methods').
sb_binding() {
	local ch add c names="" act
	ch=$(sbctl --bare --columns=chassis find Port_Binding logical_port="$1" 2> /dev/null)
	add=$(sbctl --bare --columns=additional_chassis find Port_Binding logical_port="$1" 2> /dev/null)
	act=$(sbctl --bare --columns=options find Port_Binding logical_port="$1" 2> /dev/null |
		tr ' ' '\n' | sed -n 's/^additional-chassis-activated=//p' | tr -d '"')
	[ -z "$ch" ] || ch=$(chassis_of "$ch")
	for c in $add; do names+=${names:+,}$(chassis_of "$c"); done
	printf 'ch=%s add=%s act=%s' "${ch:--}" "${names:--}" "${act:--}"
}
