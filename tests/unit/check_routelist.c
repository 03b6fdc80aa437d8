/* check_routelist.c: a routing table as text (routelist.h).  The format
 * alone on hand-built routes (iproute2's spellings), then route_list() in
 * a private network namespace against iproute2 itself: routes added with
 * `ip route add ... table 2336` of every kind spigrpd makes and a few
 * more, and route_list() must print exactly what `ip -4 route show table
 * 2336; ip -6 route show table 2336` prints. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nstest.h"
#include "routelist.h"

static struct ip_addr addr(const char *s)
{
	struct ip_addr a = { 0 };

	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	return a;
}

static char *fmt(const struct rl_route *r)
{
	struct strbuf b = STRBUF_INIT;

	routelist_format(r, &b);
	return strbuf_take(&b, NULL);
}

#define CHECK_FMT(r, want)                            \
	do {                                          \
		char *got_ = fmt(r);                  \
		ck_assert_str_eq(got_, want);         \
		free(got_);                           \
	} while (0)

START_TEST(test_format)
{
	struct rl_route r = { 0 };

	/* a group's route: via the gateway, with a preferred source */
	r.family = AF_INET;
	r.type = RTN_UNICAST;
	r.protocol = RTPROT_STATIC;
	r.dst = addr("10.40.1.0");
	r.dst_len = 24;
	r.gw = addr("10.20.0.2");
	r.prefsrc = addr("10.20.0.1");
	snprintf(r.dev, sizeof(r.dev), "eth1");
	CHECK_FMT(&r, "10.40.1.0/24 via 10.20.0.2 dev eth1 proto static src 10.20.0.1 \n");
	/* its blackhole twin */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.type = RTN_BLACKHOLE;
	r.protocol = RTPROT_STATIC;
	r.dst = addr("10.40.1.0");
	r.dst_len = 24;
	r.has_priority = true;
	r.priority = 4294967295u;
	CHECK_FMT(&r, "blackhole 10.40.1.0/24 proto static metric 4294967295 \n");
	/* into the TUN: mtu lock; a host route; scope link; boot not named */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.type = RTN_UNICAST;
	r.protocol = RTPROT_BOOT;
	r.scope = RT_SCOPE_LINK;
	r.dst = addr("10.40.4.5");
	r.dst_len = 32;
	snprintf(r.dev, sizeof(r.dev), "spigrp0");
	r.metric[RTAX_MTU] = 1400;
	r.metric_set = 1u << RTAX_MTU;
	r.lock = 1u << RTAX_MTU;
	CHECK_FMT(&r, "10.40.4.5 dev spigrp0 scope link mtu lock 1400 \n");
	/* times, an unknown protocol, flags, default */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.type = RTN_UNICAST;
	r.protocol = 77;
	r.flags = RTNH_F_LINKDOWN | RTNH_F_ONLINK;
	snprintf(r.dev, sizeof(r.dev), "if9");
	r.metric[RTAX_RTT] = 2400;  /* 8 x 300 ms */
	r.metric[RTAX_ADVMSS] = 1300;
	r.metric_set = 1u << RTAX_RTT | 1u << RTAX_ADVMSS;
	CHECK_FMT(&r, "default dev if9 proto 77 onlink linkdown rtt 300ms advmss 1300 \n");
	r.metric[RTAX_RTT] = 8 * 1500;
	CHECK_FMT(&r, "default dev if9 proto 77 onlink linkdown rtt 1.5s advmss 1300 \n");
	/* IPv6: metric 1024, pref medium without a trailing space */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.type = RTN_UNICAST;
	r.protocol = RTPROT_STATIC;
	r.dst = addr("fd00:40:1::");
	r.dst_len = 64;
	r.gw = addr("fd00:20::2");
	snprintf(r.dev, sizeof(r.dev), "v0");
	r.has_priority = true;
	r.priority = 1024;
	r.has_pref = true;
	r.pref = 0;
	CHECK_FMT(&r, "fd00:40:1::/64 via fd00:20::2 dev v0 proto static metric 1024 pref medium\n");
	r.dst = addr("fd00:40:1::5");
	r.dst_len = 128;
	r.pref = 1;
	CHECK_FMT(&r, "fd00:40:1::5 via fd00:20::2 dev v0 proto static metric 1024 pref high\n");
}
END_TEST

#define TABLE 2336

/* Run a shell command in the namespace; its exit status. */
static int sh(const char *cmd)
{
	int r = system(cmd);

	ck_assert_msg(r == 0, "%s: %d", cmd, r);
	return r;
}

/* What iproute2 prints for the table. */
static char *ip_show(void)
{
	struct strbuf b = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *p = popen("ip -4 route show table 2336 && ip -6 route show table 2336", "r");

	ck_assert_ptr_nonnull(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(&b, buf, n);
	ck_assert_int_eq(pclose(p), 0);
	return strbuf_take(&b, NULL);
}

START_TEST(test_against_iproute2)
{
	struct strbuf b = STRBUF_INIT;
	struct reason why = { "" };
	char *want, *got;
	int e = nstest_enter();

	if (e) {
		nstest_skip(__func__, e);
		return;
	}
	if (system("ip -V >/dev/null 2>&1") != 0) {
		nstest_skip(__func__, -ENOENT);
		return;
	}
	/* an empty table: nothing */
	ck_assert_int_eq(route_list(TABLE, &b, &why), 0);
	ck_assert_uint_eq(b.len, 0);
	sh("ip link set lo up && ip link add rl0 type veth peer name rl1 && "
	   "ip link set rl0 up && ip link set rl1 up && "
	   "ip addr add 10.20.0.1/24 dev rl0 && ip -6 addr add fd00:20::1/64 dev rl0 nodad");
	sh("ip route add 10.40.1.0/24 via 10.20.0.2 dev rl0 proto static src 10.20.0.1 table 2336 && "
	   "ip route add blackhole 10.40.1.0/24 proto static metric 4294967295 table 2336 && "
	   "ip route add 10.40.3.0/24 dev rl0 proto static mtu lock 1400 table 2336 && "
	   "ip route add 10.40.4.5 dev rl0 proto static table 2336 && "
	   "ip route add unreachable 10.40.6.0/24 table 2336 && "
	   "ip route add 10.40.7.0/24 dev rl0 scope link table 2336 && "
	   "ip route add 10.40.8.0/24 dev rl0 proto 77 advmss 1300 rtt 300 table 2336 && "
	   "ip route add default via 10.20.0.3 dev rl0 table 2336 && "
	   "ip route add 10.40.9.0/24 via 10.20.0.2 dev rl0 table 2337 && "
	   "ip route add 10.40.9.0/24 via 10.20.0.2 dev rl0");
	sh("ip -6 route add fd00:40:1::/64 via fd00:20::2 dev rl0 proto static table 2336 && "
	   "ip -6 route add blackhole fd00:40:1::/64 proto static metric 4294967295 table 2336 && "
	   "ip -6 route add fd00:40:3::/64 dev rl0 proto static mtu lock 1280 table 2336 && "
	   "ip -6 route add fd00:40:4::5 dev rl0 proto static table 2336 && "
	   "ip -6 route add fd00:40:9::/64 dev rl0 table 2337");
	want = ip_show();
	ck_assert_int_eq(route_list(TABLE, &b, &why), 0);
	got = strbuf_take(&b, NULL);
	ck_assert_str_eq(got, want);
	/* the routes spigrpd makes are among them */
	ck_assert(strstr(got, "blackhole 10.40.1.0/24 proto static metric 4294967295 \n"));
	ck_assert(strstr(got, "10.40.3.0/24 dev rl0 proto static scope link mtu lock 1400 \n"));
	ck_assert(!strstr(got, "10.40.9.0") && !strstr(got, "fd00:40:9::"));
	free(want);
	free(got);
}
END_TEST

static Suite *routelist_suite(void)
{
	Suite *s = suite_create("routelist");
	TCase *tc = tcase_create("routelist");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_against_iproute2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(routelist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
