/* alloc_count.c: OpenSSL's allocations counted (alloc_count.h). */
#include "config.h"

#include <stdlib.h>
#include <openssl/crypto.h>

#include "alloc_count.h"

static long nalloc;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	nalloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	nalloc++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

void alloc_count_start(void)
{
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
		nalloc = -1;
}

long alloc_count(void)
{
	return nalloc;
}
