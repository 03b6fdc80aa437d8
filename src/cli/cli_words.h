/* cli_words.h: the control-socket request of a KLIPS change command (`spi`,
 * `spigrp`, `eroute`) built from its command line.
 *
 * Pure (no I/O): the commands call it after klips_parse() accepted the
 * line, and it builds the one request line "CMD PROG WORD...\n" that
 * spigrpd's command table expects (ctl.h): the user's words as typed,
 * except a key given as "-" (`--enckey -`, `--authkey -`, also written
 * `--enckey=-`), which was read from standard input into the request and
 * is sent as its hex text "0x...".  A word that cannot travel in a
 * blank-separated line -- empty, or holding a blank or a control
 * character -- is refused with a message naming it by position, not by
 * content (it may be a key).  The line holds keys: callers wipe it
 * (OPENSSL_cleanse) after sending.
 */
#ifndef SPIGRP_CLI_WORDS_H
#define SPIGRP_CLI_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "klips_args.h"

/* Can @w travel as one word of a request line?  Not empty, no byte below
 * 0x21 (blanks, control characters) and no DEL. */
bool cli_word_ok(const char *w);

/* The command word of @cmd in the request line: "spi", "spigrp", "eroute". */
const char *cli_klips_word(enum klips_cmd cmd);

/* A fallback for the program name when argv[0] cannot travel (say, a path
 * with a space): its last component if that can, else the command word. */
const char *cli_prog_name(enum klips_cmd cmd, const char *argv0);

/**
 * cli_klips_line() - the request line for the change @req that
 * klips_parse() made of @argc/@argv (@argv[0]: the program name sent as
 * PROG; it must satisfy cli_word_ok()).
 * @nread: how many keys klips_parse() read from standard input (counted
 *   by the caller's read_key callback): the "-" words found must match.
 * @line/@size: the line, newline included (CMD_LINE_MAX is enough for any
 *   line the daemon accepts).
 * @why/@whylen: the reason on failure, ready to print after "PROG: ".
 * Return: 0, -EINVAL (a word cannot travel, or the "-" keys do not match
 * @nread), -E2BIG (more than CMD_ARGS_MAX words, or the line does not fit
 * in @size or in CMD_LINE_MAX).  @line is wiped on failure.
 */
int cli_klips_line(const struct klips_req *req, int argc, char **argv, unsigned nread, char *line,
		   size_t size, char *why, size_t whylen);

#endif
