/* check_xfrm_shuntrec.c: the record of our template-less policies
 * (shuntrec.h): what counts as recorded, the journal file (write-ahead
 * lines, durable rewrite, compaction), what a start-up reads back, and
 * the files it must not believe. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "shuntrec.h"
#include "xfrm_own.h"

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_shuntrec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state/shunts", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A template-less policy: 10.9.@n.0/24 -> 10.9.2.0/24 out, or IPv6. */
static struct xm_policy pol(unsigned n, bool v6, uint8_t action)
{
	struct xm_policy p;
	char s[64];

	memset(&p, 0, sizeof(p));
	p.dir = XFRM_POLICY_OUT;
	p.action = action;
	p.priority = XFRM_OWN_PRIO_BASE + 100;
	if (v6) {
		p.sel.family = AF_INET6;
		snprintf(s, sizeof(s), "fd00:9:%x::", n);
		inet_pton(AF_INET6, s, &p.sel.saddr);
		inet_pton(AF_INET6, "fd00:9:2::", &p.sel.daddr);
		p.sel.prefixlen_s = p.sel.prefixlen_d = 64;
	} else {
		p.sel.family = AF_INET;
		snprintf(s, sizeof(s), "10.9.%u.0", n % 256);
		inet_pton(AF_INET, s, &p.sel.saddr);
		inet_pton(AF_INET, "10.9.2.0", &p.sel.daddr);
		p.sel.prefixlen_s = p.sel.prefixlen_d = 24;
		p.sel.proto = IPPROTO_TCP;
		p.sel.dport = htons(443);
		p.sel.dport_mask = 0xffff;
	}
	return p;
}

static size_t file_lines(void)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void write_file(const char *text)
{
	char d[128];
	FILE *f;

	snprintf(d, sizeof(d), "%s/state", dir);
	mkdir(d, 0700);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct shuntrec *open_rec(void)
{
	struct shuntrec *r;
	char d[128];

	snprintf(d, sizeof(d), "%s/state", dir);
	ck_assert_int_eq(shuntrec_new(&r), 0);
	shuntrec_set_dir(r, d);
	return r;
}

/* The header this process writes (the first line of a fresh record). */
static void header(char *buf, size_t len)
{
	struct shuntrec *r = open_rec();
	struct xm_policy p = pol(200, false, XFRM_POLICY_ALLOW);
	struct shunt prev;
	FILE *f;

	shuntrec_add(r, &p, &prev);
	shuntrec_free(r);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, (int)len, f));
	fclose(f);
	unlink(path);
}

/* What counts: same key, priority and action; no templates, main type,
 * no if_id. */
START_TEST(holds)
{
	struct shuntrec *r;
	struct xm_policy p = pol(1, false, XFRM_POLICY_BLOCK), q;
	struct shunt prev;

	ck_assert_int_eq(shuntrec_new(&r), 0);
	ck_assert(!shuntrec_holds(r, &p));
	ck_assert(!shuntrec_add(r, &p, &prev));
	ck_assert(shuntrec_holds(r, &p));
	q = p;
	q.priority++;
	ck_assert(!shuntrec_holds(r, &q));
	q = p;
	q.action = XFRM_POLICY_ALLOW;
	ck_assert(!shuntrec_holds(r, &q));
	q = p;
	q.ntmpl = 1;
	ck_assert(!shuntrec_holds(r, &q));
	q = p;
	q.ptype = XFRM_POLICY_TYPE_SUB;
	ck_assert(!shuntrec_holds(r, &q));
	q = p;
	q.if_id = 4;
	ck_assert(!shuntrec_holds(r, &q));
	q = p;
	q.has_mark = true;
	q.mark.v = 1;
	ck_assert(!shuntrec_holds(r, &q));
	q.mark.v = 0; /* a mark of 0/0 is no mark */
	ck_assert(shuntrec_holds(r, &q));
	q = p;
	q.index = 77; /* not part of it */
	q.has_ptype = true;
	ck_assert(shuntrec_holds(r, &q));

	/* a replaced entry and its undo */
	q = p;
	q.priority++;
	ck_assert(shuntrec_add(r, &q, &prev));
	ck_assert_uint_eq(prev.priority, p.priority);
	ck_assert(shuntrec_holds(r, &q) && !shuntrec_holds(r, &p));
	shuntrec_undo(r, &q, &prev);
	ck_assert(shuntrec_holds(r, &p) && !shuntrec_holds(r, &q));
	/* an add that fails without an entry before: forgotten */
	q = pol(3, true, XFRM_POLICY_ALLOW);
	ck_assert(!shuntrec_add(r, &q, &prev));
	shuntrec_undo(r, &q, NULL);
	ck_assert(!shuntrec_holds(r, &q));
	ck_assert_uint_eq(shuntrec_count(r), 1);
	shuntrec_forget(r, &p);
	shuntrec_forget(r, &p);
	ck_assert_uint_eq(shuntrec_count(r), 0);
	shuntrec_free(r);
	shuntrec_free(NULL);
}
END_TEST

/* Write-ahead lines, read back by the next start. */
START_TEST(journal)
{
	struct shuntrec *r = open_rec();
	struct xm_policy a = pol(1, false, XFRM_POLICY_BLOCK), b = pol(5, true, XFRM_POLICY_ALLOW);
	struct shunt prev;
	struct stat st;

	ck_assert_int_eq(file_lines(), 0); /* nothing written before a change */
	shuntrec_add(r, &a, &prev);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(file_lines(), 2); /* header + a */
	shuntrec_add(r, &b, &prev);
	shuntrec_add(r, &b, &prev); /* no change: no line */
	ck_assert_uint_eq(file_lines(), 3);
	shuntrec_forget(r, &a);
	ck_assert_uint_eq(file_lines(), 4);
	shuntrec_free(r);

	r = open_rec();
	ck_assert(!shuntrec_holds(r, &a));
	ck_assert(shuntrec_holds(r, &b));
	ck_assert_uint_eq(shuntrec_count(r), 1);
	/* start-up: the kernel holds nothing of it any more */
	shuntrec_sync_begin(r);
	ck_assert_uint_eq(shuntrec_sync_end(r), 1);
	ck_assert_uint_eq(file_lines(), 1); /* rewritten: the header only */
	shuntrec_sync_begin(r);
	shuntrec_add(r, &a, &prev);
	shuntrec_sync_seen(r, &a);
	ck_assert_uint_eq(shuntrec_sync_end(r), 0);
	ck_assert(shuntrec_holds(r, &a));
	shuntrec_set_dir(r, NULL); /* memory only, forgetting all */
	ck_assert(!shuntrec_holds(r, &a));
	shuntrec_free(r);
}
END_TEST

/* A file of another boot or namespace, a foreign file, bad and torn lines. */
START_TEST(untrusted_files)
{
	struct xm_policy a = pol(1, false, XFRM_POLICY_BLOCK);
	char hdr[256], text[1024];
	struct shuntrec *r;
	struct shunt prev;

	header(hdr, sizeof(hdr));
	write_file("spigrpd shunt policies v1 netns 1 boot x\n"
		   "+ out 10.9.1.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block\n");
	r = open_rec();
	ck_assert(!shuntrec_holds(r, &a));
	shuntrec_free(r);
	write_file("something else\n");
	r = open_rec();
	ck_assert_uint_eq(shuntrec_count(r), 0);
	shuntrec_free(r);

	snprintf(text, sizeof(text),
		 "%s"
		 "+ out 10.9.1.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block\n"
		 "+ out 10.9.7.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 500 block\n"
		 "+ sideways 10.9.7.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block\n"
		 "+ out 10.9.7.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 maybe\n"
		 "+ out 10.9.7.0/33 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block\n"
		 "+ out 10.9.7.0/24 fd00::/24 6 0/0 443/65535 0 0 0/0 1000100 block\n"
		 "* out 10.9.7.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block\n"
		 "+ out 10.9.7.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 block trailing\n"
		 "+ in fd00:9:5::/64 fd00:9:2::/64 0 0/0 0/0 0 0 0/0 1000100 allow\n"
		 "- in fd00:9:5::/64 fd00:9:2::/64 0 0/0 0/0 0 0 0/0 1000100 allow\n"
		 "+ out 10.9.8.0/24 10.9.2.0/24 6 0/0 443/65535 0 0 0/0 1000100 blo",
		 hdr);
	write_file(text);
	r = open_rec();
	ck_assert(shuntrec_holds(r, &a));
	ck_assert_uint_eq(shuntrec_count(r), 1);
	/* the torn last line: the next change writes the file anew */
	shuntrec_add(r, &(struct xm_policy){ .sel = a.sel, .dir = XFRM_POLICY_IN,
					     .priority = a.priority },
		     &prev);
	ck_assert_uint_eq(file_lines(), 3);
	shuntrec_free(r);
}
END_TEST

/* The journal is compacted before it grows past 2 * entries + 1024 lines;
 * many entries, many drops. */
START_TEST(compaction)
{
	struct shuntrec *r = open_rec();
	struct xm_policy a = pol(1, false, XFRM_POLICY_BLOCK), p;
	struct shunt prev;
	unsigned i;

	for (i = 0; i < 1500; i++) {
		shuntrec_add(r, &a, &prev);
		shuntrec_forget(r, &a);
		ck_assert_uint_le(file_lines(), 1 + 1024 + 2);
	}
	for (i = 0; i < 600; i++) {
		p = pol(i, true, XFRM_POLICY_ALLOW);
		shuntrec_add(r, &p, &prev);
	}
	for (i = 0; i < 600; i += 2) {
		p = pol(i, true, XFRM_POLICY_ALLOW);
		shuntrec_forget(r, &p);
	}
	for (i = 600; i < 900; i++) {
		p = pol(i, true, XFRM_POLICY_ALLOW);
		shuntrec_add(r, &p, &prev);
	}
	ck_assert_uint_eq(shuntrec_count(r), 600);
	for (i = 0; i < 900; i++) {
		p = pol(i, true, XFRM_POLICY_ALLOW);
		ck_assert(shuntrec_holds(r, &p) == (i >= 600 || i % 2));
	}
	shuntrec_free(r);
	r = open_rec();
	ck_assert_uint_eq(shuntrec_count(r), 600);
	shuntrec_free(r);
}
END_TEST

/* The state directory cannot be made: kept in memory, warned once. */
START_TEST(write_failure)
{
	struct xm_policy a = pol(1, false, XFRM_POLICY_BLOCK);
	struct shuntrec *r;
	struct shunt prev;
	char d[160];
	FILE *f;

	snprintf(d, sizeof(d), "%s/file", dir);
	f = fopen(d, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(d, sizeof(d), "%s/file/state", dir);
	ck_assert_int_eq(shuntrec_new(&r), 0);
	shuntrec_set_dir(r, d);
	shuntrec_add(r, &a, &prev);
	shuntrec_forget(r, &a);
	shuntrec_add(r, &a, &prev);
	ck_assert(shuntrec_holds(r, &a));
	shuntrec_free(r);
}
END_TEST

static Suite *shuntrec_suite(void)
{
	Suite *s = suite_create("shuntrec");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, holds);
	tcase_add_test(tc, journal);
	tcase_add_test(tc, untrusted_files);
	tcase_add_test(tc, compaction);
	tcase_add_test(tc, write_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shuntrec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
