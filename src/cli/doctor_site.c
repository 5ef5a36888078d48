/* sfctl doctor: the host's site (docs/superfluidity.md). */
#include "cli/doctor_site.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void doctor_check_site(struct doctor *d)
{
	const char *site = d->cfg ? d->cfg->host.site : NULL;
	struct neutron_error err = { 0 };
	json_t *agents = NULL, *a;
	char zones[256] = "";
	bool agree = false, any = false;
	size_t i;
	int r;

	if (!d->cfg || !d->nc || !d->authenticated) {
		doctor_report_add(d, "site", DOCTOR_SKIP, NULL, "needs the config and Neutron");
		return;
	}
	r = neutron_agents_list(d->nc, d->cfg->host.name, &agents, &err);
	if (r < 0) {
		doctor_report_add(d, "site", DOCTOR_FAIL, NULL, "listing the agents of host '%s': %s",
				  d->cfg->host.name, err.message[0] ? err.message : strerror(-r));
		return;
	}
	json_array_foreach(agents, i, a) {
		const char *zone = json_string_value(json_object_get(a, "availability_zone"));
		size_t len = strlen(zones);

		if (!zone || !zone[0])
			continue;
		any = true;
		agree = agree || streq(zone, site);
		snprintf(zones + len, sizeof(zones) - len, "%s%s (%s)", len ? ", " : "", zone,
			 json_string_value(json_object_get(a, "binary")));
	}
	json_decref(agents);
	if (!site && !any)
		doctor_report_add(d, "site", DOCTOR_OK, NULL,
				  "no site set and no zone in Neutron for host '%s'", d->cfg->host.name);
	else if (!site)
		doctor_report_add(d, "site", DOCTOR_WARN,
				  "set [host] site to the host's zone so that services can be placed by site",
				  "no [host] site, but Neutron puts host '%s' in %s", d->cfg->host.name,
				  zones);
	else if (!any)
		doctor_report_add(d, "site", DOCTOR_OK, NULL,
				  "site '%s' (Neutron knows no zone for host '%s': it runs no L3 or "
				  "DHCP agent)", site, d->cfg->host.name);
	else if (agree)
		doctor_report_add(d, "site", DOCTOR_OK, NULL,
				  "site '%s', as Neutron's zone of host '%s': %s", site,
				  d->cfg->host.name, zones);
	else
		doctor_report_add(d, "site", DOCTOR_FAIL,
				  "make [host] site match the agents' availability_zone, or fix the agents'",
				  "[host] site is '%s', but Neutron puts host '%s' in %s", site,
				  d->cfg->host.name, zones);
}
