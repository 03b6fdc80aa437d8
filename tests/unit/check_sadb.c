/* check_sadb.c: the SA-group model built from parsed configs. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "place.h"
#include "reqid.h"
#include "sadb.h"

/* The reqid band the daemon passes (kern/'s): 2^20 reqids from 0x53400000. */
#define REQID_BASE 0x53400000u
#define REQID_COUNT 0x100000u

/* ---- helpers ---------------------------------------------------------- */

/* The fake host: is_local() is true for the addresses in a NULL-terminated
 * list of strings. */
static bool fake_is_local(const struct ip_addr *a, void *arg)
{
	const char *const *list = arg;
	struct ip_addr x;

	for (; list && *list; list++) {
		ck_assert_int_eq(ip_addr_parse(*list, &x, NULL, 0), 0);
		if (ip_addr_equal(&x, a))
			return true;
	}
	return false;
}

/* Parse @text line by line as file "t.conf"; the test fails on errors. */
static struct cfg *parse(const char *text)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("t.conf", &errs);
	const char *s = text;
	struct cfg *c;
	size_t i;

	ck_assert_ptr_nonnull(p);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, len);

		cfg_parser_line(p, line);
		free(line);
		s += len + (nl ? 1 : 0);
	}
	c = cfg_parser_finish(p);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "unexpected cfg error: %s\n", errs.msg[i]);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(c);
	cfg_errors_free(&errs);
	return c;
}

/* build()'s cfgs when the caller does not take them: a sadb borrows from
 * the cfg it was built from, so each is freed only after its sadb, by
 * db_free(). */
static struct kept {
	struct sadb *db;
	struct cfg *c;
} kept[16];

static void keep_cfg(struct sadb *db, struct cfg *c)
{
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (!kept[i].db) {
			kept[i].db = db;
			kept[i].c = c;
			return;
		}
	}
	ck_abort_msg("more than %zu sadbs at once", sizeof(kept) / sizeof(kept[0]));
}

/* sadb_free(), then the cfg build() kept for @db (if any). */
static void db_free(struct sadb *db)
{
	size_t i;

	sadb_free(db);
	for (i = 0; db && i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (kept[i].db == db) {
			cfg_free(kept[i].c);
			kept[i].db = NULL;
			kept[i].c = NULL;
		}
	}
}

/* Build @text on a host owning @locals; the test fails on errors.  With
 * @cp the caller gets the cfg (to free after the sadb), else db_free()
 * frees it. */
static struct sadb *build(const char *text, const char *const *locals, struct cfg **cp)
{
	struct cfg_errors errs = { 0 };
	struct cfg *c = parse(text);
	struct sadb *db = sadb_build(c, fake_is_local, (void *)locals, &errs);
	size_t i;

	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "unexpected sadb error: %s\n", errs.msg[i]);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(db);
	cfg_errors_free(&errs);
	if (cp)
		*cp = c;
	else
		keep_cfg(db, c);
	return db;
}

static const char *const HOST_A[] = { "192.0.2.1", "2001:db8::1", NULL };
static const char *const HOST_B[] = { "192.0.2.2", "2001:db8::2", NULL };
static const char *const HOST_AB[] = { "192.0.2.1", "192.0.2.2", NULL };
static const char *const HOST_NONE[] = { NULL };

#define K16 "0x000102030405060708090a0b0c0d0e0f"
#define K20 "0x000102030405060708090a0b0c0d0e0f10111213"
#define K32 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* The seed's IPv4 group, shorthand form, from A (192.0.2.1) to B. */
static const char SEED4[] =
	"[sa comp.3d0@192.0.2.2]\n"           /* 1 */
	"src = 192.0.2.1\n"
	"comp = deflate\n"
	"mode = tunnel\n"
	"[sa esp.187a101b@192.0.2.2]\n"       /* 5 */
	"src = 192.0.2.1\n"
	"enc = aes128\n"
	"enckey = " K16 "\n"
	"auth = sha256\n"
	"authkey = " K32 "\n"                 /* 10 */
	"[sa ah.187a101a@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"auth = sha1\n"
	"authkey = " K20 "\n"
	"[group seed4]\n"                     /* 15 */
	"said = comp.3d0@192.0.2.2 esp.187a101b@192.0.2.2 ah.187a101a@192.0.2.2\n"
	"src-ts = 10.0.1.0/24\n"
	"dst-ts = 10.0.2.0/24\n";

/* The same with the tun SA written out (and the SAIDs spelt differently). */
static const char SEED4_EXPLICIT[] =
	"[sa tun.3d0@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"[sa comp.3d0@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"comp = deflate\n"
	"[sa esp.187a101b@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"enc = aes128\n"
	"enckey = " K16 "\n"
	"auth = sha256\n"
	"authkey = " K32 "\n"
	"[sa ah.187a101a@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"auth = sha1\n"
	"authkey = " K20 "\n"
	"[group seed4]\n"
	"said = tun0x3d0@192.0.2.2 comp.3D0@192.0.2.2 esp0x187a101b@192.0.2.2 ah.187a101a@192.0.2.2\n"
	"src-ts = 10.0.1.0/24\n"
	"dst-ts = 10.0.2.0/24\n";

static void said_of(const struct sadb_sa *sa, char buf[SAID_BUF])
{
	said_format(&sa->cfg->said, '0', buf, SAID_BUF);
}

/* ---- building ---------------------------------------------------------- */

START_TEST(test_tun_shorthand)
{
	struct cfg *c;
	struct sadb *db = build(SEED4, HOST_A, &c);
	const char *want[] = { "tun.3d0@192.0.2.2", "comp.3d0@192.0.2.2", "esp.187a101b@192.0.2.2",
			       "ah.187a101a@192.0.2.2" };
	struct sadb_group *g;
	struct reason why;
	char buf[SAID_BUF];
	unsigned i;

	ck_assert_uint_eq(db->ngroup, 1);
	g = sadb_find_group(db, "seed4");
	ck_assert_ptr_eq(g, db->group[0]);
	ck_assert(!g->implicit);
	ck_assert_uint_eq(g->nsa, 4);
	for (i = 0; i < 4; i++) {
		said_of(g->sa[i], buf);
		ck_assert_str_eq(buf, want[i]);
		ck_assert_ptr_eq(g->sa[i]->group, g);
		ck_assert_int_eq(g->sa[i]->dir, SADB_DIR_OUT);
		ck_assert(g->sa[i]->tunnel_mode == (i == 1));
		ck_assert(g->sa[i]->cfg->implicit_tun == (i == 0));
	}
	ck_assert(ip_addr_equal(&g->sa[0]->cfg->src, &g->sa[1]->cfg->src));
	ck_assert_int_eq(g->dir, SADB_DIR_OUT);
	ck_assert_ptr_null(g->skip_reason);
	ck_assert_int_eq(g->want, CFG_DP_AUTO);
	ck_assert(g->want_daemon);
	ck_assert_int_eq(place_wish(g, &why), CFG_DP_AUTO);
	ck_assert_str_eq(why.text, "datapath = auto in [daemon]");
	ck_assert_uint_eq(g->nsrc_ts, 1);
	ck_assert_uint_eq(g->ndst_ts, 1);
	ck_assert_uint_eq(g->sa[2]->cfg->enckey.len, 16);
	ck_assert_uint_eq(g->sa[2]->cfg->enckey.data[15], 0x0f);
	ck_assert_uint_eq(g->sa[3]->cfg->authkey.len, 20);
	/* borrowed from the cfg (keys included), but for the synthesized tun,
	 * which no cfg_sa describes: that one the SA owns */
	ck_assert(g->sa[0]->cfg_owned);
	ck_assert(!cfg_find_sa(c, &g->sa[0]->cfg->said));
	for (i = 1; i < 4; i++) {
		ck_assert(!g->sa[i]->cfg_owned);
		ck_assert_ptr_eq(g->sa[i]->cfg, cfg_find_sa(c, &g->sa[i]->cfg->said));
	}
	ck_assert_ptr_eq(g->sa[2]->cfg->enckey.data, cfg_find_sa(c, &g->sa[2]->cfg->said)->enckey.data);
	ck_assert_ptr_eq(g->src_ts, c->group[0].src_ts);
	ck_assert_ptr_eq(g->dst_ts, c->group[0].dst_ts);
	sadb_free(db);
	cfg_free(c);
}
END_TEST

START_TEST(test_shorthand_equals_explicit)
{
	struct sadb *a = build(SEED4, HOST_B, NULL);
	struct sadb *b = build(SEED4_EXPLICIT, HOST_B, NULL);
	struct said s;

	ck_assert_int_eq(a->group[0]->dir, SADB_DIR_IN);
	ck_assert(sadb_group_equal(a->group[0], b->group[0]));
	ck_assert(!b->group[0]->sa[0]->cfg->implicit_tun);
	/* either spelling finds the SA */
	ck_assert_int_eq(said_parse("esp0x187a101b@192.0.2.2", &s, NULL, 0), 0);
	ck_assert_ptr_eq(sadb_find_sa(a, &s), a->group[0]->sa[2]);
	ck_assert_int_eq(said_parse("tun.3d0@192.0.2.2", &s, NULL, 0), 0);
	ck_assert_ptr_eq(sadb_find_sa(a, &s), a->group[0]->sa[0]);
	ck_assert_int_eq(said_parse("tun.3d1@192.0.2.2", &s, NULL, 0), 0);
	ck_assert_ptr_null(sadb_find_sa(a, &s));
	ck_assert_ptr_null(sadb_find_group(a, "nope"));
	db_free(a);
	db_free(b);
}
END_TEST

/* Direction per SA: (local addresses, dir =) -> direction, or the error (at
 * the line of `dir =` when written, else at the [sa] header). */
static const struct dir_case {
	const char *const *locals;
	const char *dir; /* NULL: not written */
	enum sadb_dir want;
	const char *err;
} dir_cases[] = {
	{ HOST_A, NULL, SADB_DIR_OUT, NULL },
	{ HOST_B, NULL, SADB_DIR_IN, NULL },
	{ HOST_NONE, NULL, SADB_DIR_NONE, NULL },
	{ HOST_AB, NULL, 0,
	  "t.conf:1: SA comp.300@192.0.2.2: both addresses are local; set dir = in or out" },
	{ HOST_AB, "in", SADB_DIR_IN, NULL },
	{ HOST_AB, "out", SADB_DIR_OUT, NULL },
	{ HOST_NONE, "in", SADB_DIR_IN, NULL },
	{ HOST_NONE, "out", SADB_DIR_OUT, NULL },
	{ HOST_B, "in", SADB_DIR_IN, NULL },
	{ HOST_A, "out", SADB_DIR_OUT, NULL },
	{ HOST_A, "in", 0,
	  "t.conf:4: SA comp.300@192.0.2.2: dir = in, but its destination 192.0.2.2 is not a local address and its source 192.0.2.1 is" },
	{ HOST_B, "out", 0,
	  "t.conf:4: SA comp.300@192.0.2.2: dir = out, but its source 192.0.2.1 is not a local address and its destination 192.0.2.2 is" },
};

START_TEST(test_direction)
{
	const struct dir_case *t = &dir_cases[_i];
	struct cfg_errors errs = { 0 };
	struct sadb *db;
	struct cfg *c;
	char text[512];

	snprintf(text, sizeof(text),
		 "[sa comp.300@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n%s%s%s", t->dir ? "dir = " : "",
		 t->dir ? t->dir : "", t->dir ? "\n" : "");
	c = parse(text);
	db = sadb_build(c, fake_is_local, (void *)t->locals, &errs);
	if (t->err) {
		ck_assert_ptr_null(db);
		ck_assert_uint_eq(errs.n, 1);
		ck_assert_str_eq(errs.msg[0], t->err);
	} else {
		ck_assert_ptr_nonnull(db);
		ck_assert_uint_eq(errs.n, 0);
		ck_assert_uint_eq(db->ngroup, 1);
		/* an SA in no group is a group of its own, named by its SAID */
		ck_assert(db->group[0]->implicit);
		ck_assert_str_eq(db->group[0]->name, "comp.300@192.0.2.2");
		ck_assert_int_eq(db->group[0]->sa[0]->dir, t->want);
		ck_assert_int_eq(db->group[0]->dir, t->want);
		if (t->want == SADB_DIR_NONE) {
			ck_assert_ptr_nonnull(db->group[0]->skip_reason);
			ck_assert_str_eq(db->group[0]->skip_reason,
					 "neither 192.0.2.1 nor 192.0.2.2 is a local address");
		} else {
			ck_assert_ptr_null(db->group[0]->skip_reason);
		}
	}
	sadb_free(db);
	cfg_free(c);
	cfg_errors_free(&errs);
}
END_TEST

/* Implicit groups and the view order: by the line of [group] / [sa]. */
START_TEST(test_order_and_implicit)
{
	static const char text[] =
		"[sa comp.301@192.0.2.2]\n"   /* 1: in no group */
		"src = 192.0.2.1\n"
		"comp = deflate\n"
		"[group late]\n"              /* 4 */
		"said = comp.302@192.0.2.2\n"
		"src-ts = 10.0.1.0/24\n"
		"dst-ts = 10.0.2.0/24\n"
		"[sa comp.303@192.0.2.2]\n"   /* 8: in no group */
		"src = 192.0.2.1\n"
		"comp = deflate\n"
		"[sa comp.302@192.0.2.2]\n"   /* 11: in group late */
		"src = 192.0.2.1\n"
		"comp = deflate\n"
		"[group shunt]\n"             /* 14 */
		"said = %pass\n"
		"src-ts = 10.0.1.0/24\n"
		"dst-ts = 10.0.3.0/24\n"
		"datapath = kernel\n";
	const char *names[] = { "comp.301@192.0.2.2", "late", "comp.303@192.0.2.2", "shunt" };
	struct sadb *db = build(text, HOST_A, NULL);
	struct reason why;
	struct said pass;
	unsigned i;

	ck_assert_uint_eq(db->ngroup, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(db->group[i]->name, names[i]);
		ck_assert_uint_eq(db->group[i]->order, i);
	}
	ck_assert_uint_eq(db->next_order, 4);
	ck_assert(db->group[0]->implicit && !db->group[1]->implicit && db->group[2]->implicit);
	ck_assert_uint_eq(db->group[0]->nsrc_ts, 0);
	ck_assert(db->group[3]->shunt);
	ck_assert_uint_eq(db->group[3]->nsa, 0);
	ck_assert_int_eq(said_parse("%pass", &pass, NULL, 0), 0);
	ck_assert(said_equal(&db->group[3]->shunt_said, &pass));
	ck_assert_int_eq(db->group[3]->want, CFG_DP_KERNEL);
	ck_assert(!db->group[3]->want_daemon);
	ck_assert_int_eq(place_provisional(db->group[3]), PLACE_KERNEL);
	place_wish(db->group[3], &why);
	ck_assert_str_eq(why.text, "datapath = kernel");
	for (i = 0; i < 4; i++)
		ck_assert_ptr_eq(sadb_find_group(db, names[i]), db->group[i]);
	ck_assert_int_eq(db->group[3]->dir, SADB_DIR_OUT);
	db_free(db);
}
END_TEST

/* What XFRM cannot express goes to userspace, with the reason (place.h's
 * wish, applied to the groups sadb built). */
static const struct place_case {
	const char *said;
	const char *daemon_dp, *group_dp;
	enum cfg_datapath want;
	enum place_where place;
	const char *reason;
} place_cases[] = {
	{ "comp.300@192.0.2.2", NULL, NULL, CFG_DP_AUTO, PLACE_KERNEL,
	  "datapath = auto in [daemon]" },
	{ "comp.300@192.0.2.2", "userspace", NULL, CFG_DP_USERSPACE, PLACE_USERSPACE,
	  "datapath = userspace in [daemon]" },
	{ "comp.300@192.0.2.2", "userspace", "kernel", CFG_DP_KERNEL, PLACE_KERNEL,
	  "datapath = kernel" },
	{ "comp.300@192.0.2.2", NULL, "userspace", CFG_DP_USERSPACE, PLACE_USERSPACE,
	  "datapath = userspace" },
	{ "tun.300@192.0.2.2", NULL, NULL, CFG_DP_USERSPACE, PLACE_USERSPACE,
	  "the group has only tun SAs: XFRM cannot express it" },
	{ "comp.300@192.0.2.2 tun.300@192.0.2.2", NULL, NULL, CFG_DP_USERSPACE,
	  PLACE_USERSPACE, "a tun SA ends the group: XFRM cannot express it" },
	{ "tun.300@192.0.2.2", "kernel", NULL, CFG_DP_USERSPACE, PLACE_USERSPACE,
	  "the group has only tun SAs: XFRM cannot express it" },
	{ "tun.300@192.0.2.2 tun.301@192.0.2.2 comp.300@192.0.2.2", NULL, "userspace",
	  CFG_DP_USERSPACE, PLACE_USERSPACE, "two tun SAs in a row: XFRM cannot express it" },
	{ "tun.300@192.0.2.2 comp.300@192.0.2.2", NULL, NULL, CFG_DP_AUTO, PLACE_KERNEL,
	  "datapath = auto in [daemon]" },
};

START_TEST(test_placement)
{
	const struct place_case *t = &place_cases[_i];
	char text[1024];
	struct sadb *db;
	struct sadb_group *g;
	struct reason why;

	snprintf(text, sizeof(text),
		 "[daemon]\ndatapath = %s\n"
		 "[sa tun.300@192.0.2.2]\nsrc = 192.0.2.1\n"
		 "[sa tun.301@192.0.2.2]\nsrc = 192.0.2.1\n"
		 "[sa comp.300@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
		 "[group g]\nsaid = %s\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n%s%s\n",
		 t->daemon_dp ? t->daemon_dp : "auto", t->said, t->group_dp ? "datapath = " : "",
		 t->group_dp ? t->group_dp : "");
	db = build(text, HOST_A, NULL);
	g = sadb_find_group(db, "g");
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(place_wish(g, &why), t->want);
	ck_assert_int_eq(place_provisional(g), t->place);
	ck_assert_str_eq(why.text, t->reason);
	db_free(db);
}
END_TEST

/* ---- cross-section errors, exact text and line ---------------------------- */

#define COMP(spi, dst, src) "[sa comp." spi "@" dst "]\nsrc = " src "\ncomp = deflate\n"
#define TUN(spi, dst, src) "[sa tun." spi "@" dst "]\nsrc = " src "\n"
#define GROUP(name, said) "[group " name "]\nsaid = " said "\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n"

static const struct err_case {
	const char *text;
	const char *const *locals;
	const char *err[4];
} err_cases[] = {
	/* 0: undefined SA (line of said =) */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  GROUP("g", "comp.300@192.0.2.2 comp.301@192.0.2.2"),  /* 4-7 */
	  HOST_A,
	  { "t.conf:5: group g: undefined SA comp.301@192.0.2.2 (no [sa] section for it)" } },
	/* 1: an SA in two groups */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  GROUP("g1", "comp.300@192.0.2.2")                     /* 4-7 */
	  GROUP("g2", "comp0x300@192.0.2.2"),                   /* 8-11 */
	  HOST_A,
	  { "t.conf:9: group g2: SA comp.300@192.0.2.2 is already in group g1 (line 5)" } },
	/* 2: mixed directions */
	{ "[sa comp.300@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\ndir = out\n"  /* 1-4 */
	  "[sa esp.300@192.0.2.2]\nsrc = 192.0.2.1\nauth = sha1\nauthkey = " K20 "\ndir = in\n" /* 5-9 */
	  GROUP("g", "comp.300@192.0.2.2 esp.300@192.0.2.2"),  /* 10-13 */
	  HOST_NONE,
	  { "t.conf:11: group g: mixed directions: comp.300@192.0.2.2 is out, esp.300@192.0.2.2 is in" } },
	/* 3: both ends local, in a group */
	{ COMP("300", "192.0.2.2", "192.0.2.1")
	  GROUP("g", "comp.300@192.0.2.2"),
	  HOST_AB,
	  { "t.conf:1: SA comp.300@192.0.2.2: both addresses are local; set dir = in or out" } },
	/* 4: a tun whose destination differs from the next SA's */
	{ TUN("300", "192.0.2.3", "192.0.2.1")                  /* 1-2 */
	  COMP("300", "192.0.2.2", "192.0.2.1")                 /* 3-5 */
	  GROUP("g", "tun.300@192.0.2.3 comp.300@192.0.2.2"),   /* 6-9 */
	  HOST_A,
	  { "t.conf:7: group g: tun SA tun.300@192.0.2.3 is followed by comp.300@192.0.2.2: the SA after a tun must have the tun's destination 192.0.2.3, not 192.0.2.2" } },
	/* 5: a tun whose source differs from the next SA's */
	{ TUN("300", "192.0.2.2", "192.0.2.1")
	  COMP("300", "192.0.2.2", "192.0.2.5")
	  GROUP("g", "tun.300@192.0.2.2 comp.300@192.0.2.2"),
	  HOST_B,
	  { "t.conf:7: group g: tun SA tun.300@192.0.2.2 has src 192.0.2.1, but comp.300@192.0.2.2 after it has src 192.0.2.5: they must be equal" } },
	/* 6: transport SAs with different destinations */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  COMP("301", "192.0.2.3", "192.0.2.1")                 /* 4-6 */
	  GROUP("g", "comp.300@192.0.2.2 comp.301@192.0.2.3"),  /* 7-10 */
	  HOST_A,
	  { "t.conf:8: group g: comp.301@192.0.2.3 follows comp.300@192.0.2.2 with no tun between them, so its destination must be 192.0.2.2, not 192.0.2.3" } },
	/* 7: selector family differs from the SAs' without a tun */
	{ "[sa comp:300@2001:db8::2]\nsrc = 2001:db8::1\ncomp = deflate\n" /* 1-3 */
	  GROUP("g", "comp:300@2001:db8::2"),                   /* 4-7 */
	  HOST_A,
	  { "t.conf:5: group g: src-ts 10.0.1.0/24 is IPv4, but the group's SAs are IPv6 (only a tun SA can change the family)",
	    "t.conf:5: group g: dst-ts 10.0.2.0/24 is IPv4, but the group's SAs are IPv6 (only a tun SA can change the family)" } },
	/* 8: mode = tunnel on an SA that is not the first */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  COMP("301", "192.0.2.2", "192.0.2.1") "mode = tunnel\n" /* 4-7 */
	  GROUP("g", "comp.300@192.0.2.2 comp.301@192.0.2.2"),  /* 8-11 */
	  HOST_A,
	  { "t.conf:7: SA comp.301@192.0.2.2: mode = tunnel, but it is not the first SA of group g (line 8); write a tun SA before it" } },
	/* 9: mode = tunnel on the first SA of a group that has a tun */
	{ COMP("300", "192.0.2.2", "192.0.2.1") "mode = tunnel\n" /* 1-4 */
	  TUN("301", "192.0.2.2", "192.0.2.1")                  /* 5-6 */
	  COMP("301", "192.0.2.2", "192.0.2.1")                 /* 7-9 */
	  GROUP("g", "comp.300@192.0.2.2 tun.301@192.0.2.2 comp.301@192.0.2.2"), /* 10-13 */
	  HOST_A,
	  { "t.conf:4: SA comp.300@192.0.2.2: mode = tunnel, but group g (line 10) already has a tun SA" } },
	/* 10: mode = transport right after a tun */
	{ TUN("300", "192.0.2.2", "192.0.2.1")                  /* 1-2 */
	  COMP("300", "192.0.2.2", "192.0.2.1") "mode = transport\n" /* 3-6 */
	  GROUP("g", "tun.300@192.0.2.2 comp.300@192.0.2.2"),   /* 7-10 */
	  HOST_A,
	  { "t.conf:6: SA comp.300@192.0.2.2: mode = transport, but it follows tun SA tun.300@192.0.2.2 in group g (line 7)" } },
	/* 11: mode = tunnel on an SA in no group */
	{ COMP("300", "192.0.2.2", "192.0.2.1") "mode = tunnel\n",
	  HOST_A,
	  { "t.conf:4: SA comp.300@192.0.2.2: mode = tunnel on an SA in no group; list it in a [group] (the tun SA it implies must be grouped with it)" } },
	/* 12: the tun implied by mode = tunnel is defined too */
	{ COMP("300", "192.0.2.2", "192.0.2.1") "mode = tunnel\n" /* 1-4 */
	  TUN("300", "192.0.2.2", "192.0.2.1")                  /* 5-6 */
	  GROUP("g", "comp.300@192.0.2.2"),                     /* 7-10 */
	  HOST_A,
	  { "t.conf:4: SA comp.300@192.0.2.2: mode = tunnel implies SA tun.300@192.0.2.2, which line 5 defines too" } },
	/* 13: datapath = kernel for what XFRM cannot express */
	{ "[daemon]\ndatapath = kernel\n"                      /* 1-2 */
	  TUN("300", "192.0.2.2", "192.0.2.1")                  /* 3-4 */
	  GROUP("g", "tun.300@192.0.2.2") "datapath = kernel\n", /* 5-9 */
	  HOST_A,
	  { "t.conf:6: group g: datapath = kernel, but the group has only tun SAs: XFRM cannot express it" } },
	/* 14: several errors come sorted by line */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  GROUP("g1", "comp.300@192.0.2.2 comp.309@192.0.2.2")  /* 4-7 */
	  COMP("301", "192.0.2.2", "192.0.2.1")                 /* 8-10 */
	  GROUP("g2", "comp.301@192.0.2.2 comp.300@192.0.2.2"), /* 11-14 */
	  HOST_AB,
	  { "t.conf:1: SA comp.300@192.0.2.2: both addresses are local; set dir = in or out",
	    "t.conf:5: group g1: undefined SA comp.309@192.0.2.2 (no [sa] section for it)",
	    "t.conf:8: SA comp.301@192.0.2.2: both addresses are local; set dir = in or out",
	    "t.conf:12: group g2: SA comp.300@192.0.2.2 is already in group g1 (line 5)" } },
	/* 15: two outbound groups on the same selectors: the later one is told */
	{ COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
	  GROUP("g1", "comp.300@192.0.2.2")                     /* 4-7 */
	  COMP("301", "192.0.2.2", "192.0.2.1")                 /* 8-10 */
	  GROUP("g2", "comp.301@192.0.2.2"),                    /* 11-14 */
	  HOST_A,
	  { "t.conf:12: group g2: its policy 10.0.1.0/24 -> 10.0.2.0/24 collides with group g1 (line 5): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)" } },
	/* 16: a shunt installs in and fwd policies too: it collides with an
	 * inbound group; one error per group, not one per direction */
	{ COMP("300", "192.0.2.1", "192.0.2.2")                 /* 1-3 */
	  GROUP("in", "comp.300@192.0.2.1")                     /* 4-7 */
	  GROUP("block", "%drop")                               /* 8-11 */
	  GROUP("pass", "%pass"),                               /* 12-15 */
	  HOST_A,
	  { "t.conf:9: group block: its policy 10.0.1.0/24 -> 10.0.2.0/24 collides with group in (line 5): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)",
	    "t.conf:13: group pass: its policy 10.0.1.0/24 -> 10.0.2.0/24 collides with group in (line 5): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)" } },
	/* 17: one pair of a product is enough; the group written first is
	 * the one named, whatever the order of the pairs */
	{ "[group block]\nsaid = %reject\nsrc-ts = 10.0.9.0/24, 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n" /* 1-4 */
	  COMP("300", "192.0.2.2", "192.0.2.1")                 /* 5-7 */
	  "[group g]\nsaid = comp.300@192.0.2.2\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.5.0/24, 10.0.2.0/24\n", /* 8-11 */
	  HOST_A,
	  { "t.conf:9: group g: its policy 10.0.1.0/24 -> 10.0.2.0/24 collides with group block (line 2): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)" } },
};

START_TEST(test_errors)
{
	const struct err_case *t = &err_cases[_i];
	struct cfg_errors errs = { 0 };
	struct cfg *c = parse(t->text);
	struct sadb *db = sadb_build(c, fake_is_local, (void *)t->locals, &errs);
	size_t i, n = 0;

	while (n < 4 && t->err[n])
		n++;
	for (i = 0; i < errs.n; i++)
		if (i >= n || strcmp(errs.msg[i], t->err[i]))
			fprintf(stderr, "case %d: got \"%s\"\n", _i, errs.msg[i]);
	ck_assert_ptr_null(db);
	ck_assert_uint_eq(errs.n, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(errs.msg[i], t->err[i]);
	cfg_free(c);
	cfg_errors_free(&errs);
}
END_TEST

/* In the same [group], g2 above is only reported for its undefined SA once
 * g1 has claimed comp.300: check the two-groups error is still found. */
START_TEST(test_two_groups_and_undefined)
{
	static const char text[] =
		COMP("300", "192.0.2.2", "192.0.2.1")                 /* 1-3 */
		GROUP("g1", "comp.300@192.0.2.2")                     /* 4-7 */
		GROUP("g2", "comp.300@192.0.2.2 comp.301@192.0.2.2"); /* 8-11 */
	struct cfg_errors errs = { 0 };
	struct cfg *c = parse(text);
	struct sadb *db = sadb_build(c, fake_is_local, (void *)HOST_A, &errs);

	ck_assert_ptr_null(db);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msg[0], "t.conf:9: group g2: SA comp.300@192.0.2.2 is already in group g1 (line 5)");
	ck_assert_str_eq(errs.msg[1], "t.conf:9: group g2: undefined SA comp.301@192.0.2.2 (no [sa] section for it)");
	cfg_free(c);
	cfg_errors_free(&errs);
}
END_TEST

/* ---- equality ------------------------------------------------------------ */

/* SEED4 with one substitution: each variant must compare unequal. */
static const struct { const char *from, *to; } changes[] = {
	{ "enckey = 0x000102030405060708090a0b0c0d0e0f\n", "enckey = 0x000102030405060708090a0b0c0d0e0e\n" },
	{ "authkey = " K20, "authkey = 0x100102030405060708090a0b0c0d0e0f10111213" },
	{ "auth = sha256\nauthkey = " K32, "auth = sha1\nauthkey = " K20 },
	{ "dst-ts = 10.0.2.0/24", "dst-ts = 10.0.2.0/25" },
	{ "src-ts = 10.0.1.0/24", "src-ts = 10.0.1.0/24,10.0.9.0/24" },
	{ "[group seed4]\n", "[group seed4]\nproto = tcp\n" },
	{ "[group seed4]\n", "[group seed4]\npriority = 1000500\n" },
	{ "[group seed4]\n", "[group seed4]\ndatapath = userspace\n" },
	{ "[sa ah.187a101a@192.0.2.2]\n", "[sa ah.187a101a@192.0.2.2]\nreplay-window = 64\n" },
	{ "[sa ah.187a101a@192.0.2.2]\n", "[sa ah.187a101a@192.0.2.2]\nesn = no\n" },
	{ "[sa ah.187a101a@192.0.2.2]\n", "[sa ah.187a101a@192.0.2.2]\nah-align = 64\n" },
	{ "[sa ah.187a101a@192.0.2.2]\n", "[sa ah.187a101a@192.0.2.2]\nlife-seconds = 3600\n" },
	{ "[sa comp.3d0@192.0.2.2]\n", "[sa comp.3d0@192.0.2.2]\nlife-bytes = 1000,2000\n" },
	{ "mode = tunnel\n", "" },
	{ "[sa esp.187a101b@192.0.2.2]\nsrc = 192.0.2.1\n", "[sa esp.187a101b@192.0.2.2]\nsrc = 192.0.2.1\ndir = in\n" },
};

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	ck_assert_ptr_nonnull(at);
	ck_assert_int_ge(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)), 0);
	return out;
}

START_TEST(test_group_equal)
{
	char *text = replace(SEED4, changes[_i].from, changes[_i].to);
	struct sadb *a = build(SEED4, HOST_A, NULL);
	struct sadb *again = build(SEED4, HOST_A, NULL);
	struct sadb *b;

	/* dir = in on one SA makes mixed directions on host A: use no locals */
	if (strstr(changes[_i].to, "dir = in")) {
		db_free(a);
		db_free(again);
		a = build(SEED4, HOST_NONE, NULL);
		again = build(SEED4, HOST_NONE, NULL);
		ck_assert_ptr_nonnull(a->group[0]->skip_reason);
	}
	b = build(text, a->group[0]->dir == SADB_DIR_NONE ? HOST_NONE : HOST_A, NULL);
	ck_assert(sadb_group_equal(a->group[0], again->group[0]));
	ck_assert(!sadb_group_equal(a->group[0], b->group[0]));
	ck_assert(!sadb_group_equal(b->group[0], a->group[0]));
	/* the direction on this host matters too */
	if (_i == 0) {
		struct sadb *in = build(SEED4, HOST_B, NULL);

		ck_assert(!sadb_group_equal(a->group[0], in->group[0]));
		db_free(in);
	}
	db_free(a);
	db_free(again);
	db_free(b);
	free(text);
}
END_TEST

/* ---- reqids ------------------------------------------------------------------ */

static char tmpdir[64];

static void tmp_setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_sadb.XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* groups a, b, c with selectors of their own (equal ones would collide) */
#define GROUP_TO(name, said, dst) \
	"[group " name "]\nsaid = " said "\nsrc-ts = 10.0.1.0/24\ndst-ts = " dst "\n"
#define GROUPS_ABC                                                               \
	COMP("300", "192.0.2.2", "192.0.2.1") GROUP_TO("a", "comp.300@192.0.2.2", "10.0.2.0/24") \
	COMP("301", "192.0.2.2", "192.0.2.1") GROUP_TO("b", "comp.301@192.0.2.2", "10.0.3.0/24") \
	COMP("302", "192.0.2.2", "192.0.2.1") GROUP_TO("c", "comp.302@192.0.2.2", "10.0.4.0/24")
#define GROUPS_CXA                                                               \
	COMP("302", "192.0.2.2", "192.0.2.1") GROUP_TO("c", "comp.302@192.0.2.2", "10.0.4.0/24") \
	COMP("303", "192.0.2.2", "192.0.2.1")                                    \
	COMP("300", "192.0.2.2", "192.0.2.1") GROUP_TO("a", "comp.300@192.0.2.2", "10.0.2.0/24")

START_TEST(test_reqids)
{
	char path[128], *text;
	struct sadb *db;
	struct stat st, st2;

	snprintf(path, sizeof(path), "%s/reqids", tmpdir);
	db = build(GROUPS_ABC, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	ck_assert_uint_eq(sadb_find_group(db, "a")->reqid, REQID_BASE);
	ck_assert_uint_eq(sadb_find_group(db, "b")->reqid, REQID_BASE + 1);
	ck_assert_uint_eq(sadb_find_group(db, "c")->reqid, REQID_BASE + 2);
	db_free(db);
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "\n0x53400000 a\n0x53400001 b\n0x53400002 c\n"));
	free(text);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	/* reordered, b gone, an implicit group new: a and c keep theirs, the
	 * new one gets the lowest free reqid not held by b's line */
	db = build(GROUPS_CXA, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	ck_assert_uint_eq(sadb_find_group(db, "c")->reqid, REQID_BASE + 2);
	ck_assert_uint_eq(sadb_find_group(db, "a")->reqid, REQID_BASE);
	ck_assert_uint_eq(sadb_find_group(db, "comp.303@192.0.2.2")->reqid, REQID_BASE + 3);
	db_free(db);
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "0x53400001 b\n"));
	ck_assert_ptr_nonnull(strstr(text, "0x53400003 comp.303@192.0.2.2\n"));
	free(text);

	/* nothing new, nothing gone: the file is not rewritten (same inode) */
	ck_assert_int_eq(stat(path, &st), 0);
	db = build(GROUPS_CXA, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	db_free(db);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert_uint_eq(st.st_ino, st2.st_ino);

	/* the implicit group gone: its made name's line goes (b's stays) */
	db = build(GROUPS_ABC, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	ck_assert_uint_eq(sadb_find_group(db, "b")->reqid, REQID_BASE + 1);
	db_free(db);
	text = slurp(path);
	ck_assert_ptr_null(strstr(text, "comp.303@192.0.2.2"));
	ck_assert_ptr_nonnull(strstr(text, "0x53400001 b\n"));
	free(text);

	/* NULL path: assign only */
	db = build(GROUPS_CXA, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, NULL, REQID_BASE, REQID_COUNT), 0);
	ck_assert_uint_eq(sadb_find_group(db, "c")->reqid, REQID_BASE);
	ck_assert_uint_eq(sadb_find_group(db, "comp.303@192.0.2.2")->reqid, REQID_BASE + 1);
	ck_assert_uint_eq(sadb_find_group(db, "a")->reqid, REQID_BASE + 2);
	db_free(db);
}
END_TEST

START_TEST(test_reqids_garbage)
{
	char path[128], *text;
	struct sadb *db;

	snprintf(path, sizeof(path), "%s/reqids", tmpdir);
	spit(path, "# comment\n"
		   "garbage line\n"
		   "0x53400005\n"                /* no name */
		   "0x12345678 a\n"              /* outside our band */
		   "0x53500000 a\n"              /* just past our band */
		   "0x534zz000 a\n"              /* not a number */
		   "1396703234 c\n"              /* decimal 0x53400002 */
		   "0x53400002 b\n"              /* reqid taken */
		   "0x53400007 c\n"              /* name taken */
		   "99999999999999999999999 b\n" /* overflow */
		   "\n"
		   "   0x53400000    a  \n");
	db = build(GROUPS_ABC, HOST_A, NULL);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	ck_assert_uint_eq(sadb_find_group(db, "a")->reqid, REQID_BASE);
	ck_assert_uint_eq(sadb_find_group(db, "c")->reqid, REQID_BASE + 2);
	ck_assert_uint_eq(sadb_find_group(db, "b")->reqid, REQID_BASE + 1);
	db_free(db);
	/* rewritten clean: the garbage is gone */
	text = slurp(path);
	ck_assert_str_eq(text, "# spigrpd: XFRM reqid per group name (REQID NAME); written by spigrpd\n"
			       "0x53400000 a\n0x53400001 b\n0x53400002 c\n");
	free(text);
}
END_TEST

/* More groups than the old 0x10000 band held: every one gets a distinct
 * reqid in the band, lowest first, and the file keeps them all (a big
 * daemon's reqid file round-trips).  Groups are made by hand: reqid
 * assignment reads only the names. */
START_TEST(test_reqids_many)
{
	const size_t n = 100000;
	char path[128], name[32];
	struct sadb *db = calloc(1, sizeof(*db));
	uint8_t *seen = calloc(REQID_COUNT / 8, 1);
	size_t i, again;

	snprintf(path, sizeof(path), "%s/reqids", tmpdir);
	ck_assert_ptr_nonnull(db);
	ck_assert_ptr_nonnull(seen);
	db->group = calloc(n, sizeof(*db->group));
	ck_assert_ptr_nonnull(db->group);
	for (i = 0; i < n; i++) {
		db->group[i] = calloc(1, sizeof(*db->group[i]));
		ck_assert_ptr_nonnull(db->group[i]);
		snprintf(name, sizeof(name), "g%zu", i);
		db->group[i]->name = strdup(name);
		ck_assert_ptr_nonnull(db->group[i]->name);
		db->ngroup++;
	}
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	for (i = 0; i < n; i++) {
		uint32_t r = db->group[i]->reqid - REQID_BASE;

		ck_assert_uint_eq(db->group[i]->reqid, REQID_BASE + i);
		ck_assert_uint_lt(r, REQID_COUNT);
		ck_assert(!(seen[r / 8] & (1u << (r % 8))));
		seen[r / 8] |= (uint8_t)(1u << (r % 8));
	}
	ck_assert_uint_eq(db->group[n - 1]->reqid, 0x5341869fu); /* 0x53400000 + 99999 */
	/* read back, in reverse order: each name keeps its reqid */
	for (i = 0; i < n / 2; i++) {
		struct sadb_group *t = db->group[i];

		db->group[i] = db->group[n - 1 - i];
		db->group[n - 1 - i] = t;
	}
	for (i = 0; i < n; i++)
		db->group[i]->reqid = 0;
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), 0);
	for (i = again = 0; i < n; i++)
		again += db->group[i]->reqid == REQID_BASE + (n - 1 - i);
	ck_assert_uint_eq(again, n);
	db_free(db);
	free(seen);
}
END_TEST

START_TEST(test_reqids_unwritable)
{
	char path[160];
	struct sadb *db = build(GROUPS_ABC, HOST_A, NULL);

	/* a directory that does not exist: reqids assigned anyway */
	snprintf(path, sizeof(path), "%s/missing/reqids", tmpdir);
	ck_assert_int_eq(reqid_assign(db, path, REQID_BASE, REQID_COUNT), -ENOENT);
	ck_assert_uint_eq(sadb_find_group(db, "a")->reqid, REQID_BASE);
	ck_assert_uint_eq(sadb_find_group(db, "c")->reqid, REQID_BASE + 2);
	db_free(db);
}
END_TEST

/* ---- names and state --------------------------------------------------------- */

START_TEST(test_names_state)
{
	ck_assert_str_eq(sadb_dir_name(SADB_DIR_NONE), "none");
	ck_assert_str_eq(sadb_dir_name(SADB_DIR_IN), "in");
	ck_assert_str_eq(sadb_dir_name(SADB_DIR_OUT), "out");
	ck_assert_str_eq(sadb_dir_name((enum sadb_dir)9), "unknown");
	sadb_free(NULL);
}
END_TEST

/* ---- the canonical config -------------------------------------------------- */

static char *print_config(const struct sadb *db, const struct cfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	sadb_print_config(db, c, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Put the keys of @c back where the output says <hidden>. */
static char *unhide_keys(const char *text, const struct cfg *c)
{
	char *out = NULL, *line = NULL;
	size_t olen = 0, cap = 0;
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *o = open_memstream(&out, &olen);
	const struct cfg_sa *sa = NULL;
	ssize_t n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(o);
	while ((n = getline(&line, &cap, in)) > 0) {
		const struct cfg_key *k = NULL;
		size_t i;

		if (strncmp(line, "[sa ", 4) == 0) {
			struct said s;
			char *end = strchr(line, ']');

			ck_assert_ptr_nonnull(end);
			*end = '\0';
			ck_assert_int_eq(said_parse(line + 4, &s, NULL, 0), 0);
			*end = ']';
			sa = cfg_find_sa(c, &s);
		}
		if (strcmp(line, "enckey = <hidden>\n") == 0)
			k = &sa->enckey;
		else if (strcmp(line, "authkey = <hidden>\n") == 0)
			k = &sa->authkey;
		if (!k) {
			fputs(line, o);
			continue;
		}
		ck_assert_ptr_nonnull(sa);
		fprintf(o, "%s = 0x", k == &sa->enckey ? "enckey" : "authkey");
		for (i = 0; i < k->len; i++)
			fprintf(o, "%02x", k->data[i]);
		fputc('\n', o);
	}
	free(line);
	fclose(in);
	ck_assert_int_eq(fclose(o), 0);
	return out;
}

static const char RICH[] =
	"[daemon]\n"
	"mount = /tmp/v\n"
	"control = /tmp/c\n"
	"datapath = kernel\n"
	"said-format = x\n"
	"install-routes = no\n"
	"control-group = wheel\n"
	"[sa esp:1000@2001:db8::2]\n"
	"src = 2001:db8::1\n"
	"enc = aes256gcm16\n"
	"enckey = 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223\n"
	"replay-window = 128\n"
	"esn = no\n"
	"life-bytes = 1000,2000\n"
	"life-seconds = 3600\n"
	"[sa ah.1001@192.0.2.2]\n"
	"src = 192.0.2.1\n"
	"dir = out\n"
	"auth = sha512\n"
	"authkey = 0x" "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	"ah-align = 64\n"
	"[group v6]\n"
	"said = esp:1000@2001:db8::2\n"
	"src-ts = 2001:db8:1::/48,2001:db8:3::/48\n"
	"dst-ts = 2001:db8:2::/48\n"
	"proto = tcp\n"
	"dport = 443\n"
	"priority = 1200000\n"
	"datapath = userspace\n"
	"[group block]\n"
	"said = %drop\n"
	"src-ts = 10.9.0.0/16\n"
	"dst-ts = 0.0.0.0/0\n"
	"[sa comp.500@192.0.2.9]\n"
	"src = 192.0.2.8\n"
	"comp = deflate\n"
	"life-packets = 5\n";

/* print -> parse -> build gives the same groups. */
static void roundtrip(const char *text, const char *const *locals)
{
	struct cfg *c, *c2;
	struct sadb *db = build(text, locals, &c), *db2;
	char *out = print_config(db, c), *plain = unhide_keys(out, c);
	size_t i;

	ck_assert_ptr_null(strstr(out, "0x0001020304"));
	db2 = build(plain, locals, &c2);
	ck_assert_uint_eq(db->ngroup, db2->ngroup);
	for (i = 0; i < db->ngroup; i++) {
		ck_assert_str_eq(db->group[i]->name, db2->group[i]->name);
		ck_assert(sadb_group_equal(db->group[i], db2->group[i]));
		ck_assert((db->group[i]->skip_reason == NULL) == (db2->group[i]->skip_reason == NULL));
	}
	ck_assert_str_eq(c->mount, c2->mount);
	ck_assert_str_eq(c->control, c2->control);
	ck_assert_str_eq(c->state_dir, c2->state_dir);
	ck_assert_int_eq(c->datapath, c2->datapath);
	ck_assert_int_eq(c->said_format, c2->said_format);
	ck_assert_int_eq(c->install_routes, c2->install_routes);
	ck_assert_int_eq(c->keep_on_exit, c2->keep_on_exit);
	ck_assert_uint_eq(c->route_table, c2->route_table);
	ck_assert((c->control_group == NULL) == (c2->control_group == NULL));
	/* printing is a fixed point */
	{
		char *out2 = print_config(db2, c2);

		if (strcmp(out, out2))
			fprintf(stderr, "--- first\n%s--- second\n%s", out, out2);
		ck_assert_str_eq(out, out2);
		free(out2);
	}
	free(out);
	free(plain);
	sadb_free(db);
	sadb_free(db2);
	cfg_free(c);
	cfg_free(c2);
}

START_TEST(test_print_roundtrip)
{
	roundtrip(SEED4, HOST_A);
	roundtrip(SEED4, HOST_B);
	roundtrip(SEED4, HOST_NONE);
	roundtrip(SEED4_EXPLICIT, HOST_A);
	roundtrip(RICH, HOST_A);
	roundtrip(RICH, HOST_NONE);
}
END_TEST

START_TEST(test_print_text)
{
	struct cfg *c;
	struct sadb *db = build(SEED4, HOST_A, &c);
	char *out = print_config(db, c);

	ck_assert_ptr_nonnull(strstr(out, "[daemon]\nmount = /run/spigrpd/net\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n\n[sa tun.3d0@192.0.2.2]\n"
					  "# direction: out (192.0.2.1 is local)\n"
					  "src = 192.0.2.1\n\n"
					  "[sa comp.3d0@192.0.2.2]\n"));
	ck_assert_ptr_nonnull(strstr(out, "enckey = <hidden>\n"));
	ck_assert_ptr_nonnull(strstr(out, "authkey = <hidden>\n"));
	ck_assert_ptr_null(strstr(out, "\nmode ="));
	ck_assert_ptr_nonnull(strstr(out, "\nsaid = tun.3d0@192.0.2.2 comp.3d0@192.0.2.2 "
					  "esp.187a101b@192.0.2.2 ah.187a101a@192.0.2.2\n"));
	free(out);
	sadb_free(db);
	cfg_free(c);

	db = build(SEED4, HOST_NONE, &c);
	out = print_config(db, c);
	ck_assert_ptr_nonnull(strstr(out, "# direction: none (neither 192.0.2.1 nor 192.0.2.2 is local): skipped\n"));
	ck_assert_ptr_nonnull(strstr(out, "# direction: none: skipped (neither 192.0.2.1 nor 192.0.2.2 is a local address)\n"));
	free(out);
	sadb_free(db);
	cfg_free(c);
}
END_TEST

/* Policies that do not share a kernel key: each text builds. */
static const struct {
	const char *text;
	const char *const *locals;
} no_collision[] = {
	/* 0: the same selectors, one group outbound, one inbound */
	{ COMP("300", "192.0.2.2", "192.0.2.1") GROUP("out", "comp.300@192.0.2.2")
	  COMP("301", "192.0.2.1", "192.0.2.2") GROUP("in", "comp.301@192.0.2.1"),
	  HOST_A },
	/* 1: another dport, another proto */
	{ COMP("300", "192.0.2.2", "192.0.2.1") GROUP("a", "comp.300@192.0.2.2") "proto = tcp\ndport = 22\n"
	  COMP("301", "192.0.2.2", "192.0.2.1") GROUP("b", "comp.301@192.0.2.2") "proto = tcp\ndport = 23\n"
	  COMP("302", "192.0.2.2", "192.0.2.1") GROUP("c", "comp.302@192.0.2.2") "proto = udp\ndport = 22\n"
	  COMP("303", "192.0.2.2", "192.0.2.1") GROUP("d", "comp.303@192.0.2.2"),
	  HOST_A },
	/* 2: a group skipped on this host installs nothing */
	{ COMP("300", "192.0.2.7", "192.0.2.8") GROUP("elsewhere", "comp.300@192.0.2.7")
	  GROUP("block", "%drop"),
	  HOST_A },
	/* 3: the pairs differ though the prefixes overlap */
	{ COMP("300", "192.0.2.2", "192.0.2.1") GROUP("a", "comp.300@192.0.2.2")
	  COMP("301", "192.0.2.2", "192.0.2.1")
	  "[group b]\nsaid = comp.301@192.0.2.2\nsrc-ts = 10.0.2.0/24\ndst-ts = 10.0.1.0/24\n"
	  COMP("302", "192.0.2.2", "192.0.2.1")
	  "[group c]\nsaid = comp.302@192.0.2.2\nsrc-ts = 10.0.1.0/25\ndst-ts = 10.0.2.0/24\n",
	  HOST_A },
};

START_TEST(test_no_collision)
{
	struct sadb *db = build(no_collision[_i].text, no_collision[_i].locals, NULL);

	db_free(db);
}
END_TEST

/* 100,000 groups, one /32 source each: building stays quick (records
 * sorted, not compared pairwise), and the one collision, between the first
 * and the last group, is found.  Shunt groups (no [sa] to parse; each
 * counts in every direction), with one outbound SA group in the middle. */
START_TEST(test_collisions_many)
{
	const unsigned n = 100000;
	struct cfg_parser *p;
	struct cfg_errors errs = { 0 };
	struct sadb *db;
	struct cfg *c;
	char line[128], want[256];
	unsigned i, lines = 0;

	p = cfg_parser_new("t.conf", &errs);
	ck_assert_ptr_nonnull(p);
	cfg_parser_line(p, "[sa comp.300@192.0.2.2]");
	cfg_parser_line(p, "src = 192.0.2.1");
	cfg_parser_line(p, "comp = deflate");
	lines += 3;
	for (i = 0; i < n; i++) {
		unsigned a = i == n - 1 ? 0 : i;

		snprintf(line, sizeof(line), "[group g%u]", i);
		cfg_parser_line(p, line);
		cfg_parser_line(p, i == n / 2 ? "said = comp.300@192.0.2.2" : "said = %pass");
		snprintf(line, sizeof(line), "src-ts = 10.%u.%u.%u/32", a >> 16, (a >> 8) & 255, a & 255);
		cfg_parser_line(p, line);
		cfg_parser_line(p, "dst-ts = 172.16.0.0/12, 192.168.0.0/16");
		lines += 4;
	}
	c = cfg_parser_finish(p);
	if (errs.n)
		fprintf(stderr, "unexpected cfg error: %s\n", errs.msg[0]);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(c);
	db = sadb_build(c, fake_is_local, (void *)HOST_A, &errs);
	ck_assert_ptr_null(db);
	ck_assert_uint_eq(errs.n, 1);
	/* said = is the 2nd line of each 4-line [group] */
	snprintf(want, sizeof(want),
		 "t.conf:%u: group g%u: its policy 10.0.0.0/32 -> 172.16.0.0/12 collides with group g0 (line 5): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)",
		 lines - 2, n - 1);
	ck_assert_str_eq(errs.msg[0], want);
	cfg_errors_free(&errs);
	cfg_free(c);
}
END_TEST

static Suite *sadb_suite(void)
{
	Suite *s = suite_create("sadb");
	TCase *tc = tcase_create("build");
	TCase *tr = tcase_create("reqids");
	TCase *tm = tcase_create("many");

	tcase_add_test(tc, test_tun_shorthand);
	tcase_add_test(tc, test_shorthand_equals_explicit);
	tcase_add_loop_test(tc, test_direction, 0, sizeof(dir_cases) / sizeof(dir_cases[0]));
	tcase_add_test(tc, test_order_and_implicit);
	tcase_add_loop_test(tc, test_placement, 0, sizeof(place_cases) / sizeof(place_cases[0]));
	tcase_add_loop_test(tc, test_errors, 0, sizeof(err_cases) / sizeof(err_cases[0]));
	tcase_add_test(tc, test_two_groups_and_undefined);
	tcase_add_loop_test(tc, test_group_equal, 0, sizeof(changes) / sizeof(changes[0]));
	tcase_add_test(tc, test_names_state);
	tcase_add_test(tc, test_print_roundtrip);
	tcase_add_test(tc, test_print_text);
	tcase_add_loop_test(tc, test_no_collision, 0, sizeof(no_collision) / sizeof(no_collision[0]));
	suite_add_tcase(s, tc);

	tcase_set_timeout(tm, 120); /* parsing 400,000 lines under ASan */
	tcase_add_test(tm, test_collisions_many);
	suite_add_tcase(s, tm);

	tcase_set_timeout(tr, 60); /* 100,000 names, written with fsync */
	tcase_add_checked_fixture(tr, tmp_setup, tmp_teardown);
	tcase_add_test(tr, test_reqids);
	tcase_add_test(tr, test_reqids_garbage);
	tcase_add_test(tr, test_reqids_unwritable);
	tcase_add_test(tr, test_reqids_many);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sadb_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
