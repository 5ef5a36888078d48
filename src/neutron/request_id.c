/* The global request id of the calling thread's Neutron requests
 * (neutron.h, neutron_request_id_set): sent as X-Openstack-Request-Id,
 * which neutron-server logs beside its own id, so that one CNI request can
 * be followed from superfluidd's log into Neutron's. */
#include "neutron/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static _Thread_local char request_id[NEUTRON_REQUEST_ID_LEN];

int neutron_request_id_new(char *buf, size_t size)
{
	unsigned char b[16];
	ssize_t n;

	if (size < NEUTRON_REQUEST_ID_LEN)
		return -ENOBUFS;
	do
		n = getrandom(b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b))
		return n < 0 ? -errno : -EIO;
	/* A version 4 UUID: oslo.context takes "req-<uuid>" and nothing else
	 * as a global request id. */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, size,
		 "req-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

void neutron_request_id_set(const char *id)
{
	snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
}

void neutron_request_id_clear(void)
{
	request_id[0] = '\0';
}

const char *neutron_request_id(void)
{
	return request_id[0] ? request_id : NULL;
}
