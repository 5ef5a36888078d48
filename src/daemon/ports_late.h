/* Ports the store recorded before ML2 bound them (portinfo.unbound): a
 * lost create's ports listed and adopted between the create's commit and
 * the binding, which on a loaded OVN or OVS host takes seconds.  Plugging
 * such a port at once would guess the switch (the Linux bridge's) and leave
 * it WIRING for good; counting it late would make the refill create it
 * again.  So it is recorded at once and plugged once Neutron says how. */
#ifndef SF_DAEMON_PORTS_LATE_H
#define SF_DAEMON_PORTS_LATE_H

#include <stddef.h>

#include "daemon/state.h"

/* Asks Neutron how each port of `ids` is bound now.  A port bound since has
 * its record updated and its host side wired, and stays in `ids` (for
 * ports_promote); a port still unbound, gone from Neutron, or whose wiring
 * failed is freed and NULLed, for the next pass.  Returns how many were
 * NULLed, or -errno when Neutron did not answer (`ids` untouched). */
int ports_late_wire(struct daemon *d, char **ids, size_t n) MUST_CHECK;

#endif
