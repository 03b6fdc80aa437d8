/* probe.h: can this kernel hold an XFRM state of a given shape?
 *
 * A trial NEWSA of every state asked about, in a throw-away network
 * namespace: module autoload and the crypto API are global, the SAD is per
 * namespace, so the trial touches nothing of ours or charon's and no SPI
 * can collide (spec/xfrm-notes.md §2).  The namespace lives in a helper
 * thread that unshare()s it and dies with it.  The answers are cached per
 * shape (protocol, mode, family, flags, replay kind, algorithm names and
 * key/ICV lengths): a shape is asked once per daemon run.  No logging.
 */
#ifndef SPIGRP_PROBE_H
#define SPIGRP_PROBE_H

#include <stddef.h>

#include "nlsock.h"
#include "reason.h"
#include "xfrm_msg.h"

struct probe;

/* Opens the socket the trial requests go to; called in the probe thread.
 * 0 or -errno, the reason in @why. */
typedef int (*probe_open_fn)(void *arg, struct nlsock **out, struct reason *why);

/**
 * probe_new() - an empty cache.  @open NULL: a NETLINK_XFRM socket in a
 * fresh network namespace (needs CAP_SYS_ADMIN); tests give their own.
 * Return: 0 or -ENOMEM.
 */
int probe_new(struct probe **out, probe_open_fn open, void *arg);
void probe_free(struct probe *p); /* NULL is a no-op */

/**
 * probe_states() - try the @n states at @st (keys included: the kernel
 * checks key lengths), those of a shape not asked before in one helper
 * thread.  Return: 0 when the kernel took every one; else the first
 * failure's -errno with the kernel's text in @why: -EPROTONOSUPPORT
 * (transform type missing), -ENOSYS / -ENOENT (algorithm missing), other
 * -errno (-EPERM / -EAGAIN / ...: the probe itself could not run; such
 * answers are not cached).
 */
int probe_states(struct probe *p, const struct xm_state *st, size_t n, struct reason *why);

#endif
