/* Durable storage on the real backend: one directory per node,
 * $KAIROS_DATA_DIR/<ip>_<port>/ (default ./kairos-data), files written with
 * pwrite/pread and made durable with fdatasync. A file's creation and
 * removal are made durable too by syncing its directory, since a synced
 * file whose directory entry was lost is lost all the same. */
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

struct kr_file {
    int fd;
};

static int map_errno(int e)
{
    switch (e) {
    case ENOENT:
        return KR_ENOENT;
    case EEXIST:
        return KR_EEXIST;
    case ENAMETOOLONG:
        return KR_ENAMETOOLONG;
    case ENOMEM:
        return KR_ENOMEM;
    case EINVAL:
    case EISDIR:
    case ENOTDIR:
        return KR_EINVAL;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return KR_ENOSPC;
    case EACCES:
    case EPERM:
    case EROFS:
        return KR_ESTATE;
    default:
        return KR_EIO;
    }
}

/* "<data dir>/<ip>_<port>/<name>" into buf; *dir_end: where the node's
 * directory ends. */
static int node_path(const char *name, char *buf, size_t n, size_t *dir_end)
{
    const char *base = getenv("KAIROS_DATA_DIR");
    if (!base || !*base)
        base = "./kairos-data";
    uint32_t ip;
    uint16_t port;
    kr__backend_here(&ip, &port);
    char ip_text[16];
    kr__ip_format(ip, ip_text, sizeof ip_text);
    int dir = snprintf(buf, n, "%s/%s_%u", base, ip_text, (unsigned)port);
    if (dir < 0 || (size_t)dir >= n)
        return KR_ENAMETOOLONG;
    int all = snprintf(buf + dir, n - (size_t)dir, "/%s", name);
    if (all < 0 || (size_t)all >= n - (size_t)dir)
        return KR_ENAMETOOLONG;
    *dir_end = (size_t)dir;
    return 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    int rc = fsync(fd) == 0 ? 0 : map_errno(errno);
    close(fd);
    return rc;
}

/* Creates every directory of path up to its last '/' (made durable in
 * their parents as they appear). */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = 0;
        if (mkdir(path, 0755) == 0) {
            char *parent = strrchr(path, '/');
            if (parent && parent != path) {
                *parent = '\0';
                rc = sync_dir(path);
                *parent = '/';
            }
        } else if (errno != EEXIST) {
            rc = map_errno(errno);
        }
        *p = '/';
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Syncs the directory holding path (path is restored). */
static int sync_parent(char *path)
{
    char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    int rc = sync_dir(path);
    *slash = '/';
    return rc;
}

int kr__backend_file_open(const char *name, bool create, kr_file **out)
{
    char path[PATH_MAX];
    size_t dir_end;
    int rc = node_path(name, path, sizeof path, &dir_end);
    if (rc != 0)
        return rc;
    kr_file *f = kr__malloc(sizeof *f);
    if (!f)
        return KR_ENOMEM;
    f->fd = open(path, O_RDWR | O_CLOEXEC);
    if (f->fd < 0 && errno == ENOENT && create) {
        rc = make_dirs(path);
        if (rc == 0) {
            f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (f->fd >= 0)
                rc = sync_parent(path); /* the new entry is durable too */
        }
    }
    if (rc == 0 && f->fd < 0)
        rc = map_errno(errno);
    if (rc != 0) {
        if (f->fd >= 0)
            close(f->fd);
        kr__free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int kr__backend_file_write(kr_file *f, uint64_t offset, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? map_errno(errno) : KR_EIO;
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int kr__backend_file_read(kr_file *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->fd, p + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return map_errno(errno);
        if (n == 0)
            break; /* the end of the file */
        done += (size_t)n;
    }
    *got = done;
    return 0;
}

int kr__backend_file_sync(kr_file *f) { return fdatasync(f->fd) == 0 ? 0 : map_errno(errno); }

int kr__backend_file_size(kr_file *f, uint64_t *size)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0)
        return map_errno(errno);
    *size = (uint64_t)st.st_size;
    return 0;
}

int kr__backend_file_truncate(kr_file *f, uint64_t size)
{
    return ftruncate(f->fd, (off_t)size) == 0 ? 0 : map_errno(errno);
}

void kr__backend_file_close(kr_file *f)
{
    close(f->fd);
    kr__free(f);
}

int kr__backend_file_remove(const char *name)
{
    char path[PATH_MAX];
    size_t dir_end;
    int rc = node_path(name, path, sizeof path, &dir_end);
    if (rc != 0)
        return rc;
    if (unlink(path) != 0)
        return map_errno(errno);
    return sync_parent(path);
}
