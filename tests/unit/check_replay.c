/* check_replay.c: unit tests of the anti-replay window (src/core/replay.c)
 * and of the live SA object (src/core/salive.c).
 *
 * The window's edges at sizes 0, 32 and 4096; ESN with the low half
 * wrapping (RFC 4303 Appendix A2.2); the order check-then-update (a
 * packet whose ICV fails never moves the window); and a long random run
 * against a plain model of RFC 4303 section 3.4.3.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "salive.h"

/* check and, when accepted, update (a packet whose ICV verified) */
static bool take(struct replay_window *w, uint32_t seq32, uint64_t *seq)
{
	uint64_t s;

	if (!replay_check(w, seq32, &s))
		return false;
	replay_update(w, s);
	if (seq)
		*seq = s;
	return true;
}

START_TEST(window_32_edges)
{
	struct replay_window w;
	uint64_t s;
	uint32_t i;

	replay_init(&w, 32, false);
	ck_assert(!replay_check(&w, 0, &s)); /* 0 is never sent */
	ck_assert(take(&w, 1, NULL));
	ck_assert(!take(&w, 1, NULL));
	ck_assert(take(&w, 100, NULL));
	ck_assert_uint_eq(w.top, 100);
	ck_assert(take(&w, 69, NULL));  /* 100 - 69 = 31: last slot in the window */
	ck_assert(!take(&w, 69, NULL));
	ck_assert(!replay_check(&w, 68, &s)); /* 32 behind: too old */
	ck_assert(take(&w, 99, NULL));
	ck_assert(!take(&w, 100, NULL));
	for (i = 70; i < 99; i++)
		ck_assert(take(&w, i, NULL));
	for (i = 69; i <= 100; i++)
		ck_assert(!replay_check(&w, i, &s));
	/* moving by one pushes 69 out, 101 in */
	ck_assert(take(&w, 101, NULL));
	ck_assert(!replay_check(&w, 69, &s));
	ck_assert(!replay_check(&w, 70, &s));
	ck_assert_uint_eq(w.top, 101);
}
END_TEST

START_TEST(window_0_no_check)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 0, false);
	ck_assert(!replay_check(&w, 0, &s));
	ck_assert(take(&w, 7, NULL));
	ck_assert(take(&w, 7, NULL));
	ck_assert(take(&w, 1000000, NULL));
	ck_assert(take(&w, 3, NULL));
	ck_assert(take(&w, 1000000, NULL));
	ck_assert_uint_eq(w.top, 1000000);
}
END_TEST

START_TEST(window_4096_edges)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 9999, false);
	ck_assert_uint_eq(w.size, REPLAY_MAX); /* larger is cut */
	ck_assert(take(&w, 5000, NULL));
	ck_assert(take(&w, 5000 - 4095, NULL));
	ck_assert(!replay_check(&w, 5000 - 4096, &s));
	ck_assert(!take(&w, 5000 - 4095, NULL));
	/* a jump of exactly the bitmap's size clears every bit: 905's bit
	 * is 9096's; 9096 is new */
	ck_assert(take(&w, 5000 + 4096, NULL));
	ck_assert(!replay_check(&w, 5000, &s)); /* too old now */
	ck_assert(take(&w, 5001, NULL));
	ck_assert(!take(&w, 5001, NULL));
	ck_assert(take(&w, 9000, NULL));
	/* a jump of more than the bitmap */
	ck_assert(take(&w, 50000, NULL));
	ck_assert(take(&w, 50000 - 4095, NULL));
	ck_assert(take(&w, 49999, NULL));
	ck_assert(!take(&w, 49999, NULL));
}
END_TEST

/* RFC 4303 section 3.4.3: the window moves only once the ICV verified. */
START_TEST(bad_icv_does_not_move)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 32, false);
	ck_assert(take(&w, 1, NULL));
	ck_assert(replay_check(&w, 1000000, &s));
	ck_assert_uint_eq(s, 1000000);
	/* ICV bad: no replay_update() */
	ck_assert(replay_check(&w, 5, &s));
	replay_update(&w, s);
	ck_assert_uint_eq(w.top, 5);
	/* the same with the big one verified: 5 is then far too old */
	ck_assert(take(&w, 1000000, NULL));
	ck_assert(!replay_check(&w, 6, &s));
}
END_TEST

START_TEST(esn_wrap)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 32, true);
	ck_assert(!replay_check(&w, 0, &s)); /* 0 in the first subspace */
	ck_assert(take(&w, 0xfffffff0u, &s));
	ck_assert_uint_eq(s, 0xfffffff0u); /* high half 0: no subspace before */
	ck_assert(take(&w, 0xffffffffu, &s));
	ck_assert_uint_eq(s, 0xffffffffu);
	/* the low half wraps: 0 is now 2^32, a valid number */
	ck_assert(take(&w, 0, &s));
	ck_assert_uint_eq(s, UINT64_C(0x100000000));
	ck_assert(take(&w, 2, &s));
	ck_assert_uint_eq(s, UINT64_C(0x100000002));
	/* late packets of the old subspace, inside the window */
	ck_assert(take(&w, 0xfffffff5u, &s));
	ck_assert_uint_eq(s, 0xfffffff5u);
	ck_assert(!take(&w, 0xfffffff5u, &s));
	ck_assert(!take(&w, 0xffffffffu, &s));
	/* below the window's bottom (2 - 32 + 1): taken as the next subspace */
	ck_assert(replay_check(&w, 0xffffffe0u, &s));
	ck_assert_uint_eq(s, UINT64_C(0x1ffffffe0));
	ck_assert(replay_check(&w, 0xffffffe3u, &s));
	ck_assert_uint_eq(s, 0xffffffe3u);
	ck_assert(!take(&w, 0, &s)); /* 2^32 seen */
	ck_assert(!take(&w, 2, &s));
	ck_assert(take(&w, 1, &s));
	ck_assert_uint_eq(s, UINT64_C(0x100000001));
	/* well inside a subspace: behind the window is the next subspace */
	ck_assert(take(&w, 1000, &s));
	ck_assert_uint_eq(s, UINT64_C(0x1000003e8));
	ck_assert(replay_check(&w, 968, &s));
	ck_assert_uint_eq(s, UINT64_C(0x2000003c8));
	ck_assert(replay_check(&w, 969, &s));
	ck_assert_uint_eq(s, UINT64_C(0x1000003c9));
}
END_TEST

START_TEST(esn_last_subspace)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 64, true);
	replay_update(&w, UINT64_MAX - 10);
	ck_assert(replay_check(&w, 0xfffffffeu, &s));
	ck_assert_uint_eq(s, UINT64_MAX - 1);
	/* a number that would need a high half of 2^32 */
	ck_assert(!replay_check(&w, 5, &s));
}
END_TEST

START_TEST(esn_window_0)
{
	struct replay_window w;
	uint64_t s;

	replay_init(&w, 0, true);
	ck_assert(take(&w, 0xfffffff0u, &s));
	ck_assert(take(&w, 3, &s));
	ck_assert_uint_eq(s, UINT64_C(0x100000003));
	/* reordered: nearest to the top, not assumed to be the next subspace */
	ck_assert(take(&w, 0xfffffff8u, &s));
	ck_assert_uint_eq(s, 0xfffffff8u);
	ck_assert(take(&w, 3, &s)); /* repeats pass: no window */
}
END_TEST

/* A model: the set of numbers accepted, top, the RFC's rule. */
START_TEST(random_against_model)
{
	static const uint32_t sizes[] = { 0, 1, 32, 64, 65, 1000, 4096 };
	enum { SPACE = 30000 };
	static bool seen[SPACE];
	unsigned k, i;

	srandom(4303);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct replay_window w;
		uint64_t top = 0, s;

		memset(seen, 0, sizeof(seen));
		replay_init(&w, sizes[k], false);
		for (i = 0; i < 60000; i++) {
			uint32_t q = (uint32_t)(top + (uint64_t)(random() % 5000)) - 4000u;
			bool want, got, icv_ok = random() % 4 != 0;

			if (q >= SPACE || (int32_t)q < 0)
				q = (uint32_t)(random() % SPACE);
			want = q && (!sizes[k] || q > top || (top - q < sizes[k] && !seen[q]));
			got = replay_check(&w, q, &s);
			ck_assert_msg(got == want, "size %u top %llu seq %u: got %d", sizes[k],
				      (unsigned long long)top, q, got);
			if (got && icv_ok) {
				replay_update(&w, s);
				seen[q] = true;
				if (q > top)
					top = q;
			}
		}
	}
}
END_TEST

START_TEST(salive_refs_and_names)
{
	struct sa_live *l = sa_live_new(64, true);
	unsigned r;

	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(atomic_load(&l->seq_next), 1);
	ck_assert_uint_eq(atomic_load(&l->seq_limit), 0);
	ck_assert_uint_eq(l->replay.size, 64);
	ck_assert(l->replay.esn);
	ck_assert_ptr_eq(sa_live_get(l), l);
	ck_assert_ptr_null(sa_live_get(NULL));
	sa_live_put(l);
	ck_assert_uint_eq(atomic_load(&l->refs), 1);
	sa_live_put(l);
	sa_live_put(NULL);

	ck_assert_ptr_null(dp_drop_name(0)); /* -0 would be success */
	ck_assert_str_eq(dp_drop_name(DP_DROP_ICV), "icv");
	ck_assert_str_eq(dp_drop_name(DP_DROP_REPLAY), "replay");
	ck_assert_str_eq(dp_drop_name(DP_DROP_POLICY), "policy");
	ck_assert_str_eq(dp_drop_name(DP_DROP_SELECTOR), "selector");
	ck_assert_str_eq(dp_drop_name(DP_DROP_MALFORMED), "malformed");
	ck_assert_str_eq(dp_drop_name(DP_DROP_INFLATE), "inflate");
	ck_assert_str_eq(dp_drop_name(DP_DROP_MTU), "mtu");
	ck_assert_str_eq(dp_drop_name(DP_DROP_SEQ), "seq");
	ck_assert_ptr_null(dp_drop_name(DP_DROP_NR));
	for (r = DP_DROP_ICV; r < DP_DROP_NR; r++)
		ck_assert_ptr_nonnull(dp_drop_name(r));
}
END_TEST

static int ctx_frees;
static void count_free(void *ctx)
{
	ck_assert_ptr_eq(ctx, &ctx_frees);
	ctx_frees++;
}

START_TEST(salive_ctx_freed_by_last_put)
{
	struct sa_live *l = sa_live_new(32, false);

	l->ctx = &ctx_frees;
	l->ctx_free = count_free;
	sa_live_get(l);
	sa_live_put(l);
	ck_assert_int_eq(ctx_frees, 0);
	sa_live_put(l);
	ck_assert_int_eq(ctx_frees, 1);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("window");

	tcase_add_test(tc, window_32_edges);
	tcase_add_test(tc, window_0_no_check);
	tcase_add_test(tc, window_4096_edges);
	tcase_add_test(tc, bad_icv_does_not_move);
	tcase_add_test(tc, esn_wrap);
	tcase_add_test(tc, esn_last_subspace);
	tcase_add_test(tc, esn_window_0);
	tcase_add_test(tc, random_against_model);
	suite_add_tcase(s, tc);
	tc = tcase_create("salive");
	tcase_add_test(tc, salive_refs_and_names);
	tcase_add_test(tc, salive_ctx_freed_by_last_put);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed ? EXIT_FAILURE : EXIT_SUCCESS;
}
