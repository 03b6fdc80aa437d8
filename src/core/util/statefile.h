/* util/statefile.h: the daemon's small state files (reqids, shunt record,
 * persisted sequence blocks later) and their directories.
 *
 * A state file is replaced whole and durably: written to "PATH.tmp" (mode
 * @mode, O_NOFOLLOW), fsync'd, renamed over PATH, and the directory fsync'd,
 * so after a crash the file holds the old or the new contents, never a mix.
 * File I/O only; no logging (errors are returned).
 */
#ifndef SPIGRP_UTIL_STATEFILE_H
#define SPIGRP_UTIL_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/**
 * statefile_write() - replace @path with @len bytes at @data, durably (see
 * above).  The temporary file is removed on failure.
 * Return: 0 or -errno.
 */
int statefile_write(const char *path, const void *data, size_t len, mode_t mode);

/**
 * mkdir_p() - make @path and every missing parent (mode @mode; existing
 * directories are left as they are).  With @include_last false only the
 * parents of @path are made (for a file or mount point path).
 * Return: 0, or -errno of the first mkdir() that failed for another reason
 * than EEXIST (-ENAMETOOLONG past PATH_MAX).
 */
int mkdir_p(const char *path, mode_t mode, int include_last);

#endif
