/* explain.h - what an Apple restore error code means and what to do,
 * from the same tables and advice the analysis uses. */
#ifndef ERR53_EXPLAIN_H
#define ERR53_EXPLAIN_H

#include "err53/err53.h"

/* arg: a code such as "4013", "-53" or "3194".  E53_EINVAL if it is not a
 * number; an unknown code still gets the generic advice. */
e53_status e53_explain(const char *arg, struct e53_buf *out);

/* Build strings such as "13D20": true when build >= ref (same scheme). */
int e53_build_cmp(const char *build, const char *ref);

#endif
