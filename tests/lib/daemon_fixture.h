/* A real superfluidd core for unit tests: daemon_new() with its threads,
 * its store and pools in a scratch directory, its socket there, its
 * metrics on a free loopback port, and the fake Neutron's model (one
 * network "net1", for nested modes the VM's port and its trunk) behind a
 * client without Keystone.  No root needed; run as root, the program
 * moves into a network namespace of its own first, so that the host-side
 * wiring a test causes never touches the machine's (the tests of one
 * program share it: a test may find a previous one's interfaces). */
#ifndef SF_TESTS_LIB_DAEMON_FIXTURE_H
#define SF_TESTS_LIB_DAEMON_FIXTURE_H

#include "fake_neutron.h"

#include "daemon/state.h"

#define DFIX_DEPLOYMENT "unit"
#define DFIX_HOST "host-a"
#define DFIX_VM_PORT "33333333-3333-4333-8333-333333333333"
#define DFIX_TRUNK "44444444-4444-4444-8444-444444444444"

struct dfix {
	struct fake *f;
	struct daemon *d;
	struct pool *pool;      /* net1's, resolved (borrowed from d's pool set) */
	char dir[64];
};

/* A daemon in `mode` (enum config_mode) whose background threads have
 * finished their first pass (the listing by tag and the garbage
 * collector's): from then on they wait for a kick, and a test's calls are
 * the only ones.  Nothing refills by itself (the pools' min is 0, the
 * intervals an hour). */
struct dfix *dfix_new(int mode);
void dfix_free(struct dfix *x);   /* NULL-safe; removes the directory */

/* cmocka wrappers: *state is the struct dfix. */
int dfix_setup_bridge(void **state);
int dfix_setup_macvlan(void **state);
int dfix_setup_vlan(void **state);
int dfix_teardown(void **state);

/* The state of port `id` in the daemon's store, or -1 when it has none. */
int dfix_port_state(struct dfix *x, const char *id);
/* A port of net1 as Neutron would have made it for this daemon's pool
 * (its tags), put into the fake's model; returns its id (static). */
const char *dfix_leak_port(struct dfix *x, const char *pool_tag);

#endif
