/* check_daemon.c: spigrpd's main.c as a whole, with a fake kernel backend
 * and no view (link seams: this file defines kernops_open/kernops_real and
 * the pe_view_* functions instead of kernops.c and view.c).
 *
 * main.c is compiled with -Dmain=spigrpd_main.  The options are checked
 * in-process; a running daemon is started in a child process in a network
 * namespace of its own (the instance lock is per namespace; the test skips
 * that case when no namespace can be made) and driven as a user would:
 * requests on its control socket, SIGHUP, SIGTERM.  Address and XFRM events
 * come through pipes the fake backend polls.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "dpops.h"
#include "kernops.h"
#include "reconcile.h"
#include "snap.h"
#include "view.h"

#undef main
int spigrpd_main(int argc, char **argv);

static char dir[64], conf[128], ctlpath[128], nolocal[128];
static int addr_pipe[2] = { -1, -1 }, ev_pipe[2] = { -1, -1 };
static bool fail_open, fail_mount;

/* ---- the fake kernel ---- */

static int f_ok(void *k, const struct sadb_group *g, struct reason *why)
{
	(void)k;
	(void)g;
	(void)why;
	return 0;
}

static int f_remove(void *k, const struct sadb_group *g, uint64_t *last, struct reason *why)
{
	(void)k;
	(void)why;
	for (unsigned i = 0; last && i < g->nsa; i++)
		last[i] = UINT64_MAX; /* unknown */
	return 0;
}

static int f_adopt(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	(void)k;
	(void)db;
	(void)o;
	return 0;
}

/* A byte 'L' on the event pipe: group "a" was deleted behind our back. */
static int f_events(void *k, const struct sadb *db, const struct xfrm_owner *o)
{
	const struct sadb_group *g = sadb_find_group(db, "a");
	struct reason why = { "deleted behind our back" };
	char c;

	(void)k;
	if (read(ev_pipe[0], &c, 1) != 1 || c != 'L' || !g || !o->installed(o->arg, g))
		return 0;
	o->lost(o->arg, g, &why);
	return 1;
}

static int f_counters(void *k, const struct sadb_group *g, struct sa_counters *ctr)
{
	(void)k;
	for (unsigned i = 0; i < g->nsa; i++)
		ctr[i].bytes = 100 + i;
	return 0;
}

static bool f_route_wanted(void *k, const struct sadb_group *g)
{
	(void)k;
	(void)g;
	return false;
}

static int f_path_mtu(void *k, const struct sadb_group *g, uint32_t *mtu, struct reason *why)
{
	(void)k;
	(void)g;
	(void)why;
	*mtu = 1500;
	return 0;
}

static int f_route_add_dev(void *k, const struct sadb_group *g, int ifindex, uint32_t mtu,
			   struct reason *why)
{
	(void)k;
	(void)g;
	(void)ifindex;
	(void)mtu;
	(void)why;
	return 0;
}

static int f_filter_set(void *k, const struct sadb_group *const *g, size_t n,
			struct reason *why)
{
	(void)k;
	(void)g;
	(void)n;
	(void)why;
	return 0;
}

static void f_filter_remove(void *k)
{
	(void)k;
}

static int f_route_add(void *k, const struct sadb_group *g, struct reason *why)
{
	(void)k;
	(void)g;
	(void)why;
	return 0;
}

static int f_route_del(void *k, const struct sadb_group *g)
{
	(void)k;
	(void)g;
	return 0;
}

static void f_route_cleanup(void *k)
{
	(void)k;
}

/* 192.0.2.1 is ours until the file nolocal exists. */
static bool f_is_local(const struct ip_addr *a, void *k)
{
	struct ip_addr me;

	(void)k;
	ip_addr_parse("192.0.2.1", &me, NULL, 0);
	return ip_addr_equal(a, &me) && access(nolocal, F_OK) != 0;
}

static int f_event_fd(void *k)
{
	(void)k;
	return ev_pipe[0];
}

static int f_addr_fd(void *k)
{
	(void)k;
	return addr_pipe[0];
}

static bool f_addr_changed(void *k)
{
	char buf[16];

	(void)k;
	return read(addr_pipe[0], buf, sizeof(buf)) > 0;
}

static int f_install(void *k, const struct sadb_group *g, const uint64_t *seq_first,
		     struct reason *why)
{
	(void)seq_first;
	return f_ok(k, g, why);
}

const struct kern_ops kernops_real = {
	.reqid_base = 0x53400000u,
	.reqid_count = 0x100000u,
	.probe = f_ok,
	.install = f_install,
	.remove = f_remove,
	.adopt = f_adopt,
	.events = f_events,
	.read_counters = f_counters,
	.route_wanted = f_route_wanted,
	.route_add = f_route_add,
	.route_add_dev = f_route_add_dev,
	.path_mtu = f_path_mtu,
	.route_del = f_route_del,
	.route_cleanup = f_route_cleanup,
	.is_local = f_is_local,
	.event_fd = f_event_fd,
	.addr_fd = f_addr_fd,
	.addr_changed = f_addr_changed,
	.filter_set = f_filter_set,
	.filter_remove = f_filter_remove,
};

/* ---- no datapath engine: its groups are skipped with the reason ---- */

const struct dp_ops dpops_real = { .stage = NULL };

int dpops_open(void **out, const struct cfg *c, struct seqstore *seq, struct reason *why)
{
	(void)c;
	(void)seq;
	*out = NULL;
	reason_set(why, "no engine in this test");
	return -ENODEV;
}

void dpops_close(void *dp)
{
	ck_assert_ptr_null(dp);
}

int kernops_open(void **out, const struct cfg *c, struct reason *why)
{
	static int handle;

	(void)c;
	if (fail_open) {
		reason_set(why, "XFRM netlink: fake failure");
		return -EPROTONOSUPPORT;
	}
	*out = &handle;
	return 0;
}

int kernops_open_local(void **out, struct reason *why)
{
	static int handle;

	(void)why;
	*out = &handle;
	return 0;
}

void kernops_close(void *k)
{
	(void)k;
}

/* ---- no view ---- */

const char *const pe_view_files[] = { "ipsec_spigrp", "ipsec_version", NULL };
static int fake_view;

int pe_view_mount(struct pe_view **out, const char *mountpoint, char *err, size_t errlen)
{
	(void)mountpoint;
	if (fail_mount) {
		snprintf(err, errlen, "fake mount failure");
		return -ENODEV;
	}
	*out = (struct pe_view *)&fake_view;
	return 0;
}

int pe_view_publish(struct pe_view *v, const char *name, struct snap *s)
{
	(void)v;
	(void)name;
	snap_put(s);
	return 0;
}

void pe_view_unmount(struct pe_view *v)
{
	(void)v;
}

int pe_view_refresh_fd(const struct pe_view *v)
{
	(void)v;
	return -1;
}

int pe_view_invalidate(struct pe_view *v, const char *name)
{
	(void)v;
	(void)name;
	return 0;
}

bool pe_view_wanted(struct pe_view *v, const char *name)
{
	(void)v;
	(void)name;
	return false;
}

/* ---- helpers ---- */

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/check_daemon.XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/spigrpd.conf", dir);
	snprintf(ctlpath, sizeof(ctlpath), "%s/ctl", dir);
	snprintf(nolocal, sizeof(nolocal), "%s/nolocal", dir);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[daemon]\nstate-dir = %s/state\nmount = %s/net\ncontrol = %s\n"
		   "datapath = kernel\n"
		   "[sa comp.300@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
		   "[group a]\nsaid = comp.300@192.0.2.2\nsrc-ts = 10.0.1.0/24\n"
		   "dst-ts = 10.0.2.0/24\n",
		dir, dir, ctlpath);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(conf, 0600), 0);
	ck_assert_int_eq(pipe(addr_pipe), 0);
	ck_assert_int_eq(pipe(ev_pipe), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static int run(const char *a0, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	argv[argc++] = "spigrpd";
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0; /* getopt_long() starts over */
	return spigrpd_main(argc, argv);
}

/* ---- options, in-process ---- */

START_TEST(test_options)
{
	ck_assert(freopen("/dev/null", "w", stdout) != NULL);
	ck_assert_int_eq(run("--help", NULL), 0);
	ck_assert_int_eq(run("-V", NULL), 0);
	ck_assert_int_eq(run("--no-such-option", NULL), 1);
	ck_assert_int_eq(run("-c", conf, "extra", NULL), 1);
	ck_assert_int_eq(run("-l", "not-an-address", "-n", NULL), 1);
	ck_assert_int_eq(run("-n", "-c", conf, "-l", "192.0.2.1", NULL), 0);
	ck_assert_int_eq(run("-n", "-c", "/nonexistent/spigrpd.conf", NULL), 1);
	/* --local without -n */
	ck_assert_int_eq(run("-c", conf, "-l", "192.0.2.1", NULL), 1);
	/* a config with errors: not starting */
	ck_assert_int_eq(run("-f", "-c", "/nonexistent/spigrpd.conf", NULL), 1);
}
END_TEST

START_TEST(test_too_many_locals)
{
	char *argv[70];
	int argc = 0;

	argv[argc++] = "spigrpd";
	argv[argc++] = "-n";
	for (int i = 0; i < 33; i++) {
		argv[argc++] = "-l";
		argv[argc++] = "192.0.2.1";
	}
	argv[argc] = NULL;
	optind = 0;
	ck_assert_int_eq(spigrpd_main(argc, argv), 1);
}
END_TEST

/* ---- a running daemon ---- */

/* The answer to @line (errno >= 0, body in *@body), or -errno. */
static int req(const char *line, char **body)
{
	size_t len;

	*body = NULL;
	return ctl_request(ctlpath, line, body, &len);
}

/* Until request @line answers with a body containing @want (100 tries,
 * 50 ms apart: the daemon's own pace, not a timing check). */
static bool wait_answer(const char *line, const char *want)
{
	for (int i = 0; i < 200; i++) {
		char *body;
		int r = req(line, &body);
		bool hit = r >= 0 && body && strstr(body, want);

		free(body);
		if (hit)
			return true;
		usleep(50000);
	}
	return false;
}

static pid_t start_child(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(77);
		exit(run("-f", "-c", conf, NULL));
	}
	return pid;
}

/* 77: the child could not make a network namespace. */
static int child_status(pid_t pid)
{
	int st = 0;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* set-label/del-label/labels on the running daemon: root (or
 * control-group) only; a reqid of our band, a bad name or number refused;
 * the label in `labels`, the status and its JSON. */
static void label_commands(void)
{
	static const struct {
		const char *line;
		int err;        /* as root */
		const char *body;
	} t[] = {
		{ "set-label anchor --reqid 7", 0, "" },
		{ "set-label west-east --reqid 0x4006", 0, "" },
		{ "set-label anchor --reqid 0x53400000", EPERM,
		  "reqid 0x53400000 is in spigrpd's own band (0x53400000 .. 0x534fffff): "
		  "our groups are named in the config\n" },
		{ "del-label --reqid 0x534fffff", EPERM, NULL },
		{ "set-label a\"b --reqid 7", EINVAL, "'\"' (byte 2) is not allowed in a label\n" },
		{ "set-label -x --reqid 7", EINVAL, NULL },
		{ "set-label x --reqid 0", EINVAL, NULL },
		{ "set-label x --reqid -3", EINVAL, NULL },
		{ "set-label x --id 3", EINVAL, "set-label LABEL --reqid N\n" },
		{ "set-label x y --reqid 3", EINVAL, NULL },
		{ "del-label --reqid 99", ENOENT, "reqid 99 has no label\n" },
	};
	char *body;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int want = geteuid() == 0 || t[i].err == EINVAL ? t[i].err : EPERM;
		int r = req(t[i].line, &body);

		ck_assert_msg(r == want, "\"%s\": errno %d, expected %d (%s)", t[i].line, r, want,
			      body ? body : "");
		if (geteuid() == 0 && t[i].body)
			ck_assert_str_eq(body ? body : "", t[i].body);
		free(body);
	}
	if (geteuid() != 0)
		return;
	ck_assert(wait_answer("labels", "7 anchor\n16390 west-east\n"));
	ck_assert(wait_answer("status", "label reqid 16390 (0x00004006): west-east\n"));
	ck_assert(wait_answer("status-json", "\"labels\":[{\"reqid\":7,\"label\":\"anchor\"},"
				       "{\"reqid\":16390,\"label\":\"west-east\"}],"));
}

START_TEST(test_running)
{
	pid_t pid = start_child();
	char *body;
	FILE *f;
	int st;

	if (!wait_answer("version", "spigrpd " PACKAGE_VERSION)) {
		kill(pid, SIGKILL);
		st = child_status(pid);
		if (st == 77) {
			fprintf(stderr, "check_daemon: no network namespace: running daemon not tested\n");
			return;
		}
		ck_abort_msg("the daemon did not answer (exit %d)", st);
	}
	ck_assert(wait_answer("list", "a installed kernel out comp.300@192.0.2.2\n"));
	ck_assert(wait_answer("view", "comp.300@192.0.2.2 \n"));
	ck_assert(wait_answer("status", "sa comp.300@192.0.2.2: bytes 100 "));
	ck_assert(wait_answer("status-json", "\"bytes\":100,"));
	ck_assert_int_eq(req("reload", &body), geteuid() == 0 ? 0 : EPERM);
	free(body);
	label_commands();

	/* a second group, then SIGHUP */
	f = fopen(conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[sa comp.301@192.0.2.2]\nsrc = 192.0.2.1\ncomp = deflate\n"
		   "[group b]\nsaid = comp.301@192.0.2.2\nsrc-ts = 10.0.1.0/24\n"
		   "dst-ts = 10.0.3.0/24\n");
	ck_assert_int_eq(fclose(f), 0);
	kill(pid, SIGHUP);
	ck_assert(wait_answer("list", "b installed kernel out comp.301@192.0.2.2\n"));
	if (geteuid() == 0) { /* the labels survive a reload */
		ck_assert(wait_answer("labels", "7 anchor\n16390 west-east\n"));
		ck_assert_int_eq(req("del-label --reqid 7", &body), 0);
		free(body);
		ck_assert_int_eq(req("del-label --reqid 0x7", &body), ENOENT);
		ck_assert_str_eq(body, "reqid 7 has no label\n");
		free(body);
		ck_assert(wait_answer("status-json", "\"labels\":[{\"reqid\":16390,\"label\":\"west-east\"}]"));
	}

	/* XFRM event: a deleted behind our back */
	ck_assert_int_eq(write(ev_pipe[1], "L", 1), 1);
	ck_assert(wait_answer("list", "a lost kernel out"));

	/* the address goes: every group is skipped */
	f = fopen(nolocal, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(write(addr_pipe[1], "x", 1), 1);
	ck_assert(wait_answer("list", "b skipped kernel none"));

	kill(pid, SIGTERM);
	ck_assert_int_eq(child_status(pid), 0);
}
END_TEST

/* Start-up failures are reported and end the daemon with status 1. */
START_TEST(test_start_fails)
{
	int st;

	fail_open = _i == 0;
	fail_mount = _i == 1;
	st = child_status(start_child());
	ck_assert_msg(st == 1 || st == 77, "exit %d", st);
}
END_TEST

/* A second daemon on the same state dir refuses to start. */
START_TEST(test_second_instance)
{
	pid_t pid = start_child();

	if (!wait_answer("version", "spigrpd")) {
		kill(pid, SIGKILL);
		ck_assert_int_eq(child_status(pid), 77);
		return;
	}
	/* its own namespace's instance lock is free, the state dir's not */
	{
		pid_t p2 = start_child();

		ck_assert_int_eq(child_status(p2), 1);
	}
	kill(pid, SIGINT);
	ck_assert_int_eq(child_status(pid), 0);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("main");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_too_many_locals);
	tcase_add_loop_test(tc, test_start_fails, 0, 2);
	tcase_add_test(tc, test_running);
	tcase_add_test(tc, test_second_instance);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daemon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
