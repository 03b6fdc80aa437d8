/* check_kernops.c: the real ops table (kernops.c) hands every call to kern/
 * unchanged.  kern/ is replaced here by stubs that record their calls (link
 * seams: xfrm.h, route.h, addrmon.h), so no netlink is needed. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addrmon.h"
#include "cfg.h"
#include "kernops.h"
#include "kview.h"
#include "nft.h"
#include "route.h"
#include "routelist.h"
#include "reconcile.h"
#include "xfrm.h"
#include "xfrm_own.h"

static char calls[256];
static int open_err;
static int fake_xfrm;

static void called(const char *what)
{
	strncat(calls, what, sizeof(calls) - strlen(calls) - 1);
	strncat(calls, " ", sizeof(calls) - strlen(calls) - 1);
}

int xfrm_open(struct xfrm **out)
{
	called("open");
	*out = open_err ? NULL : (struct xfrm *)&fake_xfrm;
	return open_err;
}

void xfrm_close(struct xfrm *x)
{
	ck_assert_ptr_eq(x, &fake_xfrm);
	called("close");
}

void xfrm_set_state_dir(struct xfrm *x, const char *dir)
{
	ck_assert_ptr_eq(x, &fake_xfrm);
	ck_assert_str_eq(dir, "/state");
	called("statedir");
}

int xfrm_probe_group(struct xfrm *x, const struct sadb_group *g, struct reason *why)
{
	(void)x;
	(void)g;
	reason_set(why, "no ESP");
	called("probe");
	return -EPROTONOSUPPORT;
}

int xfrm_install_group_seq(struct xfrm *x, const struct sadb_group *g, const uint64_t *first,
			   struct reason *why)
{
	(void)x;
	(void)g;
	(void)why;
	ck_assert_uint_eq(first[0], 9);
	called("install");
	return 0;
}

int xfrm_remove_group_final(struct xfrm *x, const struct sadb_group *g, uint64_t *last,
			    struct reason *why)
{
	(void)x;
	(void)g;
	(void)why;
	last[0] = 5;
	called("remove");
	return 0;
}

int xfrm_adopt(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	(void)x;
	(void)db;
	(void)o;
	called("adopt");
	return 2;
}

int xfrm_event_fd(struct xfrm *x)
{
	(void)x;
	return 42;
}

int xfrm_process_events(struct xfrm *x, const struct sadb *db, const struct xfrm_owner *o)
{
	(void)x;
	(void)db;
	(void)o;
	called("events");
	return 1;
}

int xfrm_read_counters(struct xfrm *x, const struct sadb_group *g, struct sa_counters *ctr)
{
	(void)x;
	(void)g;
	ctr[0].bytes = 7;
	called("counters");
	return 0;
}

int xfrm_foreign_view(struct xfrm *x, struct kview *v)
{
	ck_assert_ptr_eq(x, &fake_xfrm);
	ck_assert_ptr_nonnull(v);
	called("foreign");
	return 0;
}

void xfrm_view_gen(const struct xfrm *x, uint64_t *objects, uint64_t *counters)
{
	ck_assert_ptr_eq(x, &fake_xfrm);
	*objects = 3;
	*counters = 4;
}

int xfrm_mirror_refresh(struct xfrm *x)
{
	ck_assert_ptr_eq(x, &fake_xfrm);
	called("refresh");
	return 0;
}

static int fake_am, fake_route, fake_nft, addr_changes;

int addrmon_open(struct addrmon **out)
{
	called("am");
	*out = (struct addrmon *)&fake_am;
	return 0;
}

void addrmon_close(struct addrmon *am)
{
	if (am)
		called("am-close");
}

int addrmon_fd(const struct addrmon *am)
{
	ck_assert_ptr_eq(am, &fake_am);
	return 43;
}

int addrmon_process(struct addrmon *am)
{
	ck_assert_ptr_eq(am, (struct addrmon *)&fake_am);
	return addr_changes;
}

bool addrmon_is_local(const struct ip_addr *a, void *am)
{
	ck_assert_ptr_eq(am, &fake_am);
	called("local");
	return a->family == AF_INET;
}

int route_open(struct route **out, uint32_t table, uint32_t fwmark, uint32_t fwmask,
	       struct addrmon *am)
{
	ck_assert_uint_eq(table, 2336);
	ck_assert_uint_eq(fwmark, 0x42);
	ck_assert_uint_eq(fwmask, 0xff);
	ck_assert_ptr_eq(am, (struct addrmon *)&fake_am);
	called("route-open");
	*out = (struct route *)&fake_route;
	return 0;
}

void route_close(struct route *r)
{
	if (r)
		called("route-close");
}

bool route_wanted(const struct route *r, const struct sadb_group *g)
{
	return r && g->dir == SADB_DIR_OUT;
}

int route_install_dev(struct route *r, const struct sadb_group *g, int ifindex, uint32_t mtu,
		      struct reason *why)
{
	(void)g;
	(void)why;
	ck_assert_ptr_eq(r, (struct route *)&fake_route);
	ck_assert_int_eq(ifindex, 9);
	ck_assert_uint_eq(mtu, 1400);
	called("dev+");
	return 0;
}

int route_path_mtu(struct route *r, const struct sadb_group *g, uint32_t *mtu,
		   struct reason *why)
{
	(void)g;
	(void)why;
	ck_assert_ptr_eq(r, (struct route *)&fake_route);
	*mtu = 1500;
	return 0;
}

int route_install_group(struct route *r, const struct sadb_group *g, struct reason *why)
{
	(void)g;
	(void)why;
	ck_assert_ptr_eq(r, (struct route *)&fake_route);
	called("route+");
	return 0;
}

int route_remove_group(struct route *r, const struct sadb_group *g)
{
	(void)g;
	ck_assert_ptr_eq(r, (struct route *)&fake_route);
	called("route-");
	return 0;
}

int nft_open(struct nft **out, const char *tun, struct reason *why)
{
	(void)why;
	ck_assert_str_eq(tun, "spigrp0");
	called("nft-open");
	*out = (struct nft *)&fake_nft;
	return 0;
}

int nft_set_groups(struct nft *n, const struct nft_group *g, size_t ngroup, struct reason *why)
{
	(void)why;
	ck_assert_ptr_eq(n, (struct nft *)&fake_nft);
	ck_assert_uint_eq(ngroup, 1);
	ck_assert_str_eq(g[0].name, "g");
	ck_assert_ptr_nonnull(g[0].ipip_src); /* the outermost SA is COMP */
	called("nft-set");
	return 0;
}

int nft_remove(struct nft *n, struct reason *why)
{
	(void)why;
	ck_assert_ptr_eq(n, (struct nft *)&fake_nft);
	called("nft-remove");
	return 0;
}

void nft_close(struct nft *n)
{
	if (n)
		called("nft-close");
}

void route_remove_all(struct route *r)
{
	if (r)
		called("cleanup");
}

int route_list(uint32_t table, struct strbuf *out, struct reason *why)
{
	(void)why;
	strbuf_printf(out, "table %u\n", table);
	called("route-list");
	return 0;
}

START_TEST(test_calls)
{
	const struct kern_ops *o = &kernops_real;
	struct cfg_sa comp = { .said = { .proto = SAID_PROTO_COMP } };
	struct sadb_sa sa = { .cfg = &comp };
	struct sadb_group g = { .name = "g", .dir = SADB_DIR_OUT, .sa = { &sa }, .nsa = 1 };
	const struct sadb_group *gp = &g;
	uint32_t mtu = 0;
	struct sa_counters ctr[1] = { { 0 } };
	struct reason why = { "" };
	struct ip_addr a = { .family = AF_INET };
	struct cfg c = { .state_dir = "/state", .install_routes = true, .route_table = 2336,
			 .fwmark = 0x42, .fwmask = 0xff, .tun_device = "spigrp0" };
	void *k = NULL;

	calls[0] = '\0';
	ck_assert_int_eq(kernops_open(&k, &c, &why), 0);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(o->probe(k, &g, &why), -EPROTONOSUPPORT);
	ck_assert_str_eq(why.text, "no ESP");
	ck_assert_int_eq(o->install(k, &g, (const uint64_t[]){ 9 }, &why), 0);
	{
		uint64_t last[1] = { 0 };

		ck_assert_int_eq(o->remove(k, &g, last, &why), 0);
		ck_assert_uint_eq(last[0], 5);
	}
	ck_assert_int_eq(o->adopt(k, NULL, NULL), 2);
	ck_assert_int_eq(o->events(k, NULL, NULL), 1);
	ck_assert_int_eq(o->read_counters(k, &g, ctr), 0);
	ck_assert_uint_eq(ctr[0].bytes, 7);
	ck_assert(o->route_wanted(k, &g));
	g.dir = SADB_DIR_IN;
	ck_assert(!o->route_wanted(k, &g));
	g.dir = SADB_DIR_OUT;
	ck_assert_int_eq(o->route_add(k, &g, &why), 0);
	ck_assert_int_eq(o->route_add_dev(k, &g, 9, 1400, &why), 0);
	ck_assert_int_eq(o->path_mtu(k, &g, &mtu, &why), 0);
	ck_assert_uint_eq(mtu, 1500);
	ck_assert_int_eq(o->route_del(k, &g), 0);
	o->route_cleanup(k);
	ck_assert_int_eq(o->filter_set(k, &gp, 1, &why), 0);
	o->filter_remove(k);
	ck_assert(o->is_local(&a, k));
	ck_assert_int_eq(o->event_fd(k), 42);
	ck_assert_int_eq(o->addr_fd(k), 43);
	ck_assert(!o->addr_changed(k));
	addr_changes = 1;
	ck_assert(o->addr_changed(k));
	addr_changes = -ENOBUFS; /* an error reading them: ask again */
	ck_assert(o->addr_changed(k));
	ck_assert_uint_eq(o->reqid_base, XFRM_OWN_REQID_BASE);
	ck_assert_uint_eq(o->reqid_count, XFRM_OWN_REQID_COUNT);
	{
		struct kview v = { 0 };
		uint64_t og = 0, cg = 0;

		ck_assert_int_eq(o->foreign_view(k, &v), 0);
		o->view_gen(k, &og, &cg);
		ck_assert_uint_eq(og, 3);
		ck_assert_uint_eq(cg, 4);
		ck_assert_int_eq(o->view_refresh(k), 0);
	}
	kernops_close(k);
	kernops_close(NULL);
	ck_assert_str_eq(calls, "am open statedir nft-open route-open probe install remove adopt events "
				"counters route+ dev+ route- cleanup nft-set nft-remove local foreign "
				"refresh route-close nft-close close am-close ");
}
END_TEST

START_TEST(test_open_fails)
{
	struct reason why = { "" };
	struct cfg c = { .state_dir = "/state" };
	void *k = &why;

	open_err = -EPROTONOSUPPORT;
	ck_assert_int_eq(kernops_open(&k, &c, &why), -EPROTONOSUPPORT);
	ck_assert_ptr_null(k);
	ck_assert_str_eq(why.text, "XFRM netlink: Protocol not supported");
}
END_TEST

static Suite *kernops_suite(void)
{
	Suite *s = suite_create("kernops");
	TCase *tc = tcase_create("kernops");

	tcase_add_test(tc, test_calls);
	tcase_add_test(tc, test_open_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kernops_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
