/* alloc_count.h: count OpenSSL's allocations through its memory hooks
 * (CRYPTO_set_mem_functions()), for the tests that the datapath's packet
 * path allocates nothing (check_esp, check_ah). */
#ifndef SPIGRP_ALLOC_COUNT_H
#define SPIGRP_ALLOC_COUNT_H

/* Install the counting hooks; call first in main(), before OpenSSL
 * allocates anything (OpenSSL refuses the hooks after that).  Check's
 * forked tests inherit them. */
void alloc_count_start(void);

/* OpenSSL's allocations (malloc and realloc) so far in this process, or
 * -1 if the hooks could not be installed. */
long alloc_count(void);

#endif
