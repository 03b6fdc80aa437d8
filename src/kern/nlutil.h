/* nlutil.h: helpers shared by the netlink modules of xfrm.h (xfrm.c and
 * route.c); private to them, not an interface of the daemon. */
#ifndef SPIGRP_NLUTIL_H
#define SPIGRP_NLUTIL_H

/**
 * xfrm_nle_errno() - a libnl error code (-NLE_* or NLE_*, as libnl calls
 * return them) as -errno: 0 stays 0; codes without an errno counterpart
 * (and unknown ones) become -EIO.  Defined in xfrm.c.
 */
int xfrm_nle_errno(int nle);

#endif
