# shellcheck shell=bash
# Brings the OVN test bed up (SF_TESTBED=ovn scripts/testbed up; idempotent,
# docs/testbed.md) for the tests that run on it, before they source
# lib/env.sh or lib/daemon.sh: those then load its testbed.env.  Sourced,
# never run; the caller gives T and is at the top of the tree.  Exits 77
# (skip) only when a package is missing, 1 when the bed does not come up;
# sets t_bed (seconds it took) and bed_out (the bring-up's output).
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
