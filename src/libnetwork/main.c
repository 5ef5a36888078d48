/* superfluid-docker: Docker's libnetwork remote network and IPAM driver
 * (src/libnetwork/lnd.h), served with libmicrohttpd on a unix socket that
 * dockerd finds in /run/docker/plugins/ (docs/runtimes.md, "Docker").  It
 * reads superfluidd's config (the [neutron] section, for the pools'
 * networks and subnets; [daemon] socket, where it sends ADD and DEL) and
 * runs in the namespace of dockerd, which is the daemon's.
 *
 *   superfluid-docker [-c CONFIG] [-l SOCKET] [-s STATE] [-p PARK] [-v]
 *     CONFIG  default /etc/superfluid/superfluid.conf
 *     SOCKET  default /run/docker/plugins/superfluid.sock (the driver's
 *             name is the file's name without .sock)
 *     STATE   the state file kept across restarts (its networks, pools and
 *             endpoints), default /var/lib/superfluid/docker.json
 *     PARK    where the attachments' namespaces are pinned, default
 *             /run/superfluid-docker (a tmpfs: gone at reboot, as they are)
 */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "libnetwork/lnd.h"
#include "neutron/neutron.h"
#include "neutron/opts.h"

#define BODY_MAX (1u << 20)
#define CONTENT_TYPE "application/vnd.docker.plugins.v1+json"

struct body {
	char *buf;
	size_t len;
	bool toobig;
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD_RESPMEM_MUST_FREE: the response owns text from here on. */
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_err(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "Err", msg);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text ? send_text(conn, status, text) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct lnd *l = cls;
	struct body *b = *con_cls;
	char *text;
	int r;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		if (b->len + *upload_size > BODY_MAX) {
			b->toobig = true;
		} else if (!b->toobig) {
			char *n = realloc(b->buf, b->len + *upload_size + 1);

			if (!n)
				return MHD_NO;
			memcpy(n + b->len, upload, *upload_size);
			b->buf = n;
			b->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return send_err(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "libnetwork calls are POSTs");
	if (b->toobig)
		return send_err(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the request is over 1 MiB");
	r = lnd_handle(l, url, b->buf ? b->buf : "", b->len, &text);
	if (r < 0)
		return send_err(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return send_text(conn, r ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK, text);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	if (b)
		free(b->buf);
	free(b);
	*con_cls = NULL;
}

/* A listening unix socket at `path`, mode 0600 (dockerd runs as root). */
static int listen_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 64) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	const char *conf_path = "/etc/superfluid/superfluid.conf";
	const char *sock_path = "/run/docker/plugins/superfluid.sock";
	const char *state_path = "/var/lib/superfluid/docker.json";
	const char *park_dir = "/run/superfluid-docker";
	struct config_error cerr = { 0 };
	struct config *cfg = NULL;
	struct neutron_opts no;
	struct neutron_client *nc = NULL;
	struct lnd *l = NULL;
	struct MHD_Daemon *mhd = NULL;
	sigset_t set;
	int c, fd = -1, sig, rc = 1;

	log_set_ident("superfluid-docker");
	while ((c = getopt(argc, argv, "c:l:s:p:v")) != -1) {
		switch (c) {
		case 'c': conf_path = optarg; break;
		case 'l': sock_path = optarg; break;
		case 's': state_path = optarg; break;
		case 'p': park_dir = optarg; break;
		case 'v': log_set_level(LOG_LEVEL_DEBUG); break;
		default:
			fprintf(stderr, "usage: superfluid-docker [-c CONFIG] [-l SOCKET] [-s STATE] [-p PARK] [-v]\n");
			return 2;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (config_load(conf_path, &cfg, &cerr) < 0) {
		log_err("%s", cerr.message);
		goto out;
	}
	if (neutron_opts_from_config(&cfg->neutron, &no) < 0 || neutron_client_new(&no, &nc) < 0) {
		log_err("the Neutron client of '%s' could not be made", conf_path);
		goto out;
	}
	c = lnd_new(&(struct lnd_opts){ .daemon_socket = cfg->daemon.socket, .nc = nc,
					.state_file = state_path, .park_dir = park_dir }, &l);
	if (c < 0) {
		log_errno(c, "the driver's state '%s'", state_path);
		goto out;
	}
	c = listen_unix(sock_path, &fd);
	if (c < 0) {
		log_errno(c, "listening on '%s'", sock_path);
		goto out;
	}
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, l,
			       MHD_OPTION_LISTEN_SOCKET, fd,
			       MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			       MHD_OPTION_CONNECTION_TIMEOUT, 150u, MHD_OPTION_END);
	if (!mhd) {
		log_err("libmicrohttpd did not start on '%s'", sock_path);
		goto out;
	}
	log_info("serving libnetwork on '%s' for superfluidd at '%s'", sock_path, cfg->daemon.socket);
	sigdelset(&set, SIGPIPE);
	do {
		c = sigwait(&set, &sig);
	} while (c == EINTR);
	log_info("stopping on signal %d", sig);
	rc = 0;
out:
	if (mhd)
		MHD_stop_daemon(mhd);
	if (fd >= 0) {
		close(fd);
		unlink(sock_path);
	}
	lnd_free(l);
	neutron_client_free(nc);
	config_free(cfg);
	return rc;
}
