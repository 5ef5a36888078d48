/* Times a CNI plugin executable as a runtime runs it: posix_spawn with the
 * CNI environment, the network config on stdin, stdout and stderr captured,
 * until it exits.  Used by bench/run for superfluid and for the reference
 * bridge plugin alike, so that both pay the same harness.
 *
 *   cni_driver -p PLUGIN -c CONF -d DIR [-n N] [-w W] [-k PREFIX] [-P CNI_PATH]
 *              [-i IFNAME] [-o SAMPLES] seq|add|del|status|exec
 *
 *   seq   for each of W + N iterations: a fresh namespace (not timed), ADD,
 *         DEL, namespace removed; the first W are not counted
 *   add   N namespaces (not timed), then N ADDs started at once; the
 *         namespaces stay, for `del`
 *   del   N DELs started at once for what `add` made; namespaces removed
 *   status  N STATUS calls (CONF must say cniVersion 1.1.0): the plugin's
 *         exec and its round trip to the daemon, without a container
 *   exec  PLUGIN run N times with no CNI environment (the floor: what any
 *         exec costs here); exit 0 expected, output ignored
 *
 * A namespace is made the way `ip netns add` makes one: unshare on a
 * helper thread, then a bind mount on DIR/<PREFIX>-<i>, so the daemon and
 * the plugins open it by path as they would a runtime's.  Container ids
 * are <PREFIX>-<i>.  A call succeeds when the plugin exits 0 and, for ADD,
 * prints a result with at least one IP.
 *
 * Prints one line per verb: n, failures, min/p50/p90/p99/max/mean in ms
 * (nearest-rank percentiles) and, for add/del, the wall time of the whole
 * burst.  -o appends every call to SAMPLES, one line each: verb, index,
 * wall-clock start (Unix seconds), latency in ms, 1 if it succeeded (to
 * line calls up with the daemon's or Neutron's logs).
 * Exit 0: all calls succeeded; 1: some failed; 2: setup error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "netns/netns.h"

#define CONF_MAX 60000          /* fits a pipe's buffer: written before the spawn */
#define OUT_SHOW 600            /* bytes of a failed call's output shown */
#define FAIL_SHOW 3             /* failed calls described on stderr */

struct opts {
	const char *plugin;
	const char *dir;
	const char *prefix;
	const char *cni_path;
	const char *ifname;
	char *conf;                 /* the config file's content */
	FILE *samples;              /* -o, or NULL */
	size_t conf_len;
	int n, warmup;
};

struct call {
	pid_t pid;
	int out_fd, err_fd;         /* memfds: a child never blocks on output */
	uint64_t start_us, end_us;
	struct timespec wall;       /* start, for -o */
	int status;
};

static int n_failed_shown;

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len;
	int r;

	if (!f)
		return -errno;
	buf = xmalloc(CONF_MAX + 1);
	len = fread(buf, 1, CONF_MAX + 1, f);
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	if (len > CONF_MAX) {
		r = -EFBIG;
		goto out;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	fclose(f);
	return r;
}

/* --- namespaces ------------------------------------------------------ */

static void ns_path(const struct opts *o, int i, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s-%d", o->dir, o->prefix, i);
}

/* A new namespace, pinned by a bind mount on `path` (as `ip netns add`). */
static int ns_make(const char *path)
{
	char src[64];
	int fd = -1, file, r;

	file = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (file < 0)
		return -errno;
	close(file);
	r = netns_new_anonymous(&fd);
	if (r < 0)
		goto out;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	r = mount(src, path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(path);
	return r;
}

/* The namespace goes once nothing else holds it; the kernel tears it
 * down in the background. */
static int ns_remove(const char *path)
{
	int r = 0;

	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		r = -errno;
	if (unlink(path) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

/* --- running the plugin ---------------------------------------------- */

/* Starts the plugin for `verb` (NULL: no CNI environment) on container
 * `i`.  The clock starts just before the spawn. */
static int call_start(const struct opts *o, const char *verb, int i, struct call *c)
{
	char env_cmd[64], env_cid[128], env_ns[PATH_MAX + 16], env_if[64], env_path[PATH_MAX + 16];
	char nspath[PATH_MAX];
	char *envp[8], *argv[2] = { (char *)o->plugin, NULL };
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, k = 0, r;

	c->out_fd = memfd_create("stdout", MFD_CLOEXEC);
	c->err_fd = memfd_create("stderr", MFD_CLOEXEC);
	if (c->out_fd < 0 || c->err_fd < 0 || pipe2(in, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	/* The whole config fits the pipe's buffer: write it, close, spawn. */
	if (write(in[1], o->conf, o->conf_len) != (ssize_t)o->conf_len) {
		r = -EIO;
		goto out;
	}
	close(in[1]);
	in[1] = -1;

	ns_path(o, i, nspath, sizeof(nspath));
	envp[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	if (verb) {
		snprintf(env_cmd, sizeof(env_cmd), "CNI_COMMAND=%s", verb);
		snprintf(env_cid, sizeof(env_cid), "CNI_CONTAINERID=%s-%d", o->prefix, i);
		snprintf(env_ns, sizeof(env_ns), "CNI_NETNS=%s", nspath);
		snprintf(env_if, sizeof(env_if), "CNI_IFNAME=%s", o->ifname);
		snprintf(env_path, sizeof(env_path), "CNI_PATH=%s", o->cni_path);
		envp[k++] = env_cmd;
		envp[k++] = env_cid;
		envp[k++] = env_ns;
		envp[k++] = env_if;
		envp[k++] = env_path;
	}
	envp[k] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, c->out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, c->err_fd, STDERR_FILENO);
	clock_gettime(CLOCK_REALTIME, &c->wall);
	c->start_us = util_now_us();
	r = -posix_spawn(&c->pid, o->plugin, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	return r;
}

static void call_done(struct call *c)
{
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->out_fd = c->err_fd = -1;
}

/* What the child wrote on fd, NUL-terminated, at most `size` - 1 bytes. */
static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/* 0 when the call did its job: exit 0 and, for ADD, a result with IPs. */
static int call_check(const char *verb, int i, const struct opts *o, const struct call *c)
{
	static char out[1 << 16], err[OUT_SHOW + 1];
	bool exited0 = WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0, ok = exited0;

	slurp(c->out_fd, out, sizeof(out));
	if (ok && verb && strcmp(verb, "ADD") == 0) {
		json_t *res = json_loads(out, 0, NULL);

		ok = json_array_size(json_object_get(res, "ips")) > 0;
		json_decref(res);
	}
	if (o->samples)
		fprintf(o->samples, "%s %d %lld.%06ld %.3f %d\n", verb ? verb : "EXEC", i,
			(long long)c->wall.tv_sec, c->wall.tv_nsec / 1000,
			(double)(c->end_us - c->start_us) / 1000.0, ok);
	if (ok)
		return 0;
	if (n_failed_shown++ < FAIL_SHOW) {
		slurp(c->err_fd, err, sizeof(err));
		if (strlen(out) > OUT_SHOW)
			out[OUT_SHOW] = '\0';
		fprintf(stderr, "cni_driver: %s %s-%d failed (%s %d%s): stdout: %s stderr: %s\n",
			verb ? verb : "exec", o->prefix, i,
			WIFEXITED(c->status) ? "exit" : "signal",
			WIFEXITED(c->status) ? WEXITSTATUS(c->status) : WTERMSIG(c->status),
			exited0 ? ", but no IP in the result" : "", out, err);
	}
	return -EPROTO;
}

/* Runs one call to the end; its latency in *ret_ms. */
static int call_run(const struct opts *o, const char *verb, int i, double *ret_ms)
{
	struct call c = { .out_fd = -1, .err_fd = -1 };
	int r;

	r = call_start(o, verb, i, &c);
	if (r < 0) {
		fprintf(stderr, "cni_driver: running %s: %s\n", o->plugin, strerror(-r));
		goto out;
	}
	if (waitpid(c.pid, &c.status, 0) < 0) {
		r = -errno;
		goto out;
	}
	c.end_us = util_now_us();
	*ret_ms = (double)(c.end_us - c.start_us) / 1000.0;
	r = call_check(verb, i, o, &c);
out:
	call_done(&c);
	return r;
}

/* --- statistics ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p% of them at or below. */
static double pct(const double *sorted, int n, double p)
{
	int rank = (int)ceil(p / 100.0 * n);

	return sorted[rank < 1 ? 0 : rank - 1];
}

static void report(const char *label, double *ms, int n, int failed, double wall_ms)
{
	double sum = 0;

	printf("%-5s n=%d fail=%d", label, n, failed);
	if (n > 0) {
		qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
		for (int i = 0; i < n; i++)
			sum += ms[i];
		printf(" min_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f",
		       ms[0], pct(ms, n, 50), pct(ms, n, 90), pct(ms, n, 99), ms[n - 1], sum / n);
	}
	if (wall_ms >= 0)
		printf(" wall_ms=%.1f", wall_ms);
	printf("\n");
	fflush(stdout);
}

/* --- modes ----------------------------------------------------------- */

static int mode_seq(const struct opts *o)
{
	double *add = xcalloc((size_t)o->n, sizeof(double));
	double *del = xcalloc((size_t)o->n, sizeof(double));
	int n_add = 0, n_del = 0, fail_add = 0, fail_del = 0, r = 0;
	char path[PATH_MAX];

	for (int i = 0; i < o->warmup + o->n; i++) {
		bool counted = i >= o->warmup;
		double ms;

		ns_path(o, i, path, sizeof(path));
		r = ns_make(path);
		if (r < 0) {
			fprintf(stderr, "cni_driver: namespace %s: %s\n", path, strerror(-r));
			goto out;
		}
		if (call_run(o, "ADD", i, &ms) == 0) {
			if (counted)
				add[n_add++] = ms;
		} else {
			fail_add += counted;
		}
		if (call_run(o, "DEL", i, &ms) == 0) {
			if (counted)
				del[n_del++] = ms;
		} else {
			fail_del += counted;
		}
		r = ns_remove(path);
		if (r < 0) {
			fprintf(stderr, "cni_driver: removing %s: %s\n", path, strerror(-r));
			goto out;
		}
	}
	report("ADD", add, n_add, fail_add, -1);
	report("DEL", del, n_del, fail_del, -1);
	r = fail_add || fail_del ? 1 : 0;
out:
	free(add);
	free(del);
	return r < 0 ? 2 : r;
}

/* Starts N calls at once and waits for all; the namespaces exist. */
static int burst(const struct opts *o, const char *verb)
{
	struct call *c = xcalloc((size_t)o->n, sizeof(*c));
	double *ms = xcalloc((size_t)o->n, sizeof(double));
	int started = 0, n_ok = 0, failed = 0, r = 0;
	uint64_t t0, t1;

	for (int i = 0; i < o->n; i++)
		c[i].out_fd = c[i].err_fd = -1;
	t0 = util_now_us();
	for (; started < o->n; started++) {
		r = call_start(o, verb, started, &c[started]);
		if (r < 0) {
			fprintf(stderr, "cni_driver: starting %s %d: %s\n", verb, started, strerror(-r));
			break;
		}
	}
	for (int left = started; left > 0; left--) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		uint64_t now = util_now_us();

		if (pid < 0) {
			r = -errno;
			fprintf(stderr, "cni_driver: waitpid: %s\n", strerror(errno));
			goto out;
		}
		for (int i = 0; i < started; i++)
			if (c[i].pid == pid) {
				c[i].status = status;
				c[i].end_us = now;
			}
	}
	t1 = util_now_us();
	for (int i = 0; i < started; i++) {
		if (call_check(verb, i, o, &c[i]) == 0)
			ms[n_ok++] = (double)(c[i].end_us - c[i].start_us) / 1000.0;
		else
			failed++;
	}
	failed += o->n - started;
	report(verb, ms, n_ok, failed, (double)(t1 - t0) / 1000.0);
out:
	for (int i = 0; i < o->n; i++)
		call_done(&c[i]);
	free(c);
	free(ms);
	if (r < 0)
		return 2;
	return failed ? 1 : 0;
}

static int mode_add(const struct opts *o)
{
	char path[PATH_MAX];

	for (int i = 0; i < o->n; i++) {
		int r;

		ns_path(o, i, path, sizeof(path));
		r = ns_make(path);
		if (r < 0) {
			fprintf(stderr, "cni_driver: namespace %s: %s\n", path, strerror(-r));
			return 2;
		}
	}
	return burst(o, "ADD");
}

static int mode_del(const struct opts *o)
{
	char path[PATH_MAX];
	int rc = burst(o, "DEL");

	for (int i = 0; i < o->n; i++) {
		int r;

		ns_path(o, i, path, sizeof(path));
		r = ns_remove(path);
		if (r < 0) {
			fprintf(stderr, "cni_driver: removing %s: %s\n", path, strerror(-r));
			rc = 2;
		}
	}
	return rc;
}

/* N calls of `verb` (NULL: no CNI environment), one after another. */
static int mode_repeat(const struct opts *o, const char *verb)
{
	double *ms = xcalloc((size_t)o->n, sizeof(double));
	int n_ok = 0, failed = 0;

	for (int i = 0; i < o->warmup + o->n; i++) {
		double t;

		if (call_run(o, verb, i, &t) < 0)
			failed += i >= o->warmup;
		else if (i >= o->warmup)
			ms[n_ok++] = t;
	}
	report(verb ? verb : "EXEC", ms, n_ok, failed, -1);
	free(ms);
	return failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: cni_driver -p PLUGIN -c CONF -d DIR [-n N] [-w WARMUP] [-k PREFIX]\n"
			"                  [-P CNI_PATH] [-i IFNAME] [-o SAMPLES] seq|add|del|status|exec\n");
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 200, .ifname = "eth0", .cni_path = "/usr/lib/cni" };
	const char *conf_path = NULL, *samples_path = NULL, *mode;
	char prefix[32];
	int opt, r;

	snprintf(prefix, sizeof(prefix), "sfbench-%d", (int)getpid());
	o.prefix = prefix;
	while ((opt = getopt(argc, argv, "p:c:d:n:w:k:P:i:o:")) != -1) {
		switch (opt) {
		case 'p': o.plugin = optarg; break;
		case 'c': conf_path = optarg; break;
		case 'd': o.dir = optarg; break;
		case 'n': o.n = atoi(optarg); break;
		case 'w': o.warmup = atoi(optarg); break;
		case 'k': o.prefix = optarg; break;
		case 'P': o.cni_path = optarg; break;
		case 'i': o.ifname = optarg; break;
		case 'o': samples_path = optarg; break;
		default: usage(); return 2;
		}
	}
	if (optind != argc - 1 || !o.plugin || !o.dir || o.n < 1 || o.n > 100000 || o.warmup < 0) {
		usage();
		return 2;
	}
	mode = argv[optind];
	if (samples_path) {
		o.samples = fopen(samples_path, "ae");
		if (!o.samples) {
			fprintf(stderr, "cni_driver: %s: %s\n", samples_path, strerror(errno));
			return 2;
		}
	}
	r = read_file(conf_path ? conf_path : "/dev/null", &o.conf, &o.conf_len);
	if (r < 0) {
		fprintf(stderr, "cni_driver: %s: %s\n", conf_path ? conf_path : "-", strerror(-r));
		return 2;
	}
	if (strcmp(mode, "seq") == 0)
		r = mode_seq(&o);
	else if (strcmp(mode, "add") == 0)
		r = mode_add(&o);
	else if (strcmp(mode, "del") == 0)
		r = mode_del(&o);
	else if (strcmp(mode, "status") == 0)
		r = mode_repeat(&o, "STATUS");
	else if (strcmp(mode, "exec") == 0)
		r = mode_repeat(&o, NULL);
	else {
		usage();
		r = 2;
	}
	free(o.conf);
	if (o.samples && fclose(o.samples) != 0) {
		fprintf(stderr, "cni_driver: writing %s: %s\n", samples_path, strerror(errno));
		r = 2;
	}
	return r;
}
