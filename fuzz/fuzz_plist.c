/* fuzz_plist.c - the hardened property-list reader (binary and XML). */
#include "fuzz_common.h"
#include "err53/sysdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e53_limits lim;
	struct e53_kv kv[16];
	size_t n = 0;
	char msg[200];

	e53_limits_default(&lim);
	lim.max_plist = 1u << 20;
	e53_plist_strings((const char *)data, size, &lim, kv, 16, &n, msg, sizeof msg);
	if (n > 16)
		abort();
	return 0;
}
