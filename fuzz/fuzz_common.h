/* fuzz_common.h - shared set-up for the fuzz harnesses: the built-in rules,
 * compiled once per process (the harnesses must not leak across runs). */
#ifndef ERR53_FUZZ_COMMON_H
#define ERR53_FUZZ_COMMON_H

#include "err53/analyze.h"
#include "err53/rules.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline struct e53_rules *fuzz_rules(void)
{
	static struct e53_rules *rs;

	if (!rs) {
		struct e53_buf diag;

		e53_buf_init(&diag, 0);
		rs = e53_rules_new();
		if (!rs || e53_rules_add_builtin(rs, &diag) || e53_rules_compile(rs, &diag))
			abort(); /* the built-in rules are checked by make check */
		e53_buf_release(&diag);
	}
	return rs;
}

#endif
