/* check_runtime.c: runtime objects and their handover from one sadb to the
 * next (runtime.h), and the datapath's group snapshots (dpsnap.h). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "dpsnap.h"
#include "runtime.h"
#include "sadb.h"
#include "snap.h"

static bool host_a(const struct ip_addr *a, void *arg)
{
	struct ip_addr x;

	(void)arg;
	ck_assert_int_eq(ip_addr_parse("192.0.2.1", &x, NULL, 0), 0);
	return ip_addr_equal(&x, a);
}

static struct cfg *parse(const char *text)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("t.conf", &errs);
	char *copy = strdup(text), *line, *save = NULL;
	struct cfg *c;

	ck_assert_ptr_nonnull(p);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cfg_parser_line(p, line);
	free(copy);
	c = cfg_parser_finish(p);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	cfg_errors_free(&errs);
	return c;
}

static struct sadb *build(const struct cfg *c)
{
	struct cfg_errors errs = { 0 };
	struct sadb *db = sadb_build(c, host_a, NULL, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(db);
	cfg_errors_free(&errs);
	return db;
}

#define KEY1 "0x0123456789abcdef0123456789abcdef"
#define KEY2 "0x5555555555555555aaaaaaaaaaaaaaaa"
#define AUTHKEY "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define ESP(spi, key)                                                                \
	"[sa esp." spi "@192.0.2.2]\nsrc = 192.0.2.1\nenc = aes128\nenckey = " key "\n" \
	"auth = sha256\nauthkey = " AUTHKEY "\n"
#define COMP(cpi) "[sa comp." cpi "@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
#define GROUP(name, saids, ts) \
	"[group " name "]\nsaid = " saids "\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.9." ts ".0/24\n"

/* Three groups: x (comp+esp), y (comp), z (esp); then x's ESP key
 * changes, y stays, z goes, w comes. */
static const char before[] = COMP("300") ESP("1000", KEY1) GROUP("x", "comp.300@192.0.2.2 esp.1000@192.0.2.2", "1")
	COMP("301") GROUP("y", "comp.301@192.0.2.2", "2")
	ESP("1001", KEY1) GROUP("z", "esp.1001@192.0.2.2", "3");
static const char after[] = COMP("302") GROUP("w", "comp.302@192.0.2.2", "4")
	COMP("301") GROUP("y", "comp.301@192.0.2.2", "2")
	COMP("300") ESP("1000", KEY2) GROUP("x", "comp.300@192.0.2.2 esp.1000@192.0.2.2", "1");

START_TEST(test_new)
{
	struct cfg *c = parse("[daemon]\ndatapath = userspace\n" COMP("300")
			      "[sa comp.301@198.51.100.2]\nsrc = 198.51.100.1\ncomp = deflate\n");
	struct sadb *db = build(c);
	struct runtime *rt = rt_new(db);
	struct reason why;

	ck_assert_ptr_nonnull(rt);
	ck_assert_uint_eq(rt->n, 2);
	ck_assert_ptr_eq(rt_of(rt, db->group[0]), rt->group[0]);
	ck_assert_int_eq(rt->group[0]->state, RT_PENDING);
	ck_assert_int_eq(rt->group[0]->place, PLACE_USERSPACE);
	rt_place_why(rt->group[0], db->group[0], &why);
	ck_assert_str_eq(why.text, "datapath = userspace in [daemon]");
	ck_assert(!rt->group[0]->probed);
	ck_assert_uint_eq(rt->group[0]->nsa, 1);
	ck_assert_uint_eq(rt->group[0]->sa[0]->ctr.bytes, 0);
	/* neither end local: skipped from the start, with sadb's reason */
	ck_assert_int_eq(rt->group[1]->state, RT_SKIPPED);
	ck_assert_str_eq(rt->group[1]->why.text,
			 "neither 198.51.100.1 nor 198.51.100.2 is a local address");
	rt_free(rt);
	rt_free(NULL);
	sadb_free(db);
	cfg_free(c);
}
END_TEST

START_TEST(test_handover)
{
	struct cfg *c1 = parse(before), *c2 = parse(after);
	struct sadb *db1 = build(c1), *db2 = build(c2);
	struct runtime *rt1 = rt_new(db1), *rt2;
	struct rt_group *x, *y, *z;
	struct rt_sa *xcomp, *xesp;
	size_t kept = 99;

	ck_assert_ptr_nonnull(rt1);
	x = rt_of(rt1, sadb_find_group(db1, "x"));
	y = rt_of(rt1, sadb_find_group(db1, "y"));
	z = rt_of(rt1, sadb_find_group(db1, "z"));
	xcomp = x->sa[0];
	xesp = x->sa[1];
	rt_set_state(y, RT_INSTALLED, "installed");
	y->sa[0]->ctr.bytes = 1234;
	xcomp->ctr.packets = 5;
	rt2 = rt_handover(rt1, db1, db2, &kept);
	ck_assert_ptr_nonnull(rt2);
	ck_assert_uint_eq(kept, 1);
	/* y: the same object, state and counters with it */
	ck_assert_ptr_eq(rt_of(rt2, sadb_find_group(db2, "y")), y);
	ck_assert_int_eq(y->state, RT_INSTALLED);
	ck_assert_uint_eq(y->sa[0]->ctr.bytes, 1234);
	/* x changed: a new group object; its comp SA is the same SA, the ESP
	 * one (new key) is not */
	ck_assert_ptr_ne(rt_of(rt2, sadb_find_group(db2, "x")), x);
	ck_assert_ptr_eq(rt_of(rt2, sadb_find_group(db2, "x"))->sa[0], xcomp);
	ck_assert_uint_eq(xcomp->ctr.packets, 5);
	ck_assert_ptr_ne(rt_of(rt2, sadb_find_group(db2, "x"))->sa[1], xesp);
	ck_assert_int_eq(rt_of(rt2, sadb_find_group(db2, "w"))->state, RT_PENDING);
	/* what stayed behind: x (without its comp SA) and z */
	ck_assert_ptr_eq(rt1->group[sadb_find_group(db1, "x")->index], x);
	ck_assert_ptr_null(x->sa[0]);
	ck_assert_ptr_eq(x->sa[1], xesp);
	ck_assert_ptr_eq(rt1->group[sadb_find_group(db1, "z")->index], z);
	ck_assert_ptr_null(rt1->group[sadb_find_group(db1, "y")->index]);
	rt_free(rt1);
	sadb_free(db1);
	cfg_free(c1);
	/* and once more: everything equal, everything kept */
	{
		struct cfg *c3 = parse(after);
		struct sadb *db3 = build(c3);
		struct runtime *rt3 = rt_handover(rt2, db2, db3, &kept);

		ck_assert_ptr_nonnull(rt3);
		ck_assert_uint_eq(kept, 3);
		for (size_t i = 0; i < rt2->n; i++)
			ck_assert_ptr_null(rt2->group[i]);
		ck_assert_ptr_eq(rt_of(rt3, sadb_find_group(db3, "y")), y);
		rt_free(rt2);
		sadb_free(db2);
		cfg_free(c2);
		rt_free(rt3);
		sadb_free(db3);
		cfg_free(c3);
	}
}
END_TEST

START_TEST(test_reset_and_names)
{
	struct cfg *c = parse(COMP("300"));
	struct sadb *db = build(c);
	struct runtime *rt = rt_new(db);
	struct rt_group *r = rt->group[0];
	char longer[600];

	rt_set_state(r, RT_REFUSED, "kernel said %d", -17);
	ck_assert_int_eq(r->state, RT_REFUSED);
	ck_assert_str_eq(r->why.text, "kernel said -17");
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	rt_set_state(r, RT_LOST, "%s", longer);
	ck_assert_uint_eq(strlen(r->why.text), REASON_LEN - 1);
	ck_assert_str_eq(r->why.text + REASON_LEN - 4, "...");
	rt_reset(r, db->group[0]);
	ck_assert_int_eq(r->state, RT_PENDING);
	ck_assert_str_eq(r->why.text, "");
	ck_assert_str_eq(rt_state_name(RT_PENDING), "pending");
	ck_assert_str_eq(rt_state_name(RT_INSTALLED), "installed");
	ck_assert_str_eq(rt_state_name(RT_REFUSED), "refused");
	ck_assert_str_eq(rt_state_name(RT_SKIPPED), "skipped");
	ck_assert_str_eq(rt_state_name(RT_LOST), "lost");
	ck_assert_str_eq(rt_state_name((enum rt_state)42), "unknown");
	rt_free(rt);
	sadb_free(db);
	cfg_free(c);
}
END_TEST

/* ---- datapath snapshots ---- */

static unsigned char seen[4096];
static size_t seen_len;
static int released;

/* Keeps a copy of the block as it is when the snapshot lets it go. */
static void look_then_free(void *data, size_t len)
{
	ck_assert_uint_le(len, sizeof(seen));
	memcpy(seen, data, len);
	seen_len = len;
	released++;
}

START_TEST(test_dpsnap_outlives_cfg)
{
	struct cfg *c = parse(COMP("300") ESP("1000", KEY1) GROUP("x", "comp.300@192.0.2.2 esp.1000@192.0.2.2", "1"));
	struct sadb *db = build(c);
	struct snap *s = dpsnap_build(sadb_find_group(db, "x"), look_then_free), *s2;
	static const uint8_t key[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	const struct dpsnap_group *g;
	char said[SAID_BUF];

	ck_assert_ptr_nonnull(s);
	/* keys in OpenSSL's secure heap: locked, out of core dumps */
	ck_assert(dpsnap_locked(s));
	released = 0;
	/* the model and the config go (a reload): the snapshot stays whole */
	sadb_free(db);
	cfg_free(c);
	g = dpsnap_group(s);
	ck_assert_str_eq(g->name, "x");
	ck_assert_int_eq(g->dir, SADB_DIR_OUT);
	ck_assert_uint_eq(g->nsa, 2);
	ck_assert_uint_eq(g->nsrc_ts, 1);
	ck_assert_uint_eq(g->src_ts[0].len, 24);
	said_format(&g->sa[1].said, '0', said, sizeof(said));
	ck_assert_str_eq(said, "esp.1000@192.0.2.2");
	ck_assert_str_eq(g->sa[1].enc->name, "aes128");
	ck_assert_str_eq(g->sa[0].comp->name, "deflate");
	ck_assert_uint_eq(g->sa[1].enckey_len, 16);
	ck_assert_mem_eq(g->sa[1].enckey, key, 16);
	ck_assert_uint_eq(g->sa[1].authkey_len, 32);
	ck_assert_ptr_null(g->sa[0].enckey);
	ck_assert_uint_eq(g->sa[1].replay_window, 32);
	/* a second holder; the first put does not free */
	s2 = snap_get(s);
	snap_put(s);
	ck_assert_int_eq(released, 0);
	ck_assert_mem_eq(dpsnap_group(s2)->sa[1].enckey, key, 16);
	/* the last put wipes every byte before the block is freed */
	snap_put(s2);
	ck_assert_int_eq(released, 1);
	ck_assert_uint_gt(seen_len, sizeof(*g) + 16);
	for (size_t i = 0; i < seen_len; i++)
		ck_assert_msg(seen[i] == 0, "byte %zu of %zu not wiped", i, seen_len);
}
END_TEST

START_TEST(test_dpsnap_shunt)
{
	struct cfg *c = parse("[group p]\nsaid = %pass\nsrc-ts = 10.0.1.0/24,10.0.3.0/24\n"
			      "dst-ts = 10.9.9.0/24\nproto = tcp\ndport = 80\n");
	struct sadb *db = build(c);
	struct snap *s = dpsnap_build(db->group[0], NULL);
	const struct dpsnap_group *g = dpsnap_group(s);

	sadb_free(db);
	cfg_free(c);
	ck_assert(g->shunt);
	ck_assert_uint_eq(g->nsa, 0);
	ck_assert_ptr_null(g->sa);
	ck_assert_uint_eq(g->nsrc_ts, 2);
	ck_assert_uint_eq(g->src_ts[1].len, 24);
	ck_assert_uint_eq(g->proto, 6);
	ck_assert_uint_eq(g->dport, 80);
	snap_put(s);
}
END_TEST

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("runtime");

	tcase_add_test(tc, test_new);
	tcase_add_test(tc, test_handover);
	tcase_add_test(tc, test_reset_and_names);
	tcase_add_test(tc, test_dpsnap_outlives_cfg);
	tcase_add_test(tc, test_dpsnap_shunt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(runtime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
