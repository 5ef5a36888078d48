/* superfluidd: one per host (or per VM in nested mode). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "daemon/lifecycle.h"
#include "neutron/opts.h"

#define DECLARE_RETRY_MS 5000

static void usage(FILE *f)
{
	fprintf(f, "usage: superfluidd [-c CONFIG] [-v] [--check-config] [--version]\n"
		   "  -c, --config FILE   the configuration (default %s)\n"
		   "  -v, --verbose       debug logging\n"
		   "      --check-config  load the configuration, report, and exit\n"
		   "      --version       print the version and exit\n",
		CONFIG_DEFAULT_PATH);
}

static void settings_from(const struct config *cfg, struct daemon_settings *s)
{
	const struct config_pools *p = &cfg->pools;

	memset(s, 0, sizeof(*s));
	s->host = cfg->host.name;
	s->mode = cfg->host.mode;
	s->link_interface = cfg->host.link_interface;
	s->vm_port = cfg->host.vm_port;
	s->ovsdb = cfg->host.ovsdb;
	s->ovs_vsctl = cfg->host.ovs_vsctl;
	s->site = cfg->host.site;
	s->deployment = cfg->daemon.deployment;
	s->state_dir = cfg->daemon.state_dir;
	s->socket_path = cfg->daemon.socket;
	s->metrics_address = cfg->daemon.metrics_address;
	s->workers = (unsigned)cfg->daemon.workers;
	s->pool_defaults.min = (unsigned)p->min;
	s->pool_defaults.max = (unsigned)p->max;
	s->pool_defaults.batch = (unsigned)p->batch;
	s->cooldown_ms = (unsigned)p->cooldown_ms;
	s->active_timeout_ms = (unsigned)p->active_timeout_s * 1000u;
	s->cold_add_timeout_ms = (unsigned)p->cold_add_timeout_s * 1000u;
	s->quiet_ms = (unsigned)p->quiet_ms;
	s->max_defer_ms = (unsigned)p->max_defer_ms;
	s->refill_interval_ms = (unsigned)p->refill_interval_ms;
	s->gc_interval_ms = (unsigned)cfg->daemon.gc_interval_s * 1000u;
	s->on_demand = p->on_demand;
}

/* [pool NAME] sections: resolved in Neutron and filled at once.  Returns
 * how many could not be resolved yet (Neutron away): main retries. */
static unsigned declare_pools(struct daemon *d, const struct config *cfg)
{
	unsigned failed = 0;

	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct config_pool *cp = &cfg->pool_list[i];
		struct pool_sizes sizes = {
			.min = (unsigned)(cp->min >= 0 ? cp->min : cfg->pools.min),
			.max = (unsigned)(cp->max >= 0 ? cp->max : cfg->pools.max),
			.batch = (unsigned)(cp->batch >= 0 ? cp->batch : cfg->pools.batch),
		};
		struct pool_request rq = {
			.name = cp->name, .network = cp->network, .subnet = cp->subnet,
			.security_groups = (const char *const *)cp->security_groups,
			.n_security_groups = cp->n_security_groups, .mtu = (uint32_t)cp->mtu,
			.service = cp->service,
		};

		if (daemon_declare_pool(d, &rq, &sizes) < 0)
			failed++;
	}
	return failed;
}

/* Everything a running daemon can take without a restart: pool sizes and
 * the pools themselves.  The rest is compared and reported. */
static void reload(struct daemon *d, const char *path, const struct config *running)
{
	struct config *fresh = NULL;
	struct config_error err;
	int r;

	r = config_load(path, &fresh, &err);
	if (r < 0) {
		log_err("reloading: %s; keeping the running configuration", err.message);
		return;
	}
	if (!streq(fresh->host.name, running->host.name) ||
	    !streq(fresh->daemon.socket, running->daemon.socket) ||
	    !streq(fresh->daemon.state_dir, running->daemon.state_dir) ||
	    !streq(fresh->daemon.metrics_address, running->daemon.metrics_address) ||
	    !streq(fresh->neutron.auth_url, running->neutron.auth_url))
		log_warn("reloading: [host], [daemon] and [neutron] changes take effect at restart");
	d->cfg.pool_defaults.min = (unsigned)fresh->pools.min;
	d->cfg.pool_defaults.max = (unsigned)fresh->pools.max;
	d->cfg.pool_defaults.batch = (unsigned)fresh->pools.batch;
	if (declare_pools(d, fresh) > 0)
		log_warn("reloading: some pools could not be resolved; see above");
	log_info("configuration reloaded from '%s'", path);
	config_free(fresh);
}

static int join_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The retries' jitter (daemon_backoff_ms, the breaker's probe) draws on
 * random(): unseeded, every daemon draws the same sequence, and the hosts
 * an outage hit would all retry in step when it ends. */
static void seed_jitter(void)
{
	unsigned seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	srandom(seed);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH;
	struct config *cfg = NULL;
	struct config_error cerr;
	struct neutron_client *nc = NULL;
	struct neutron_opts nopts;
	struct daemon_settings settings;
	struct daemon *d = NULL;
	bool check_only = false;
	unsigned undeclared;
	sigset_t mask;
	int c, sfd = -1, r, ret = 1;

	log_set_ident("superfluidd");
	seed_jitter();
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'v': log_set_level(LOG_LEVEL_DEBUG); break;
		case 'C': check_only = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("superfluidd %s\n", SF_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	r = config_load(path, &cfg, &cerr);
	if (r < 0) {
		log_err("%s", cerr.message);
		return 1;
	}
	if (check_only) {
		printf("%s: ok\n", path);
		config_free(cfg);
		return 0;
	}
	/* A simulated host (or a VM's daemon run from outside it) lives in a
	 * namespace of its own: join it before any thread exists, so that the
	 * whole process, and every socket it opens, is there. */
	if (cfg->daemon.netns) {
		r = join_netns(cfg->daemon.netns);
		if (r < 0) {
			log_errno(r, "joining the network namespace '%s'", cfg->daemon.netns);
			goto out;
		}
	}
	/* Signals arrive on a signalfd, so every thread blocks them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_errno(-errno, "signalfd");
		goto out;
	}

	r = neutron_opts_from_config(&cfg->neutron, &nopts);
	if (r >= 0)
		r = neutron_client_new(&nopts, &nc);
	if (r < 0) {
		log_errno(r, "setting up the Neutron client");
		goto out;
	}
	settings_from(cfg, &settings);
	r = daemon_new(&settings, nc, &d);
	if (r < 0)
		goto out;   /* daemon_new said why */
	nc = NULL;
	log_info("serving on '%s', metrics on '%s', host '%s', mode %s%s%s", settings.socket_path,
		 settings.metrics_address, settings.host, config_mode_name(settings.mode),
		 settings.link_interface ? " on " : "",
		 settings.link_interface ? settings.link_interface : "");

	undeclared = declare_pools(d, cfg);
	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;

		r = poll(&pfd, 1, undeclared ? DECLARE_RETRY_MS : -1);
		if (r < 0 && errno != EINTR) {
			log_errno(-errno, "poll");
			break;
		}
		if (r == 0) {
			undeclared = declare_pools(d, cfg);
			continue;
		}
		if (r < 0 || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(d, path, cfg);
			continue;
		}
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("stopping on signal %u", si.ssi_signo);
			ret = 0;
			break;
		}
	}
out:
	daemon_free(d);
	neutron_client_free(nc);
	if (sfd >= 0)
		close(sfd);
	config_free(cfg);
	return ret;
}
