/* fuzz_ips.c - the .ips report header reader. */
#include "fuzz_common.h"
#include "err53/sysdiag.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e53_ips_header h;

	if (e53_ips_parse_header((const char *)data, size, &h) == E53_OK) {
		if (strlen(h.os_version) >= sizeof h.os_version || strlen(h.payload) >= sizeof h.payload)
			abort();
	}
	return 0;
}
