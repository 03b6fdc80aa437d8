/* check_cfg_load.c: unit tests of cfg_load() (src/core/cfg_load.c and the
 * resolved-path rules of cfg_path.c) on temporary files.
 *
 * The secrets merge, who may own and write the config and secrets files
 * (and their directories), key file secrecy, files that are not regular,
 * the view over the config's or the secrets file's directory, symbolic
 * links that lead a path elsewhere, and control-group.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_test.h"

static char tmpdir[256];

static void files_setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_cfg.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void files_teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* Write @text to a new file (mkstemp) under tmpdir with @mode; returns its path. */
static char *write_file(const char *text, mode_t mode)
{
	char *path = malloc(512);
	int fd;
	size_t len = strlen(text);

	ck_assert_ptr_nonnull(path);
	snprintf(path, 512, "%s/cfg.XXXXXX", tmpdir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static const char main_nokeys[] = "[sa esp.100@192.0.2.1]\n"
				  "src = 192.0.2.2\n"
				  "enc = aes128\n"
				  "auth = sha256\n"
				  "[sa ah.100@192.0.2.1]\n"
				  "src = 192.0.2.2\n"
				  "auth = sha1\n"
				  "[sa comp.3d0@192.0.2.1]\n"
				  "src = 192.0.2.2\n"
				  "comp = deflate\n";

static char *main_with_secrets(const char *secrets, mode_t mode)
{
	char text[2048];

	snprintf(text, sizeof(text), "[daemon]\nsecrets = %s\n%s", secrets, main_nokeys);
	return write_file(text, mode);
}

static const char secrets_ok[] = "# keys\n"
				 "[sa esp0x100@192.0.2.1]\n"
				 "  enckey = " K16 "\n"
				 "  authkey = " K32 "\n"
				 "[sa ah.100@192.0.2.1]\n"
				 "  authkey = " K20 "\n";

static void expect_load_errors(const char *path, bool check_owner, const char *const *want)
{
	struct cfg_errors e = { 0 };
	struct cfg *c = cfg_load(path, check_owner, &e);
	size_t n = 0, i;

	while (want[n])
		n++;
	if (c || e.n != n)
		dump_errors(&e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(e.msg[i], want[i]);
	cfg_errors_free(&e);
}

START_TEST(test_load_ok)
{
	char text[1024], *path;
	struct cfg_errors e = { 0 };
	struct cfg *c;

	snprintf(text, sizeof(text), ESP_HDR "enc = aes128\nenckey = " K16 "\n" AUTH_OK);
	path = write_file(text, 0600);
	c = cfg_load(path, true, &e);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	check_key(&c->sa[0].enckey, 16);
	check_key(&c->sa[0].authkey, 20);
	cfg_free(c);
	free(path);

	/* no keys: any mode will do */
	path = write_file("[daemon]\nmount = /x\n", 0644);
	c = cfg_load(path, true, &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 0);
	cfg_free(c);
	free(path);
}
END_TEST

START_TEST(test_load_long_line)
{
	size_t pad = 40000;
	char *text = malloc(pad + 1024), *s, *path;
	struct cfg_errors e = { 0 };
	struct cfg *c;

	s = text + sprintf(text, ESP_HDR AUTH_OK "[group g]\nsrc-ts = 10.0.1.0/24\nsaid = esp.100@192.0.2.1");
	memset(s, ' ', pad);
	s += pad;
	sprintf(s, "\ndst-ts = 10.0.2.0/24"); /* no final newline */
	path = write_file(text, 0600);
	c = cfg_load(path, true, &e);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->group[0].said_line, 7);
	ck_assert_uint_eq(c->group[0].ndst_ts, 1);
	cfg_free(c);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_load_refuses_readable)
{
	char text[1024], want[1024], *path;
	const char *w[2] = { want, NULL };

	snprintf(text, sizeof(text), ESP_HDR "enc = aes128\nenckey = " K16 "\n" AUTH_OK);
	path = write_file(text, 0644);
	snprintf(want, sizeof(want), "%s: holds keys but is readable by group or others (mode 0644); chmod 600 it",
		 path);
	expect_load_errors(path, false, w);
	ck_assert_int_eq(chmod(path, 0620), 0);
	snprintf(want, sizeof(want),
		 "%s: holds keys but is accessible by group or others (mode 0620); chmod 600 it", path);
	expect_load_errors(path, false, w);
	free(path);
}
END_TEST

START_TEST(test_load_refuses_owner)
{
	char text[1024], want[1024], *path;
	const char *w[2] = { want, NULL };
	struct cfg_errors e = { 0 };
	struct cfg *c;

	snprintf(text, sizeof(text), ESP_HDR AUTH_OK);
	path = write_file(text, 0600);
	if (geteuid() != 0 || chown(path, 65534, 65534) != 0) {
		/* unprivileged: the file is ours, which check_owner accepts */
		c = cfg_load(path, true, &e);
		ck_assert_ptr_nonnull(c);
		cfg_free(c);
		free(path);
		return;
	}
	snprintf(want, sizeof(want), "%s: is owned by uid 65534, not by root; chown root it", path);
	expect_load_errors(path, true, w);
	/* without the owner check the same file loads */
	c = cfg_load(path, false, &e);
	ck_assert_ptr_nonnull(c);
	cfg_free(c);
	free(path);
}
END_TEST

START_TEST(test_load_missing)
{
	char path[512], want[1024];
	const char *w[2] = { want, NULL };

	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
	expect_load_errors(path, true, w);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	expect_load_errors(tmpdir, true, w);
	/* a FIFO without a writer: refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	expect_load_errors(path, true, w);
}
END_TEST

START_TEST(test_load_nul_byte)
{
	char text[256], want[1024], *path;
	const char *w[2] = { want, NULL };
	size_t n;
	int fd;

	n = (size_t)snprintf(text, sizeof(text), "[daemon]\nmount = /x\nfoo");
	text[n++] = '\0';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "bar\n");
	path = write_file("", 0600);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	snprintf(want, sizeof(want), "%s:3: line contains a NUL byte", path);
	expect_load_errors(path, true, w);
	free(path);
}
END_TEST

START_TEST(test_secrets_merge)
{
	char *spath = write_file(secrets_ok, 0600), *path, *rel;
	struct cfg_errors e = { 0 };
	struct cfg *c;

	path = main_with_secrets(spath, 0644); /* no keys in it: 0644 is fine */
	c = cfg_load(path, true, &e);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->secrets, spath);
	check_key(&c->sa[0].enckey, 16);
	check_key(&c->sa[0].authkey, 32);
	check_key(&c->sa[1].authkey, 20);
	ck_assert_ptr_null(c->sa[1].enckey.data);
	cfg_free(c);
	free(path);

	/* relative: to the config file's directory */
	rel = strrchr(spath, '/') + 1;
	path = main_with_secrets(rel, 0600);
	c = cfg_load(path, true, &e);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	check_key(&c->sa[1].authkey, 20);
	cfg_free(c);
	free(path);

	/* the text alone, parsed without reading the secrets: no missing-key errors */
	{
		char text[2048];

		snprintf(text, sizeof(text), "[daemon]\nsecrets = x\n%s", main_nokeys);
		c = parse_ok(text);
		ck_assert_ptr_null(c->sa[0].enckey.data);
		cfg_free(c);
	}
	free(spath);
}
END_TEST

START_TEST(test_secrets_errors)
{
	char *spath, *path, want[8][1024], fifo[300];
	const char *w[9];
	int i;

	spath = write_file("[daemon]\n"                      /* 1 */
			   "mount = /x\n"                      /* 2 */
			   "[sa esp.100@192.0.2.1]\n"          /* 3 */
			   "enckey = " K16 "\n"                /* 4 */
			   "authkey = " K20 "\n"               /* 5: wrong length for sha256 */
			   "src = 192.0.2.9\n"                 /* 6 */
			   "[sa esp.999@192.0.2.1]\n"          /* 7 */
			   "enckey = " K16 "\n"                /* 8 */
			   "[group g]\n"                       /* 9 */
			   "[sa comp.3d0@192.0.2.1]\n"         /* 10 */
			   "enckey = " K16 "\n",               /* 11 */
			   0600);
	path = main_with_secrets(spath, 0600);
	/* the main file's ah.100 gets no authkey: line 9 of main */
	snprintf(want[0], 1024, "%s:9: auth sha1 needs an authkey", path);
	snprintf(want[1], 1024,
		 "%s:1: [daemon] does not belong in a secrets file (only [sa SAID] sections with enckey and authkey)",
		 spath);
	snprintf(want[2], 1024, "%s:5: wrong authkey length for sha256: expected 32 bytes, got 20", spath);
	snprintf(want[3], 1024, "%s:6: \"src\" does not belong in a secrets file (only enckey and authkey)", spath);
	snprintf(want[4], 1024, "%s:7: [sa esp.999@192.0.2.1] is not defined in %s", spath, path);
	snprintf(want[5], 1024,
		 "%s:9: [group] does not belong in a secrets file (only [sa SAID] sections with enckey and authkey)",
		 spath);
	snprintf(want[6], 1024, "%s:11: enckey is not valid on a comp SA", spath);
	for (i = 0; i < 7; i++)
		w[i] = want[i];
	w[7] = NULL;
	expect_load_errors(path, true, w);
	free(path);
	free(spath);

	/* a key in both files */
	spath = write_file(secrets_ok, 0600);
	{
		char text[2048];

		snprintf(text, sizeof(text),
			 "[daemon]\nsecrets = %s\n"
			 "[sa esp.100@192.0.2.1]\nsrc = 192.0.2.2\nenc = aes128\nauth = sha256\n"
			 "[sa ah.100@192.0.2.1]\nsrc = 192.0.2.2\nauth = sha1\nauthkey = " K20 "\n",
			 spath);
		path = write_file(text, 0600);
	}
	snprintf(want[0], 1024, "%s:6: authkey of [sa ah.100@192.0.2.1] is also given in %s:10", spath, path);
	w[0] = want[0];
	w[1] = NULL;
	expect_load_errors(path, true, w);
	free(path);

	/* secrets readable by others */
	ck_assert_int_eq(chmod(spath, 0640), 0);
	path = main_with_secrets(spath, 0600);
	snprintf(want[0], 1024, "%s: holds keys but is readable by group or others (mode 0640); chmod 600 it",
		 spath);
	expect_load_errors(path, true, w);
	free(path);
	free(spath);

	/* secrets missing: at the line that names it, no cascade of missing-key errors */
	path = main_with_secrets("/nonexistent/spigrpd.secrets", 0600);
	snprintf(want[0], 1024, "%s:2: secrets file /nonexistent/spigrpd.secrets: cannot open: %s", path,
		 strerror(ENOENT));
	expect_load_errors(path, true, w);
	free(path);

	/* secrets a FIFO (relative: the config's directory) */
	snprintf(fifo, sizeof(fifo), "%s/keys.fifo", tmpdir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	path = main_with_secrets("keys.fifo", 0600);
	snprintf(want[0], 1024, "%s:2: secrets file %s: not a regular file", path, fifo);
	expect_load_errors(path, true, w);
	free(path);

	/* a key twice in the secrets file (its [sa] twice): the first is in the
	 * secrets file too, not at that line of the main file */
	spath = write_file("[sa ah.100@192.0.2.1]\n"          /* 1 */
			   "authkey = " K20 "\n"              /* 2 */
			   "[sa ah.100@192.0.2.1]\n"          /* 3 */
			   "authkey = " K20 "\n",             /* 4 */
			   0600);
	path = main_with_secrets(spath, 0600);
	snprintf(want[0], 1024, "%s:5: enc aes128 needs an enckey", path);
	snprintf(want[1], 1024, "%s:6: auth sha256 needs an authkey", path);
	snprintf(want[2], 1024, "%s:3: duplicate [sa ah.100@192.0.2.1] (first at line 1)", spath);
	snprintf(want[3], 1024, "%s:4: authkey of [sa ah.100@192.0.2.1] is also given in %s:2", spath, spath);
	for (i = 0; i < 4; i++)
		w[i] = want[i];
	w[4] = NULL;
	expect_load_errors(path, true, w);
	free(path);
	free(spath);
}
END_TEST

/* Write @text to @path with @mode (a file of tmpdir's, of a fixed name). */
static void write_file_at(const char *path, const char *text, mode_t mode)
{
	char *tmp = write_file(text, mode);

	ck_assert_int_eq(rename(tmp, path), 0);
	free(tmp);
}

/* Whatever it holds, a config file is writable by its owner only. */
START_TEST(test_load_refuses_writable)
{
	char want[1024], *path;
	const char *w[2] = { want, NULL };
	static const mode_t modes[] = { 0666, 0664, 0646, 0620, 0602 };
	size_t i;

	path = write_file("[daemon]\nmount = /x\n", 0644);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ck_assert_int_eq(chmod(path, modes[i]), 0);
		snprintf(want, sizeof(want), "%s: is writable by group or others (mode %04o); chmod go-w it",
			 path, (unsigned)modes[i]);
		expect_load_errors(path, false, w);
		expect_load_errors(path, true, w);
	}
	free(path);
}
END_TEST

/* The secrets file too, and "holds keys" says it all for a file with keys. */
START_TEST(test_secrets_refuses_writable)
{
	char want[1024], *spath, *path;
	const char *w[2] = { want, NULL };

	spath = write_file(secrets_ok, 0602);
	path = main_with_secrets(spath, 0644);
	snprintf(want, sizeof(want),
		 "%s: holds keys but is accessible by group or others (mode 0602); chmod 600 it", spath);
	expect_load_errors(path, true, w);
	free(path);
	free(spath);
	spath = write_file("# no keys (yet)\n", 0646);
	snprintf(want, sizeof(want), "[daemon]\nsecrets = %s\n", spath);
	path = write_file(want, 0644);
	snprintf(want, sizeof(want), "%s: is writable by group or others (mode 0646); chmod go-w it", spath);
	expect_load_errors(path, true, w);
	free(path);
	free(spath);
}
END_TEST

/* Whatever it holds, a config file not owned by root (or the reader) is
 * refused; so is one in a directory that another user may write. */
START_TEST(test_load_refuses_owner_nokeys)
{
	char want[2][1024], *path, dir[600], *rdir;
	const char *w[3] = { want[0], NULL, NULL };
	struct cfg_errors e = { 0 };
	struct cfg *c;

	path = write_file("[daemon]\nmount = /x\n", 0644);
	if (geteuid() != 0) { /* the file is ours: accepted */
		c = cfg_load(path, true, &e);
		ck_assert_ptr_nonnull(c);
		cfg_free(c);
		free(path);
		return;
	}
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	snprintf(want[0], 1024, "%s: is owned by uid 65534, not by root; chown root it", path);
	expect_load_errors(path, true, w);
	c = cfg_load(path, false, &e); /* the owner check is what refused it */
	ck_assert_ptr_nonnull(c);
	cfg_free(c);
	free(path);

	/* the directory: owned by another user, or writable by others */
	snprintf(dir, sizeof(dir), "%s/sub", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	rdir = realpath(dir, NULL);
	ck_assert_ptr_nonnull(rdir);
	snprintf(want[0], 1024, "%s/x.conf", dir);
	path = strdup(want[0]);
	write_file_at(path, "[daemon]\nmount = /x\n", 0644);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	snprintf(want[0], 1024,
		 "%s: its directory %s is owned by uid 65534, not by root: that user could replace the file", path,
		 rdir);
	expect_load_errors(path, true, w);
	ck_assert_int_eq(chown(dir, 0, 0), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(want[0], 1024,
		 "%s: its directory %s is writable by group or others (mode 0777): they could replace the file",
		 path, rdir);
	expect_load_errors(path, false, w);
	ck_assert_int_eq(chmod(dir, 01777), 0); /* sticky, as /tmp: others cannot replace it */
	c = cfg_load(path, true, &e);
	ck_assert_ptr_nonnull(c);
	cfg_free(c);
	free(path);
	free(rdir);
}
END_TEST

/*
 * Write "[daemon]\nmount = MOUNT" to tmpdir/REL and load tmpdir/LOAD (REL
 * when NULL): refused, the view at MOUNT (written @mount, shown @shown)
 * hiding tmpdir/HIDDEN (tmpdir resolved).
 */
static void expect_hides(const char *rel, const char *load, const char *mount, const char *shown,
			 const char *hidden)
{
	char text[2048], file[1024], want[4096], *rt = realpath(tmpdir, NULL);
	const char *w[2] = { want, NULL };

	ck_assert_ptr_nonnull(rt);
	snprintf(text, sizeof(text), "[daemon]\nmount = %s\n", mount);
	snprintf(file, sizeof(file), "%s/%s", tmpdir, rel);
	write_file_at(file, text, 0600);
	snprintf(file, sizeof(file), "%s/%s", tmpdir, load ? load : rel);
	snprintf(want, sizeof(want),
		 "%s:2: mount \"%s\" would hide the config file %s/%s: every reload would fail to read it", file,
		 shown, rt, hidden);
	expect_load_errors(file, true, w);
	free(rt);
}

/* The view may not hide the config or the secrets file (every reload reads
 * them), nor may a symbolic link lead mount or state-dir to /etc. */
START_TEST(test_load_mount_hides)
{
	char want[2][4096], text[4096], file[1024], d[1024], link[1024], *path, *rt;
	const char *w[3] = { want[0], NULL, NULL };
	struct cfg_errors e = { 0 };
	struct cfg *c;

	rt = realpath(tmpdir, NULL);
	ck_assert_ptr_nonnull(rt);
	/* the config's own directory, and one above it */
	expect_hides("x.conf", NULL, tmpdir, tmpdir, "x.conf");
	snprintf(d, sizeof(d), "%s/a", tmpdir);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	snprintf(d, sizeof(d), "%s/a/b", tmpdir);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	snprintf(d, sizeof(d), "%s//a/", tmpdir);
	snprintf(link, sizeof(link), "%s/a", tmpdir);
	expect_hides("a/b/c.conf", NULL, d, link, "a/b/c.conf");

	/* a sibling is fine */
	snprintf(text, sizeof(text), "[daemon]\nmount = %s/view\n", tmpdir);
	path = write_file(text, 0600);
	c = cfg_load(path, true, &e);
	ck_assert_ptr_nonnull(c);
	cfg_free(c);
	free(path);

	/* the secrets file's directory */
	snprintf(d, sizeof(d), "%s/keys", tmpdir);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	snprintf(file, sizeof(file), "%s/keys/s.secrets", tmpdir);
	write_file_at(file, secrets_ok, 0600);
	snprintf(text, sizeof(text), "[daemon]\nsecrets = keys/s.secrets\nmount = %s/keys\n%s", tmpdir, main_nokeys);
	path = write_file(text, 0600);
	snprintf(want[0], 4096, "%s:3: mount \"%s/keys\" would hide the secrets file %s/keys/s.secrets: every reload would fail to read it",
		 path, tmpdir, rt);
	expect_load_errors(path, true, w);
	free(path);

	/* a mount point that is a symbolic link to the config's directory */
	snprintf(d, sizeof(d), "%s/real", tmpdir);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	ck_assert_int_eq(symlink("real", link), 0);
	expect_hides("real/one.conf", NULL, link, link, "real/one.conf");
	/* a config read through a symbolic link: the view over its target */
	snprintf(link, sizeof(link), "%s/cur.conf", tmpdir);
	ck_assert_int_eq(symlink("real/two.conf", link), 0);
	expect_hides("real/two.conf", "cur.conf", d, d, "real/two.conf");

	/* mount and state-dir led to /etc by symbolic links */
	snprintf(link, sizeof(link), "%s/etc-link", tmpdir);
	ck_assert_int_eq(symlink("/etc", link), 0);
	snprintf(d, sizeof(d), "%s/real/etc-link2", tmpdir);
	ck_assert_int_eq(symlink("/etc", d), 0);
	snprintf(text, sizeof(text), "[daemon]\nmount = %s\nstate-dir = %s/\n", link, d);
	path = write_file(text, 0600);
	snprintf(want[0], 4096,
		 "%s:2: bad mount \"%s\": it resolves to /etc: a system directory: the view would hide what it holds",
		 path, link);
	snprintf(want[1], 4096,
		 "%s:3: bad state-dir \"%s\": it resolves to /etc: a system directory: keep the state in a directory of its own",
		 path, d);
	w[1] = want[1];
	expect_load_errors(path, true, w);
	free(path);
	free(rt);
}
END_TEST

/* control-group must name an existing group (looked up by cfg_load only). */
START_TEST(test_control_group)
{
	struct group *gr = getgrgid(getegid());
	char text[512], want[1024], *path;
	const char *w[2] = { want, NULL };
	struct cfg_errors e = { 0 };
	struct cfg *c;

	ck_assert_ptr_nonnull(gr);
	snprintf(text, sizeof(text), "[daemon]\ncontrol-group = %s\n", gr->gr_name);
	path = write_file(text, 0600);
	c = cfg_load(path, true, &e);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->control_group, gr->gr_name);
	cfg_free(c);
	free(path);

	path = write_file("[daemon]\n# a group that no system has\ncontrol-group = nosuchgroup-spigrpd\n", 0600);
	snprintf(want, sizeof(want), "%s:3: bad control-group \"nosuchgroup-spigrpd\": no such group", path);
	expect_load_errors(path, true, w);
	free(path);
}
END_TEST

static Suite *cfg_load_suite(void)
{
	Suite *s = suite_create("cfg_load");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, files_setup, files_teardown);
	tcase_add_test(tc, test_load_ok);
	tcase_add_test(tc, test_load_long_line);
	tcase_add_test(tc, test_load_refuses_readable);
	tcase_add_test(tc, test_load_refuses_owner);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_nul_byte);
	tcase_add_test(tc, test_secrets_merge);
	tcase_add_test(tc, test_secrets_errors);
	tcase_add_test(tc, test_control_group);
	tcase_add_test(tc, test_load_refuses_writable);
	tcase_add_test(tc, test_secrets_refuses_writable);
	tcase_add_test(tc, test_load_refuses_owner_nokeys);
	tcase_add_test(tc, test_load_mount_hides);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cfg_load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
