/* seqstore.h: outbound sequence numbers that never repeat with one key,
 * across restarts, reboots, reloads and placement moves (DESIGN.md
 * decisions 6 and 7).
 *
 * One root-only file in state-dir (`seq`, mode 0600; not tied to the
 * network namespace or the boot, unlike the shunt record) holds, per
 * outbound SA (by SAID), the highest sequence number that may have been
 * used: for a userspace SA the end of the block reserved last, for a
 * kernel SA the kernel's output sequence number as last read plus the
 * margin (SEQSTORE_KERNEL_MARGIN).  Every change is written with
 * statefile_write() (fsync'd, then renamed) before the caller may use
 * the numbers it reserves.  A new SA starts above what the file says.
 * Main thread only (the datapath's outbound worker never writes it: it
 * asks the main thread, through salive.h's seq_limit, for more).
 * Errors as -errno with a struct reason; nothing here logs.
 */
#ifndef SPIGRP_SEQSTORE_H
#define SPIGRP_SEQSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "reason.h"
#include "said.h"

/* Sequence numbers reserved at a time for a userspace SA. */
#define SEQSTORE_BLOCK (1u << 20)

struct seqstore;

/**
 * seqstore_open() - read (or create) @dir/seq.  A file that cannot be
 * parsed is an error (never silently reset: that would reuse numbers).
 * Return: 0 and *@out, or -errno with @why.
 */
int seqstore_open(struct seqstore **out, const char *dir, struct reason *why);
void seqstore_close(struct seqstore *s); /* NULL: no-op */

/* The first sequence number @sa may use: 1 when the file does not know it,
 * else one above its record. */
uint64_t seqstore_first(const struct seqstore *s, const struct said *sa);

/**
 * seqstore_reserve() - record that @sa may use numbers up to @upto
 * (inclusive; never lowered), written and fsync'd before it returns.
 * Return: 0, or -errno with @why (then the caller must not use them).
 */
int seqstore_reserve(struct seqstore *s, const struct said *sa, uint64_t upto,
		     struct reason *why);

/* Records are never dropped: an SA that leaves the config and comes back
 * with the same key must not start again at 1 (the key cannot be told
 * from the file, which holds none).  A rekey uses new SPIs. */

#endif
