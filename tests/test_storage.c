/* Durable storage (kairos/storage.h): the same behaviour on both backends.
 * On real the files live under $KAIROS_DATA_DIR/<ip>_<port>/ (a fresh
 * temporary directory here); on sim on the node's disk in memory. */
#include "harness.h"

#ifndef KAIROS_SIM
#include <unistd.h>
#endif

static void write_text(kr_file *f, uint64_t at, const char *text)
{
    assert_int_equal(kr_file_write(f, at, text, strlen(text)), 0);
}

static void expect_text(kr_file *f, uint64_t at, const char *text)
{
    char buf[256] = {0};
    size_t got = 99;
    assert_int_equal(kr_file_read(f, at, buf, strlen(text), &got), 0);
    assert_int_equal(got, strlen(text));
    assert_memory_equal(buf, text, strlen(text));
}

static void a_file_is_written_read_synced_and_kept_across_handles(void **state)
{
    (void)state;
    kr_file *f = NULL;
    assert_int_equal(kr_file_open("log/entries", KR_FILE_CREATE, &f), 0);
    assert_non_null(f);
    write_text(f, 0, "hello, ");
    write_text(f, 7, "disk");
    expect_text(f, 0, "hello, disk");
    uint64_t size = 0;
    assert_int_equal(kr_file_size(f, &size), 0);
    assert_int_equal(size, 11);
    assert_int_equal(kr_file_sync(f), 0);
    kr_file_close(f);

    assert_int_equal(kr_file_open("log/entries", 0, &f), 0); /* exists now */
    expect_text(f, 0, "hello, disk");
    expect_text(f, 7, "disk");
    kr_file_close(f);
    kr_file_close(NULL); /* ignored */
}

static void reads_stop_at_the_end_and_gaps_read_as_zeros(void **state)
{
    (void)state;
    kr_file *f;
    assert_int_equal(kr_file_open("sparse", KR_FILE_CREATE, &f), 0);
    char buf[16];
    size_t got = 7;
    assert_int_equal(kr_file_read(f, 0, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 0); /* empty */
    write_text(f, 4, "ab");
    memset(buf, 'x', sizeof buf);
    assert_int_equal(kr_file_read(f, 0, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 6);
    assert_memory_equal(buf, "\0\0\0\0ab", 6);
    assert_int_equal(kr_file_read(f, 100, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 0);
    assert_int_equal(kr_file_write(f, 0, NULL, 0), 0); /* nothing to write */
    kr_file_close(f);
}

static void truncate_shrinks_and_grows_with_zeros(void **state)
{
    (void)state;
    kr_file *f;
    assert_int_equal(kr_file_open("trunc", KR_FILE_CREATE, &f), 0);
    write_text(f, 0, "abcdef");
    assert_int_equal(kr_file_truncate(f, 2), 0);
    uint64_t size;
    assert_int_equal(kr_file_size(f, &size), 0);
    assert_int_equal(size, 2);
    assert_int_equal(kr_file_truncate(f, 5), 0);
    char buf[8];
    size_t got;
    assert_int_equal(kr_file_read(f, 0, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "ab\0\0\0", 5);
    assert_int_equal(kr_file_sync(f), 0);
    kr_file_close(f);
}

static void a_missing_file_is_enoent_unless_created_and_remove_deletes(void **state)
{
    (void)state;
    kr_file *f = (kr_file *)&f;
    assert_int_equal(kr_file_open("missing", 0, &f), KR_ENOENT);
    assert_null(f);
    assert_int_equal(kr_file_remove("missing"), KR_ENOENT);
    assert_int_equal(kr_file_open("doomed", KR_FILE_CREATE, &f), 0);
    write_text(f, 0, "x");
    kr_file_close(f);
    assert_int_equal(kr_file_remove("doomed"), 0);
    assert_int_equal(kr_file_open("doomed", 0, &f), KR_ENOENT);
    assert_int_equal(kr_file_open("doomed", KR_FILE_CREATE, &f), 0);
    uint64_t size = 9;
    assert_int_equal(kr_file_size(f, &size), 0);
    assert_int_equal(size, 0); /* a new, empty file */
    kr_file_close(f);
}

static void bad_names_and_arguments_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"",     "/abs",  "a//b",  "a/",     "..",  "a/../b",
                                      "./a",  "a/.",   "sp ace", "semi;", "uni\xc3\xa9",
                                      "back\\slash", "a/./b"};
    kr_file *f;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kr_file_open(bad[i], KR_FILE_CREATE, &f), KR_EINVAL);
        assert_int_equal(kr_file_remove(bad[i]), KR_EINVAL);
    }
    assert_int_equal(kr_file_open(NULL, KR_FILE_CREATE, &f), KR_EINVAL);
    char longname[KR_FILE_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(kr_file_open(longname, KR_FILE_CREATE, &f), KR_ENAMETOOLONG);
    assert_int_equal(kr_file_open("ok", KR_FILE_CREATE, NULL), KR_EINVAL);
    assert_int_equal(kr_file_open("ok", 2u, &f), KR_EINVAL); /* unknown flag */
    assert_int_equal(kr_file_open("Ok.-_9/x..y", KR_FILE_CREATE, &f), 0); /* all allowed */
    char buf[4];
    size_t got;
    uint64_t size;
    assert_int_equal(kr_file_write(NULL, 0, "a", 1), KR_EINVAL);
    assert_int_equal(kr_file_write(f, 0, NULL, 1), KR_EINVAL);
    assert_int_equal(kr_file_write(f, UINT64_MAX, "a", 1), KR_EINVAL);
    assert_int_equal(kr_file_read(NULL, 0, buf, 1, &got), KR_EINVAL);
    assert_int_equal(kr_file_read(f, 0, buf, 1, NULL), KR_EINVAL);
    assert_int_equal(kr_file_read(f, 0, NULL, 1, &got), KR_EINVAL);
    assert_int_equal(kr_file_sync(NULL), KR_EINVAL);
    assert_int_equal(kr_file_size(NULL, &size), KR_EINVAL);
    assert_int_equal(kr_file_size(f, NULL), KR_EINVAL);
    assert_int_equal(kr_file_truncate(NULL, 0), KR_EINVAL);
    assert_int_equal(kr_file_truncate(f, UINT64_MAX), KR_EINVAL);
    kr_file_close(f);
}

/* Inside a process the file belongs to the process' node: the driver on
 * the same node reads what the process wrote. */
static void write_from_process(kr_process *self, const void *arg, kr_promise *done)
{
    (void)self;
    (void)arg;
    kr_file *f;
    int rc = kr_file_open("from-process", KR_FILE_CREATE, &f);
    if (rc == 0) {
        rc = kr_file_write(f, 0, "inside", 6);
        if (rc == 0)
            rc = kr_file_sync(f);
        kr_file_close(f);
    }
    int *out = malloc(sizeof *out);
    *out = rc;
    kr_promise_set(done, out, free);
}

static void a_process_writes_files_of_its_node(void **state)
{
    (void)state;
    static kr_process p;
    kr_process_init(&p, "writer", NULL);
    kr_pid pid = kr_spawn(&p, false);
    kr_future *f = kr_dispatch_call(pid, write_from_process, NULL, 0);
    assert_true(kr_future_await(f, KT_TIMEOUT));
    assert_int_equal(*(const int *)kr_future_value(f), 0);
    kr_future_unref(f);
    kr_file *file;
    assert_int_equal(kr_file_open("from-process", 0, &file), 0);
    expect_text(file, 0, "inside");
    kr_file_close(file);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

#ifndef KAIROS_SIM
static char data_dir[64];

static int storage_setup(void **state)
{
    snprintf(data_dir, sizeof data_dir, "/tmp/kairos-storage-XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    setenv("KAIROS_DATA_DIR", data_dir, 1);
    return kt_setup(state);
}

static int storage_teardown(void **state)
{
    int rc = kt_teardown(state);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc;
}
#define KS_TEST(fn) cmocka_unit_test_setup_teardown(fn, storage_setup, storage_teardown)
#else
#define KS_TEST(fn) KT_TEST(fn)
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        KS_TEST(a_file_is_written_read_synced_and_kept_across_handles),
        KS_TEST(reads_stop_at_the_end_and_gaps_read_as_zeros),
        KS_TEST(truncate_shrinks_and_grows_with_zeros),
        KS_TEST(a_missing_file_is_enoent_unless_created_and_remove_deletes),
        KS_TEST(bad_names_and_arguments_are_refused),
        KS_TEST(a_process_writes_files_of_its_node),
    };
    return KT_RUN(tests);
}
