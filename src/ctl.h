/* ctl.h: the control socket protocol (unix stream socket).
 *
 * A client sends one request line "COMMAND [ARG...]\n"; the server answers
 * with text lines and a last line "errno=N\n" (0 = success), then closes:
 * easy to drive with socat.  Read requests (view, list, status, status-json)
 * are open to anyone who can connect; change requests (reload) need uid 0 or
 * membership of control-group (SO_PEERCRED).
 */
#ifndef SPIGRP_CTL_H
#define SPIGRP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ctl;

/* What the daemon does for a request.  @out receives the answer body
 * (malloc'ed; the ctl module frees it).  Return 0 or -errno. */
typedef int (*ctl_handler_fn)(void *arg, const char *cmd, int argc, char **argv,
			      char **out, size_t *outlen);

/**
 * ctl_open() - bind and listen on @path (mode 0666, so anyone can read the
 * status; a socket file whose daemon is gone is replaced; a live one makes
 * this fail with -EADDRINUSE: a second instance refuses to start).
 * @group: gid allowed to change things besides root, or (gid_t)-1.
 */
int ctl_open(struct ctl **out, const char *path, gid_t group);
void ctl_close(struct ctl *c); /* unlinks the socket; NULL is a no-op */
int ctl_fd(const struct ctl *c);
void ctl_set_group(struct ctl *c, gid_t group);

/* Accept and serve one pending client (blocking for at most ~1 s on a slow
 * client).  Change requests from unprivileged peers get errno=EPERM. */
void ctl_serve(struct ctl *c, ctl_handler_fn fn, void *arg);

/* True for commands that change something (need privilege). */
bool ctl_cmd_is_change(const char *cmd);

/**
 * ctl_request() - client side: connect to @path, send @line, read the whole
 * answer.  Return: the errno the daemon reported (>= 0) with the body in
 * *@body (malloc'ed), or -errno when the daemon could not be reached.
 */
int ctl_request(const char *path, const char *line, char **body, size_t *bodylen);

#endif
