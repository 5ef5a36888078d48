#include "bind/bind_ovs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

extern char **environ;

#define VSCTL_MAX_ARGS 24
#define VSCTL_OUT_MAX (1u << 20)

/* Reads the child's merged stdout/stderr to EOF into a growing buffer (the
 * caller frees *ret), keeping at most VSCTL_OUT_MAX bytes: the rest is read
 * and dropped, so that the child never blocks on a full pipe. */
static int drain(int fd, char **ret)
{
	size_t n = 0, size = 4096;
	char *buf = malloc(size), sink[512];

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n + 1 == size && size < VSCTL_OUT_MAX) {
			char *bigger = realloc(buf, size * 2);

			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			size *= 2;
		}
		if (n + 1 < size)
			k = read(fd, buf + n, size - n - 1);
		else
			k = read(fd, sink, sizeof(sink));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (n + 1 < size)
			n += (size_t)k;
	}
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Runs ovs-vsctl; its output (merged stdout/stderr, trimmed) goes to
 * *ret_text on exit status 0 (the caller frees it). */
static int run_vsctl(const struct bind_ovs_cfg *c, const char *const *args, char **ret_text,
		     struct nl_extack *ext)
{
	char db[512], timeout[32], *text = NULL;
	const char *argv[VSCTL_MAX_ARGS + 4];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int pipefd[2] = { -1, -1 }, status, r;
	size_t argc = 0;
	pid_t pid;

	snprintf(db, sizeof(db), "--db=%s", c->db);
	snprintf(timeout, sizeof(timeout), "--timeout=%d", BIND_OVS_TIMEOUT_S);
	argv[argc++] = c->vsctl;
	argv[argc++] = db;
	argv[argc++] = timeout;
	for (size_t i = 0; args[i]; i++) {
		if (argc == VSCTL_MAX_ARGS + 3)
			return -E2BIG;
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* The daemon's threads block signals for its signalfd: the child gets
	 * a clean mask and default dispositions (ovs-vsctl's --timeout is an
	 * alarm). */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	r = -posix_spawnp(&pid, c->vsctl, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	if (r < 0) {
		snprintf(ext->msg, sizeof(ext->msg), "cannot run '%s': %s", c->vsctl, strerror(-r));
		goto out;
	}
	r = drain(pipefd[0], &text);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
	if (r < 0)
		goto out;
	trim(text);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *line = text[0] ? text : "no message";

		snprintf(ext->msg, sizeof(ext->msg), "ovs-vsctl %s %s: %.*s", args[0],
			 args[1] ? args[1] : "", (int)strcspn(line, "\n"), line);
		r = -EIO;
		goto out;
	}
	*ret_text = text;
	text = NULL;
	r = 0;
out:
	close(pipefd[0]);
	free(text);
	return r;
}

int bind_ovs_vsctl(const struct bind_ovs_cfg *c, const char *const *args, char *out,
		   size_t out_size, struct nl_extack *ext)
{
	char *text = NULL;
	int r;

	r = run_vsctl(c, args, &text, ext);
	if (r >= 0 && out && util_strlcpy(out, text, out_size) < 0)
		r = -ENOBUFS;
	free(text);
	return r;
}

int bind_ovs_plug(const struct bind_ovs_cfg *c, const struct portinfo *pi, const char *tap,
		  const char *deployment, bool *ret_userspace, struct nl_extack *ext)
{
	char id[PORTINFO_ID_LEN + 32], mac[64], dep[256], dp[64];
	int r;

	if (pi->ovs_hybrid) {
		snprintf(ext->msg, sizeof(ext->msg),
			 "Neutron binds port %s with the OVS hybrid plug (firewall_driver = "
			 "iptables_hybrid); superfluid plugs into '%s' directly: use the agent's "
			 "openvswitch firewall", pi->port_id, pi->ovs_bridge);
		return -EPROTONOSUPPORT;
	}
	snprintf(id, sizeof(id), "external_ids:iface-id=%s", pi->port_id);
	snprintf(mac, sizeof(mac), "external_ids:attached-mac=%s", pi->mac_str);
	snprintf(dep, sizeof(dep), "external_ids:sf-deployment=%s", deployment);
	/* The bridge's datapath in the same transaction: "netdev" is the
	 * userspace one ("" or "system" the kernel's). */
	r = bind_ovs_vsctl(c, (const char *const[]){
		"--may-exist", "add-port", pi->ovs_bridge, tap, "--", "set", "Interface", tap, id,
		mac, "external_ids:iface-status=active", dep, "--", "get", "Bridge", pi->ovs_bridge,
		"datapath_type", NULL }, dp, sizeof(dp), ext);
	if (r < 0)
		return r;
	*ret_userspace = bind_ovs_userspace(dp);
	return 0;
}

/* One row of `find Interface` in --format=json: [name, ofport, external_ids],
 * external_ids as ["map", [[key, value]...]], ofport an integer or
 * ["set", []] when OVS has none yet. */
static const char *row_iface_id(const json_t *row, const char **ret_name)
{
	const json_t *map = json_array_get(json_array_get(row, 2), 1), *kv;
	const char *name = json_string_value(json_array_get(row, 0));
	json_int_t ofport = json_integer_value(json_array_get(row, 1));
	size_t i;

	if (!name || ofport <= 0)
		return NULL;
	json_array_foreach(map, i, kv) {
		if (streq(json_string_value(json_array_get(kv, 0)) ?: "", "iface-id")) {
			*ret_name = name;
			return json_string_value(json_array_get(kv, 1));
		}
	}
	return NULL;
}

int bind_ovs_list(const struct bind_ovs_cfg *c, const char *deployment, json_t **ret)
{
	struct nl_extack ext = { { 0 } };
	char *text = NULL, filter[256];
	json_t *doc = NULL, *set = NULL, *row;
	size_t i;
	int r;

	snprintf(filter, sizeof(filter), "external_ids:sf-deployment=%s", deployment);
	r = run_vsctl(c, (const char *const[]){ "--format=json", "--columns=name,ofport,external_ids",
						"find", "Interface", filter, NULL },
		      &text, &ext);
	if (r < 0) {
		log_debug("listing OVSDB's interfaces: %s", ext.msg[0] ? ext.msg : strerror(-r));
		return r;
	}
	doc = json_loads(text, 0, NULL);
	set = json_object();
	r = set ? 0 : -ENOMEM;   /* doc NULL: not JSON, caught below */
	if (r == 0 && !json_is_array(json_object_get(doc, "data")))
		r = -EBADMSG;
	json_array_foreach(r == 0 ? json_object_get(doc, "data") : NULL, i, row) {
		const char *name = NULL, *id = row_iface_id(row, &name);

		if (id && json_object_set_new(set, name, json_string(id)) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0) {
		*ret = set;
		set = NULL;
	}
	json_decref(set);
	json_decref(doc);
	free(text);
	return r;
}

int bind_ovs_unplug(const struct bind_ovs_cfg *c, const char *tap, struct nl_extack *ext)
{
	return bind_ovs_vsctl(c, (const char *const[]){ "--if-exists", "del-port", tap, NULL },
			      NULL, 0, ext);
}

bool bind_ovs_userspace(const char *datapath_type)
{
	return streq(datapath_type, "netdev") || streq(datapath_type, "\"netdev\"");
}

bool bind_ovs_available(const struct bind_ovs_cfg *c)
{
	return strncmp(c->db, "unix:", 5) != 0 || access(c->db + 5, F_OK) == 0;
}
