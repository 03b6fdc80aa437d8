/* check_loop.c: the daemon's poll loop (loop.h): descriptors, sources,
 * timers and the wake-up eventfd.  No test waits on time: timers are armed
 * for 0 ms, and the thread test only checks that a wake arrives. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

struct ctx {
	struct loop *l;
	int fd[2];
	int reads, timers, wakes, prepares, dispatches;
	struct loop_timer *t;
	int rearm;
	char order[32];
};

static void note(struct ctx *c, char what)
{
	size_t n = strlen(c->order);

	if (n + 1 < sizeof(c->order)) {
		c->order[n] = what;
		c->order[n + 1] = '\0';
	}
}

static void on_read(void *arg)
{
	struct ctx *c = arg;
	char buf[16];

	ck_assert_int_gt(read(c->fd[0], buf, sizeof(buf)), 0);
	c->reads++;
	note(c, 'r');
	if (c->reads == 2)
		loop_stop(c->l);
}

static void on_timer(void *arg)
{
	struct ctx *c = arg;

	c->timers++;
	note(c, 't');
	if (c->rearm-- > 0)
		loop_timer_arm(c->t, 0);
	else
		loop_stop(c->l);
}

static void on_wake(void *arg)
{
	struct ctx *c = arg;

	c->wakes++;
	note(c, 'w');
	loop_stop(c->l);
}

static int src_prepare(void *arg, struct pollfd *pfd, int max, int *timeout_ms)
{
	struct ctx *c = arg;

	ck_assert_int_ge(max, 1);
	c->prepares++;
	pfd[0] = (struct pollfd){ .fd = c->fd[0], .events = POLLIN };
	*timeout_ms = 0;
	return 1;
}

static void src_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct ctx *c = arg;

	ck_assert_int_eq(n, 1);
	c->dispatches++;
	note(c, 's');
	if (pfd[0].revents & POLLIN) {
		char buf[16];

		ck_assert_int_gt(read(c->fd[0], buf, sizeof(buf)), 0);
	}
	if (c->dispatches == 3)
		loop_stop(c->l);
}

static void setup_ctx(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(loop_new(&c->l), 0);
	ck_assert_int_eq(pipe(c->fd), 0);
}

static void free_ctx(struct ctx *c)
{
	loop_free(c->l);
	close(c->fd[0]);
	close(c->fd[1]);
}

START_TEST(test_fds)
{
	struct ctx c;

	setup_ctx(&c);
	ck_assert_int_eq(loop_add_fd(c.l, c.fd[0], on_read, &c), 0);
	ck_assert_int_eq(loop_add_fd(c.l, -1, on_read, &c), 0); /* ignored */
	ck_assert_int_eq(write(c.fd[1], "a", 1), 1);
	ck_assert_int_eq(write(c.fd[1], "b", 1), 1);
	/* one read takes both bytes: the second comes later */
	c.t = loop_timer_new(c.l, on_timer, &c);
	ck_assert_ptr_nonnull(c.t);
	c.rearm = 100;
	loop_timer_arm(c.t, 0);
	ck_assert(loop_timer_armed(c.t));
	ck_assert_int_eq(loop_run(c.l), 0);
	ck_assert_int_eq(c.reads, 1);
	ck_assert_int_eq(c.timers, 101);
	/* the timer ran out of re-arms and stopped the loop; a second byte
	 * is read by the next run */
	ck_assert_int_eq(write(c.fd[1], "c", 1), 1);
	ck_assert_int_eq(loop_run(c.l), 0);
	ck_assert_int_eq(c.reads, 2);
	free_ctx(&c);
}
END_TEST

START_TEST(test_timer_disarm)
{
	struct ctx c;
	struct loop_timer *never;

	setup_ctx(&c);
	never = loop_timer_new(c.l, on_wake, &c);
	loop_timer_arm(never, 0);
	loop_timer_disarm(never);
	ck_assert(!loop_timer_armed(never));
	c.t = loop_timer_new(c.l, on_timer, &c);
	loop_timer_arm(c.t, -5); /* in the past: due now */
	ck_assert_int_eq(loop_run(c.l), 0);
	ck_assert_int_eq(c.timers, 1);
	ck_assert_int_eq(c.wakes, 0);
	ck_assert(!loop_timer_armed(c.t));
	free_ctx(&c);
}
END_TEST

START_TEST(test_source)
{
	struct ctx c;
	struct loop_source src = {
		.prepare = src_prepare, .dispatch = src_dispatch, .arg = &c, .max = 1,
	};

	setup_ctx(&c);
	ck_assert_int_eq(loop_add_source(c.l, &src), 0);
	ck_assert_int_eq(write(c.fd[1], "x", 1), 1);
	/* dispatched every round, ready or not (timeout 0 from prepare) */
	ck_assert_int_eq(loop_run(c.l), 0);
	ck_assert_int_eq(c.dispatches, 3);
	ck_assert_int_eq(c.prepares, 3);
	ck_assert_str_eq(c.order, "sss");
	free_ctx(&c);
}
END_TEST

static void *waker(void *arg)
{
	struct loop *l = arg;

	ck_assert_int_eq(loop_wake(l), 0);
	return NULL;
}

START_TEST(test_wake_from_thread)
{
	struct ctx c;
	pthread_t th;

	setup_ctx(&c);
	loop_on_wake(c.l, on_wake, &c);
	ck_assert_int_eq(pthread_create(&th, NULL, waker, c.l), 0);
	ck_assert_int_eq(loop_run(c.l), 0); /* returns once the wake arrived */
	pthread_join(th, NULL);
	ck_assert_int_eq(c.wakes, 1);
	/* several wakes before the loop looks: one call */
	ck_assert_int_eq(loop_wake(c.l), 0);
	ck_assert_int_eq(loop_wake(c.l), 0);
	ck_assert_int_eq(loop_run(c.l), 0);
	ck_assert_int_eq(c.wakes, 2);
	free_ctx(&c);
}
END_TEST

START_TEST(test_now_and_free)
{
	int64_t a = loop_now_ms(), b = loop_now_ms();

	ck_assert(b >= a);
	loop_free(NULL);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, test_fds);
	tcase_add_test(tc, test_timer_disarm);
	tcase_add_test(tc, test_source);
	tcase_add_test(tc, test_wake_from_thread);
	tcase_add_test(tc, test_now_and_free);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
