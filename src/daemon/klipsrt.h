/* klipsrt.h: the KLIPS commands in the daemon (`spi`, `spigrp`, `eroute`
 * on the control socket): their runtime objects (core/klips_rt.h) kept in
 * d->krt and in state-dir/runtime, and each command run as a transaction
 * of the command table (cmd.h): prepared on a copy (parse, apply, merge,
 * build the model), committed by writing the file and applying the new
 * model as a difference; when a group the command made or changed is
 * refused by the kernel, the old objects are applied again and the file
 * restored, so a command changes all it asked or nothing.  Main thread.
 */
#ifndef SPIGRP_KLIPSRT_H
#define SPIGRP_KLIPSRT_H

#include "cmd.h"
#include "strbuf.h"

struct cfg;
struct daemon;

/**
 * klipsrt_load() - read state-dir/runtime into d->krt against the config
 * file's sections d->file (at start).  A missing file is no runtime
 * object; a file that is not a regular file, not root's, or that group or
 * others may access (it holds keys) is not read and not overwritten: the
 * runtime commands are refused until it is repaired (logged).  Lines that
 * no longer apply are left out (logged) and the file rewritten.
 */
void klipsrt_load(struct daemon *d);

/**
 * klipsrt_merge() - the config the model is built from: @file's sections
 * and d->krt's objects (klips_rt_merge(); what is left out is logged).
 * Return: the config (cfg_free()), or NULL (out of memory).
 */
struct cfg *klipsrt_merge(struct daemon *d, const struct cfg *file);

/**
 * klipsrt_reload() - the runtime objects for a new config file @file
 * (a reload): d->krt replayed against it, so that what the config now
 * defines or groups itself is left out (logged) and the file rewritten.
 * Return: 0 or -ENOMEM (d->krt unchanged).
 */
int klipsrt_reload(struct daemon *d, const struct cfg *file);

/* The command table's run functions of `spi`, `spigrp`, `eroute`
 * (words: PROG ARG...) and its transaction hooks. */
int klipsrt_cmd_spi(void *arg, const struct cmd_call *call, struct strbuf *out);
int klipsrt_cmd_spigrp(void *arg, const struct cmd_call *call, struct strbuf *out);
int klipsrt_cmd_eroute(void *arg, const struct cmd_call *call, struct strbuf *out);
int klipsrt_txn_begin(void *arg, const struct cmd_call *call, struct strbuf *out);
int klipsrt_txn_commit(void *arg, const struct cmd_call *call, struct strbuf *out);
void klipsrt_txn_abort(void *arg, const struct cmd_call *call);

/* Free d->krt and any transaction (at stop). */
void klipsrt_free(struct daemon *d);

#endif
