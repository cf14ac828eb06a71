/*
 * libFuzzer target for the config loader: YAML events, the node tree, the
 * schema walk and every message it can produce.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_errs errs = { NULL, 0 };
	struct config *cfg;

	if ((cfg = conf_load_mem("fuzz.yaml", data, len, &errs)) != NULL)
		conf_unref(cfg);
	conf_errs_free(&errs);
	return (0);
}
