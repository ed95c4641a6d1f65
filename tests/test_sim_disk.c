/* Sim only: the node's disk across crashes. Synced data survives
 * kr_sim_power_off in every seed; unsynced writes are lost in some seeds
 * and kept (or torn at a 512-byte boundary) in others; kr_sim_crash loses
 * nothing; handles from before a crash fail; disk faults are seeded. */
#include "harness.h"

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"
#define SEEDS 64

static void reinit(uint64_t seed)
{
    kr_finalize();
    kr_config c = kt_config();
    c.seed = seed;
    assert_int_equal(kr_init(&c), 0);
    assert_int_equal(kr_sim_node(A), 0);
}

static kr_file *open_file(const char *name)
{
    kr_file *f = NULL;
    assert_int_equal(kr_file_open(name, KR_FILE_CREATE, &f), 0);
    return f;
}

static uint64_t size_of(const char *name)
{
    kr_file *f = open_file(name);
    uint64_t size = 0;
    assert_int_equal(kr_file_size(f, &size), 0);
    kr_file_close(f);
    return size;
}

static void fill(unsigned char *buf, size_t n, unsigned char seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(seed + i * 7);
}

/* Writes a synced 1000-byte prefix and an unsynced 3000-byte tail, then
 * powers off A and restarts it; returns what survived of the tail. */
static uint64_t power_off_run(uint64_t seed, bool power)
{
    reinit(seed);
    unsigned char synced[1000], tail[3000], back[4000];
    fill(synced, sizeof synced, 1);
    fill(tail, sizeof tail, 99);
    kr_file *f = open_file("wal");
    assert_int_equal(kr_file_write(f, 0, synced, sizeof synced), 0);
    assert_int_equal(kr_file_sync(f), 0);
    assert_int_equal(kr_file_write(f, 1000, tail, sizeof tail), 0);
    assert_int_equal(power ? kr_sim_power_off(A) : kr_sim_crash(A), 0);
    size_t got;
    assert_int_equal(kr_file_write(f, 0, "x", 1), KR_ESTATE); /* the node is down */
    assert_int_equal(kr_sim_restart(A), 0);
    assert_int_equal(kr_file_read(f, 0, back, 1, &got), KR_ESTATE); /* opened before */
    assert_int_equal(kr_file_sync(f), KR_ESTATE);
    kr_file_close(f);
    f = open_file("wal");
    assert_int_equal(kr_file_read(f, 0, back, sizeof back, &got), 0);
    kr_file_close(f);
    assert_true(got >= sizeof synced);
    assert_memory_equal(back, synced, sizeof synced); /* synced: always there */
    uint64_t kept = got - sizeof synced;
    if (kept) /* whatever survived of the tail is a prefix of it */
        assert_memory_equal(back + sizeof synced, tail, (size_t)kept);
    return kept;
}

static void synced_data_survives_power_off_and_unsynced_data_may_not(void **state)
{
    (void)state;
    int lost = 0, kept = 0, torn = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        uint64_t k = power_off_run(seed, true);
        if (k == 0)
            lost++;
        else if (k == 3000)
            kept++;
        else {
            torn++;
            assert_int_equal((1000 + k) % KR_SIM_SECTOR, 0); /* cut at a sector */
        }
    }
    fprintf(stderr, "# %d seeds: unsynced tail lost %d, kept %d, torn %d\n", SEEDS, lost, kept,
            torn);
    assert_true(lost > 0);
    assert_true(kept > 0);
    assert_true(torn > 0);
}

static void a_crash_loses_nothing(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= SEEDS; seed++)
        assert_int_equal(power_off_run(seed, false), 3000);
}

static void each_unsynced_write_has_its_own_fate_and_truncates_too(void **state)
{
    (void)state;
    bool mixed = false;
    for (uint64_t seed = 1; seed <= SEEDS && !mixed; seed++) {
        reinit(seed);
        kr_file *f = open_file("blocks");
        for (int i = 0; i < 8; i++) /* 8 one-byte writes, none can tear */
            assert_int_equal(kr_file_write(f, (uint64_t)i, &"abcdefgh"[i], 1), 0);
        assert_int_equal(kr_sim_power_off(A), 0);
        assert_int_equal(kr_sim_restart(A), 0);
        kr_file_close(f);
        f = open_file("blocks");
        char back[8];
        size_t got;
        assert_int_equal(kr_file_read(f, 0, back, sizeof back, &got), 0);
        int present = 0;
        for (size_t i = 0; i < got; i++)
            present += back[i] == "abcdefgh"[i];
        mixed = present > 0 && present < 8;
        kr_file_close(f);
    }
    assert_true(mixed); /* some kept and some lost in one power-off */

    bool truncate_lost = false, truncate_kept = false;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        reinit(seed);
        kr_file *f = open_file("t");
        assert_int_equal(kr_file_write(f, 0, "0123456789", 10), 0);
        assert_int_equal(kr_file_sync(f), 0);
        assert_int_equal(kr_file_truncate(f, 4), 0);
        assert_int_equal(kr_sim_power_off(A), 0);
        assert_int_equal(kr_sim_restart(A), 0);
        kr_file_close(f);
        uint64_t size = size_of("t");
        truncate_lost |= size == 10;
        truncate_kept |= size == 4;
    }
    assert_true(truncate_lost && truncate_kept);
}

static void the_disk_belongs_to_its_node_and_outlives_restarts(void **state)
{
    (void)state;
    assert_int_equal(kr_sim_node(A), 0);
    kr_file *f = open_file("mine");
    assert_int_equal(kr_file_write(f, 0, "on A", 4), 0);
    kr_file_close(f);
    assert_int_equal(kr_sim_node(B), 0);
    assert_int_equal(kr_file_open("mine", 0, &f), KR_ENOENT); /* B's disk is another */
    assert_int_equal(kr_sim_crash(B), 0);
    assert_int_equal(kr_file_open("mine", KR_FILE_CREATE, &f), KR_ESTATE); /* B is down */
    assert_int_equal(kr_file_remove("mine"), KR_ESTATE);
    assert_int_equal(kr_sim_node(A), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kr_sim_crash(A), 0);
        assert_int_equal(kr_sim_restart(A), 0);
    }
    assert_int_equal(size_of("mine"), 4);
    assert_int_equal(kr_file_remove("mine"), 0);
    assert_int_equal(kr_sim_power_off(A), 0); /* a removal is durable */
    assert_int_equal(kr_sim_restart(A), 0);
    assert_int_equal(kr_file_open("mine", 0, &f), KR_ENOENT);
}

/* A process crash leaves its handles open (no finalize runs): they fail,
 * and kr_finalize frees them (ASan's leak check guards it). */
static void an_unclosed_handle_of_a_crashed_node_fails_and_is_freed_at_finalize(void **state)
{
    (void)state;
    assert_int_equal(kr_sim_node(A), 0);
    kr_file *orphan = open_file("orphan");
    assert_int_equal(kr_file_write(orphan, 0, "x", 1), 0);
    assert_int_equal(kr_sim_crash(A), 0);
    assert_int_equal(kr_sim_restart(A), 0);
    assert_int_equal(kr_file_write(orphan, 0, "y", 1), KR_ESTATE);
    assert_int_equal(size_of("orphan"), 1); /* a crash keeps the page cache */
    /* not closed: kr_finalize (the teardown) frees it */
}

static void a_handle_to_a_removed_file_reports_enoent(void **state)
{
    (void)state;
    kr_file *f = open_file("gone");
    assert_int_equal(kr_file_remove("gone"), 0);
    uint64_t size;
    assert_int_equal(kr_file_size(f, &size), KR_ENOENT);
    kr_file_close(f);
}

static void disk_faults_are_seeded_errors_and_damaged_reads(void **state)
{
    (void)state;
    kr_sim_disk bad = {.write_error = 1.5};
    assert_int_equal(kr_sim_disk_faults(A, &bad), KR_EINVAL);
    bad = (kr_sim_disk){.read_error = -0.1};
    assert_int_equal(kr_sim_disk_faults(A, &bad), KR_EINVAL);
    bad = (kr_sim_disk){.corrupt = 0.0 / 0.0};
    assert_int_equal(kr_sim_disk_faults(A, &bad), KR_EINVAL);
    assert_int_equal(kr_sim_disk_faults(A, NULL), KR_EINVAL);
    assert_int_equal(kr_sim_disk_faults("bad", &(kr_sim_disk){0}), KR_EFORMAT);
    assert_int_equal(kr_sim_node(A), 0);

    kr_file *f = open_file("faulty");
    assert_int_equal(kr_file_write(f, 0, "payload!", 8), 0);
    kr_sim_disk always = {.write_error = 1, .read_error = 1};
    assert_int_equal(kr_sim_disk_faults(A, &always), 0);
    char buf[8];
    size_t got;
    assert_int_equal(kr_file_write(f, 0, "x", 1), KR_EIO);
    assert_int_equal(kr_file_sync(f), KR_EIO);
    assert_int_equal(kr_file_truncate(f, 0), KR_EIO);
    assert_int_equal(kr_file_read(f, 0, buf, sizeof buf, &got), KR_EIO);
    kr_sim_disk damaged = {.corrupt = 1};
    assert_int_equal(kr_sim_disk_faults(A, &damaged), 0);
    assert_int_equal(kr_file_read(f, 0, buf, sizeof buf, &got), 0);
    assert_int_equal(got, 8);
    assert_memory_not_equal(buf, "payload!", 8); /* one byte damaged */
    int diff = 0;
    for (int i = 0; i < 8; i++)
        diff += buf[i] != "payload!"[i];
    assert_int_equal(diff, 1);

    /* Half the writes fail, by the seed: some but not all. */
    kr_sim_disk half = {.write_error = 0.5};
    assert_int_equal(kr_sim_disk_faults(A, &half), 0);
    int failed = 0;
    for (int i = 0; i < 64; i++)
        failed += kr_file_write(f, 0, "y", 1) == KR_EIO;
    assert_true(failed > 0 && failed < 64);
    kr_file_close(f);
}

static void a_file_too_large_for_the_sim_disk_is_enospc(void **state)
{
    (void)state;
    kr_file *f = open_file("huge");
    assert_int_equal(kr_file_write(f, (uint64_t)1 << 40, "x", 1), KR_ENOSPC);
    assert_int_equal(kr_file_truncate(f, (uint64_t)1 << 40), KR_ENOSPC);
    kr_file_close(f);
}

/* The trace names each unsynced write's fate at a power-off. */
typedef struct fates {
    int writes, syncs, kept, lost, torn, errors;
    char last_lost[128];
} fates;

static void count_fates(const kr_sim_event *e, void *ctx)
{
    fates *f = ctx;
    f->writes += strcmp(e->kind, "write") == 0;
    f->syncs += strcmp(e->kind, "sync") == 0;
    f->kept += strcmp(e->kind, "write-kept") == 0;
    f->torn += strcmp(e->kind, "write-torn") == 0;
    f->errors += strcmp(e->kind, "disk-error") == 0;
    if (strcmp(e->kind, "write-lost") == 0) {
        f->lost++;
        snprintf(f->last_lost, sizeof f->last_lost, "%s", e->name);
    }
}

static void the_trace_shows_writes_syncs_and_each_fate(void **state)
{
    (void)state;
    static fates seen;
    bool named = false;
    for (uint64_t seed = 1; seed <= SEEDS && !named; seed++) {
        reinit(seed);
        memset(&seen, 0, sizeof seen);
        kr_sim_observe(count_fates, &seen);
        kr_file *f = open_file("journal");
        assert_int_equal(kr_file_write(f, 0, "synced", 6), 0);
        assert_int_equal(kr_file_sync(f), 0);
        assert_int_equal(kr_file_write(f, 6, "unsynced", 8), 0);
        assert_int_equal(kr_sim_power_off(A), 0);
        kr_file_close(f);
        kr_sim_observe(NULL, NULL);
        assert_int_equal(seen.writes, 2);
        assert_int_equal(seen.syncs, 1);
        assert_int_equal(seen.kept + seen.lost + seen.torn, 1); /* only the unsynced one */
        named = seen.lost == 1 && strcmp(seen.last_lost, "journal 6+8") == 0;
    }
    assert_true(named);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(synced_data_survives_power_off_and_unsynced_data_may_not),
        KT_TEST(a_crash_loses_nothing),
        KT_TEST(each_unsynced_write_has_its_own_fate_and_truncates_too),
        KT_TEST(the_disk_belongs_to_its_node_and_outlives_restarts),
        KT_TEST(a_handle_to_a_removed_file_reports_enoent),
        KT_TEST(an_unclosed_handle_of_a_crashed_node_fails_and_is_freed_at_finalize),
        KT_TEST(disk_faults_are_seeded_errors_and_damaged_reads),
        KT_TEST(a_file_too_large_for_the_sim_disk_is_enospc),
        KT_TEST(the_trace_shows_writes_syncs_and_each_fate),
    };
    return KT_RUN(tests);
}
