/* The public storage API (kairos/storage.h): argument and name checks here,
 * the files themselves in the backend (real: the file system; sim: each
 * node's disk in memory). A name never escapes its node's directory. */
#include "backend.h"

/* Relative, [A-Za-z0-9._-/], no empty, "." or ".." component. */
static int check_name(const char *name)
{
    if (!name || !*name)
        return KR_EINVAL;
    size_t n = strlen(name);
    if (n > KR_FILE_NAME_MAX)
        return KR_ENAMETOOLONG;
    const char *component = name;
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(name + i - component);
            if (len == 0 || (len == 1 && component[0] == '.') ||
                (len == 2 && component[0] == '.' && component[1] == '.'))
                return KR_EINVAL;
            component = name + i + 1;
            continue;
        }
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return KR_EINVAL;
    }
    return 0;
}

static int refuse(const char *call, const char *name, int rc)
{
    kr__log("%s(\"%s\"): %s", call, name ? name : "(null)", kr_strerror(rc));
    return rc;
}

int kr_file_open(const char *name, unsigned flags, kr_file **out)
{
    if (out)
        *out = NULL;
    int rc = check_name(name);
    if (rc == 0 && (!out || (flags & ~KR_FILE_CREATE) != 0))
        rc = KR_EINVAL;
    if (rc != 0)
        return refuse("kr_file_open", name, rc);
    if (!atomic_load(&kr__is_running))
        return KR_ESTATE;
    return kr__backend_file_open(name, (flags & KR_FILE_CREATE) != 0, out);
}

int kr_file_write(kr_file *f, uint64_t offset, const void *buf, size_t len)
{
    if (!f || (!buf && len) || offset > (uint64_t)INT64_MAX - len)
        return KR_EINVAL;
    return len ? kr__backend_file_write(f, offset, buf, len) : 0;
}

int kr_file_read(kr_file *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
    if (got)
        *got = 0;
    if (!f || (!buf && len) || !got || offset > (uint64_t)INT64_MAX)
        return KR_EINVAL;
    return kr__backend_file_read(f, offset, buf, len, got);
}

int kr_file_sync(kr_file *f) { return f ? kr__backend_file_sync(f) : KR_EINVAL; }

int kr_file_size(kr_file *f, uint64_t *size)
{
    if (size)
        *size = 0;
    return f && size ? kr__backend_file_size(f, size) : KR_EINVAL;
}

int kr_file_truncate(kr_file *f, uint64_t size)
{
    if (!f || size > (uint64_t)INT64_MAX)
        return KR_EINVAL;
    return kr__backend_file_truncate(f, size);
}

void kr_file_close(kr_file *f)
{
    if (f)
        kr__backend_file_close(f);
}

int kr_file_remove(const char *name)
{
    int rc = check_name(name);
    if (rc != 0)
        return refuse("kr_file_remove", name, rc);
    if (!atomic_load(&kr__is_running))
        return KR_ESTATE;
    return kr__backend_file_remove(name);
}
