/* sfctl doctor on an Open vSwitch host: the daemon plugs its ports' taps
 * into the integration bridge through OVSDB (docs/ovs.md). */
#include "cli/doctor_ovs.h"

#include <errno.h>
#include <string.h>

#include "bind/bind_ovs.h"

void doctor_check_ovs(struct doctor *d)
{
	const struct config_host *h = &d->cfg->host;
	struct bind_ovs_cfg c = { .vsctl = h->ovs_vsctl, .db = h->ovsdb };
	struct nl_extack ext = { { 0 } };
	char version[64] = "";
	int r;

	r = bind_ovs_vsctl(&c, (const char *const[]){ "br-exists", "br-int", NULL }, NULL, 0, &ext);
	if (r == -EIO && !strstr(ext.msg, "database connection failed")) {
		/* br-exists answers 2 for "no such bridge" */
		doctor_report_add(d, "ovsdb", DOCTOR_FAIL, "the Open vSwitch agent makes it when it starts",
			   "OVSDB at %s answers, but has no bridge 'br-int'", h->ovsdb);
		return;
	}
	if (r < 0) {
		doctor_report_add(d, "ovsdb", DOCTOR_FAIL,
			   "set [host] ovsdb to the OVSDB the agent uses, and ovs_vsctl to ovs-vsctl",
			   "the host's agent is Open vSwitch's, but OVSDB at %s: %s", h->ovsdb,
			   ext.msg[0] ? ext.msg : strerror(-r));
		return;
	}
	if (bind_ovs_vsctl(&c, (const char *const[]){ "get", "Open_vSwitch", ".", "ovs_version", NULL },
			   version, sizeof(version), &ext) < 0)
		version[0] = '\0';
	doctor_report_add(d, "ovsdb", DOCTOR_OK, NULL, "OVSDB at %s has br-int (Open vSwitch %s)", h->ovsdb,
		   version[0] ? version : "of unknown version");
}
