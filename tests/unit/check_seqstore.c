/* check_seqstore.c: unit tests of src/core/seqstore.c (persisted outbound
 * sequence numbers): round trip, never lowered, batched writes, corrupt
 * files refused (never reset), permissions, a failed write forgotten. */
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

#include "reason.h"
#include "said.h"
#include "seqstore.h"

static char dir[64], path[96];

static void setup(void)
{
	strcpy(dir, "/tmp/check_seqstore.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/seq", dir);
}

static void teardown(void)
{
	char tmp[128];

	unlink(path);
	rmdir(path); /* when a case made a directory there */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
}

static struct said said_of(const char *text)
{
	struct said sa;
	char err[128];

	ck_assert_msg(said_parse(text, &sa, err, sizeof(err)) == 0, "%s", err);
	return sa;
}

static void write_file(const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static char *read_file(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(round_trip)
{
	struct said a = said_of("esp.1234@192.0.2.1"), b = said_of("ah:abcdef01@2001:db8::2");
	struct said c = said_of("esp.1235@192.0.2.1");
	struct seqstore *s;
	struct reason why = { "" };
	struct stat st;
	uint64_t v;

	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_int_eq(access(path, F_OK), -1); /* nothing written yet */
	ck_assert_uint_eq(seqstore_first(s, &a), 1);
	ck_assert(!seqstore_get(s, &a, &v));
	ck_assert_int_eq(seqstore_reserve(s, &a, SEQSTORE_BLOCK, &why), 0);
	ck_assert_int_eq(seqstore_reserve(s, &b, 1ull << 40, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), SEQSTORE_BLOCK + 1);
	ck_assert_uint_eq(seqstore_first(s, &c), 1);
	seqstore_close(s);

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_ptr_nonnull(strstr(read_file(), "\nesp.00001234@192.0.2.1 0x0000000000100000\n"));
	ck_assert_ptr_nonnull(strstr(read_file(), "\nah:abcdef01@2001:db8::2 0x0000010000000000\n"));

	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), SEQSTORE_BLOCK + 1);
	ck_assert_uint_eq(seqstore_first(s, &b), (1ull << 40) + 1);
	ck_assert(seqstore_get(s, &b, &v));
	ck_assert_uint_eq(v, 1ull << 40);
	ck_assert_uint_eq(seqstore_first(s, &c), 1);
	/* the last number there is: nothing left after it */
	ck_assert_int_eq(seqstore_reserve(s, &c, UINT64_MAX, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &c), 0);
	seqstore_close(s);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &c), 0);
	seqstore_close(s);
}
END_TEST

START_TEST(never_lowered)
{
	struct said a = said_of("esp.99@10.0.0.1");
	struct seqstore *s;
	struct reason why = { "" };
	struct stat st1, st2;

	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 5000, &why), 0);
	ck_assert_int_eq(stat(path, &st1), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 10, &why), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 5000, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), 5001);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino); /* not rewritten */
	seqstore_close(s);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), 5001);
	ck_assert_int_eq(seqstore_reserve(s, &a, 5001, &why), 0);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert_uint_ne(st1.st_ino, st2.st_ino); /* raised: rewritten */
	seqstore_close(s);
}
END_TEST

START_TEST(batch_one_write)
{
	struct said sa[3] = { said_of("esp.1@10.0.0.1"), said_of("esp.2@10.0.0.1"),
			      said_of("ah.3@10.0.0.1") };
	struct said tun = said_of("tun.3@10.0.0.1"), comp = said_of("comp.3@10.0.0.1");
	struct seqstore *s;
	struct reason why = { "" };

	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(seqstore_set(s, &sa[i], 100u * (unsigned)(i + 1)), 0);
	ck_assert_int_eq(seqstore_set(s, &tun, 1), -EINVAL);
	ck_assert_int_eq(seqstore_set(s, &comp, 1), -EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1); /* set writes nothing */
	ck_assert_uint_eq(seqstore_first(s, &sa[2]), 301);
	ck_assert_int_eq(seqstore_sync(s, &why), 0);
	seqstore_close(s);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(seqstore_first(s, &sa[i]), 100u * (unsigned)(i + 1) + 1);
	seqstore_close(s);
}
END_TEST

/* A file that does not parse is refused and left as it was. */
static const struct {
	int line;
	const char *text;
	int err;
	const char *why; /* a part of the reason */
} corrupt[] = {
	{ __LINE__, "", -EINVAL, "empty" },
	{ __LINE__, "esp.1@10.0.0.1 0x5\n", -EINVAL, "not a spigrpd sequence file" },
	{ __LINE__, "# spigrpd seq v2\nesp.1@10.0.0.1 0x5\n", -EINVAL, "first line" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x5", -EINVAL, "without a newline" },
	{ __LINE__, "# spigrpd seq v1\ngarbage\n", -EINVAL, ":2: not a" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 5\n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x\n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x5 \n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x5\r\n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 -0x5\n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x10000000000000000\n", -EINVAL,
	  "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1  0x5\n", -EINVAL, "bad sequence" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.x 0x5\n", -EINVAL, "10.0.0.x" },
	{ __LINE__, "# spigrpd seq v1\ncomp.1@10.0.0.1 0x5\n", -EINVAL, "not ESP or AH" },
	{ __LINE__, "# spigrpd seq v1\n%pass 0x5\n", -EINVAL, "not ESP or AH" },
	{ __LINE__, "# spigrpd seq v1\nesp.1@10.0.0.1 0x5\nesp0x1@10.0.0.1 0x9\n", -EINVAL,
	  ":3: esp0x1@10.0.0.1 recorded twice" },
	{ __LINE__, "# spigrpd seq v1\n\n# note\nesp.1@10.0.0.1 0x5\n"
		    "esp.00000001@10.0.0.1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0x5\n",
	  -EFBIG, ":5: line longer" },
};

START_TEST(corrupt_refused)
{
	struct seqstore *s = (void *)1;
	struct reason why = { "" };
	int i = _i;

	write_file(corrupt[i].text, 0600);
	ck_assert_msg(seqstore_open(&s, dir, &why) == corrupt[i].err,
		      "line %d: want %d (%s)", corrupt[i].line, corrupt[i].err, why.text);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(why.text, corrupt[i].why), "line %d: reason \"%s\"", corrupt[i].line,
		      why.text);
	ck_assert_msg(strncmp(why.text, path, strlen(path)) == 0, "line %d: reason \"%s\"",
		      corrupt[i].line, why.text);
	ck_assert_str_eq(read_file(), corrupt[i].text);
}
END_TEST

START_TEST(comments_and_bounds)
{
	struct said a = said_of("esp.1@10.0.0.1");
	struct seqstore *s;
	struct reason why = { "" };
	char *text;
	size_t len, n;

	/* comment lines and empty lines are fine ... */
	write_file("# spigrpd seq v1: hand-made\n\n# note\nesp0x1@10.0.0.1 0xFf\n", 0600);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), 256);
	seqstore_close(s);
	/* ... up to a bound */
	len = strlen("# spigrpd seq v1\n") + 1025 * 2 + 1;
	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "# spigrpd seq v1\n");
	for (int i = 0; i < 1025; i++)
		n += (size_t)sprintf(text + n, "#\n");
	write_file(text, 0600);
	free(text);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -EFBIG);
	ck_assert_ptr_nonnull(strstr(why.text, "comment lines"));
}
END_TEST

START_TEST(permissions)
{
	static const char ok[] = "# spigrpd seq v1\nesp.1@10.0.0.1 0x5\n";
	struct said a = said_of("esp.1@10.0.0.1");
	struct seqstore *s;
	struct reason why = { "" };
	struct stat st;
	mode_t old;

	write_file(ok, 0644);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why.text, "mode 0644"));
	write_file(ok, 0620);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -EPERM);
	if (geteuid() == 0) { /* another owner (only root can make one) */
		write_file(ok, 0600);
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(seqstore_open(&s, dir, &why), -EPERM);
		ck_assert_ptr_nonnull(strstr(why.text, "owner 65534"));
		unlink(path);
	}
	write_file(ok, 0400); /* read-only for us: fine, we replace it whole */
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	seqstore_close(s);
	unlink(path);

	/* a symbolic link is not followed */
	ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -ELOOP);
	unlink(path);
	/* a FIFO does not hang the open; a directory is not a file */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why.text, "not a regular file"));
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), -EPERM);
	rmdir(path);

	/* written 0600 whatever the umask */
	old = umask(0);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 7, &why), 0);
	seqstore_close(s);
	umask(old);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(failed_write_forgotten)
{
	struct said a = said_of("esp.1@10.0.0.1"), b = said_of("esp.2@10.0.0.1");
	struct seqstore *s;
	struct reason why = { "" };

	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 100, &why), 0);
	/* the directory goes away: the write fails, the values set are
	 * forgotten (the old file, had it stayed, would hold 100) */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 200, &why), -ENOENT);
	ck_assert_ptr_nonnull(strstr(why.text, path));
	ck_assert_int_eq(seqstore_reserve(s, &b, 200, &why), -ENOENT);
	ck_assert_uint_eq(seqstore_first(s, &a), 101);
	ck_assert_uint_eq(seqstore_first(s, &b), 1);
	/* back again: the next write holds what was set since */
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(seqstore_reserve(s, &a, 300, &why), 0);
	seqstore_close(s);
	ck_assert_int_eq(seqstore_open(&s, dir, &why), 0);
	ck_assert_uint_eq(seqstore_first(s, &a), 301);
	ck_assert_uint_eq(seqstore_first(s, &b), 1);
	seqstore_close(s);
}
END_TEST

START_TEST(room)
{
	ck_assert_uint_eq(seqstore_room(0, false), 0);
	ck_assert_uint_eq(seqstore_room(0, true), 0);
	ck_assert_uint_eq(seqstore_room(1, false), 0xffffffffull);
	ck_assert_uint_eq(seqstore_room(0xffffffffull, false), 1);
	ck_assert_uint_eq(seqstore_room(0x100000000ull, false), 0);
	ck_assert_uint_eq(seqstore_room(1, true), UINT64_MAX);
	ck_assert_uint_eq(seqstore_room(UINT64_MAX, true), 1);
	/* the margins fit the spaces they are meant for */
	ck_assert_uint_eq(0x100000000ull / SEQSTORE_KERNEL_MARGIN_NOESN, 16);
	ck_assert(SEQSTORE_KERNEL_MARGIN_NOESN > 14880952ull * SEQSTORE_KERNEL_PERIOD_S);
	ck_assert(SEQSTORE_KERNEL_MARGIN_ESN > 14880952ull * SEQSTORE_KERNEL_PERIOD_S * 20);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("seqstore");
	TCase *tc = tcase_create("seqstore");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, never_lowered);
	tcase_add_test(tc, batch_one_write);
	tcase_add_loop_test(tc, corrupt_refused, 0, sizeof(corrupt) / sizeof(corrupt[0]));
	tcase_add_test(tc, comments_and_bounds);
	tcase_add_test(tc, permissions);
	tcase_add_test(tc, failed_write_forgotten);
	tcase_add_test(tc, room);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
