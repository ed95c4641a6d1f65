/* Output files that never destroy what they replace (see out_file.h). */
#include "out_file.h"

#include <stdatomic.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void set_err(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

/* A name nobody can predict cheaply: planting a symlink there in advance
 * is pointless anyway (O_EXCL|O_NOFOLLOW), this only avoids collisions
 * between concurrent writers of the same OUT. */
static uint64_t name_bits(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    static uint64_t counter;
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 20) ^ (++counter * 0x9e3779b97f4a7c15ull);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 29);
}

/* The temporaries being written, for kr__out_abandon_all (a signal
 * handler reads them): a name is published once complete and withdrawn
 * before it is freed. More at once than fit are simply not tracked. */
#define LIVE_MAX 16
static char *_Atomic live[LIVE_MAX];

static void live_add(char *tmp)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        char *none = NULL;
        if (atomic_compare_exchange_strong(&live[i], &none, tmp))
            return;
    }
}

static void live_remove(const char *tmp)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        char *was = (char *)tmp;
        if (atomic_compare_exchange_strong(&live[i], &was, NULL))
            return;
    }
}

void kr__out_abandon_all(void)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        char *tmp = atomic_load(&live[i]);
        if (tmp)
            unlink(tmp);
    }
}

static int open_temporary(kr__out *o, mode_t mode, char *err, size_t err_len)
{
    size_t n = strlen(o->path) + 32;
    o->tmp = malloc(n);
    if (!o->tmp) {
        set_err(err, err_len, "%s: out of memory", o->path);
        return -1;
    }
    for (int attempt = 0; attempt < 16; attempt++) {
        snprintf(o->tmp, n, "%s.%012llx.tmp", o->path,
                 (unsigned long long)(name_bits() & 0xffffffffffffull));
        int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            break;
        o->f = fdopen(fd, "w");
        if (o->f) {
            live_add(o->tmp);
            return 0;
        }
        close(fd);
        unlink(o->tmp);
        break;
    }
    set_err(err, err_len, "%s: cannot create a temporary beside it: %s", o->path,
            strerror(errno));
    free(o->tmp);
    o->tmp = NULL;
    return -1;
}

/* The descriptor a path names by number (/dev/stdout, /dev/fd/3,
 * /proc/self/fd/3), or -1. Opening those anew would start a second file
 * description at offset 0 (and truncate a redirected stdout); a dup shares
 * the caller's offset, so `--trace /dev/stdout > FILE` works. */
static int named_fd(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0)
        return STDERR_FILENO;
    const char *n = strncmp(path, "/dev/fd/", 8) == 0          ? path + 8
                    : strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14
                                                               : NULL;
    if (!n || *n < '0' || *n > '9')
        return -1;
    char *end;
    long fd = strtol(n, &end, 10);
    return *end == '\0' && fd <= 1024 ? (int)fd : -1;
}

static int open_straight(kr__out *o, char *err, size_t err_len)
{
    int fd = named_fd(o->path);
    if (fd >= 0) {
        fflush(stdout); /* what we printed so far goes first */
        fflush(stderr);
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    } else {
        /* No O_CREAT: a dangling symlink stays dangling. */
        fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    }
    struct stat st;
    if (fd >= 0 && named_fd(o->path) < 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        ftruncate(fd, 0) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        set_err(err, err_len, "%s: %s", o->path, strerror(errno));
        return -1;
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        set_err(err, err_len, "%s: %s", o->path, strerror(errno));
        close(fd);
        return -1;
    }
    return 0;
}

int kr__out_open(kr__out *o, const char *path, char *err, size_t err_len)
{
    memset(o, 0, sizeof *o);
    if (!path || !*path) {
        set_err(err, err_len, "empty output path");
        return -1;
    }
    o->path = strdup(path);
    if (!o->path) {
        set_err(err, err_len, "%s: out of memory", path);
        return -1;
    }
    struct stat st;
    int rc;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            rc = open_temporary(o, 0666, err, err_len);
        else {
            set_err(err, err_len, "%s: %s", path, strerror(errno));
            rc = -1;
        }
    } else if (S_ISREG(st.st_mode)) {
        rc = open_temporary(o, st.st_mode & 0777, err, err_len); /* keeps its mode */
    } else if (S_ISDIR(st.st_mode)) {
        set_err(err, err_len, "%s: is a directory", path);
        rc = -1;
    } else {
        rc = open_straight(o, err, err_len);
    }
    if (rc != 0) {
        free(o->path);
        o->path = NULL;
    }
    return rc;
}

int kr__out_commit(kr__out *o, bool ok, char *err, size_t err_len)
{
    if (!o->f)
        return -1;
    int e = 0;
    errno = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = errno ? errno : EIO;
    /* fsync only what gets renamed: a device or pipe may not support it. */
    if (!e && o->tmp && fsync(fileno(o->f)) != 0)
        e = errno;
    if (fclose(o->f) != 0 && !e)
        e = errno ? errno : EIO;
    o->f = NULL;
    if (ok && !e && o->tmp && rename(o->tmp, o->path) != 0)
        e = errno;
    if (e && ok)
        set_err(err, err_len, "%s: cannot write: %s", o->path, strerror(e));
    if ((e || !ok) && o->tmp)
        unlink(o->tmp);
    if (o->tmp)
        live_remove(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return ok && !e ? 0 : -1;
}
