/* check_addrmon.c: the address monitor against the running kernel: the
 * caller's namespace (loopback addresses, no privilege needed), then a
 * private namespace whose addresses the tests change (root or user
 * namespaces; skipped with a note otherwise). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "addrmon.h"
#include "nstest.h"

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(s, &a, NULL, 0), 0);
	return a;
}

static bool is_local(struct addrmon *am, const char *s)
{
	struct ip_addr a = addr(s);

	return addrmon_is_local(&a, am);
}

/* Does this namespace have IPv6 on lo (::1)?  Read from procfs, not
 * through the code under test. */
static bool have_ipv6_lo(void)
{
	char line[256];
	bool yes = false;
	FILE *f = fopen("/proc/net/if_inet6", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "00000000000000000000000000000001 ", 33))
			yes = true;
	if (f)
		fclose(f);
	return yes;
}

/* Until the event socket is readable (the kernel queues address events
 * before the changing call returns: this only guards against a hang). */
static void wait_events(struct addrmon *am)
{
	struct pollfd p = { .fd = addrmon_fd(am), .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
}

/* Enter a private namespace, or say why not and end the test. */
#define ENTER_OR_SKIP()                                                              \
	do {                                                                         \
		int e_ = nstest_enter();                                             \
		if (e_) {                                                            \
			nstest_skip(__func__, e_);                                   \
			return;                                                      \
		}                                                                    \
	} while (0)

START_TEST(loopback_is_local)
{
	struct addrmon *am = NULL;

	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert_ptr_nonnull(am);
	ck_assert_int_ge(addrmon_fd(am), 0);
	ck_assert(addrmon_count(am) >= 1);
	ck_assert(is_local(am, "127.0.0.1"));
	if (have_ipv6_lo())
		ck_assert(is_local(am, "::1"));
	ck_assert(!is_local(am, "192.0.2.255"));
	ck_assert(!is_local(am, "2001:db8::ffff"));
	/* no event pending: nothing changed, nothing dumped */
	ck_assert_int_eq(addrmon_process(am), 0);
	addrmon_close(am);
	addrmon_close(NULL);
}
END_TEST

START_TEST(no_monitor_no_local)
{
	struct ip_addr a = addr("127.0.0.1"), none = { .family = 0 };
	struct addrmon *am = NULL;

	ck_assert(!addrmon_is_local(&a, NULL));
	ck_assert_uint_eq(addrmon_count(NULL), 0);
	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert(!addrmon_is_local(&none, am)); /* family 0: never local */
	addrmon_close(am);
}
END_TEST

/* A private namespace: lo down, no address; then lo up, an alias added
 * and removed: each change is seen once, and only changes count. */
START_TEST(follows_changes)
{
	struct addrmon *am = NULL;
	struct ip_prefix p;

	ENTER_OR_SKIP();
	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert_uint_eq(addrmon_count(am), 0);
	ck_assert(!is_local(am, "127.0.0.1"));

	ck_assert_int_eq(nstest_link("lo", true), 0);
	wait_events(am);
	ck_assert_int_eq(addrmon_process(am), 1);
	ck_assert(is_local(am, "127.0.0.1"));
	if (have_ipv6_lo())
		ck_assert(is_local(am, "::1"));
	ck_assert_int_eq(addrmon_process(am), 0);

	ck_assert_int_eq(nstest_addr4("lo:1", "10.11.12.13", 24), 0);
	wait_events(am);
	ck_assert_int_eq(addrmon_process(am), 1);
	ck_assert(is_local(am, "10.11.12.13"));
	ck_assert(!is_local(am, "10.11.12.14"));
	ck_assert_int_eq(ip_prefix_parse("10.11.12.0/24", &p, NULL, 0), 0);
	ck_assert_ptr_nonnull(addrmon_local_in(am, &p));
	{
		struct ip_addr want = addr("10.11.12.13");

		ck_assert(ip_addr_equal(addrmon_local_in(am, &p), &want));
	}
	ck_assert_int_eq(ip_prefix_parse("10.11.13.0/24", &p, NULL, 0), 0);
	ck_assert_ptr_null(addrmon_local_in(am, &p));

	ck_assert_int_eq(nstest_addr4("lo:1", NULL, 0), 0);
	wait_events(am);
	ck_assert_int_eq(addrmon_process(am), 1);
	ck_assert(!is_local(am, "10.11.12.13"));
	ck_assert(is_local(am, "127.0.0.1"));
	addrmon_close(am);
}
END_TEST

/* Events that leave the set as it was (an address added and removed
 * before we read) are read, the addresses dumped, and 0 returned. */
START_TEST(same_set_is_no_change)
{
	struct addrmon *am = NULL;

	ENTER_OR_SKIP();
	ck_assert_int_eq(nstest_link("lo", true), 0);
	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert(is_local(am, "127.0.0.1"));
	ck_assert_int_eq(nstest_addr4("lo:2", "10.22.0.1", 16), 0);
	ck_assert_int_eq(nstest_addr4("lo:2", NULL, 0), 0);
	wait_events(am);
	ck_assert_int_eq(addrmon_process(am), 0);
	/* the events were drained: nothing left to read */
	ck_assert_int_eq(addrmon_process(am), 0);
	ck_assert(!is_local(am, "10.22.0.1"));
	addrmon_close(am);
}
END_TEST

/* More events than the socket holds: the kernel drops some (ENOBUFS);
 * the monitor dumps anew and has every address. */
START_TEST(overflow_redumps)
{
	struct addrmon *am = NULL;
	int small = 1; /* the kernel rounds it up to its minimum */
	char label[16], a[32];
	unsigned i;

	ENTER_OR_SKIP();
	ck_assert_int_eq(nstest_link("lo", true), 0);
	ck_assert_int_eq(addrmon_open(&am), 0);
	ck_assert_int_eq(setsockopt(addrmon_fd(am), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
			 0);
	for (i = 1; i <= 100; i++) {
		snprintf(label, sizeof(label), "lo:%u", i);
		snprintf(a, sizeof(a), "10.33.%u.1", i);
		ck_assert_int_eq(nstest_addr4(label, a, 24), 0);
	}
	wait_events(am);
	ck_assert_int_eq(addrmon_process(am), 1);
	for (i = 1; i <= 100; i++) {
		snprintf(a, sizeof(a), "10.33.%u.1", i);
		ck_assert_msg(is_local(am, a), "%s not seen", a);
	}
	addrmon_close(am);
}
END_TEST

static Suite *addrmon_suite(void)
{
	Suite *s = suite_create("addrmon");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, loopback_is_local);
	tcase_add_test(tc, no_monitor_no_local);
	tcase_add_test(tc, follows_changes);
	tcase_add_test(tc, same_set_is_no_change);
	tcase_add_test(tc, overflow_redumps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addrmon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
