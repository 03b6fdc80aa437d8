/* check_log.c: the logger (src/core/log.c): one write() per whole line
 * (stderr is a datagram socket here, so each write() arrives as one
 * datagram), cut long lines, log_errno(), and the rate limit with explicit
 * timestamps or an injected clock (no sleeps). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

static int rx = -1; /* our end of the datagram socket that is stderr */

static void setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	ck_assert_int_eq(dup2(sv[0], STDERR_FILENO), STDERR_FILENO);
	close(sv[0]);
	rx = sv[1];
	log_init("t", true, LOG_INFO);
	log_set_clock(NULL);
}

static void teardown(void)
{
	close(rx);
}

/* The next datagram (one write() to stderr), NUL-terminated in @buf; its
 * length, or -1 when there is none. */
static ssize_t next_write(char *buf, size_t size)
{
	ssize_t n = recv(rx, buf, size - 1, MSG_DONTWAIT);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void expect_write(const char *want)
{
	char buf[LOG_LINE_MAX + 16];

	ck_assert_int_ge(next_write(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

static void expect_nothing(void)
{
	char buf[64];

	ck_assert_int_eq(next_write(buf, sizeof(buf)), -1);
}

START_TEST(test_one_write_per_line)
{
	errno = EIO;
	log_err("hello %d", 42);
	ck_assert_int_eq(errno, EIO); /* kept */
	expect_write("t: error: hello 42\n");
	log_notice("%s", "a notice");
	expect_write("t: notice: a notice\n");
	log_debug("not at LOG_INFO");
	expect_nothing();
	log_init("t", true, LOG_DEBUG);
	log_debug("now");
	expect_write("t: debug: now\n");
	expect_nothing();
}
END_TEST

START_TEST(test_log_errno)
{
	log_errno(LOG_WARNING, -ENOENT, "open %s", "x");
	expect_write("t: warning: open x: No such file or directory\n");
	log_errno(LOG_ERR, EACCES, "bind");
	expect_write("t: error: bind: Permission denied\n");
	log_errno(LOG_ERR, 0, "no error text");
	expect_write("t: error: no error text\n");
}
END_TEST

/* A line longer than LOG_LINE_MAX is cut, ends in "...", and is still one
 * write. */
START_TEST(test_long_line_cut)
{
	char *big = malloc(10000), buf[LOG_LINE_MAX + 16];
	ssize_t n;

	memset(big, 'a', 9999);
	big[9999] = '\0';
	log_info("%s", big);
	n = next_write(buf, sizeof(buf));
	ck_assert_int_eq(n, LOG_LINE_MAX);
	ck_assert_int_eq(strncmp(buf, "t: info: aaa", 12), 0);
	ck_assert_str_eq(buf + n - 5, "a...\n");
	expect_nothing();
	/* with an errno text: cut the same way */
	log_errno(LOG_INFO, EIO, "%s", big);
	ck_assert_int_eq(next_write(buf, sizeof(buf)), LOG_LINE_MAX);
	free(big);
}
END_TEST

enum { THREADS = 8, LINES = 300 };

static void *writer(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < LINES; i++)
		log_info("thread %ld line %d of a longer message %s", id, i,
			 "0123456789abcdefghijklmnopqrstuvwxyz");
	return NULL;
}

/* Lines from several threads arrive whole: every write is exactly one
 * complete line. */
START_TEST(test_threads)
{
	pthread_t t[THREADS];
	int seen[THREADS] = { 0 }, total = 0;
	char buf[512];
	long id;
	int line;

	for (long i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	while (total < THREADS * LINES) {
		ssize_t n = recv(rx, buf, sizeof(buf) - 1, 0); /* the writers block meanwhile */

		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(sscanf(buf, "t: info: thread %ld line %d of a longer message", &id,
				     &line) == 2 && id >= 0 && id < THREADS,
			      "not a whole line: \"%s\"", buf);
		ck_assert_str_eq(buf + n - 38, " 0123456789abcdefghijklmnopqrstuvwxyz\n");
		ck_assert_int_eq(line, seen[id]); /* in order, none lost */
		seen[id]++;
		total++;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	expect_nothing();
}
END_TEST

/* The decision alone, with explicit timestamps. */
START_TEST(test_limit_pass)
{
	struct log_limit l = LOG_LIMIT_INIT("x", 1000, 3);
	unsigned held;
	int64_t t;

	for (t = 500; t < 503; t++) {
		ck_assert(log_limit_pass(&l, t, &held));
		ck_assert_uint_eq(held, 0);
	}
	for (; t < 510; t++)
		ck_assert(!log_limit_pass(&l, t, &held));
	ck_assert(!log_limit_pass(&l, 1499, &held)); /* the window is [500, 1500) */
	ck_assert(log_limit_pass(&l, 1500, &held));
	ck_assert_uint_eq(held, 8);
	ck_assert(log_limit_pass(&l, 1501, &held));
	ck_assert_uint_eq(held, 0);
	ck_assert(log_limit_pass(&l, 1502, &held));
	ck_assert(!log_limit_pass(&l, 1503, &held));
	/* nothing for a long time: a new window at the next line */
	ck_assert(log_limit_pass(&l, 100000, &held));
	ck_assert_uint_eq(held, 1);
	/* a clock that went back starts a new window too */
	ck_assert(log_limit_pass(&l, 100001, &held));
	ck_assert(log_limit_pass(&l, 100002, &held));
	ck_assert(!log_limit_pass(&l, 100003, &held));
	ck_assert(log_limit_pass(&l, 50, &held));
	ck_assert_uint_eq(held, 1);
}
END_TEST

START_TEST(test_limit_zero_burst)
{
	struct log_limit l = LOG_LIMIT_INIT("x", 1000, 0);
	unsigned held;

	ck_assert(!log_limit_pass(&l, 0, &held));
	ck_assert(!log_limit_pass(&l, 5000, &held));
}
END_TEST

static int64_t now;

static int64_t fake_clock(void)
{
	return now;
}

START_TEST(test_limited_lines)
{
	struct log_limit l = LOG_LIMIT_INIT("ctl: refused", 60000, 2);
	int i;

	log_set_clock(fake_clock);
	now = 7;
	for (i = 0; i < 10; i++)
		log_limited(&l, LOG_NOTICE, "refused %d", i);
	expect_write("t: notice: refused 0\n");
	expect_write("t: notice: refused 1\n");
	expect_nothing();
	/* below the log level: neither logged nor counted */
	log_limited(&l, LOG_DEBUG, "debug");
	now += 60000;
	log_limited(&l, LOG_NOTICE, "refused %d", i);
	expect_write("t: notice: ctl: refused: 8 similar messages suppressed (at most 2 per 60 s)\n");
	expect_write("t: notice: refused 10\n");
	expect_nothing();
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_one_write_per_line);
	tcase_add_test(tc, test_log_errno);
	tcase_add_test(tc, test_long_line_cut);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_limit_pass);
	tcase_add_test(tc, test_limit_zero_burst);
	tcase_add_test(tc, test_limited_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
