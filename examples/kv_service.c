/* A small key-value service written the libprocess way: the "how do I write
 * a real service" example. The service itself - a server (typed protobuf
 * Put/Get, HTTP get/put, metrics) and a client (a kr_loop of then/recover
 * chains) - is kv.c (its interface and a description: kv.h); this file
 * drives it and checks the outcome. scenarios/kv-service.yaml runs the same
 * two types under the scenario harness (kv_actors.c).
 *
 * One source, both libraries:
 *   kv_service_sim [SEED]  server and client on two simulated nodes; runs
 *                          the seed twice and requires the same trace hash
 *                          and the same /metrics/snapshot;
 *   kv_service_real        both on this node, HTTP over a real socket.
 * Exit status 0 when every check held. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "kv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS KV_ROUNDS

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "kv_service: " __VA_ARGS__);                       \
            fputc('\n', stderr);                                               \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* ---- driving it ---------------------------------------------------------- */

static kr_http_response *fetch(const char *address, const char *path, kr_future **keep)
{
    char url[128];
    snprintf(url, sizeof url, "http://%s%s", address, path);
    kr_future *f = kr_http_get(url);
    EXPECT(f && kr_future_await(f, KR_SEC(30)) && kr_future_state_of(f) == KR_READY,
           "GET %s failed", url);
    *keep = f;
    return kr_future_value(f);
}

/* Runs the service once; returns the snapshot (malloc'd) for comparison. */
static char *run(const char *server_node, const char *client_node)
{
    static kv_server server;
    static kv_client client;
    memset(&server, 0, sizeof server);
    memset(&client, 0, sizeof client);
#ifdef KAIROS_SIM
    kr_sim_node(server_node);
#endif
    kr_process_init(&server.base, "kv", &kv_server_ops);
    kr_pid server_pid = kr_spawn(&server.base, false);
#ifdef KAIROS_SIM
    kr_sim_node(client_node);
#endif
    (void)client_node;
    client.server = server_pid;
    client.done = kr_promise_new();
    kr_future *done = kr_promise_future(client.done);
    kr_process_init(&client.base, "kvclient", &kv_client_ops);
    kr_pid client_pid = kr_spawn(&client.base, false);
    EXPECT(kr_future_await(done, KR_SEC(60)) && kr_future_state_of(done) == KR_READY,
           "the client did not finish");
    kr_future_unref(done);
    kr_promise_free(client.done);
    EXPECT(client.ok + client.lost == ROUNDS, "%d ok + %d lost != %d", client.ok, client.lost,
           ROUNDS);

    kr_future *keep;
    kr_http_response *r = fetch(server_node, "/kv/get?key=key3", &keep);
    EXPECT(r->status == 200 && strcmp(r->body, "value-19") == 0, "GET key3: %d %s", r->status,
           r->body);
    char version[16];
    EXPECT(kr_http_response_header(r, "X-Kv-Version", version, sizeof version),
           "no X-Kv-Version header");
    kr_future_unref(keep);
    r = fetch(server_node, "/metrics/snapshot?timeout=5secs", &keep);
    EXPECT(r->status == 200 && strstr(r->body, "\"kv/puts\":20") &&
               strstr(r->body, "\"kv/keys\":8") && strstr(r->body, "\"kvclient/request_ms/p50\""),
           "snapshot: %s", r->body);
    char *snapshot = strdup(r->body);
    kr_future_unref(keep);
    printf("kv_service: %d rounds ok, %d lost, key3=value-19 (version %s)\n", client.ok,
           client.lost, version);
    kr_terminate(client_pid, false);
    kr_terminate(server_pid, false);
    kr_wait(client_pid, KR_SEC(10));
    kr_wait(server_pid, KR_SEC(10));
    return snapshot;
}

int main(int argc, char **argv)
{
#ifdef KAIROS_SIM
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    char *snapshots[2];
    uint64_t hashes[2];
    for (int i = 0; i < 2; i++) {
        kr_config cfg = {.seed = seed};
        EXPECT(kr_init(&cfg) == 0, "kr_init failed");
        snapshots[i] = run("10.0.0.2:5050", "10.0.0.1:5050");
        hashes[i] = kr_sim_trace_hash();
        EXPECT(!kr_sim_failure(), "check failed: %s", kr_sim_failure());
        kr_finalize();
    }
    EXPECT(hashes[0] == hashes[1], "seed %" PRIu64 " gave two trace hashes", seed);
    EXPECT(strcmp(snapshots[0], snapshots[1]) == 0, "seed %" PRIu64 " gave two snapshots:\n%s\n%s",
           seed, snapshots[0], snapshots[1]);
    printf("seed=%" PRIu64 " trace_hash=0x%016" PRIx64 "\n", seed, hashes[0]);
    free(snapshots[0]);
    free(snapshots[1]);
#else
    (void)argc;
    (void)argv;
    EXPECT(kr_init(NULL) == 0, "kr_init failed");
    char address[64];
    kr_address(address, sizeof address);
    free(run(address, address));
    EXPECT(kr_check_failures() == 0, "a check failed");
    kr_finalize();
#endif
    return 0;
}
