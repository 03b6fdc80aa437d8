/* check_place.c: the one placement rule (place.h): what XFRM can express,
 * the config's wish and the kernel probe's verdict, with their reason. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"
#include "sadb.h"

/* A hand-made group of SAs with these protocols (t = tun, c = comp). */
struct tgroup {
	struct sadb_group g;
	struct sadb_sa sa[CFG_MAX_GROUP_SAS + 1];
	struct cfg_sa cs[CFG_MAX_GROUP_SAS + 1];
};

static void tg(struct tgroup *t, const char *shape, enum cfg_datapath want, bool daemon)
{
	memset(t, 0, sizeof(*t));
	t->g.name = "g";
	t->g.want = want;
	t->g.want_daemon = daemon;
	t->g.dir = SADB_DIR_OUT;
	for (unsigned i = 0; shape[i]; i++) {
		t->cs[i].said.proto = shape[i] == 't' ? SAID_PROTO_TUN : SAID_PROTO_COMP;
		t->sa[i].cfg = &t->cs[i];
		t->g.sa[t->g.nsa++] = &t->sa[i];
	}
	if (!shape[0])
		t->g.shunt = true;
}

static const struct {
	const char *shape;
	const char *why; /* NULL: expressible */
} shapes[] = {
	{ "c", NULL },
	{ "tc", NULL },
	{ "tcc", NULL },
	{ "tctc", NULL },
	{ "", NULL }, /* a shunt */
	{ "t", "the group has only tun SAs: XFRM cannot express it" },
	{ "tt", "the group has only tun SAs: XFRM cannot express it" },
	{ "ttc", "two tun SAs in a row: XFRM cannot express it" },
	{ "ct", "a tun SA ends the group: XFRM cannot express it" },
	{ "tcct", "a tun SA ends the group: XFRM cannot express it" },
};

START_TEST(test_expressible)
{
	struct tgroup t;
	struct reason why = { "untouched" };

	tg(&t, shapes[_i].shape, CFG_DP_AUTO, true);
	ck_assert(place_xfrm_expressible(&t.g, &why) == (shapes[_i].why == NULL));
	ck_assert_str_eq(why.text, shapes[_i].why ? shapes[_i].why : "untouched");
	ck_assert(place_xfrm_expressible(&t.g, NULL) == (shapes[_i].why == NULL));
}
END_TEST

static int probe_calls;

static int probe_yes(void *arg, const struct sadb_group *g, struct reason *why)
{
	(void)arg;
	(void)g;
	(void)why;
	probe_calls++;
	return 0;
}

static int probe_no(void *arg, const struct sadb_group *g, struct reason *why)
{
	(void)g;
	probe_calls++;
	if (arg)
		reason_set(why, "%s", (const char *)arg);
	return -EPROTONOSUPPORT;
}

static const struct {
	const char *shape;
	enum cfg_datapath want;
	bool daemon;
	place_probe_fn probe;
	const char *probe_text;
	enum place_where where;
	const char *why;
	int probes;
} decisions[] = {
	{ "c", CFG_DP_KERNEL, false, probe_no, NULL, PLACE_KERNEL, "datapath = kernel", 0 },
	{ "c", CFG_DP_KERNEL, true, probe_no, NULL, PLACE_KERNEL, "datapath = kernel in [daemon]", 0 },
	{ "c", CFG_DP_USERSPACE, true, probe_yes, NULL, PLACE_USERSPACE,
	  "datapath = userspace in [daemon]", 0 },
	{ "c", CFG_DP_AUTO, true, probe_yes, NULL, PLACE_KERNEL,
	  "the kernel accepts every transform", 1 },
	{ "c", CFG_DP_AUTO, true, probe_no, "Protocol not supported (ESP)", PLACE_USERSPACE,
	  "kernel probe: Protocol not supported (ESP)", 1 },
	{ "c", CFG_DP_AUTO, false, probe_no, NULL, PLACE_USERSPACE,
	  "kernel probe: Protocol not supported", 1 },
	{ "c", CFG_DP_AUTO, false, NULL, NULL, PLACE_USERSPACE,
	  "kernel probe: Function not implemented", 0 },
	/* what XFRM cannot express never reaches the probe */
	{ "ct", CFG_DP_AUTO, true, probe_yes, NULL, PLACE_USERSPACE,
	  "a tun SA ends the group: XFRM cannot express it", 0 },
	{ "ct", CFG_DP_KERNEL, true, probe_yes, NULL, PLACE_USERSPACE,
	  "a tun SA ends the group: XFRM cannot express it", 0 },
	{ "", CFG_DP_AUTO, true, probe_yes, NULL, PLACE_KERNEL,
	  "the kernel accepts every transform", 1 },
};

START_TEST(test_decide)
{
	struct tgroup t;
	struct place_verdict v;
	struct reason why = { "" };

	tg(&t, decisions[_i].shape, decisions[_i].want, decisions[_i].daemon);
	probe_calls = 0;
	ck_assert_int_eq(place_decide(&t.g, decisions[_i].probe, (void *)decisions[_i].probe_text,
				      &v),
			 decisions[_i].where);
	ck_assert_int_eq(v.where, decisions[_i].where);
	place_why(&t.g, v.probed, v.err, v.kernel.text, &why);
	ck_assert_str_eq(why.text, decisions[_i].why);
	ck_assert_int_eq(probe_calls, decisions[_i].probes);
}
END_TEST

START_TEST(test_provisional_and_names)
{
	struct tgroup t;
	struct reason why;

	tg(&t, "c", CFG_DP_AUTO, true);
	ck_assert_int_eq(place_provisional(&t.g), PLACE_KERNEL);
	place_wish(&t.g, &why);
	ck_assert_str_eq(why.text, "datapath = auto in [daemon]");
	tg(&t, "t", CFG_DP_KERNEL, true);
	ck_assert_int_eq(place_provisional(&t.g), PLACE_USERSPACE);
	ck_assert_int_eq(place_wish(&t.g, NULL), CFG_DP_USERSPACE);
	ck_assert_str_eq(place_name(PLACE_KERNEL), "kernel");
	ck_assert_str_eq(place_name(PLACE_USERSPACE), "userspace");
	ck_assert_str_eq(place_datapath_name(CFG_DP_AUTO), "auto");
	ck_assert_str_eq(place_datapath_name(CFG_DP_KERNEL), "kernel");
	ck_assert_str_eq(place_datapath_name(CFG_DP_USERSPACE), "userspace");
	ck_assert_str_eq(place_datapath_name((enum cfg_datapath)9), "unknown");
}
END_TEST

static Suite *place_suite(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("place");

	tcase_add_loop_test(tc, test_expressible, 0, sizeof(shapes) / sizeof(shapes[0]));
	tcase_add_loop_test(tc, test_decide, 0, sizeof(decisions) / sizeof(decisions[0]));
	tcase_add_test(tc, test_provisional_and_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(place_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
