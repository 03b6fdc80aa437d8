/* check_util.c: unit tests of src/core/util (hash index, strbuf, state
 * files and mkdir -p). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "hash.h"
#include "snap.h"
#include "reason.h"
#include "statefile.h"
#include "strbuf.h"

START_TEST(fnv1a_known_values)
{
	/* FNV-1a 64 test vectors (draft-eastlake-fnv). */
	ck_assert_uint_eq(hash_str(HASH_INIT, ""), 0xcbf29ce484222325ull);
	ck_assert_uint_eq(hash_str(HASH_INIT, "a"), 0xaf63dc4c8601ec8cull);
	ck_assert_uint_eq(hash_str(HASH_INIT, "foobar"), 0x85944171f73967e8ull);
	ck_assert_uint_eq(hash_bytes(hash_str(HASH_INIT, "foo"), "bar", 3),
			  hash_str(HASH_INIT, "foobar"));
}
END_TEST

START_TEST(hidx_many_and_collisions)
{
	struct hidx x;
	size_t pos, v, seen;

	ck_assert_int_eq(hidx_init(&x, 0), 0);
	for (size_t i = 0; i < 100000; i++)
		ck_assert_int_eq(hidx_put(&x, hash_bytes(HASH_INIT, &i, sizeof(i)), i), 0);
	/* Three values under one hash: all found, nothing else. */
	ck_assert_int_eq(hidx_put(&x, 42, 7), 0);
	ck_assert_int_eq(hidx_put(&x, 42, 8), 0);
	ck_assert_int_eq(hidx_put(&x, 42, 9), 0);
	ck_assert_uint_eq(x.n, 100003);
	for (size_t i = 0; i < 100000; i += 997) {
		bool found = false;

		pos = 0;
		while (hidx_next(&x, hash_bytes(HASH_INIT, &i, sizeof(i)), &pos, &v))
			found |= v == i;
		ck_assert(found);
	}
	pos = 0;
	seen = 0;
	while (hidx_next(&x, 42, &pos, &v)) {
		ck_assert(v >= 7 && v <= 9);
		seen++;
	}
	ck_assert_uint_eq(seen, 3);
	pos = 0;
	ck_assert(!hidx_next(&x, 43, &pos, &v) || v != 7);
	hidx_reset(&x);
	pos = 0;
	ck_assert(!hidx_next(&x, 42, &pos, &v));
	hidx_free(&x);
	/* A zeroed index is empty and may be put into. */
	memset(&x, 0, sizeof(x));
	pos = 0;
	ck_assert(!hidx_next(&x, 1, &pos, &v));
	ck_assert_int_eq(hidx_put(&x, 1, 5), 0);
	pos = 0;
	ck_assert(hidx_next(&x, 1, &pos, &v));
	ck_assert_uint_eq(v, 5);
	hidx_free(&x);
}
END_TEST

START_TEST(strbuf_build_and_take)
{
	struct strbuf b = STRBUF_INIT;
	char *s;
	size_t len;

	strbuf_printf(&b, "%d-%s", 12, "ab");
	strbuf_puts(&b, "|");
	strbuf_json_str(&b, "q\"\\\n\x7f");
	for (int i = 0; i < 1000; i++)
		strbuf_add(&b, "x", 1);
	ck_assert(!b.oom);
	s = strbuf_take(&b, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(len, strlen(s));
	ck_assert_int_eq(strncmp(s, "12-ab|\"q\\\"\\\\\\u000a\\u007f\"xxx", 28), 0);
	ck_assert_uint_eq(len, 25 + 1000);
	ck_assert_ptr_null(b.s);
	free(s);
	/* An empty buffer still hands over an empty string. */
	s = strbuf_take(&b, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	/* oom: appends are ignored, take gives NULL. */
	b.oom = true;
	strbuf_puts(&b, "x");
	ck_assert_ptr_null(strbuf_take(&b, NULL));
	strbuf_hex(&b, "\x00\x9f\xa0\xff", 4);
	ck_assert_str_eq(b.s, "009fa0ff");
	strbuf_free(&b);
}
END_TEST

START_TEST(statefile_replace_and_mkdir)
{
	char dir[] = "/tmp/check_util.XXXXXX", path[256], buf[64];
	struct stat st;
	int fd;
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ck_assert_int_eq(mkdir_p(path, 0700, 0), 0);
	ck_assert_int_eq(stat(path, &st), -1); /* the last one is not made */
	ck_assert_int_eq(mkdir_p(path, 0700, 1), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_p(path, 0700, 1), 0); /* again: fine */

	snprintf(path, sizeof(path), "%s/a/state", dir);
	ck_assert_int_eq(statefile_write(path, "one\n", 4, 0600), 0);
	ck_assert_int_eq(statefile_write(path, "two\n", 4, 0640), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(memcmp(buf, "two\n", 4), 0);
	strcat(path, ".tmp");
	ck_assert_int_eq(stat(path, &st), -1); /* no temporary file left */

	/* Something put where the temporary file goes (a FIFO would block an
	 * open for writing) is replaced, never opened. */
	snprintf(path, sizeof(path), "%s/a/fifo", dir);
	snprintf(buf, sizeof(buf), "%s.tmp", path);
	ck_assert_int_eq(mkfifo(buf, 0600), 0);
	ck_assert_int_eq(statefile_write(path, "ok\n", 3, 0600), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(stat(buf, &st), -1);

	/* A file where a directory should be: the error comes back. */
	snprintf(path, sizeof(path), "%s/a/state/x", dir);
	ck_assert_int_eq(mkdir_p(path, 0700, 1), -ENOTDIR);
	ck_assert_int_eq(statefile_write(path, "x", 1, 0600), -ENOTDIR);

	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	ck_assert_int_eq(system(buf), 0);
}
END_TEST

START_TEST(reason_cut_and_prefix)
{
	struct reason r;
	char big[600];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	reason_set(&r, "%s", big);
	ck_assert_uint_eq(strlen(r.text), REASON_LEN - 1);
	ck_assert_str_eq(r.text + REASON_LEN - 4, "...");
	reason_set(&r, "kernel said %d", 22);
	reason_prefix(&r, "group %s", "g1");
	ck_assert_str_eq(r.text, "group g1: kernel said 22");
	reason_set(NULL, "nothing");
}
END_TEST

START_TEST(escape_controls_c1_bidi_and_cap)
{
	char *t;

	t = escape_text("a\tb\x7f\xc2\x9b[31m\xe2\x80\xae" "evil\xff\xc3\xa9", ESCAPE_NOCAP, ESCAPE_NOCAP);
	ck_assert_str_eq(t, "a\\x09b\\x7f\\xc2\\x9b[31m\\u{202e}evil\\xff\xc3\xa9");
	free(t);
	/* Invisible and line-breaking characters: soft hyphen, line separator,
	 * invisible plus, tags. */
	t = escape_text("a\xc2\xad" "b\xe2\x80\xa8" "c\xe2\x81\xa4" "d\xf3\xa0\x81\x81" "e",
			ESCAPE_NOCAP, ESCAPE_NOCAP);
	ck_assert_str_eq(t, "a\\u{00ad}b\\u{2028}c\\u{2064}d\\u{e0041}e");
	free(t);
	/* A NUL inside the given length is escaped too. */
	t = escape_text("a\0b", 3, ESCAPE_NOCAP);
	ck_assert_str_eq(t, "a\\x00b");
	free(t);
	/* Cut at the cap, never inside a UTF-8 sequence. */
	t = escape_text("abcdef", ESCAPE_NOCAP, 4);
	ck_assert_str_eq(t, "abcd...");
	free(t);
	t = escape_text("abc\xc3\xa9z", ESCAPE_NOCAP, 4);
	ck_assert_str_eq(t, "abc...");
	free(t);
	t = escape_text("abcd", ESCAPE_NOCAP, 4);
	ck_assert_str_eq(t, "abcd");
	free(t);
}
END_TEST

static int freed_calls;
static void count_free(void *data, size_t len)
{
	(void)len;
	freed_calls++;
	free(data);
}

START_TEST(snap_refcount)
{
	size_t base = snap_bytes_live();
	struct snap *s = snap_copy("hello", 5, 0), *t;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(snap_len(s), 5);
	ck_assert_int_eq(memcmp(snap_data(s), "hello", 5), 0);
	ck_assert_uint_eq(snap_bytes_live(), base + 5);
	t = snap_get(s);
	snap_put(s);
	ck_assert_uint_eq(snap_bytes_live(), base + 5);
	snap_put(t);
	ck_assert_uint_eq(snap_bytes_live(), base);
	s = snap_new(strdup("key"), 3, SNAP_SECRET, count_free);
	snap_put(s);
	ck_assert_int_eq(freed_calls, 1);
	ck_assert_ptr_null(snap_get(NULL));
	snap_put(NULL);
	s = snap_copy(NULL, 0, 0);
	ck_assert_uint_eq(snap_len(s), 0);
	snap_put(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	SRunner *sr;
	int nfail;

	tcase_add_test(tc, fnv1a_known_values);
	tcase_add_test(tc, hidx_many_and_collisions);
	tcase_add_test(tc, strbuf_build_and_take);
	tcase_add_test(tc, statefile_replace_and_mkdir);
	tcase_add_test(tc, reason_cut_and_prefix);
	tcase_add_test(tc, escape_controls_c1_bidi_and_cap);
	tcase_add_test(tc, snap_refcount);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail ? EXIT_FAILURE : EXIT_SUCCESS;
}
