// Umbrella for hiredis 0.14.1: RedisQuota uses only the command formatter and the reply reader.
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
