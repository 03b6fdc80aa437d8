/* kseq.h: sequence numbers of kernel-placed outbound SAs never repeat
 * with one key (DESIGN.md decision 7; seqstore.h holds the file).
 *
 * Before a kernel group is installed, each of its outbound ESP and AH SAs
 * gets its first sequence number from the store (one above the record)
 * and the store records first - 1 + margin (SEQSTORE_KERNEL_MARGIN),
 * written before the NEWSA goes out.  While the group runs, at stop and
 * before a start adopts or replaces what an earlier run left, the daemon
 * reads each state's output sequence number (GETSA) and records it plus
 * the margin.  When it removes the group it reads the exact last number
 * between deleting the policies and the states, and records that
 * (kseq_settle()): a clean restart skips nothing.  So a state added again - after a restart, a reboot, a
 * kill -9, a reload or a placement move - starts above anything the
 * kernel can have sent with that key, as long as it sent fewer than one
 * margin since the last record (see seqstore.h for the arithmetic).
 * Pure over the store: no kernel I/O, no logging (the caller reads the
 * counters, syncs the store and logs).
 */
#ifndef SPIGRP_KSEQ_H
#define SPIGRP_KSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "reason.h"
#include "runtime.h"
#include "sadb.h"

struct seqstore;

/* An SA's last number that could not be read (kseq_settle()). */
#define KSEQ_UNKNOWN UINT64_MAX

/* Does @g's SA @k carry sequence numbers we send (outbound ESP or AH)? */
bool kseq_counts(const struct sadb_group *g, unsigned k);

/**
 * kseq_plan() - the first sequence number of each SA of @g: @first[k] is
 * 0 for an SA that is not kseq_counts(), else seqstore_first(); and
 * record (seqstore_set(), not synced) first - 1 + margin.  Refused when a
 * number space is (nearly) used up: with ESN nothing left, without ESN
 * less than one margin left (the kernel stops at 2^32 - 1).
 * Return: 0; -ENOSPC with @why ("esp.1@192.0.2.9: 32-bit sequence numbers
 * used up (no ESN): rekey with new SPIs"); -EIO when @s is NULL (the file
 * could not be read); -ENOMEM / -EFBIG from the store.
 */
int kseq_plan(struct seqstore *s, const struct sadb_group *g, uint64_t *first,
	      struct reason *why);

/**
 * kseq_note() - record for each kseq_counts() SA of @g the kernel's output
 * sequence number @ctr[k].oseq plus the margin (seqstore_set(), not
 * synced; never lowers a record; an oseq of 0 - nothing sent, or no such
 * state - records nothing).
 * Return: 0 or the first -errno of seqstore_set().
 */
int kseq_note(struct seqstore *s, const struct sadb_group *g, const struct sa_counters *ctr);

/**
 * kseq_settle() - record for each kseq_counts() SA of @g the exact last
 * number @last[k] its deleted state sent (seqstore_settle(): may lower the
 * record; not synced); KSEQ_UNKNOWN leaves the record as it is.
 * Return: 0 or the first -errno of the store.
 */
int kseq_settle(struct seqstore *s, const struct sadb_group *g, const uint64_t *last);

#endif
