/* The service's state in Neutron's description, the readiness check's text
 * and the announcement frames (service/spec.h, service/announce.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service/announce.h"
#include "service/spec.h"

static void test_names(void **state)
{
	assert_true(service_name_valid("video"));
	assert_true(service_name_valid("video-2"));
	assert_true(service_name_valid("0abc"));
	assert_false(service_name_valid(""));
	assert_false(service_name_valid(NULL));
	assert_false(service_name_valid("-video"));
	assert_false(service_name_valid("Video"));
	assert_false(service_name_valid("vi deo"));
	assert_false(service_name_valid("vi_deo"));
	/* 40 characters pass, 41 do not: "sf-member=<name>" fits a tag. */
	assert_true(service_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(service_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_check_parse(void **state)
{
	struct service_check c;
	char why[128], buf[96];

	assert_int_equal(service_check_parse("tcp:8080", &c, why, sizeof(why)), 0);
	assert_int_equal(c.kind, SERVICE_CHECK_TCP);
	assert_int_equal(c.port, 8080);
	assert_int_equal(service_check_parse("http:80/healthz", &c, why, sizeof(why)), 0);
	assert_int_equal(c.kind, SERVICE_CHECK_HTTP);
	assert_int_equal(c.port, 80);
	assert_string_equal(c.path, "/healthz");
	assert_int_equal(service_check_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http:80/healthz");
	/* No path is the root. */
	assert_int_equal(service_check_parse("http:8000", &c, why, sizeof(why)), 0);
	assert_string_equal(c.path, "/");

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "udp:53", "tcp:PORT or http:PORT/PATH" },
		{ "tcp:", "not a number" },
		{ "tcp:0", "1..65535" },
		{ "tcp:65536", "1..65535" },
		{ "tcp:80/x", "no path" },
		{ "http:80x", "starts with '/'" },
		{ "http:80/a b", "space" },
		{ "http:80/a\"b", "quote" },
		{ "http:80/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "too long" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		struct service_check before = c;

		assert_int_equal(service_check_parse(bad[i].text, &c, why, sizeof(why)), -EINVAL);
		if (!strstr(why, bad[i].why))
			fail_msg("'%s': expected '%s' in '%s'", bad[i].text, bad[i].why, why);
		assert_memory_equal(&c, &before, sizeof(c));   /* untouched */
	}
}

static void test_state_round_trip(void **state)
{
	struct service_state st = { .grace_ms = 1500, .phase = SERVICE_MOVING, .epoch = 7 }, back;
	char *text = NULL;

	assert_int_equal(service_check_parse("http:8080/seg", &st.check, NULL, 0), 0);
	snprintf(st.active, sizeof(st.active), "%s", "0f6d3f4e-1111-4222-8333-944445555666");
	snprintf(st.from, sizeof(st.from), "%s", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	assert_int_equal(service_state_format(&st, &text), 0);
	/* Neutron's description holds 255 characters. */
	assert_true(strlen(text) <= 255);
	assert_int_equal(service_state_parse(text, &back), 0);
	assert_int_equal(back.grace_ms, 1500);
	assert_int_equal(back.phase, SERVICE_MOVING);
	assert_int_equal(back.epoch, 7);
	assert_string_equal(back.active, st.active);
	assert_string_equal(back.from, st.from);
	assert_string_equal(back.check.path, "/seg");
	free(text);

	/* binding: the instance being left went quiet. */
	st.phase = SERVICE_QUIET;
	assert_int_equal(service_state_format(&st, &text), 0);
	assert_non_null(strstr(text, "\"phase\":\"quiet\""));
	assert_int_equal(service_state_parse(text, &back), 0);
	assert_int_equal(back.phase, SERVICE_QUIET);
	assert_string_equal(back.from, st.from);
	free(text);

	/* Stable, no instance yet: no "from". */
	st = (struct service_state){ .grace_ms = 0 };
	assert_int_equal(service_check_parse("tcp:1", &st.check, NULL, 0), 0);
	assert_int_equal(service_state_format(&st, &text), 0);
	assert_null(strstr(text, "from"));
	assert_int_equal(service_state_parse(text, &back), 0);
	assert_string_equal(back.active, "");
	free(text);

	/* The longest state: mid-move, the longest path, grace and epoch (the
	 * method is a tag of the service port, not in here). */
	st = (struct service_state){ .grace_ms = SERVICE_GRACE_MAX_MS, .phase = SERVICE_MOVING,
				     .method = SERVICE_METHOD_FIP, .epoch = INT64_MAX };
	assert_int_equal(service_check_parse("http:65535/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					     "aaaaaaaaaaaaaaaaaaaaaaa", &st.check, NULL, 0), 0);
	snprintf(st.active, sizeof(st.active), "%s", "0f6d3f4e-1111-4222-8333-944445555666");
	snprintf(st.from, sizeof(st.from), "%s", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	assert_int_equal(service_state_format(&st, &text), 0);
	assert_true(strlen(text) <= 255);
	assert_null(strstr(text, "fip"));
	assert_int_equal(service_state_parse(text, &back), 0);
	assert_int_equal(back.epoch, INT64_MAX);
	free(text);
}

static void test_method(void **state)
{
	enum service_method m = SERVICE_METHOD_FIP;
	char why[160];

	(void)state;
	assert_int_equal(service_method_parse("aap", &m, why, sizeof(why)), 0);
	assert_int_equal(m, SERVICE_METHOD_AAP);
	assert_int_equal(service_method_parse("fip", &m, why, sizeof(why)), 0);
	assert_int_equal(m, SERVICE_METHOD_FIP);
	assert_string_equal(service_method_to_string(m), "fip");
	assert_int_equal(service_method_parse("binding", &m, why, sizeof(why)), 0);
	assert_int_equal(m, SERVICE_METHOD_BINDING);
	assert_string_equal(service_method_to_string(m), "binding");
	assert_int_equal(service_method_parse("AAP", &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "binding"));
	assert_int_equal(m, SERVICE_METHOD_BINDING);              /* untouched */
	assert_int_equal(service_method_parse(NULL, &m, NULL, 0), -EINVAL);
}

static void test_state_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"a user's description",
		"{}",
		"{\"sf\":2,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"stable\",\"epoch\":0}",
		"{\"sf\":1,\"check\":\"udp:1\",\"grace_ms\":0,\"phase\":\"stable\",\"epoch\":0}",
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":-1,\"phase\":\"stable\",\"epoch\":0}",
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"gone\",\"epoch\":0}",
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"stable\"}",
		/* moving needs both ends */
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"moving\",\"epoch\":1,"
		"\"active\":\"x\"}",
		/* so does quiet (binding: the instance left went quiet) */
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"quiet\",\"epoch\":1,"
		"\"from\":\"x\"}",
		"{\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"stable\",\"epoch\":0,"
		"\"active\":5}",
		"{\"sf\":1,\"sf\":1,\"check\":\"tcp:1\",\"grace_ms\":0,\"phase\":\"stable\",\"epoch\":0}",
	};
	struct service_state st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (service_state_parse(bad[i], &st) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(service_state_parse(NULL, &st), -EINVAL);
}

static const uint8_t mac[6] = { 0xfa, 0x16, 0x3e, 0x01, 0x02, 0x03 };

static void test_garp(void **state)
{
	uint8_t f[SERVICE_FRAME_MAX];
	struct in_addr ip;

	inet_pton(AF_INET, "198.19.240.50", &ip);
	assert_int_equal(service_frame_garp(f, mac, &ip, 1), 60);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);     /* broadcast */
	assert_memory_equal(f + 6, mac, 6);
	assert_memory_equal(f + 12, "\x08\x06", 2);                /* ARP */
	assert_memory_equal(f + 20, "\x00\x01", 2);                /* request */
	assert_memory_equal(f + 22, mac, 6);                       /* sender MAC */
	assert_memory_equal(f + 28, &ip, 4);                       /* sender IP */
	assert_memory_equal(f + 32, "\0\0\0\0\0\0", 6);            /* target MAC */
	assert_memory_equal(f + 38, &ip, 4);                       /* target = sender */
	assert_int_equal(service_frame_garp(f, mac, &ip, 2), 60);
	assert_memory_equal(f + 20, "\x00\x02", 2);                /* reply */
	assert_memory_equal(f + 32, "\xff\xff\xff\xff\xff\xff", 6);
}

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_rarp(void **state)
{
	uint8_t f[SERVICE_FRAME_MAX];

	(void)state;
	assert_int_equal(service_frame_rarp(f, mac), 60);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);     /* broadcast */
	assert_memory_equal(f + 6, mac, 6);
	assert_memory_equal(f + 12, "\x80\x35", 2);                /* RARP */
	assert_memory_equal(f + 14, "\x00\x01\x08\x00\x06\x04", 6); /* Ethernet, IPv4 */
	assert_memory_equal(f + 20, "\x00\x03", 2);                /* reverse request */
	assert_memory_equal(f + 22, mac, 6);                       /* sender MAC */
	assert_memory_equal(f + 28, "\0\0\0\0", 4);                /* no addresses */
	assert_memory_equal(f + 32, mac, 6);                       /* target MAC */
	assert_memory_equal(f + 38, "\0\0\0\0", 4);
}

static void test_unsolicited_na(void **state)
{
	uint8_t f[SERVICE_FRAME_MAX];
	struct in6_addr ip;
	size_t len;
	uint32_t pseudo;

	inet_pton(AF_INET6, "2001:db8::50", &ip);
	len = service_frame_unsolicited_na(f, mac, &ip);
	assert_int_equal(len, 14 + 40 + 32);
	assert_memory_equal(f, "\x33\x33\x00\x00\x00\x01", 6);     /* all nodes */
	assert_memory_equal(f + 12, "\x86\xdd", 2);
	assert_int_equal(f[14 + 6], 58);                           /* ICMPv6 */
	assert_int_equal(f[14 + 7], 255);                          /* hop limit */
	assert_memory_equal(f + 14 + 8, &ip, 16);                  /* source */
	assert_int_equal(f[54], 136);                              /* NA */
	assert_int_equal(f[58], 0x20);                             /* override only */
	assert_memory_equal(f + 62, &ip, 16);                      /* target */
	assert_int_equal(f[78], 2);                                /* target LL option */
	assert_memory_equal(f + 80, mac, 6);
	/* The checksum over the pseudo-header and the message folds to 0xffff. */
	pseudo = sum16(f + 14 + 8, 32, 0);
	pseudo += 32 + 58;
	assert_int_equal(sum16(f + 54, 32, pseudo), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_parse),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_rejects),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_garp),
		cmocka_unit_test(test_rarp),
		cmocka_unit_test(test_unsolicited_na),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
