/* klips_cli.h: the KLIPS commands `spi`, `spigrp` (its KLIPS forms),
 * `eroute` and `look` as clients of spigrpd's control socket.
 *
 * Each parses its command line with klips_parse() first: syntax errors,
 * --help and --version are answered here with KLIPS's messages and exit
 * codes, without the daemon.  No arguments (the LIST forms) print the
 * view's text: `view-spi`, `view` (ipsec_spigrp), `view-eroute`; `look`
 * prints the daemon's `look` text.  A change goes to the daemon as one
 * request "CMD PROG WORD..." (cli_words.h); its answer is printed on
 * stdout (errno=0) or stderr (any other errno), and the exit code is 0 or
 * 1 (KLIPS: every error 1).  Keys read from standard input are wiped
 * after use.
 */
#ifndef SPIGRP_KLIPS_CLI_H
#define SPIGRP_KLIPS_CLI_H

#include "klips_args.h"

/* The environment variable naming the control socket for the KLIPS
 * commands (they have no option for it). */
#define CLI_CONTROL_ENV "SPIGRPD_CONTROL"

/* The control socket: $SPIGRPD_CONTROL when set and not empty, else the
 * default (CFG_DEFAULT_CONTROL). */
const char *cli_control(void);

/**
 * klips_cli_run() - run KLIPS command @cmd on @argc/@argv (argv[0]: the
 * program name as messages show it) against the daemon at @control.
 * Return: the exit code.
 */
int klips_cli_run(enum klips_cmd cmd, const char *control, int argc, char **argv);

/* `look`: print the daemon's look text.  --help: "Usage: ...", --version:
 * the version, both exit 0 as the look script; other arguments are
 * ignored, as the script did.  Return: the exit code. */
int look_cli_run(const char *control, int argc, char **argv);

#endif
