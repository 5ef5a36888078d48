#include "daemon/bind_ovs.h"

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

extern char **environ;

#define VSCTL_MAX_ARGS 24
#define VSCTL_OUT_MAX 4096

/* Reads the child's merged stdout/stderr to EOF, keeping the first
 * VSCTL_OUT_MAX - 1 bytes. */
static void drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char sink[512];

	for (;;) {
		char *dst = n + 1 < size ? buf + n : sink;
		size_t room = n + 1 < size ? size - n - 1 : sizeof(sink);
		ssize_t k = read(fd, dst, room);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (dst == buf + n)
			n += (size_t)k;
	}
	buf[n] = '\0';
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

int bind_ovs_vsctl(const struct bind_ovs_cfg *c, const char *const *args, char *out,
		   size_t out_size, struct nl_extack *ext)
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

	text = malloc(VSCTL_OUT_MAX);
	if (!text)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		free(text);
		return r;
	}
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
	drain(pipefd[0], text, VSCTL_OUT_MAX);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			goto out;
		}
	}
	trim(text);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *line = text[0] ? text : "no message";

		snprintf(ext->msg, sizeof(ext->msg), "ovs-vsctl %s %s: %.*s", args[0],
			 args[1] ? args[1] : "", (int)strcspn(line, "\n"), line);
		r = -EIO;
		goto out;
	}
	if (out && util_strlcpy(out, text, out_size) < 0) {
		r = -ENOBUFS;
		goto out;
	}
	r = 0;
out:
	close(pipefd[0]);
	free(text);
	return r;
}

int bind_ovs_plug(const struct bind_ovs_cfg *c, const struct portinfo *pi, const char *tap,
		  const char *deployment, struct nl_extack *ext)
{
	char id[PORTINFO_ID_LEN + 32], mac[64], dep[256];

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
	return bind_ovs_vsctl(c, (const char *const[]){
		"--may-exist", "add-port", pi->ovs_bridge, tap, "--", "set", "Interface", tap, id,
		mac, "external_ids:iface-status=active", dep, NULL }, NULL, 0, ext);
}

int bind_ovs_is_plugged(const struct bind_ovs_cfg *c, const struct portinfo *pi, const char *tap)
{
	struct nl_extack ext = { { 0 } };
	char out[512], want[PORTINFO_ID_LEN + 4];
	char *nl;
	long ofport;
	int r;

	r = bind_ovs_vsctl(c, (const char *const[]){ "--if-exists", "get", "Interface", tap,
						     "ofport", "external_ids:iface-id", NULL },
			   out, sizeof(out), &ext);
	if (r < 0)
		return r;
	nl = strchr(out, '\n');
	if (!nl)
		return 0;   /* no such Interface, or no iface-id */
	*nl = '\0';
	ofport = strtol(out, NULL, 10);
	snprintf(want, sizeof(want), "\"%s\"", pi->port_id);
	if (ofport <= 0 || !streq(nl + 1, want))
		return 0;
	r = bind_ovs_vsctl(c, (const char *const[]){ "iface-to-br", tap, NULL }, out, sizeof(out),
			   &ext);
	if (r < 0)
		return r;
	return streq(out, pi->ovs_bridge);
}

int bind_ovs_unplug(const struct bind_ovs_cfg *c, const char *tap, struct nl_extack *ext)
{
	return bind_ovs_vsctl(c, (const char *const[]){ "--if-exists", "del-port", tap, NULL },
			      NULL, 0, ext);
}

bool bind_ovs_available(const struct bind_ovs_cfg *c)
{
	return strncmp(c->db, "unix:", 5) != 0 || access(c->db + 5, F_OK) == 0;
}
