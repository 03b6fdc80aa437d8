/* check_ctl.c: the control socket, server and client in one process (a
 * server thread runs the daemon's loop: ctl_pollfds, poll, ctl_dispatch);
 * unprivileged, sockets in a temporary directory. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ctl.h"
#include "log.h"
#include "snap.h"

static char dir[] = "/tmp/check_ctl.XXXXXX";
static char path[256];

struct server {
	struct ctl *c;
	pthread_t thr;
	int stop; /* __atomic */
	int served;
	uint64_t gen; /* the table's generation */
};

/* echo: "cmd=<cmd> args=<a>,<b>" (no newline); "fail": the same and
 * -ENOENT; "big": 1 MiB of 'x' ending in a newline; "empty": no body;
 * "sleep": longer than a client's request deadline, then the echo. */
static int echo_run(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct server *s = arg;

	__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	if (!strcmp(call->def->name, "sleep"))
		usleep(1500000);
	strbuf_printf(out, "cmd=%s args=", call->def->name);
	for (int i = 0; i < call->argc; i++)
		strbuf_printf(out, "%s%s", i ? "," : "", call->argv[i]);
	return strcmp(call->def->name, "fail") ? 0 : ENOENT; /* lenient: positive */
}

static int big_run(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct server *s = arg;
	size_t n = 1u << 20;

	(void)call;
	__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	if (strbuf_reserve(out, n) < 0)
		return -ENOMEM;
	memset(out->s, 'x', n - 1);
	out->s[n - 1] = '\n';
	out->s[n] = '\0';
	out->len = n;
	return 0;
}

static int empty_run(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	struct server *s = arg;

	(void)call;
	(void)out;
	__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
	return 0;
}

static uint64_t test_generation(void *arg)
{
	return ((struct server *)arg)->gen;
}

#define ECHO(name, access) \
	{ name, access, 0, 0, CMD_ARGS_MAX, NULL, echo_run, 0, "[ARG...]", "echo" }
static const struct cmd_def test_cmds[] = {
	ECHO("status", CMD_ANYONE),
	ECHO("list", CMD_ANYONE),
	ECHO("view", CMD_ANYONE),
	ECHO("fail", CMD_ANYONE),
	ECHO("sleep", CMD_ANYONE),
	ECHO("reload", CMD_PRIVILEGED),
	{ "empty", CMD_ANYONE, 0, 0, 0, NULL, empty_run, 0, "", "nothing" },
	{ "big", CMD_ANYONE, 0, 0, 0, NULL, big_run, 0, "", "1 MiB" },
	{ "big-shared", CMD_ANYONE, CMD_SHARED, 0, 1, NULL, big_run, 0, "[X]", "1 MiB, shared" },
	{ "big-change", CMD_PRIVILEGED, 0, 0, 0, NULL, big_run, 0, "", "1 MiB, a change" },
	{ "help", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_run_help, 0, "", "this list" },
};
#undef ECHO
static const struct cmd_table test_table = {
	.cmd = test_cmds,
	.n = sizeof(test_cmds) / sizeof(test_cmds[0]),
	.generation = test_generation,
};

/* One round of the daemon's loop: poll (at most @max_ms) and dispatch. */
static void server_round(struct ctl *c, struct server *s, int max_ms)
{
	struct pollfd p[CTL_POLLFDS_MAX];
	int n = ctl_pollfds(c, p, CTL_POLLFDS_MAX);
	int t = ctl_timeout_ms(c);

	if (t < 0 || t > max_ms)
		t = max_ms;
	if (poll(p, (nfds_t)n, t) < 0)
		return;
	ctl_dispatch(c, p, n, &test_table, s);
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		server_round(s->c, s, 50);
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

static int served(struct server *s)
{
	return __atomic_load_n(&s->served, __ATOMIC_RELAXED);
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
	snprintf(p, sizeof(p), "%s/log", dir); /* test_unknown_escaped_and_limited */
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
	ck_assert_int_eq(served(&s), geteuid() == 0 ? 2 : 1);
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
	ck_assert_int_eq(served(&s), 0);
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

/* A connected client socket (blocking). */
static int connect_raw(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Send @len bytes on @fd. */
static void send_raw(int fd, const char *data, size_t len)
{
	ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything the server sends on @fd until it closes (at most 10 s, at most
 * 2 MiB); NUL-terminated, malloc'ed.  *@len: its length. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 3u << 20;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	*len = 0;
	for (;;) {
		ck_assert_msg(poll(&p, 1, 10000) == 1, "no answer within 10 s");
		n = recv(fd, buf + *len, cap - 1 - *len, 0);
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		*len += (size_t)n;
		ck_assert_uint_lt(*len, cap - 1);
	}
	buf[*len] = '\0';
	return buf;
}

/* Has the server closed @fd (EOF waiting, nothing sent before it)? */
static bool dropped(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) != 1)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

/* 30 clients that connect and say nothing do not delay a real one: it is
 * answered, correctly, while all 30 are still connected (so before the
 * server dropped any of them for their 1 s deadline). */
START_TEST(test_idle_clients_do_not_block)
{
	int idle[30];
	struct server s;
	char *body;
	size_t len, i;

	server_start(&s);
	for (i = 0; i < 30; i++)
		idle[i] = connect_raw();
	/* half of them start a request and stall in the middle of it */
	for (i = 0; i < 30; i += 2)
		send_raw(idle[i], "stat", 4);
	ck_assert_int_eq(ctl_request(path, "status x", &body, &len), 0);
	ck_assert_str_eq(body, "cmd=status args=x\n");
	free(body);
	for (i = 0; i < 30; i++)
		ck_assert_msg(!dropped(idle[i]), "idle client %zu dropped before the answer", i);
	ck_assert_int_eq(served(&s), 1);
	/* and in the end each of them is dropped, unserved */
	for (i = 0; i < 30; i++) {
		body = read_all(idle[i], &len);
		ck_assert_uint_eq(len, 0);
		free(body);
		close(idle[i]);
	}
	ck_assert_int_eq(served(&s), 1);
	server_stop(&s);
}
END_TEST

/* More idle clients than the table holds: the oldest ones are dropped to
 * make room, and a real client is still answered. */
START_TEST(test_table_full_drops_oldest)
{
	enum { N = CTL_MAX_CLIENTS + 6 };
	int idle[N];
	struct server s;
	char *body;
	size_t len, i;

	server_start(&s);
	for (i = 0; i < N; i++)
		idle[i] = connect_raw();
	ck_assert_int_eq(ctl_request(path, "list", &body, &len), 0);
	ck_assert_str_eq(body, "cmd=list args=\n");
	free(body);
	/* accepted in order: N - 64 evictions for the idle ones, one more for
	 * the real client; the survivors are the newest */
	for (i = 0; i < N; i++)
		ck_assert_msg(dropped(idle[i]) == (i < N - CTL_MAX_CLIENTS + 1),
			      "idle client %zu: dropped %d", i, dropped(idle[i]));
	for (i = 0; i < N; i++)
		close(idle[i]);
	server_stop(&s);
}
END_TEST

/* A full table of clients being answered: a new client is closed at once,
 * and no answer under way is cut. */
START_TEST(test_table_full_of_answers_refuses_new)
{
	int fd[CTL_MAX_CLIENTS];
	struct server s;
	char *body = NULL, *ans;
	size_t len, i;

	server_start(&s);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		fd[i] = connect_raw();
		send_raw(fd[i], "big\n", 4);
	}
	/* each answer (1 MiB) fills its socket: all are under way (some
	 * waiting for room under the byte cap) */
	for (i = 0; i < 500 && served(&s) < 1; i++)
		usleep(10000);
	usleep(300000);
	ck_assert_int_lt(ctl_request(path, "list", &body, &len), 0);
	free(body);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		ans = read_all(fd[i], &len);
		close(fd[i]);
		ck_assert_uint_eq(len, (1u << 20) + strlen("errno=0\n"));
		ck_assert_str_eq(ans + len - 9, "\nerrno=0\n");
		free(ans);
	}
	server_stop(&s);
}
END_TEST

/* A client that asks for a big answer and does not read it does not hold
 * up the next one; it gets all of its answer once it reads. */
START_TEST(test_slow_reader_does_not_block)
{
	struct server s;
	char *body, *ans;
	size_t len, i;
	int fd;

	server_start(&s);
	fd = connect_raw();
	send_raw(fd, "big\n", 4);
	/* wait until it was served (its answer fills the socket buffer) */
	for (i = 0; i < 500 && served(&s) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(served(&s), 1);
	ck_assert_int_eq(ctl_request(path, "status", &body, &len), 0);
	ck_assert_str_eq(body, "cmd=status args=\n");
	free(body);
	ans = read_all(fd, &len);
	close(fd);
	ck_assert_uint_eq(len, (1u << 20) + strlen("errno=0\n"));
	for (i = 0; i + 1 < 1u << 20 && ans[i] == 'x'; i++)
		;
	ck_assert_uint_eq(i, (1u << 20) - 1);
	ck_assert_str_eq(ans + i, "\nerrno=0\n");
	free(ans);
	server_stop(&s);
}
END_TEST

/* A client accepted before the daemon got busy for longer than the request
 * deadline, and that sent its request meanwhile, is served, not dropped:
 * the lateness was the daemon's. */
START_TEST(test_busy_daemon_keeps_clients)
{
	struct server s;
	char *ans;
	size_t len;
	int a, b;

	server_start(&s);
	b = connect_raw();
	usleep(100000); /* accepted */
	a = connect_raw();
	send_raw(a, "sleep\n", 6);
	usleep(300000); /* the server sleeps in the handler */
	ck_assert_int_eq(served(&s), 1);
	send_raw(b, "status\n", 7);
	ans = read_all(b, &len);
	ck_assert_str_eq(ans, "cmd=status args=\nerrno=0\n");
	free(ans);
	ans = read_all(a, &len);
	ck_assert_str_eq(ans, "cmd=sleep args=\nerrno=0\n");
	free(ans);
	close(a);
	close(b);
	server_stop(&s);
}
END_TEST

/* Requests sent in pieces, or ended by EOF instead of a newline. */
START_TEST(test_request_in_pieces)
{
	struct server s;
	char *ans;
	size_t len;
	int fd;

	server_start(&s);
	fd = connect_raw();
	send_raw(fd, "sta", 3);
	usleep(100000);
	send_raw(fd, "tus a", 5);
	usleep(100000);
	send_raw(fd, "\r\nignored\n", 10);
	ans = read_all(fd, &len);
	close(fd);
	ck_assert_str_eq(ans, "cmd=status args=a\nerrno=0\n");
	free(ans);

	fd = connect_raw();
	send_raw(fd, "list b", 6);
	shutdown(fd, SHUT_WR);
	ans = read_all(fd, &len);
	close(fd);
	ck_assert_str_eq(ans, "cmd=list args=b\nerrno=0\n");
	free(ans);
	ck_assert_int_eq(served(&s), 2);
	server_stop(&s);
}
END_TEST

/* A request line with a control character in it is refused before any
 * command is looked at. */
static const struct {
	int line;
	const char *req;
	size_t len;
	unsigned char bad;
	size_t at;
} malformed_cases[] = {
#define M(s, b, a) { __LINE__, s, sizeof(s) - 1, b, a }
	M("reload\0garbage\n", 0x00, 6),
	M("view\0\n", 0x00, 4),
	M("\0view\n", 0x00, 0),
	M("view\x01\n", 0x01, 4),
	M("vi\rew\n", 0x0d, 2),
	M("view\r\r\n", 0x0d, 4),
	M("status\x1b[2J\n", 0x1b, 6),
	M("view\x7f\n", 0x7f, 4),
	M("reload\0", 0x00, 6), /* then EOF */
#undef M
};

START_TEST(test_malformed_refused)
{
	struct server s;
	char *ans, want[128];
	size_t len, i;
	int fd;

	server_start(&s);
	for (i = 0; i < sizeof(malformed_cases) / sizeof(malformed_cases[0]); i++) {
		fd = connect_raw();
		send_raw(fd, malformed_cases[i].req, malformed_cases[i].len);
		shutdown(fd, SHUT_WR);
		ans = read_all(fd, &len);
		close(fd);
		snprintf(want, sizeof(want),
			 "malformed request: control character 0x%02x at byte %zu\nerrno=%d\n",
			 malformed_cases[i].bad, malformed_cases[i].at, EINVAL);
		ck_assert_msg(!strcmp(ans, want), "line %d: answer \"%s\"",
			      malformed_cases[i].line, ans);
		free(ans);
	}
	ck_assert_int_eq(served(&s), 0);
	/* a tab is a blank, not a control character to refuse */
	fd = connect_raw();
	send_raw(fd, "view\t\n", 6);
	ans = read_all(fd, &len);
	close(fd);
	ck_assert_str_eq(ans, "cmd=view args=\nerrno=0\n");
	free(ans);
	server_stop(&s);
}
END_TEST

/* The loop as the daemon runs it, in this thread: the deadline of an idle
 * client is the poll timeout, and the client is dropped when it passes. */
START_TEST(test_timeout_and_expiry)
{
	struct server s = { 0 };
	struct ctl *c = NULL;
	int fd, t, i;

	ck_assert_int_eq(ctl_open(&c, path, getgid()), 0);
	ck_assert_int_eq(ctl_timeout_ms(c), -1);
	fd = connect_raw();
	server_round(c, &s, 1000);
	t = ctl_timeout_ms(c);
	ck_assert_msg(t > 0 && t <= 1000, "timeout %d ms", t);
	ck_assert(!dropped(fd));
	for (i = 0; i < 100 && !dropped(fd); i++)
		server_round(c, &s, 1000);
	ck_assert(dropped(fd));
	ck_assert_int_le(i, 5); /* a few rounds, not a busy loop */
	ck_assert_int_eq(ctl_timeout_ms(c), -1);
	close(fd);
	ck_assert_int_eq(s.served, 0);
	ctl_close(c);
}
END_TEST

/* The lock file: there while the socket is open, gone after a clean close
 * when we created it; held by someone else, it keeps us out; a leftover
 * one is reused and kept. */
START_TEST(test_lock_file)
{
	char lock[300], moved[310];
	struct ctl *c = NULL;
	struct stat st;
	ino_t ino;
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), 0);
	ck_assert_int_eq(stat(lock, &st), 0);
	ctl_close(c);
	ck_assert_int_eq(access(lock, F_OK), -1);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* a lock held elsewhere */
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), -EADDRINUSE);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(lock, F_OK), 0); /* not ours to remove */
	/* released but left behind (a killed daemon): reused */
	close(fd);
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), 0);
	/* a lock file that is not the one we hold stays */
	snprintf(moved, sizeof(moved), "%s.old", lock);
	ck_assert_int_eq(rename(lock, moved), 0);
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ctl_close(c);
	ck_assert_int_eq(access(lock, F_OK), 0);
	unlink(moved);
	/* a lock file that was there before we started (an admin's, a killed
	 * daemon's) is used, and left there at a clean close */
	ck_assert_int_eq(stat(lock, &st), 0);
	ino = st.st_ino;
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), 0);
	ctl_close(c);
	ck_assert_int_eq(stat(lock, &st), 0);
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* gone, it is ours again: created, then removed */
	ck_assert_int_eq(unlink(lock), 0);
	ck_assert_int_eq(ctl_open(&c, path, (gid_t)-1), 0);
	ck_assert_int_eq(access(lock, F_OK), 0);
	ctl_close(c);
	ck_assert_int_eq(access(lock, F_OK), -1);
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

/* Run the server loop in this thread until every fd in @fds has something
 * to read (at most @max rounds).  True when they all have. */
static bool rounds_until_readable(struct ctl *c, struct server *s, const int *fds, int n, int max)
{
	for (int k = 0; k < max; k++) {
		int ready = 0;

		server_round(c, s, 20);
		for (int i = 0; i < n; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };

			ready += poll(&p, 1, 0) == 1;
		}
		if (ready == n)
			return true;
	}
	return false;
}

/* Identical reads in one generation share one answer: built once, its
 * bytes buffered once; other words or a new generation build anew; the
 * bytes go when the clients do. */
START_TEST(test_shared_answer_built_once)
{
	enum { N = 8 };
	struct server s = { 0 };
	struct ctl *c = NULL;
	int fd[N + 2], i;

	ck_assert_int_eq(ctl_open(&c, path, getgid()), 0);
	s.c = c;
	for (i = 0; i < N; i++) {
		fd[i] = connect_raw();
		send_raw(fd[i], "big-shared\n", 11);
	}
	ck_assert(rounds_until_readable(c, &s, fd, N, 50));
	/* nobody reads: the answers stay buffered (1 MiB > the socket's) */
	ck_assert_int_eq(s.served, 1);
	ck_assert_uint_eq(ctl_answer_bytes(c), 1u << 20);
	ck_assert_uint_eq(snap_bytes_live(), 1u << 20);
	fd[N] = connect_raw();
	send_raw(fd[N], "big-shared x\n", 13);
	ck_assert(rounds_until_readable(c, &s, fd + N, 1, 50));
	ck_assert_int_eq(s.served, 2);
	s.gen++;
	fd[N + 1] = connect_raw();
	send_raw(fd[N + 1], "big-shared\n", 11);
	ck_assert(rounds_until_readable(c, &s, fd + N + 1, 1, 50));
	ck_assert_int_eq(s.served, 3);
	ck_assert_uint_eq(ctl_answer_bytes(c), 3u << 20);
	for (i = 0; i < N + 2; i++)
		close(fd[i]);
	for (i = 0; i < 50 && ctl_answer_bytes(c); i++)
		server_round(c, &s, 20);
	ck_assert_uint_eq(ctl_answer_bytes(c), 0);
	ck_assert_uint_eq(snap_bytes_live(), 0);
	ctl_close(c);
}
END_TEST

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Past the answer cap a read waits until answers are gone; a change
 * does not wait; nothing is lost. */
START_TEST(test_answer_cap)
{
	struct server s;
	int a, b, ch, h1, h2;
	size_t len;
	char *ans;

	server_start(&s);
	ctl_set_answer_cap(s.c, (3u << 20) / 2); /* 1.5 MiB */
	a = connect_raw();
	send_raw(a, "big\n", 4);
	for (int i = 0; i < 500 && served(&s) < 1; i++)
		usleep(2000);
	b = connect_raw();
	send_raw(b, "big\n", 4); /* 1 + 1 MiB > the cap: waits */
	h1 = connect_raw();
	send_raw(h1, "help\n", 5); /* small, nothing like it buffered: served */
	ans = read_all(h1, &len);
	close(h1);
	ck_assert_ptr_nonnull(strstr(ans, "big-change"));
	free(ans);
	ck_assert_int_eq(served(&s), 1); /* b was read before h1, and waits */
	ck_assert(!readable(b));
	ch = connect_raw();
	send_raw(ch, "big-change\n", 11); /* a change: never waits */
	for (int i = 0; i < 500 && served(&s) < 2; i++)
		usleep(2000);
	ck_assert_int_eq(served(&s), 2);
	h2 = connect_raw();
	send_raw(h2, "help\n", 5); /* 2 MiB buffered > the cap: waits now */
	/* a goes: b still waits (1 MiB of ch + the 1 MiB its last answer
	 * had > the cap), h2 too */
	ans = read_all(a, &len);
	ck_assert_uint_eq(len, (1u << 20) + strlen("errno=0\n"));
	free(ans);
	close(a);
	ans = read_all(ch, &len); /* ch goes: both are served */
	ck_assert_uint_eq(len, (1u << 20) + strlen("errno=0\n"));
	free(ans);
	close(ch);
	ans = read_all(h2, &len);
	ck_assert_ptr_nonnull(strstr(ans, "big-change"));
	free(ans);
	close(h2);
	ans = read_all(b, &len);
	ck_assert_uint_eq(len, (1u << 20) + strlen("errno=0\n"));
	free(ans);
	close(b);
	ck_assert_int_eq(served(&s), 3);
	server_stop(&s);
}
END_TEST

static int64_t fixed_ms;

static int64_t fixed_clock(void)
{
	return fixed_ms;
}

/* Count the lines of @text holding @needle. */
static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* An unknown command name is quoted escaped, to the client and to the log
 * (C1 controls as \xNN, bidi overrides as \u{...}, cut at 48 bytes), and
 * the log lines any client can cause are rate-limited. */
START_TEST(test_unknown_escaped_and_limited)
{
	static const char evil[] = "\xc2\x9b" "31m\xe2\x80\xae" "evil";
	char logpath[300], *text, *body, line[5000];
	struct server s;
	size_t len;
	FILE *f;
	int fd, i;

	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_init("check_ctl", true, LOG_INFO);
	fixed_ms = 1000;
	log_set_clock(fixed_clock);
	server_start(&s);
	ck_assert_int_eq(ctl_request(path, evil, &body, &len), EINVAL);
	ck_assert_str_eq(body, "unknown command \"\\xc2\\x9b31m\\u{202e}evil\" (try help)\n");
	free(body);
	memset(line, 'A', sizeof(line));
	line[100] = '\0';
	ck_assert_int_eq(ctl_request(path, line, &body, &len), EINVAL);
	ck_assert_ptr_nonnull(strstr(body, "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\""));
	free(body);
	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(ctl_request(path, "nope", &body, &len), EINVAL);
		free(body);
	}
	fixed_ms += 60000; /* a new window: the count of what was held back */
	ck_assert_int_eq(ctl_request(path, "nope", &body, &len), EINVAL);
	free(body);
	server_stop(&s);

	f = fopen(logpath, "r");
	ck_assert_ptr_nonnull(f);
	text = calloc(1, 1u << 16);
	len = fread(text, 1, (1u << 16) - 1, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "unknown command \"\\xc2\\x9b31m\\u{202e}evil\""));
	ck_assert_ptr_null(strstr(text, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(text, "\xe2\x80\xae"));
	/* 10 lines in the first window, then the count and 1 line */
	ck_assert_int_eq(count_lines(text, "refused a request"), 11);
	ck_assert_ptr_nonnull(strstr(text, "ctl: refused requests: 22 similar messages suppressed"));
	free(text);
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
	tcase_add_test(tc, test_idle_clients_do_not_block);
	tcase_add_test(tc, test_table_full_drops_oldest);
	tcase_add_test(tc, test_table_full_of_answers_refuses_new);
	tcase_add_test(tc, test_slow_reader_does_not_block);
	tcase_add_test(tc, test_busy_daemon_keeps_clients);
	tcase_add_test(tc, test_request_in_pieces);
	tcase_add_test(tc, test_malformed_refused);
	tcase_add_test(tc, test_timeout_and_expiry);
	tcase_add_test(tc, test_lock_file);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_shared_answer_built_once);
	tcase_add_test(tc, test_answer_cap);
	tcase_add_test(tc, test_unknown_escaped_and_limited);
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
