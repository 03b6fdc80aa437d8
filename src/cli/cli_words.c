/* cli_words.c: the request line of a KLIPS change command (cli_words.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "cli_words.h"
#include "cmd.h"

bool cli_word_ok(const char *w)
{
	const unsigned char *p = (const unsigned char *)w;

	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < 0x21 || *p == 0x7f)
			return false;
	return true;
}

const char *cli_klips_word(enum klips_cmd cmd)
{
	return cmd == KLIPS_SPI ? "spi" : cmd == KLIPS_EROUTE ? "eroute" : "spigrp";
}

const char *cli_prog_name(enum klips_cmd cmd, const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	return base && cli_word_ok(base) ? base : cli_klips_word(cmd);
}

/* The options of `spi` that take no value (klips_spi.c's table; the unit
 * test checks this list against klips_parse()).  Every other "--NAME"
 * word takes the next word as its value, as getopt_long did for KLIPS. */
static bool spi_flag(const char *w)
{
	static const char *const flags[] = { "--ip4", "--ip6", "--del", "--clear", "--help",
					     "--version", "--debug", NULL };
	int i;

	for (i = 0; flags[i]; i++)
		if (!strcmp(w, flags[i]))
			return true;
	return false;
}

/* If word @i of @argv is a key read from standard input, the key: "-"
 * after "--enckey"/"--authkey", or "--enckey=-"/"--authkey=-".  *@eq is
 * set to the length of the "--name=" prefix to keep (0 for a word alone). */
static const struct klips_key *stdin_key(const struct klips_req *req, char **argv, int i,
					 bool value, size_t *eq)
{
	const char *w = argv[i];

	*eq = 0;
	if (value && !strcmp(w, "-")) {
		if (!strcmp(argv[i - 1], "--enckey"))
			return &req->spi.enckey;
		if (!strcmp(argv[i - 1], "--authkey"))
			return &req->spi.authkey;
		return NULL;
	}
	if (value)
		return NULL;
	if (!strcmp(w, "--enckey=-")) {
		*eq = strlen("--enckey=");
		return &req->spi.enckey;
	}
	if (!strcmp(w, "--authkey=-")) {
		*eq = strlen("--authkey=");
		return &req->spi.authkey;
	}
	return NULL;
}

/* Append @n bytes of @s to @line (used *@len of @size, the NUL kept). */
static bool put(char *line, size_t size, size_t *len, const char *s, size_t n)
{
	if (n >= size - *len)
		return false;
	memcpy(line + *len, s, n);
	*len += n;
	line[*len] = '\0';
	return true;
}

/* Append @k as "0x" and lowercase hex digits. */
static bool put_key(char *line, size_t size, size_t *len, const struct klips_key *k)
{
	static const char hex[] = "0123456789abcdef";
	size_t j;

	if (!put(line, size, len, "0x", 2))
		return false;
	for (j = 0; j < k->len; j++) {
		char d[2] = { hex[k->data[j] >> 4], hex[k->data[j] & 15] };

		if (!put(line, size, len, d, 2))
			return false;
	}
	return true;
}

int cli_klips_line(const struct klips_req *req, int argc, char **argv, unsigned nread, char *line,
		   size_t size, char *why, size_t whylen)
{
	const char *cmd = cli_klips_word(req->cmd);
	unsigned keys = 0;
	bool value = false; /* word i is the value of the option before it */
	size_t len = 0, eq;
	int i, ret = -E2BIG;

	why[0] = '\0';
	if (size)
		line[0] = '\0';
	if (argc > CMD_ARGS_MAX) {
		snprintf(why, whylen, "too many arguments for spigrpd's control socket (%d, at most %d)",
			 argc - 1, CMD_ARGS_MAX - 1);
		goto fail;
	}
	if (size > CMD_LINE_MAX)
		size = CMD_LINE_MAX;
	if (!put(line, size, &len, cmd, strlen(cmd)))
		goto too_long;
	for (i = 0; i < argc; i++) {
		const struct klips_key *k = NULL;

		if (!cli_word_ok(argv[i])) {
			snprintf(why, whylen,
				 i ? "argument %d is empty or holds a blank or a control character: it "
				     "cannot be sent to spigrpd" : "the program name cannot be sent to spigrpd",
				 i);
			ret = -EINVAL;
			goto fail;
		}
		if (i && req->cmd == KLIPS_SPI)
			k = stdin_key(req, argv, i, value, &eq);
		if (!put(line, size, &len, " ", 1))
			goto too_long;
		if (k) {
			keys++;
			if (!put(line, size, &len, argv[i], eq) || !put_key(line, size, &len, k))
				goto too_long;
		} else if (!put(line, size, &len, argv[i], strlen(argv[i]))) {
			goto too_long;
		}
		value = i && !value && !strncmp(argv[i], "--", 2) && !strchr(argv[i], '=') &&
			!spi_flag(argv[i]);
	}
	if (keys != nread) {
		snprintf(why, whylen, "read %u key(s) from standard input but found %u \"-\" key word(s)",
			 nread, keys);
		ret = -EINVAL;
		goto fail;
	}
	if (put(line, size, &len, "\n", 1))
		return 0;
too_long:
	snprintf(why, whylen, "the command line is too long for spigrpd's control socket (at most %d "
			      "bytes with the keys in hex)", CMD_LINE_MAX - 1);
fail:
	if (size)
		OPENSSL_cleanse(line, size);
	return ret;
}
