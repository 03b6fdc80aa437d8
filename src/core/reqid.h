/* reqid.h: every group's XFRM reqid, stable across restarts and config
 * reordering.
 *
 * A reqid tags a group's kernel objects as ours (DESIGN.md decision 4).  The
 * numbers come from a band the caller passes in (kern/ owns it); this
 * module only hands them out by group name and keeps the reqids file, one
 * "REQID NAME" line per name, written durably (statefile.h).  Runs while a
 * new sadb is being built, before anyone reads it.  No logging: errors are
 * returned.
 */
#ifndef SPIGRP_REQID_H
#define SPIGRP_REQID_H

#include <stdint.h>

struct sadb;

/**
 * reqid_assign() - give every group of @db a reqid in the band @base ..
 * @base + @count - 1 (@count at most 2^24): a group keeps the reqid stored
 * for its name in @path (REQID as 0x hex or decimal; lines starting with
 * '#', bad lines, reqids outside the band and repeated names or reqids are
 * ignored); a new name gets the lowest reqid no line holds (a group that
 * already carries a free reqid of the band keeps it), and the file is
 * rewritten (mode 0600, statefile_write()) only when a name was added or a made name went (below).
 * Lines of [group] names no longer configured are kept, so a reqid is not
 * handed to another name while its line is there; lines of names the
 * daemon makes (SAID-named and "eroute:" groups: the KLIPS commands' and
 * implicit groups) are dropped when no group has them (the file is
 * rewritten then too).  A file that could not be read is
 * never overwritten.  A NULL @path only assigns.  O(groups + band/8).
 * Return: 0, or -errno from the file (the reqids are assigned anyway);
 * -ENOSPC when the band is full (those groups keep reqid 0); -ENOMEM.
 */
int reqid_assign(struct sadb *db, const char *path, uint32_t base, uint32_t count);

#endif
