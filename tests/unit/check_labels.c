/* check_labels.c: the label table (labels.h): the character rules, reqid
 * parsing, set/replace/remove, the sorted order and lookups, the bound. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kview.h"
#include "labels.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const good[] = {
	"anchor", "net-net", "rw[3]", "westnet-eastnet/1x0", "a", "host_1:ipcomp",
	"x@example.org", "v=1,b+2%~^!?#$&*()<>|;", "0123456789",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", /* 63 */
};

static const struct {
	const char *name;
	const char *why;
} bad[] = {
	{ "", "empty label" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
	  "label longer than 63 bytes" },
	{ "-x", "a label does not start with '-'" },
	{ "a b", "byte 2 (0x20) is not allowed in a label: printable ASCII without spaces only" },
	{ "a\tb", "byte 2 (0x09) is not allowed in a label: printable ASCII without spaces only" },
	{ "a\"b", "'\"' (byte 2) is not allowed in a label" },
	{ "ab'", "''' (byte 3) is not allowed in a label" },
	{ "`x", "'`' (byte 1) is not allowed in a label" },
	{ "a\\", "'\\' (byte 2) is not allowed in a label" },
	{ "caf\xc3\xa9", "byte 4 (0xc3) is not allowed in a label: printable ASCII without spaces only" },
	{ "a\x7f", "byte 2 (0x7f) is not allowed in a label: printable ASCII without spaces only" },
};

START_TEST(test_good)
{
	struct reason why = { "untouched" };

	ck_assert_int_eq(label_check(good[_i], &why), 0);
	ck_assert_str_eq(why.text, "untouched");
}
END_TEST

START_TEST(test_bad)
{
	struct reason why = { "" };

	ck_assert_int_eq(label_check(bad[_i].name, &why), -EINVAL);
	ck_assert_str_eq(why.text, bad[_i].why);
}
END_TEST

START_TEST(test_reqid)
{
	static const struct {
		const char *s;
		uint32_t want; /* 0: refused */
	} t[] = {
		{ "1", 1 }, { "16389", 16389 }, { "0x4005", 0x4005 }, { "0XfFfF", 0xffff },
		{ "4294967295", 0xffffffffu }, { "0xffffffff", 0xffffffffu },
		{ "0", 0 }, { "0x0", 0 }, { "4294967296", 0 }, { "0x100000000", 0 },
		{ "-1", 0 }, { "+1", 0 }, { " 1", 0 }, { "1 ", 0 }, { "", 0 }, { "0x", 0 },
		{ "12a", 0 }, { "abc", 0 }, { "99999999999999999999999", 0 },
	};
	struct reason why;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint32_t v = 7;
		int r = label_parse_reqid(t[i].s, &v, &why);

		if (t[i].want) {
			ck_assert_msg(r == 0 && v == t[i].want, "\"%s\": %d %u", t[i].s, r, v);
		} else {
			ck_assert_msg(r == -EINVAL && v == 7, "\"%s\" accepted", t[i].s);
			ck_assert_ptr_nonnull(strstr(why.text, "bad reqid"));
		}
	}
}
END_TEST

START_TEST(test_table)
{
	struct labels t = LABELS_INIT;
	struct reason why = { "" };
	uint32_t prev = 0;

	ck_assert_ptr_null(labels_get(&t, 1));
	ck_assert_ptr_null(labels_get(NULL, 1));
	ck_assert_int_eq(labels_set(&t, 16389, "west-east", &why), 0);
	ck_assert_int_eq(labels_set(&t, 1, "anchor", &why), 0);
	ck_assert_int_eq(labels_set(&t, 0xffffffffu, "last", &why), 0);
	ck_assert_int_eq(labels_set(&t, 16390, "west-east", &why), 0); /* libreswan's IPComp reqid */
	ck_assert_int_eq(labels_set(&t, 16389, "renamed", &why), 1);
	ck_assert_int_eq(labels_set(&t, 16389, "renamed", &why), 1);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_str_eq(labels_get(&t, 16389), "renamed");
	ck_assert_str_eq(labels_get(&t, 16390), "west-east");
	ck_assert_str_eq(labels_get(&t, 1), "anchor");
	ck_assert_str_eq(labels_get(&t, 0xffffffffu), "last");
	ck_assert_ptr_null(labels_get(&t, 2));
	ck_assert_ptr_null(labels_get(&t, 16388));
	for (size_t i = 0; i < t.n; i++) {
		ck_assert(i == 0 || t.e[i].reqid > prev);
		prev = t.e[i].reqid;
	}

	/* refused: the table stays as it was */
	ck_assert_int_eq(labels_set(&t, 0, "zero", &why), -EINVAL);
	ck_assert_str_eq(why.text, "reqid 0 names no group");
	ck_assert_int_eq(labels_set(&t, 16389, "a b", &why), -EINVAL);
	ck_assert_str_eq(labels_get(&t, 16389), "renamed");
	ck_assert_uint_eq(t.n, 4);

	ck_assert_int_eq(labels_del(&t, 16389), 0);
	ck_assert_int_eq(labels_del(&t, 16389), -ENOENT);
	ck_assert_int_eq(labels_del(&t, 5), -ENOENT);
	ck_assert_ptr_null(labels_get(&t, 16389));
	ck_assert_str_eq(labels_get(&t, 16390), "west-east");
	ck_assert_int_eq(labels_del(&t, 1), 0);
	ck_assert_int_eq(labels_del(&t, 0xffffffffu), 0);
	ck_assert_int_eq(labels_del(&t, 16390), 0);
	ck_assert_uint_eq(t.n, 0);
	labels_clear(&t);
	labels_clear(NULL);
}
END_TEST

/* LABELS_MAX labels in a scrambled order: all found, one more refused, a
 * replacement still allowed when full. */
START_TEST(test_bound)
{
	struct labels t = LABELS_INIT;
	struct reason why = { "" };
	char name[LABEL_SIZE];

	for (uint32_t i = 0; i < LABELS_MAX; i++) {
		uint32_t reqid = (i * 40503u) % LABELS_MAX + 1; /* 40503 is odd: a permutation */

		snprintf(name, sizeof(name), "c%u", reqid);
		ck_assert_int_eq(labels_set(&t, reqid, name, &why), 0);
	}
	ck_assert_uint_eq(t.n, LABELS_MAX);
	for (uint32_t reqid = 1; reqid <= LABELS_MAX; reqid += 997) {
		snprintf(name, sizeof(name), "c%u", reqid);
		ck_assert_str_eq(labels_get(&t, reqid), name);
	}
	ck_assert_int_eq(labels_set(&t, LABELS_MAX + 1, "more", &why), -ENOSPC);
	ck_assert_str_eq(why.text, "65536 labels already: remove some first");
	ck_assert_int_eq(labels_set(&t, 77, "again", &why), 1);
	ck_assert_str_eq(labels_get(&t, 77), "again");
	ck_assert_int_eq(labels_del(&t, 77), 0);
	ck_assert_int_eq(labels_set(&t, LABELS_MAX + 1, "more", &why), 0);
	labels_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(t.e);
}
END_TEST

/* labels_fill(): foreign SAs by reqid, a group by its first labelled SA
 * (libreswan: ESP 16389, IPComp 16390), ours and earlier parts untouched. */
START_TEST(test_fill)
{
	struct labels t = LABELS_INIT;
	struct kview v = { 0 };
	struct kv_sa sa;
	struct kv_group g;
	static const struct {
		uint32_t reqid;
		bool ours;
	} sas[] = {
		{ 0x53400000, true },  /* 0: ours */
		{ 1, false },          /* 1: before sa_from: left alone */
		{ 1, false },          /* 2: charon's reqid 1 */
		{ 16390, false },      /* 3: libreswan IPComp */
		{ 16389, false },      /* 4: libreswan ESP */
		{ 9, false },          /* 5: no label */
		{ 0x53400000, true },  /* 6: ours, though its reqid had a label */
	};

	ck_assert_int_eq(labels_set(&t, 1, "net-comp", NULL), 0);
	ck_assert_int_eq(labels_set(&t, 16389, "west-east", NULL), 0);
	ck_assert_int_eq(labels_set(&t, 0x53400000, "not-shown", NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sas); i++) {
		memset(&sa, 0, sizeof(sa));
		sa.reqid = sas[i].reqid;
		sa.ours = sas[i].ours;
		ck_assert_int_eq(kview_add_sa(&v, &sa), (long)i);
	}
	memset(&g, 0, sizeof(g));
	g.ours = true; g.sa[0] = 0; g.nsa = 1;           /* ours */
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	memset(&g, 0, sizeof(g));
	g.sa[0] = 2; g.nsa = 1;                          /* charon's */
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	memset(&g, 0, sizeof(g));
	g.sa[0] = 3; g.sa[1] = 4; g.nsa = 2;             /* comp esp, two reqids */
	ck_assert_int_ge(kview_add_group(&v, &g), 0);
	memset(&g, 0, sizeof(g));
	g.sa[0] = 5; g.nsa = 1;                          /* unlabelled */
	ck_assert_int_ge(kview_add_group(&v, &g), 0);

	labels_fill(&t, &v, 2, 1);
	ck_assert_str_eq(v.sa[0].label, "");
	ck_assert_str_eq(v.sa[1].label, "");
	ck_assert_str_eq(v.sa[2].label, "net-comp");
	ck_assert_str_eq(v.sa[3].label, "");
	ck_assert_str_eq(v.sa[4].label, "west-east");
	ck_assert_str_eq(v.sa[5].label, "");
	ck_assert_str_eq(v.sa[6].label, "");
	ck_assert_str_eq(v.grp[0].label, "");
	ck_assert_str_eq(v.grp[1].label, "net-comp");
	ck_assert_str_eq(v.grp[2].label, "west-east");
	ck_assert_str_eq(v.grp[3].label, "");
	labels_fill(NULL, &v, 0, 0); /* no table: nothing */
	kview_clear(&v);
	labels_clear(&t);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("labels");
	TCase *tc = tcase_create("labels");

	tcase_add_loop_test(tc, test_good, 0, ARRAY_SIZE(good));
	tcase_add_loop_test(tc, test_bad, 0, ARRAY_SIZE(bad));
	tcase_add_test(tc, test_reqid);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_fill);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labels_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
