/* check_kview.c: the builder functions of kview.h. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "kview.h"

START_TEST(test_add_and_grow)
{
	struct kview v = {0};
	struct kv_sa sa = {0};
	struct kv_group g = {0};
	struct kv_eroute e = {0};

	for (unsigned i = 0; i < 1000; i++) {
		sa.reqid = i;
		ck_assert_int_eq(kview_add_sa(&v, &sa), (long)i);
	}
	ck_assert_uint_eq(v.nsa, 1000);
	ck_assert_uint_ge(v.sa_cap, 1000);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert_uint_eq(v.sa[i].reqid, i);

	g.nsa = 2;
	g.sa[0] = 998;
	g.sa[1] = 999;
	strcpy(g.label, "net-net");
	ck_assert_int_eq(kview_add_group(&v, &g), 0);
	g.order = 7;
	ck_assert_int_eq(kview_add_group(&v, &g), 1);
	ck_assert_str_eq(v.grp[1].label, "net-net");
	ck_assert_uint_eq(v.grp[1].order, 7);
	ck_assert_uint_eq(v.grp[0].sa[1], 999);

	e.count = 42;
	ck_assert_int_eq(kview_add_eroute(&v, &e), 0);
	ck_assert_uint_eq(v.er[0].count, 42);
	ck_assert_uint_eq(v.ner, 1);

	kview_clear(&v);
	ck_assert_ptr_null(v.sa);
	ck_assert_ptr_null(v.grp);
	ck_assert_ptr_null(v.er);
	ck_assert_uint_eq(v.nsa + v.ngrp + v.ner + v.sa_cap, 0);
	kview_clear(&v); /* twice is fine */
	kview_clear(NULL);
}
END_TEST

/* A group names SAs already in the view, at most KV_MAX_GROUP of them. */
START_TEST(test_group_checked)
{
	struct kview v = {0};
	struct kv_sa sa = {0};
	struct kv_group g = {0};

	g.nsa = 1;
	g.sa[0] = 0;
	ck_assert_int_eq(kview_add_group(&v, &g), -EINVAL);
	ck_assert_int_eq(kview_add_sa(&v, &sa), 0);
	ck_assert_int_eq(kview_add_group(&v, &g), 0);
	g.sa[0] = 1;
	ck_assert_int_eq(kview_add_group(&v, &g), -EINVAL);
	g.sa[0] = 0;
	g.nsa = KV_MAX_GROUP + 1;
	ck_assert_int_eq(kview_add_group(&v, &g), -EINVAL);
	ck_assert_uint_eq(v.ngrp, 1);
	kview_clear(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kview");
	TCase *tc = tcase_create("build");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_add_and_grow);
	tcase_add_test(tc, test_group_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
