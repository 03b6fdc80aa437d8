/* check_route.c: routes and rules for outbound groups, against the running
 * kernel in a private network namespace (root or user namespaces; skipped
 * with a note otherwise): which groups get routes, shared routes counted
 * by group, preferred sources from the address monitor, leftovers of an
 * earlier run taken over, and everything removed at the end. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/route/nexthop.h>

#include "addrmon.h"
#include "cfg.h"
#include "nstest.h"
#include "route.h"
#include "sadb.h"

#define TABLE 2336u
#define MARK 0x53470000u
#define MASK 0xffff0000u
#define K16 "0x000102030405060708090a0b0c0d0e0f"
#define K32 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define ESP(spi, dst, src)                                                           \
	"[sa esp." spi "@" dst "]\nsrc = " src "\nenc = aes128\nenckey = " K16         \
	"\nauth = sha256\nauthkey = " K32 "\n"

/* This host is 10.20.0.1; its peer 10.20.0.2.  a and b share the route
 * to 10.40.1.0/24; c is inbound, d a shunt, e has no route to its peer,
 * esp.104 is in no group, t (only a tun) can only run in userspace. */
static const char CONF[] =
	ESP("100", "10.20.0.2", "10.20.0.1")
	"[group a]\nsaid = esp.100@10.20.0.2\nsrc-ts = 10.30.1.0/24\ndst-ts = 10.40.1.0/24\n"
	ESP("101", "10.20.0.2", "10.20.0.1")
	"[group b]\nsaid = esp.101@10.20.0.2\nsrc-ts = 10.30.2.0/24\n"
	"dst-ts = 10.40.1.0/24, 10.40.2.0/24\n"
	ESP("102", "10.20.0.1", "10.20.0.2")
	"[group c]\nsaid = esp.102@10.20.0.1\nsrc-ts = 10.40.1.0/24\ndst-ts = 10.30.1.0/24\n"
	"[group d]\nsaid = %pass\nsrc-ts = 10.30.3.0/24\ndst-ts = 10.40.3.0/24\n"
	ESP("103", "203.0.113.9", "10.20.0.1")
	"[group e]\nsaid = esp.103@203.0.113.9\nsrc-ts = 10.30.4.0/24\ndst-ts = 10.40.4.0/24\n"
	ESP("104", "10.20.0.2", "10.20.0.1")
	"[sa tun.105@10.20.0.2]\nsrc = 10.20.0.1\n"
	"[group t]\nsaid = tun.105@10.20.0.2\nsrc-ts = 10.30.5.0/24\ndst-ts = 10.40.5.0/24\n";

static struct cfg *cfg;
static struct sadb *db;

static bool host_is_local(const struct ip_addr *a, void *arg)
{
	struct ip_addr me;

	(void)arg;
	ck_assert_int_eq(ip_addr_parse("10.20.0.1", &me, NULL, 0), 0);
	return ip_addr_equal(a, &me);
}

static void build(void)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("t.conf", &errs);
	const char *s = CONF;
	size_t i;

	ck_assert_ptr_nonnull(p);
	while (*s) {
		size_t len = strcspn(s, "\n");
		char *line = strndup(s, len);

		cfg_parser_line(p, line);
		free(line);
		s += len + (s[len] ? 1 : 0);
	}
	cfg = cfg_parser_finish(p);
	if (cfg)
		db = sadb_build(cfg, host_is_local, NULL, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "unexpected error: %s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(db);
	cfg_errors_free(&errs);
}

static void unbuild(void)
{
	sadb_free(db);
	cfg_free(cfg);
	db = NULL;
	cfg = NULL;
}

static struct sadb_group *group(const char *name)
{
	struct sadb_group *g = sadb_find_group(db, name);

	ck_assert_msg(g != NULL, "no group %s", name);
	return g;
}

/* ---- looking at the kernel (libnl directly, not through route.c) ---- */

static struct nl_sock *nl(void)
{
	static struct nl_sock *sk;

	if (!sk) {
		sk = nl_socket_alloc();
		ck_assert_ptr_nonnull(sk);
		ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	}
	return sk;
}

/* The IPv4 routes of TABLE as "DST[ src SRC]" lines, in kernel order. */
static const char *table_routes(void)
{
	static char out[1024];
	struct nl_cache *c = NULL;
	struct nl_object *o;
	char a[64], b[64];

	out[0] = 0;
	ck_assert_int_eq(rtnl_route_alloc_cache(nl(), AF_INET, 0, &c), 0);
	for (o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *src = rtnl_route_get_pref_src(r);

		if (rtnl_route_get_table(r) != TABLE)
			continue;
		nl_addr2str(rtnl_route_get_dst(r), a, sizeof(a));
		if (src)
			nl_addr2str(src, b, sizeof(b));
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s%s\n", a,
			 src ? " src " : "", src ? b : "");
	}
	nl_cache_free(c);
	return out;
}

/* Rules "lookup TABLE" at our priority, in family @family. */
static int our_rules(int family)
{
	struct nl_cache *c = NULL;
	struct nl_object *o;
	int n = 0;

	ck_assert_int_eq(rtnl_rule_alloc_cache(nl(), family, &c), 0);
	for (o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *r = (struct rtnl_rule *)o;

		if (rtnl_rule_get_family(r) == family && rtnl_rule_get_prio(r) == ROUTE_RULE_PRIO &&
		    rtnl_rule_get_table(r) == TABLE)
			n++;
	}
	nl_cache_free(c);
	return n;
}

/* What `ip` (iproute2, not libnl) prints for @args, in this namespace. */
static const char *ip_says(const char *args)
{
	static char out[2048];
	char cmd[256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip %s 2>&1", args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	return out;
}

/* A rule or route as an earlier run would have left it. */
static void leave_rule(void)
{
	struct rtnl_rule *r = rtnl_rule_alloc();

	rtnl_rule_set_family(r, AF_INET);
	rtnl_rule_set_prio(r, ROUTE_RULE_PRIO);
	rtnl_rule_set_table(r, TABLE);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	ck_assert_int_eq(rtnl_rule_add(nl(), r, NLM_F_CREATE), 0);
	rtnl_rule_put(r);
}

static void leave_route(const char *dst)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = NULL;

	ck_assert_int_eq(nl_addr_parse(dst, AF_INET, &d), 0);
	rtnl_route_set_table(r, TABLE);
	rtnl_route_set_dst(r, d);
	rtnl_route_nh_set_ifindex(nh, 1); /* lo */
	rtnl_route_add_nexthop(r, nh);
	ck_assert_int_eq(rtnl_route_add(nl(), r, NLM_F_CREATE), 0);
	nl_addr_put(d);
	rtnl_route_put(r);
}

/* ---- the private namespace: lo up, 10.20.0.1/24 and 10.30.1.1/24 ---- */

static struct addrmon *am;
static struct route *rt;

/* Set up, or say why not; false: skip the test. */
static bool host_up(const char *test)
{
	int e = nstest_enter();

	if (e) {
		nstest_skip(test, e);
		return false;
	}
	ck_assert_int_eq(nstest_link("lo", true), 0);
	ck_assert_int_eq(nstest_addr4("lo:1", "10.20.0.1", 24), 0);
	ck_assert_int_eq(nstest_addr4("lo:2", "10.30.1.1", 24), 0);
	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert_int_eq(route_open(&rt, TABLE, MARK, MASK, am), 0);
	build();
	return true;
}

static void host_down(void)
{
	route_close(rt);
	addrmon_close(am);
	unbuild();
	rt = NULL;
	am = NULL;
}

#define HOST_UP_OR_SKIP()                                                            \
	do {                                                                         \
		if (!host_up(__func__))                                              \
			return;                                                      \
	} while (0)

START_TEST(wanted)
{
	struct route *r = NULL;
	char name[64];

	ck_assert_int_eq(route_open(&r, TABLE, MARK, MASK, NULL), 0); /* sends nothing */
	build();
	ck_assert(route_wanted(r, group("a")));
	ck_assert(!route_wanted(NULL, group("a"))); /* routes off */
	ck_assert(!route_wanted(r, group("c")));  /* inbound */
	ck_assert(!route_wanted(r, group("d")));  /* shunt */
	ck_assert(route_wanted(r, group("e")));
	ck_assert(route_wanted(r, group("t")));   /* only a tun: userspace */
	snprintf(name, sizeof(name), "esp.104@10.20.0.2");
	ck_assert(!route_wanted(r, group(name))); /* in no group */
	/* no routes wanted: nothing sent, nothing to say */
	ck_assert_int_eq(route_install_group(r, group("c"), NULL), 0);
	ck_assert_int_eq(route_install_group(NULL, group("a"), NULL), 0);
	ck_assert_int_eq(route_remove_group(NULL, group("a")), 0);
	ck_assert_uint_eq(route_count(r), 0);
	route_remove_all(NULL);
	route_close(r);
	route_close(NULL);
	unbuild();
}
END_TEST

START_TEST(shared_routes)
{
	struct reason why = { "" };

	HOST_UP_OR_SKIP();
	ck_assert_int_eq(route_install_group(rt, group("a"), &why), 0);
	/* a's src-ts holds a local address: the preferred source */
	ck_assert_str_eq(table_routes(), "10.40.1.0/24 src 10.30.1.1\n");
	ck_assert_int_eq(our_rules(AF_INET), 1);
	ck_assert_int_eq(our_rules(AF_INET6), 0);
	/* twice claims once */
	ck_assert_int_eq(route_install_group(rt, group("a"), &why), 0);
	ck_assert_uint_eq(route_count(rt), 1);

	ck_assert_int_eq(route_install_group(rt, group("b"), &why), 0);
	ck_assert_str_eq(table_routes(), "10.40.1.0/24 src 10.30.1.1\n10.40.2.0/24\n");
	ck_assert_uint_eq(route_count(rt), 2);
	ck_assert_int_eq(our_rules(AF_INET), 1);

	/* a goes: b still needs 10.40.1.0/24 */
	ck_assert_int_eq(route_remove_group(rt, group("a")), 0);
	ck_assert_str_eq(table_routes(), "10.40.1.0/24 src 10.30.1.1\n10.40.2.0/24\n");
	ck_assert_int_eq(route_remove_group(rt, group("a")), 0);
	ck_assert_uint_eq(route_count(rt), 2);
	ck_assert_int_eq(route_remove_group(rt, group("b")), 0);
	ck_assert_str_eq(table_routes(), "");
	ck_assert_uint_eq(route_count(rt), 0);

	route_remove_all(rt);
	ck_assert_int_eq(our_rules(AF_INET), 0);
	ck_assert_str_eq(why.text, "");
	host_down();
}
END_TEST

START_TEST(no_route_to_peer)
{
	struct reason why = { "" };
	int r;

	HOST_UP_OR_SKIP();
	r = route_install_group(rt, group("e"), &why);
	ck_assert_int_eq(r, -ENETUNREACH);
	ck_assert_msg(strstr(why.text, "no route to its outer destination") != NULL, "%s",
		      why.text);
	ck_assert_str_eq(table_routes(), "");
	ck_assert_uint_eq(route_count(rt), 0);
	ck_assert_int_eq(our_rules(AF_INET), 0);
	host_down();
}
END_TEST

/* What a killed daemon left: two copies of the rule and a route without a
 * source.  The route is replaced, the rule taken over, all of it removed. */
START_TEST(leftovers)
{
	HOST_UP_OR_SKIP();
	leave_rule();
	leave_rule();
	leave_route("10.40.1.0/24");
	ck_assert_int_eq(our_rules(AF_INET), 2);
	ck_assert_str_eq(table_routes(), "10.40.1.0/24\n");
	ck_assert_int_eq(route_install_group(rt, group("a"), NULL), 0);
	ck_assert_str_eq(table_routes(), "10.40.1.0/24 src 10.30.1.1\n");
	ck_assert_int_eq(route_install_group(rt, group("b"), NULL), 0);
	/* at exit: claimed routes and every copy of the rule go */
	route_remove_all(rt);
	ck_assert_uint_eq(route_count(rt), 0);
	ck_assert_str_eq(table_routes(), "");
	ck_assert_int_eq(our_rules(AF_INET), 0);
	host_down();
}
END_TEST

/* Closing without route_remove_all() (keep-on-exit) leaves routes and rule. */
START_TEST(close_keeps)
{
	HOST_UP_OR_SKIP();
	ck_assert_int_eq(route_install_group(rt, group("a"), NULL), 0);
	route_close(rt);
	rt = NULL;
	ck_assert_str_eq(table_routes(), "10.40.1.0/24 src 10.30.1.1\n");
	ck_assert_int_eq(our_rules(AF_INET), 1);
	host_down();
}
END_TEST

/* The rule skips the datapath's marked packets; an older run's rule
 * without that condition is replaced, not kept beside it. */
START_TEST(rule_not_fwmark)
{
	const char *rules;

	HOST_UP_OR_SKIP();
	leave_rule(); /* an older release's: no condition */
	ck_assert_int_eq(route_install_group(rt, group("a"), NULL), 0);
	ck_assert_int_eq(our_rules(AF_INET), 1);
	rules = ip_says("-4 rule show priority 9000");
	ck_assert_msg(strstr(rules, "not from all fwmark 0x53470000/0xffff0000 lookup 2336") != NULL,
		      "%s", rules);
	/* a restart takes it over as it is */
	route_close(rt);
	ck_assert_int_eq(route_open(&rt, TABLE, MARK, MASK, am), 0);
	ck_assert_int_eq(route_install_group(rt, group("b"), NULL), 0);
	ck_assert_int_eq(our_rules(AF_INET), 1);
	route_remove_all(rt);
	ck_assert_int_eq(our_rules(AF_INET), 0);
	host_down();
}
END_TEST

/* Userspace groups: dst-ts into the device with `mtu lock`; a prefix
 * cannot lead to both datapaths; the path MTU comes from the device. */
START_TEST(dev_routes)
{
	struct reason why = { "" };
	const char *routes;
	uint32_t mtu = 0;

	HOST_UP_OR_SKIP();
	ck_assert_int_eq(route_path_mtu(rt, group("a"), &mtu, &why), 0);
	ck_assert_uint_eq(mtu, 65536); /* the peer is behind lo */
	ck_assert_int_eq(route_path_mtu(rt, group("t"), &mtu, &why), 0);
	ck_assert_int_eq(route_path_mtu(rt, group("e"), &mtu, &why), -ENETUNREACH);
	ck_assert_int_eq(route_install_dev(rt, group("a"), 1, 1400, &why), 0);
	ck_assert_int_eq(route_install_dev(rt, group("t"), 1, 1300, &why), 0);
	routes = ip_says("-4 route show table 2336");
	ck_assert_msg(strstr(routes, "10.40.1.0/24 dev lo proto static scope link src 10.30.1.1 mtu lock 1400") !=
		      NULL, "%s", routes);
	ck_assert_msg(strstr(routes, "10.40.5.0/24 dev lo proto static scope link mtu lock 1300") != NULL, "%s",
		      routes);
	/* b shares 10.40.1.0/24 with a, but b is the kernel's */
	ck_assert_int_eq(route_install_group(rt, group("b"), &why), -EEXIST);
	ck_assert_str_eq(why.text,
			 "dst-ts 10.40.1.0/24 is routed for group a of the userspace datapath");
	ck_assert_uint_eq(route_count(rt), 2); /* b's 10.40.2.0/24 released again */
	ck_assert_int_eq(route_remove_group(rt, group("a")), 0);
	ck_assert_int_eq(route_install_group(rt, group("b"), &why), 0);
	route_remove_all(rt);
	ck_assert_str_eq(table_routes(), "");
	host_down();
}
END_TEST

static Suite *route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, wanted);
	tcase_add_test(tc, shared_routes);
	tcase_add_test(tc, no_route_to_peer);
	tcase_add_test(tc, leftovers);
	tcase_add_test(tc, close_keeps);
	tcase_add_test(tc, rule_not_fwmark);
	tcase_add_test(tc, dev_routes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(route_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
