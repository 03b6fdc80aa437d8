/* ctl.h: the control socket protocol (unix stream socket).
 *
 * A client sends one request line "COMMAND [ARG...]\n" (words separated by
 * blanks: spaces or tabs; a final "\r\n" is accepted; EOF without a newline
 * ends the line too; anything after the newline is ignored).  A line holding
 * any other control character (a NUL byte, say) is malformed and refused
 * with EINVAL before any command is looked at.  The server answers with
 * text lines and a last line "errno=N\n" (0 = success), then closes: easy
 * to drive with socat.  The commands, who may run them and their arguments
 * come from the daemon's command table (cmd.h): reads are open to anyone
 * who can connect, changes need uid 0 or membership of control-group
 * (SO_PEERCRED / SO_PEERGROUPS); a command the table does not name is
 * refused as unknown (EINVAL), its name quoted escaped (util/escape.h).
 *
 * The server side runs in the daemon's single-threaded poll loop and serves
 * many clients at once: ctl_pollfds() gives the descriptors to poll,
 * ctl_timeout_ms() the poll timeout, ctl_dispatch() does the work.  No
 * client can hold up another: reads and writes never block, a client has
 * CTL_REQ_TIMEOUT_MS to send its request line, answers are buffered and
 * written as the client reads them, and the table of open connections is
 * bounded (CTL_MAX_CLIENTS; when it is full the oldest connection still
 * waiting for its request is dropped, else the oldest answer under way to
 * a user other than root and the daemon's own; an answer to those is never
 * cut: when they fill the table, the new connection is closed at once).
 *
 * Memory is bounded whatever clients do.  Answers are refcounted snapshots
 * (snap.h): identical requests for a CMD_SHARED read in the same state
 * generation get the same bytes, built once.  The answer bytes buffered
 * for clients are capped (ctl_set_answer_cap(), CTL_ANSWER_CAP by
 * default): a read whose answer would go beyond the cap waits until other
 * clients' answers are gone (at most 11 s, then it is refused with EAGAIN);
 * changes never wait.  Answers are freed as soon as their last
 * client has them, and freed memory goes back to the system
 * (malloc_trim()).  Log lines that any client can cause are rate-limited.
 */
#ifndef SPIGRP_CTL_H
#define SPIGRP_CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cmd.h"

struct ctl;

#define CTL_MAX_CLIENTS 64                   /* connections served at once */
#define CTL_POLLFDS_MAX (1 + CTL_MAX_CLIENTS) /* ctl_pollfds() never needs more */
#define CTL_ANSWER_CAP (32u << 20)           /* answer bytes buffered, default */

/**
 * ctl_open() - bind and listen on @path (mode 0666, so anyone can read the
 * status; a socket file whose daemon is gone is replaced; a live one makes
 * this fail with -EADDRINUSE: a second instance refuses to start).
 * Two daemons starting at once are kept apart by an flock on "@path.lock",
 * a file that exists while the socket is open and is removed by
 * ctl_close() (while still locked; a starter that locked the removed file
 * notices and retries on the new one).
 * @group: gid allowed to change things besides root, or (gid_t)-1.
 * Return: 0 with *@out set, or -errno (-EADDRINUSE, -EEXIST when @path
 * is something else than a socket, -ENAMETOOLONG, ...).
 */
int ctl_open(struct ctl **out, const char *path, gid_t group);

/* Drop every client, unlink the socket and the lock file (only the files we
 * made) and free @c.  NULL is a no-op. */
void ctl_close(struct ctl *c);

/* The listening socket (non-blocking), or -1 for NULL. */
int ctl_fd(const struct ctl *c);
void ctl_set_group(struct ctl *c, gid_t group);

/**
 * ctl_pollfds() - fill @pfd with the descriptors to poll: the listening
 * socket first, then one entry per open client (POLLIN while its request
 * is awaited, POLLOUT while its answer is being sent).  At most @max
 * entries (CTL_POLLFDS_MAX is always enough; clients beyond @max are not
 * polled this time but still expire).  Return: the number of entries.
 */
int ctl_pollfds(struct ctl *c, struct pollfd *pfd, int max);

/* Milliseconds until the earliest client deadline (0 if one has passed),
 * or -1 when no client is open: the timeout to give poll(). */
int ctl_timeout_ms(const struct ctl *c);

/**
 * ctl_dispatch() - after poll(): read the requests that arrived, serve
 * every complete one from the command table @t (cmd_parse, the privilege
 * check: a change from an unprivileged peer gets errno=EPERM and runs
 * nothing, cmd_check_args, then cmd_exec with @arg, or a shared answer),
 * send what the clients can take of their answers, accept new
 * connections, serve clients that waited for buffer room, and drop the
 * clients whose deadline passed.  @pfd and @n are what ctl_pollfds() gave,
 * with the revents poll() set.  Call it after every poll(), also when
 * poll() timed out, with the same @t and @arg every time.  Never blocks.
 */
void ctl_dispatch(struct ctl *c, const struct pollfd *pfd, int n, const struct cmd_table *t,
		  void *arg);

/* Cap the answer bytes buffered for clients at @bytes (at least one answer
 * is always served, however large). */
void ctl_set_answer_cap(struct ctl *c, size_t bytes);

/* Bytes of answers buffered for clients now (shared ones counted once). */
size_t ctl_answer_bytes(const struct ctl *c);

/**
 * ctl_request() - client side: connect to @path, send @line, read the whole
 * answer.  Return: the errno the daemon reported (>= 0) with the body in
 * *@body (malloc'ed), or -errno when the daemon could not be reached.
 */
int ctl_request(const char *path, const char *line, char **body, size_t *bodylen);

#endif
