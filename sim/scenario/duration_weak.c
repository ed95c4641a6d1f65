/* Temporary: a weak kr__sc_parse_duration so the library links while the
 * loader (load.c, which defines the real one) is being written. Remove once
 * load.c lands. */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

__attribute__((weak)) bool kr__sc_parse_duration(const char *text, kr_duration *out)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text || v < 0)
        return false;
    if (strcmp(end, "ms") == 0)
        v *= 1000000LL;
    else if (strcmp(end, "s") == 0)
        v *= 1000000000LL;
    else if (strcmp(end, "us") == 0)
        v *= 1000LL;
    else if (*end != '\0' && strcmp(end, "ns") != 0)
        return false;
    *out = v;
    return true;
}
