/* sfctl doctor on an OVN host: ovn-controller claims the ports whose taps
 * the daemon plugs into br-int (docs/ovn.md).  Neutron's "OVN Controller
 * agent" being alive (the agent check) says ovn-controller runs and
 * reaches the Southbound; this says that the host's OVSDB, the one the
 * daemon plugs into, is that chassis's. */
#include "cli/doctor_ovn.h"

#include <errno.h>
#include <string.h>

#include "bind/bind_ovs.h"
#include "common/util.h"

/* The lines of ovs-vsctl's answer to `--if-exists get` of several keys, one
 * value a line (an empty line for a missing key: strsep keeps it, where
 * strtok would shift the rest up; the trailing ones are trimmed away),
 * unquoted, into vals[n]. */
static int get_values(const struct bind_ovs_cfg *c, const char *const *args, char (*vals)[128],
		      size_t n, struct nl_extack *ext)
{
	char out[1024], *rest = out, *line;
	size_t i;
	int r;

	r = bind_ovs_vsctl(c, args, out, sizeof(out), ext);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		vals[i][0] = '\0';
	for (i = 0; i < n && (line = strsep(&rest, "\n")); i++) {
		size_t len = strlen(line);

		if (len >= 2 && line[0] == '"' && line[len - 1] == '"') {
			line[len - 1] = '\0';
			line++;
		}
		snprintf(vals[i], sizeof(vals[i]), "%s", line);
	}
	return 0;
}

void doctor_check_ovn(struct doctor *d)
{
	const struct config_host *h = &d->cfg->host;
	struct bind_ovs_cfg c = { .vsctl = h->ovs_vsctl, .db = h->ovsdb };
	struct nl_extack ext = { { 0 } };
	enum { HOSTNAME, SYSTEM_ID, REMOTE, ENCAP_TYPE, ENCAP_IP, N_OVS };
	char ovs[N_OVS][128], br[2][128];
	const char *chassis;
	int r;

	r = get_values(&c, (const char *const[]){ "--if-exists", "get", "Open_vSwitch", ".",
			   "external_ids:hostname", "external_ids:system-id", "external_ids:ovn-remote",
			   "external_ids:ovn-encap-type", "external_ids:ovn-encap-ip", NULL },
		       ovs, N_OVS, &ext);
	if (r < 0) {
		doctor_report_add(d, "ovn", DOCTOR_FAIL,
			   "set [host] ovsdb to the OVSDB ovn-controller uses (its first argument)",
			   "the host's agent is OVN's, but OVSDB at %s: %s", h->ovsdb,
			   ext.msg[0] ? ext.msg : strerror(-r));
		return;
	}
	/* Neutron binds to the chassis's hostname (system-id without one). */
	chassis = ovs[HOSTNAME][0] ? ovs[HOSTNAME] : ovs[SYSTEM_ID];
	if (!ovs[SYSTEM_ID][0] || !ovs[REMOTE][0]) {
		doctor_report_add(d, "ovn", DOCTOR_FAIL,
			   "ovs-vsctl set Open_vSwitch . external_ids:system-id=... external_ids:ovn-remote=...",
			   "OVSDB at %s names no chassis (system-id '%s') or no Southbound (ovn-remote '%s')",
			   h->ovsdb, ovs[SYSTEM_ID], ovs[REMOTE]);
		return;
	}
	if (!streq(chassis, h->name)) {
		doctor_report_add(d, "ovn", DOCTOR_FAIL,
			   "[host] name must be the chassis's hostname: Neutron binds ports to it",
			   "OVSDB at %s is chassis '%s', not '%s'", h->ovsdb, chassis, h->name);
		return;
	}
	if (!strstr(ovs[ENCAP_TYPE], "geneve") && !strstr(ovs[ENCAP_TYPE], "vxlan")) {
		doctor_report_add(d, "ovn", DOCTOR_FAIL, "ovs-vsctl set Open_vSwitch . "
			   "external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=<underlay address>",
			   "chassis '%s' has no Geneve encapsulation (ovn-encap-type '%s')", chassis,
			   ovs[ENCAP_TYPE]);
		return;
	}
	r = get_values(&c, (const char *const[]){ "--if-exists", "get", "Bridge", "br-int",
			   "external_ids:ovn-startup-ts", "datapath_type", NULL },
		       br, 2, &ext);
	if (r < 0 || !br[0][0]) {
		doctor_report_add(d, "ovn", DOCTOR_FAIL,
			   "ovn-controller makes br-int and marks it when it starts: is it running on this OVSDB?",
			   "chassis '%s': %s", chassis, r < 0 ? (ext.msg[0] ? ext.msg : strerror(-r)) :
			   "br-int has not been set up by ovn-controller");
		return;
	}
	doctor_report_add(d, "ovn", DOCTOR_OK, NULL,
		   "chassis '%s' (OVSDB %s): ovn-controller on br-int (datapath %s), %s from %s, "
		   "Southbound %s", chassis, h->ovsdb, br[1][0] ? br[1] : "system", ovs[ENCAP_TYPE],
		   ovs[ENCAP_IP][0] ? ovs[ENCAP_IP] : "(no ovn-encap-ip)", ovs[REMOTE]);
}
