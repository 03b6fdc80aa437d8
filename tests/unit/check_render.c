/* check_render.c: the ipsec_spigrp and ipsec_version texts.
 *
 * The sadb and its runtime are built by hand here (struct sadb_group /
 * sadb_sa from sadb.h, struct rt_group from runtime.h), so this test needs
 * nothing from sadb.c.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The seed's two lines (spec/ipsec_spigrp.5.seed.txt), byte for byte. */
#define SEED4 "tun.3d0@192.168.2.110 comp.3d0@192.168.2.110 esp.187a101b@192.168.2.110 " \
	"ah.187a101a@192.168.2.110 \n"
#define SEED6 "tun:3d0@3049:1::2 comp:3d0@3049:1::2 esp:187a101b@3049:1::2 " \
	"ah:187a101a@3049:1::2 \n"
#define SEED4X "tun0x3d0@192.168.2.110 comp0x3d0@192.168.2.110 " \
	"esp0x187a101b@192.168.2.110 ah0x187a101a@192.168.2.110 \n"
#define SEED6X "tun0x3d0@3049:1::2 comp0x3d0@3049:1::2 esp0x187a101b@3049:1::2 " \
	"ah0x187a101a@3049:1::2 \n"

/* ---- a hand-made sadb ---- */

/* An SA with the cfg_sa its cfg points at (a sadb borrows it from the cfg). */
struct tsa {
	struct sadb_sa sa; /* first: the address of both */
	struct cfg_sa cs;
};

struct tdb {
	struct sadb db;
	struct runtime rt; /* rt.group[i]: db.group[i]'s */
	size_t cap;
};

static struct tdb *tdb_new(void)
{
	struct tdb *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	return t;
}

/* Add a group of the given SAIDs (NULL-terminated list; a single magic
 * SAID makes a shunt group) with @order and @state. */
static struct sadb_group *tdb_add(struct tdb *t, uint64_t order, enum rt_state state, ...)
{
	struct sadb_group *g = calloc(1, sizeof(*g));
	const char *text;
	struct tsa *ts;
	va_list ap;

	ck_assert_ptr_nonnull(g);
	g->order = order;
	g->index = t->db.ngroup;
	va_start(ap, state);
	while ((text = va_arg(ap, const char *)) != NULL) {
		struct said s;
		char err[256] = "";

		ck_assert_msg(said_parse(text, &s, err, sizeof(err)) == 0, "%s", err);
		if (said_is_magic(&s)) {
			g->shunt = true;
			g->shunt_said = s;
			continue;
		}
		ck_assert_uint_lt(g->nsa, ARRAY_SIZE(g->sa));
		ts = calloc(1, sizeof(*ts));
		ck_assert_ptr_nonnull(ts);
		ts->cs.said = s;
		ts->sa.cfg = &ts->cs;
		g->sa[g->nsa] = &ts->sa; /* first member: free(g->sa[k]) frees ts */
		g->sa[g->nsa]->group = g;
		g->nsa++;
	}
	va_end(ap);
	if (t->db.ngroup == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->db.group = realloc(t->db.group, t->cap * sizeof(*t->db.group));
		t->rt.group = realloc(t->rt.group, t->cap * sizeof(*t->rt.group));
		ck_assert_ptr_nonnull(t->db.group);
		ck_assert_ptr_nonnull(t->rt.group);
	}
	t->rt.group[t->rt.n] = calloc(1, sizeof(struct rt_group));
	ck_assert_ptr_nonnull(t->rt.group[t->rt.n]);
	t->rt.group[t->rt.n++]->state = state;
	t->db.group[t->db.ngroup++] = g;
	return g;
}

static void tdb_free(struct tdb *t)
{
	for (size_t i = 0; i < t->db.ngroup; i++) {
		for (unsigned k = 0; k < t->db.group[i]->nsa; k++)
			free(t->db.group[i]->sa[k]);
		free(t->db.group[i]);
		free(t->rt.group[i]);
	}
	free(t->db.group);
	free(t->rt.group);
	free(t);
}

static void add_seed(struct tdb *t, uint64_t o4, uint64_t o6)
{
	tdb_add(t, o4, RT_INSTALLED, "tun.3d0@192.168.2.110", "comp.3d0@192.168.2.110",
		"esp.187a101b@192.168.2.110", "ah.187a101a@192.168.2.110", NULL);
	tdb_add(t, o6, RT_INSTALLED, "tun:3d0@3049:1::2", "comp:3d0@3049:1::2",
		"esp:187a101b@3049:1::2", "ah:187a101a@3049:1::2", NULL);
}

/* The buffer holds exactly @want (same length, same bytes, NUL after). */
static void assert_text(const struct strbuf *b, const char *want)
{
	ck_assert_ptr_nonnull(b->s);
	ck_assert_msg(b->len == strlen(want) && memcmp(b->s, want, b->len) == 0,
		      "got [%.*s] (%zu bytes), want [%s] (%zu bytes)", (int)b->len, b->s,
		      b->len, want, strlen(want));
	ck_assert_int_eq(b->s[b->len], '\0');
	ck_assert_int_eq(b->oom, 0);
}

/* ---- tests ---- */

START_TEST(test_seed)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	add_seed(t, 1, 2);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, SEED4 SEED6);
	/* rendering again from scratch gives the same bytes */
	strbuf_free(&b);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, SEED4 SEED6);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

START_TEST(test_seed_x)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	add_seed(t, 1, 2);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_X, &b), 0);
	assert_text(&b, SEED4X SEED6X);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

/* Only INSTALLED groups are in the view. */
static const struct {
	enum rt_state st;
	bool shown;
} states[] = {
	{ RT_PENDING, false },
	{ RT_INSTALLED, true },
	{ RT_REFUSED, false },
	{ RT_SKIPPED, false },
	{ RT_LOST, false },
};

START_TEST(test_states)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	tdb_add(t, 1, RT_INSTALLED, "esp.100@192.0.2.1", NULL);
	tdb_add(t, 2, states[_i].st, "esp.200@192.0.2.2", "ah.201@192.0.2.2", NULL);
	tdb_add(t, 3, states[_i].st, "%drop", NULL);
	tdb_add(t, 4, RT_INSTALLED, "esp.400@192.0.2.4", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	if (states[_i].shown)
		assert_text(&b, "esp.100@192.0.2.1 \n"
				"esp.200@192.0.2.2 ah.201@192.0.2.2 \n"
				"%drop \n"
				"esp.400@192.0.2.4 \n");
	else
		assert_text(&b, "esp.100@192.0.2.1 \nesp.400@192.0.2.4 \n");
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

START_TEST(test_seed_with_others_not_installed)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	tdb_add(t, 0, RT_REFUSED, "esp.1@10.0.0.1", NULL);
	add_seed(t, 5, 9);
	tdb_add(t, 7, RT_LOST, "esp.2@10.0.0.2", NULL);
	tdb_add(t, 10, RT_PENDING, "%pass", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, SEED4 SEED6);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

/* Lines follow `order`, not the array position. */
START_TEST(test_order)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	tdb_add(t, 30, RT_INSTALLED, "esp.3@10.0.0.3", NULL);
	tdb_add(t, 10, RT_INSTALLED, "esp.1@10.0.0.1", NULL);
	tdb_add(t, 40, RT_INSTALLED, "esp.4@10.0.0.4", NULL);
	tdb_add(t, 20, RT_INSTALLED, "esp.2@10.0.0.2", NULL);
	tdb_add(t, 15, RT_REFUSED, "esp.15@10.0.0.15", NULL);
	tdb_add(t, 0xffffffffffULL, RT_INSTALLED, "esp.5@10.0.0.5", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, "esp.1@10.0.0.1 \nesp.2@10.0.0.2 \nesp.3@10.0.0.3 \n"
			"esp.4@10.0.0.4 \nesp.5@10.0.0.5 \n");
	strbuf_free(&b);
	tdb_free(t);

	/* the seed's lines swap when their orders do */
	t = tdb_new();
	add_seed(t, 2, 1);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, SEED6 SEED4);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

START_TEST(test_empty)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, "");
	strbuf_free(&b);
	ck_assert_int_eq(render_spigrp(NULL, NULL, CFG_SAID_X, &b), 0);
	assert_text(&b, "");
	strbuf_free(&b);
	/* no runtime: nothing is installed */
	tdb_add(t, 0, RT_INSTALLED, "esp.9@10.0.0.9", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, NULL, CFG_SAID_X, &b), 0);
	assert_text(&b, "");
	strbuf_free(&b);
	t->rt.group[0]->state = RT_REFUSED;
	/* groups, none installed */
	tdb_add(t, 1, RT_PENDING, "esp.1@10.0.0.1", NULL);
	tdb_add(t, 2, RT_SKIPPED, "esp.2@10.0.0.2", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_X, &b), 0);
	assert_text(&b, "");
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

/* Shunt groups print their magic SAID, by name in every format. */
static const struct {
	const char *said, *line;
} shunts[] = {
	{ "%pass", "%pass \n" },
	{ "%drop", "%drop \n" },
	{ "%reject", "%reject \n" },
	{ "%hold", "%hold \n" },
	{ "%trap", "%trap \n" },
	{ "%trapsubnet", "%trapsubnet \n" },
	{ "%passthrough", "%passthrough4 \n" },
	{ "%passthrough6", "%passthrough6 \n" },
	{ "int256@0.0.0.0", "%pass \n" },
};

START_TEST(test_shunt)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;
	char want[64];

	tdb_add(t, 1, RT_INSTALLED, shunts[_i].said, NULL);
	ck_assert(t->db.group[0]->shunt);
	ck_assert_uint_eq(t->db.group[0]->nsa, 0);
	tdb_add(t, 2, RT_INSTALLED, "esp.1@10.0.0.1", NULL);
	snprintf(want, sizeof(want), "%sesp.1@10.0.0.1 \n", shunts[_i].line);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, want);
	strbuf_free(&b);
	snprintf(want, sizeof(want), "%sesp0x1@10.0.0.1 \n", shunts[_i].line);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_X, &b), 0);
	assert_text(&b, want);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

/* 1 to 5 SAs per line (4 plus a tun), mixed families, implicit groups. */
START_TEST(test_shapes)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	tdb_add(t, 1, RT_INSTALLED, "esp0x1234@1.2.3.4", NULL)->implicit = true;
	tdb_add(t, 2, RT_INSTALLED, "tun.100@10.0.0.1", "esp.100@10.0.0.1", NULL);
	tdb_add(t, 3, RT_INSTALLED, "comp:3d0@1:0:0:1:0:0:0:1", "esp:1000@1:0:0:1:0:0:0:1",
		"ah:1001@1:0:0:1:0:0:0:1", NULL);
	tdb_add(t, 4, RT_INSTALLED, "tun.200@10.0.0.2", "comp.200@10.0.0.2",
		"esp.200@10.0.0.2", "ah.201@10.0.0.2", "tun.300@10.0.0.3", NULL);
	tdb_add(t, 5, RT_INSTALLED, "esp.ffffffff@255.255.255.255", "ah:ffffffff@::", NULL);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	assert_text(&b, "esp.1234@1.2.3.4 \n"
			"tun.100@10.0.0.1 esp.100@10.0.0.1 \n"
			"comp:3d0@1::1:0:0:0:1 esp:1000@1::1:0:0:0:1 ah:1001@1::1:0:0:0:1 \n"
			"tun.200@10.0.0.2 comp.200@10.0.0.2 esp.200@10.0.0.2 ah.201@10.0.0.2 "
			"tun.300@10.0.0.3 \n"
			"esp.ffffffff@255.255.255.255 ah:ffffffff@:: \n");
	strbuf_free(&b);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_X, &b), 0);
	assert_text(&b, "esp0x1234@1.2.3.4 \n"
			"tun0x100@10.0.0.1 esp0x100@10.0.0.1 \n"
			"comp0x3d0@1::1:0:0:0:1 esp0x1000@1::1:0:0:0:1 ah0x1001@1::1:0:0:0:1 \n"
			"tun0x200@10.0.0.2 comp0x200@10.0.0.2 esp0x200@10.0.0.2 ah0x201@10.0.0.2 "
			"tun0x300@10.0.0.3 \n"
			"esp0xffffffff@255.255.255.255 ah0xffffffff@:: \n");
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

/* Appending: version then spigrp into one buffer. */
START_TEST(test_append)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	add_seed(t, 1, 2);
	ck_assert_int_eq(render_version(&b), 0);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_X, &b), 0);
	assert_text(&b, "spigrpd version: " PACKAGE_VERSION "\n" SEED4 SEED6 SEED4X SEED6X);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

START_TEST(test_version)
{
	struct strbuf b = STRBUF_INIT;
	size_t p = strlen("spigrpd version: ");

	ck_assert_int_eq(render_version(&b), 0);
	assert_text(&b, "spigrpd version: " PACKAGE_VERSION "\n");
	/* the version is a real one: digits and dots, one line */
	ck_assert_uint_gt(b.len, p + 1);
	ck_assert(b.s[p] >= '0' && b.s[p] <= '9');
	ck_assert_ptr_eq(strchr(b.s, '\n'), b.s + b.len - 1);
	strbuf_free(&b);
	ck_assert_ptr_null(b.s);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	strbuf_free(&b); /* twice is fine */
}
END_TEST

START_TEST(test_errors)
{
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;

	add_seed(t, 1, 2);
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, (enum cfg_said_format)7, &b), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	/* a buffer that already ran out of memory stays failed and unchanged */
	b.oom = 1;
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), -ENOMEM);
	ck_assert_int_eq(render_version(&b), -ENOMEM);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_null(b.s);
	strbuf_free(&b);
	ck_assert_int_eq(b.oom, 0);
	tdb_free(t);
}
END_TEST

/*
 * 100,000 seed-shaped groups (every 10th not installed, stored in reverse
 * order).  Checks the text only: speed is measured in bench/, never here.
 */
START_TEST(test_large)
{
	enum { N = 100000 };
	struct tdb *t = tdb_new();
	struct strbuf b = STRBUF_INIT;
	char line[256], a4[32];
	size_t expect = 0, lines = 0, off = 0;

	for (int i = N - 1; i >= 0; i--) {
		char s1[64], s2[64], s3[64], s4[64];

		snprintf(a4, sizeof(a4), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		snprintf(s1, sizeof(s1), "tun.%x@%s", i + 256, a4);
		snprintf(s2, sizeof(s2), "comp.%x@%s", (i & 0xffff) + 256, a4);
		snprintf(s3, sizeof(s3), "esp.%x@%s", 0x10000000 + i, a4);
		snprintf(s4, sizeof(s4), "ah.%x@%s", 0x20000000 + i, a4);
		tdb_add(t, (uint64_t)i, i % 10 == 3 ? RT_REFUSED : RT_INSTALLED,
			s1, s2, s3, s4, NULL);
	}
	ck_assert_int_eq(render_spigrp(&t->db, &t->rt, CFG_SAID_SEED, &b), 0);

	for (int i = 0; i < N; i++) {
		int n;

		if (i % 10 == 3)
			continue;
		snprintf(a4, sizeof(a4), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		n = snprintf(line, sizeof(line), "tun.%x@%s comp.%x@%s esp.%x@%s ah.%x@%s \n",
			     i + 256, a4, (i & 0xffff) + 256, a4, 0x10000000 + i, a4,
			     0x20000000 + i, a4);
		ck_assert_msg(off + (size_t)n <= b.len && memcmp(b.s + off, line, (size_t)n) == 0,
			      "line %zu differs: want %s", lines, line);
		off += (size_t)n;
		expect += (size_t)n;
		lines++;
	}
	ck_assert_uint_eq(b.len, expect);
	ck_assert_uint_eq(lines, N - N / 10);
	strbuf_free(&b);
	tdb_free(t);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("spigrp");

	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_seed_x);
	tcase_add_loop_test(tc, test_states, 0, ARRAY_SIZE(states));
	tcase_add_test(tc, test_seed_with_others_not_installed);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_empty);
	tcase_add_loop_test(tc, test_shunt, 0, ARRAY_SIZE(shunts));
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_large);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
