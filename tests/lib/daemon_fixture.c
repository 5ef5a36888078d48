/* The daemon fixture (daemon_fixture.h). */
#include "daemon_fixture.h"

#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "daemon/lifecycle.h"
#include "netlink/nl.h"
#include "store/store.h"

#define START_WAIT_MS 10000

/* Run as root, the program's first daemon moves it into a network
 * namespace of its own (the calling thread's, which every later thread
 * inherits), so that the host-side wiring a test causes never touches the
 * machine's.  Once: the host's netlink socket is kept per thread. */
static int sandbox(void)
{
	static bool done;
	struct nl_extack ext;
	struct nl_sock *s = NULL;
	int lo = 0, r;

	if (geteuid() != 0 || done)
		return 0;
	done = true;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	/* The fake Neutron listens on 127.0.0.1. */
	r = nl_sock_new(&s);
	if (r >= 0)
		r = nl_link_index(s, "lo", &lo);
	if (r >= 0)
		r = nl_link_set_up(s, lo, true, &ext);
	nl_sock_free(s);
	return r;
}

static void nested_model(struct fake *f, int mode)
{
	fake_model_put(f, "ports", json_pack(
		"{s:s, s:s, s:s, s:s, s:[], s:[{s:s, s:s}]}", "id", DFIX_VM_PORT, "network_id",
		FAKE_NET_ID, "mac_address", "00:00:00:00:00:00", "status", "ACTIVE",
		"allowed_address_pairs", "fixed_ips", "subnet_id", FAKE_SUBNET_ID, "ip_address",
		"10.0.0.2"));
	if (mode == CONFIG_MODE_VLAN)
		fake_model_put(f, "trunks", json_pack("{s:s, s:s, s:[]}", "id", DFIX_TRUNK,
						      "port_id", DFIX_VM_PORT, "sub_ports"));
}

static void wait_start(struct dfix *x)
{
	for (int ms = 0;; ms += 10) {
		int n;

		pthread_mutex_lock(&x->f->lock);
		n = x->f->port_listings;
		pthread_mutex_unlock(&x->f->lock);
		if (n >= 2)
			break;
		if (ms >= START_WAIT_MS)
			fail_msg("the refiller's first pass did not list ports by tag");
		usleep(10000);
	}
}

struct dfix *dfix_new(int mode)
{
	struct dfix *x = calloc(1, sizeof(*x));
	struct neutron_opts o = { .max_retries = -1 };
	struct pool_request rq = { .name = "net1", .network = "net1" };
	struct neutron_error err = { 0 };
	char state_dir[128], sock[128];
	struct daemon_settings cfg = {
		.host = DFIX_HOST,
		.mode = mode,
		.link_interface = "lo",
		.vm_port = DFIX_VM_PORT,
		.deployment = DFIX_DEPLOYMENT,
		.state_dir = state_dir,
		.socket_path = sock,
		.metrics_address = "127.0.0.1:0",
		.workers = 1,
		.pool_defaults = { .min = 0, .max = 8, .batch = 4 },
		.cooldown_ms = 50,
		.active_timeout_ms = 2000,
		.cold_add_timeout_ms = 2000,
		.quiet_ms = 10,
		.max_defer_ms = 100,
		.refill_interval_ms = 3600 * 1000,
		.gc_interval_ms = 3600 * 1000,
	};

	assert_non_null(x);
	assert_int_equal(sandbox(), 0);
	snprintf(x->dir, sizeof(x->dir), "/tmp/sf-test-daemon-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(state_dir, sizeof(state_dir), "%s/state", x->dir);
	snprintf(sock, sizeof(sock), "%s/sock", x->dir);
	x->f = fake_start();
	fake_model_network(x->f);
	if (config_mode_nested(mode))
		nested_model(x->f, mode);
	assert_int_equal(daemon_new(&cfg, fake_noauth_client(x->f, &o), &x->d), 0);
	wait_start(x);
	/* Resolved here rather than declared: a declaration kicks the refiller. */
	assert_int_equal(pool_set_resolve(x->d->pools, x->d->neutron, &rq, NULL, &x->pool, &err), 0);
	return x;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void dfix_free(struct dfix *x)
{
	if (!x)
		return;
	daemon_free(x->d);
	fake_stop(x->f);
	nftw(x->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(x);
}

int dfix_setup_bridge(void **state)
{
	*state = dfix_new(CONFIG_MODE_BRIDGE);
	return 0;
}

int dfix_setup_macvlan(void **state)
{
	*state = dfix_new(CONFIG_MODE_MACVLAN);
	return 0;
}

int dfix_setup_vlan(void **state)
{
	*state = dfix_new(CONFIG_MODE_VLAN);
	return 0;
}

int dfix_teardown(void **state)
{
	dfix_free(*state);
	return 0;
}

int dfix_port_state(struct dfix *x, const char *id)
{
	struct store_port sp = { 0 };
	int state = -1;

	if (store_get(x->d->store, id, &sp) == 0)
		state = (int)sp.state;
	store_port_done(&sp);
	return state;
}

const char *dfix_leak_port(struct dfix *x, const char *pool_tag)
{
	static char id[64];
	static unsigned n;
	char mac[32];

	n++;
	snprintf(id, sizeof(id), "55555555-5555-4555-8555-%012u", n);
	snprintf(mac, sizeof(mac), "fa:16:3e:55:00:%02x", n & 0xff);
	fake_model_put(x->f, "ports", json_pack(
		"{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:[s, s, s], s:s}", "id", id, "network_id",
		FAKE_NET_ID, "mac_address", mac, "status", "ACTIVE", "fixed_ips", "subnet_id",
		FAKE_SUBNET_ID, "ip_address", "10.0.0.200", "tags",
		"sf-deployment=" DFIX_DEPLOYMENT, "sf-host=" DFIX_HOST, pool_tag,
		"binding:host_id", DFIX_HOST));
	return id;
}
