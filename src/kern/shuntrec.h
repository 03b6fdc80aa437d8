/* shuntrec.h: the record of the template-less (shunt) policies we
 * installed, which tells them from anyone else's.
 *
 * A policy with templates is ours by the reqids in them.  A template-less
 * one has none, and a priority in our band proves nothing (anyone may use
 * those numbers), so every one we add is remembered: its kernel key (dir,
 * selector, mark) with its priority and action, in memory and in
 * STATE_DIR/shunts.  A kernel policy without templates is ours only when
 * recorded with the same priority and action, main type and no if_id
 * (DESIGN.md decision 4: an unrecorded one is left alone).
 *
 * The file is a journal: a header line naming this network namespace and
 * boot (XFRM objects die with either, so a record from another one means
 * nothing here), then one "+ POLICY" / "- POLICY" line per change, appended
 * before we add a policy (write-ahead: a crash right after the add cannot
 * leave an unrecorded policy of ours) and after we delete one.  It is
 * rewritten compactly and durably (util/statefile.h: temporary file,
 * fsync, rename, mode 0600) at start-up and when the journal has grown
 * past twice the entries plus 1024 lines.  A missing file, another header
 * or a line that does not parse (a torn last line included) records
 * nothing.
 *
 * Logs (only this module sees them; nothing here is returned): a write
 * failure, once (if the daemon then dies, the next start takes those
 * policies for someone else's and leaves them); at load, an unreadable or
 * foreign file and ignored lines.  Main thread only.
 */
#ifndef SPIGRP_SHUNTREC_H
#define SPIGRP_SHUNTREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm_msg.h"

struct shuntrec;

/* One recorded policy: its key (dir, selector, mark; main type, no
 * if_id) and what must match besides. */
struct shunt {
	struct xm_key key;
	uint32_t priority;
	uint8_t action;
};

/* An empty record kept in memory only.  0 or -ENOMEM. */
int shuntrec_new(struct shuntrec **out);
void shuntrec_free(struct shuntrec *r); /* NULL is a no-op */

/**
 * shuntrec_set_dir() - keep the record in @dir/shunts (@dir is copied and
 * made, mkdir -p, when first written) and load what the file holds for
 * this network namespace and boot; NULL: memory only, forgetting all.
 */
void shuntrec_set_dir(struct shuntrec *r, const char *dir);

/* Is policy @p recorded as ours (see above)? */
bool shuntrec_holds(const struct shuntrec *r, const struct xm_policy *p);

/**
 * shuntrec_add() - record @p (about to be added) with its priority and
 * action, write-ahead.  The entry it replaces, if any, goes to *@prev and
 * true is returned; hand both to shuntrec_undo() when the add fails.
 */
bool shuntrec_add(struct shuntrec *r, const struct xm_policy *p, struct shunt *prev);
/* The add of @p failed: back to @prev (NULL: there was no entry). */
void shuntrec_undo(struct shuntrec *r, const struct xm_policy *p, const struct shunt *prev);
/* The kernel holds no policy of ours with @p's key (any more). */
void shuntrec_forget(struct shuntrec *r, const struct xm_policy *p);

/* Start-up: shuntrec_sync_begin(), shuntrec_sync_seen() for each kernel
 * policy that shuntrec_holds(), then shuntrec_sync_end() drops the entries
 * not seen and rewrites the file.  Return: the entries dropped. */
void shuntrec_sync_begin(struct shuntrec *r);
void shuntrec_sync_seen(struct shuntrec *r, const struct xm_policy *p);
size_t shuntrec_sync_end(struct shuntrec *r);

/* Entries held. */
size_t shuntrec_count(const struct shuntrec *r);

#endif
