/* cfg.c: placeholder, being written. */
#include "config.h"
