/* seqstore.h: outbound sequence numbers that never repeat with one key,
 * across restarts, reboots, reloads and placement moves (DESIGN.md
 * decisions 6 and 7).
 *
 * One root-only file in state-dir (`seq`, mode 0600; not tied to the
 * network namespace or the boot, unlike the shunt record) holds, per
 * outbound SA (by SAID), the highest sequence number that may have been
 * used: for a userspace SA the end of the block reserved last, for a
 * kernel SA the kernel's output sequence number as last read plus the
 * margin (SEQSTORE_KERNEL_MARGIN*).  Every change is written with
 * statefile_write() (fsync'd, then renamed, then the directory fsync'd)
 * before the caller may use the numbers it reserves.  A new SA starts
 * above what the file says.
 *
 * The file: a first line "# spigrpd seq v1 ..." (required), then one
 * "SAID 0xUPTO" line per SA (SAID as said_format() 'f', ESP or AH only;
 * UPTO 1 to 16 hex digits), '#' comment lines and empty lines.  Anything
 * else - an unknown line, a SAID twice, a line longer than
 * SEQSTORE_LINE_MAX, more than SEQSTORE_MAX_RECORDS records, a last line
 * without its newline, an empty file, a file that is not a regular file
 * of ours that no one else may write - makes seqstore_open() fail: it
 * never resets silently, which would reuse numbers.
 *
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

/* Kernel-placed outbound SAs: the daemon reads each one's output sequence
 * number every SEQSTORE_KERNEL_PERIOD_S seconds (and at stop) and records
 * it plus a margin that covers what the kernel may send before the next
 * read.  Bound used: 10 Gbit/s of minimum-size Ethernet frames (64 bytes
 * + 20 of preamble and gap = 672 bits) is 14,880,952 packets/s, so one
 * period is at most 148.8 million packets; a real ESP packet is bigger.
 *  - ESN (64-bit numbers): 2^32 = 4,294,967,296, 288 s at that rate (a
 *    stalled main loop is covered for minutes; costs nothing of 2^64).
 *  - no ESN (32-bit numbers): 2^28 = 268,435,456, 18 s at that rate
 *    (1.8 periods).  Each unclean end (crash, power loss) and each restart
 *    may skip up to one margin, 1/16 of the space: see seqstore_room(). */
#define SEQSTORE_KERNEL_PERIOD_S 10
#define SEQSTORE_KERNEL_MARGIN_ESN (1ull << 32)
#define SEQSTORE_KERNEL_MARGIN_NOESN (1ull << 28)

/* Bounds of the file (see above). */
#define SEQSTORE_LINE_MAX 160
#define SEQSTORE_MAX_RECORDS (1u << 20)

struct seqstore;

/**
 * seqstore_open() - read @dir/seq, or start empty when it does not exist
 * (nothing is written until the first seqstore_sync()).  A file that
 * cannot be parsed, or that is not a regular file owned by the effective
 * user with no group or other permission bits, is an error (never silently
 * reset: that would reuse numbers); @why names the line.
 * Return: 0 and *@out, or -errno with @why (-EINVAL unparsable, -EPERM
 * owner or mode, -EFBIG past the bounds, -ENOMEM, or the I/O error).
 */
int seqstore_open(struct seqstore **out, const char *dir, struct reason *why);
void seqstore_close(struct seqstore *s); /* NULL: no-op */

/* The first sequence number @sa may use: 1 when the file does not know
 * it, else one above its record (a set but not yet synced value counts);
 * 0 when the record is UINT64_MAX (nothing left: rekey). */
uint64_t seqstore_first(const struct seqstore *s, const struct said *sa);

/* True and *@upto when the store holds a record (synced or not) for @sa. */
bool seqstore_get(const struct seqstore *s, const struct said *sa, uint64_t *upto);

/**
 * seqstore_set() - note in memory that @sa may use numbers up to @upto
 * (inclusive; a lower value than the record is ignored: never lowered).
 * Nothing is written: the numbers may be used only after seqstore_sync()
 * returned 0.  Lets a caller record many SAs with one write.
 * Return: 0, -EINVAL (@sa not ESP or AH), -EFBIG (SEQSTORE_MAX_RECORDS
 * reached), -ENOMEM.
 */
int seqstore_set(struct seqstore *s, const struct said *sa, uint64_t upto);

/**
 * seqstore_sync() - write the file when something was set since the last
 * write (statefile_write(), mode 0600).  On failure every value set since
 * the last successful write is forgotten (the file still holds the old
 * ones), so a later seqstore_first() never answers from numbers that are
 * not on disk.
 * Return: 0, or -errno with @why.
 */
int seqstore_sync(struct seqstore *s, struct reason *why);

/**
 * seqstore_reserve() - seqstore_set() then seqstore_sync(): record that
 * @sa may use numbers up to @upto, written and fsync'd before it returns.
 * Return: 0, or -errno with @why (then the caller must not use them).
 */
int seqstore_reserve(struct seqstore *s, const struct said *sa, uint64_t upto,
		     struct reason *why);

/* How many numbers are left above @first in a space of 2^32 (@esn false)
 * or 2^64 (saturated at UINT64_MAX): for warnings and for refusing a
 * non-ESN SA whose space is (nearly) used up.  0 when @first is 0. */
uint64_t seqstore_room(uint64_t first, bool esn);

/* Records are never dropped: an SA that leaves the config and comes back
 * with the same key must not start again at 1 (the key cannot be told
 * from the file, which holds none).  A rekey uses new SPIs. */

#endif
