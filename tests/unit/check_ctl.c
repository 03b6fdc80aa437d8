/* check_ctl.c: the control socket, server and client in one process (a
 * server thread runs ctl_serve); unprivileged, sockets in a temporary
 * directory. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

static char dir[] = "/tmp/check_ctl.XXXXXX";
static char path[256];

struct server {
	struct ctl *c;
	pthread_t thr;
	int stop; /* __atomic */
	int served;
};

/* echo handler: "cmd=<cmd> args=<a>,<b>" (no newline), "fail" -> -ENOENT,
 * "big" -> 1 MiB of 'x' ending in a newline, "empty" -> no body. */
static int handler(void *arg, const char *cmd, int argc, char **argv, char **out,
		   size_t *outlen)
{
	struct server *s = arg;
	char *b;
	size_t n;
	int i;

	s->served++;
	if (!strcmp(cmd, "big")) {
		n = 1u << 20;
		b = malloc(n);
		if (!b)
			return -ENOMEM;
		memset(b, 'x', n - 1);
		b[n - 1] = '\n';
		*out = b;
		*outlen = n;
		return 0;
	}
	if (!strcmp(cmd, "empty"))
		return 0;
	b = malloc(4096);
	if (!b)
		return -ENOMEM;
	n = (size_t)snprintf(b, 4096, "cmd=%s args=", cmd);
	for (i = 0; i < argc; i++)
		n += (size_t)snprintf(b + n, 4096 - n, "%s%s", i ? "," : "", argv[i]);
	*out = b;
	*outlen = n;
	return strcmp(cmd, "fail") ? 0 : -ENOENT;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd p = { .fd = ctl_fd(s->c), .events = POLLIN };

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&p, 1, 50) > 0)
			ctl_serve(s->c, handler, s);
	}
	return NULL;
}

/* @group: the control group; our own gid lets this process change things
 * without root. */
static void server_start_group(struct server *s, gid_t group)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(ctl_open(&s->c, path, group), 0);
	ck_assert_int_eq(pthread_create(&s->thr, NULL, server_main, s), 0);
}

static void server_start(struct server *s)
{
	server_start_group(s, getgid());
}

static void server_stop(struct server *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thr, NULL);
	ctl_close(s->c);
}

static void setup(void)
{
	strcpy(dir, "/tmp/check_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
}

static void teardown(void)
{
	char p[300];

	unlink(path);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
	rmdir(dir);
}

static const struct {
	int line;
	const char *req;
	int want_errno;
	const char *want_body;
} req_cases[] = {
	{ __LINE__, "status", 0, "cmd=status args=\n" },
	{ __LINE__, "status a b", 0, "cmd=status args=a,b\n" },
	{ __LINE__, "  list \t x  ", 0, "cmd=list args=x\n" },
	{ __LINE__, "view\r\n", 0, "cmd=view args=\n" },
	{ __LINE__, "fail", ENOENT, "cmd=fail args=\n" },
	{ __LINE__, "empty", 0, "" },
	{ __LINE__, "", EINVAL, "empty request\n" },
	{ __LINE__, "   ", EINVAL, "empty request\n" },
	{ __LINE__, "reload now", 0, "cmd=reload args=now\n" }, /* our group */
};

START_TEST(test_requests)
{
	struct server s;
	char *body;
	size_t len;
	int r;

	server_start(&s);
	for (size_t i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		r = ctl_request(path, req_cases[i].req, &body, &len);
		ck_assert_msg(r == req_cases[i].want_errno, "line %d: errno %d, want %d",
			      req_cases[i].line, r, req_cases[i].want_errno);
		ck_assert_msg(len == strlen(req_cases[i].want_body) &&
				      !memcmp(body, req_cases[i].want_body, len),
			      "line %d: body \"%.*s\"", req_cases[i].line, (int)len, body);
		free(body);
	}
	server_stop(&s);
}
END_TEST

/* Without a control group only root may change things; read commands stay
 * open.  (Peers of other uids and supplementary groups: tests/netns.) */
START_TEST(test_change_needs_privilege)
{
	struct server s;
	char *body;
	size_t len;
	int r;

	server_start_group(&s, (gid_t)-1);
	r = ctl_request(path, "reload", &body, &len);
	if (geteuid() == 0) {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(body, "cmd=reload args=\n");
	} else {
		ck_assert_int_eq(r, EPERM);
		ck_assert_ptr_nonnull(strstr(body, "permission denied"));
	}
	free(body);
	ck_assert_int_eq(ctl_request(path, "view", &body, &len), 0);
	free(body);
	ck_assert_int_eq(s.served, geteuid() == 0 ? 2 : 1);
	server_stop(&s);
}
END_TEST

START_TEST(test_big_answer)
{
	struct server s;
	char *body;
	size_t len, i;

	server_start(&s);
	ck_assert_int_eq(ctl_request(path, "big", &body, &len), 0);
	ck_assert_uint_eq(len, 1u << 20);
	for (i = 0; i + 1 < len && body[i] == 'x'; i++)
		;
	ck_assert_uint_eq(i, len - 1);
	free(body);
	server_stop(&s);
}
END_TEST

START_TEST(test_long_request)
{
	struct server s;
	char *line = malloc(8192), *body;
	size_t len;

	memset(line, 'a', 8191);
	line[8191] = '\0';
	server_start(&s);
	ck_assert_int_eq(ctl_request(path, line, &body, &len), EMSGSIZE);
	free(body);
	ck_assert_int_eq(s.served, 0);
	server_stop(&s);
	free(line);
}
END_TEST

START_TEST(test_second_instance)
{
	struct server s;
	struct ctl *c2 = NULL;

	server_start(&s);
	ck_assert_int_eq(ctl_open(&c2, path, (gid_t)-1), -EADDRINUSE);
	ck_assert_ptr_null(c2);
	server_stop(&s);
	/* after a clean close the path is free again and the socket gone */
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(ctl_open(&c2, path, (gid_t)-1), 0);
	ctl_close(c2);
}
END_TEST

START_TEST(test_stale_socket_replaced)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct server s;
	char *body;
	size_t len;
	int fd;

	/* a socket file nobody listens on: what a killed daemon leaves */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(ctl_request(path, "status", &body, &len), -ECONNREFUSED);
	server_start(&s);
	ck_assert_int_eq(ctl_request(path, "status", &body, &len), 0);
	free(body);
	server_stop(&s);
}
END_TEST

START_TEST(test_not_a_socket_kept)
{
	struct ctl *c = NULL;
	struct stat st;
	int fd = open(path, O_CREAT | O_WRONLY, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), -EEXIST);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 4);
}
END_TEST

START_TEST(test_socket_mode)
{
	struct server s;
	struct stat st;

	server_start(&s);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0666);
	server_stop(&s);
}
END_TEST

START_TEST(test_slow_client_dropped)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec t0, t1;
	struct server s;
	char *body, buf[64];
	size_t len;
	ssize_t n;
	int fd;
	double dt;

	server_start(&s);
	/* connect and say nothing: the server must give up after ~1 s */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(fd, buf, sizeof(buf)); /* EOF when the server drops us */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	ck_assert_int_eq(n, 0);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(dt > 0.5 && dt < 3.0, "dropped after %.2f s", dt);
	/* and the next client is served */
	ck_assert_int_eq(ctl_request(path, "list", &body, &len), 0);
	free(body);
	server_stop(&s);
}
END_TEST

START_TEST(test_unreachable)
{
	char *body = (char *)1;
	size_t len = 7;

	ck_assert_int_eq(ctl_request(path, "view", &body, &len), -ENOENT);
	ck_assert_ptr_null(body);
	ck_assert_uint_eq(len, 0);
}
END_TEST

static const struct {
	const char *cmd;
	bool change;
} change_cases[] = {
	{ "view", false },   { "list", false },  { "status", false },
	{ "status-json", false }, { "version", false }, { "reload", true },
	{ "group", true },   { "ungroup", true }, { "", true },
	{ "VIEW", true },    { "views", true },
};

START_TEST(test_cmd_is_change)
{
	for (size_t i = 0; i < sizeof(change_cases) / sizeof(change_cases[0]); i++)
		ck_assert_msg(ctl_cmd_is_change(change_cases[i].cmd) == change_cases[i].change,
			      "%s", change_cases[i].cmd);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_change_needs_privilege);
	tcase_add_test(tc, test_big_answer);
	tcase_add_test(tc, test_long_request);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_stale_socket_replaced);
	tcase_add_test(tc, test_not_a_socket_kept);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_slow_client_dropped);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_cmd_is_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	log_init("check_ctl", true, LOG_WARNING);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
