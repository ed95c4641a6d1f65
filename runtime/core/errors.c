/* kr_strerror: the text of each KR_E* code, from the one table in common.h. */
#include "internal.h"

const char *kr_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define KR__ERRNO_TEXT(name, value, text)                                      \
    case (value):                                                              \
        return text;
        KR_ERRNO_MAP(KR__ERRNO_TEXT)
#undef KR__ERRNO_TEXT
    default:
        return "unknown error";
    }
}
