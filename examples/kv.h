/* The key-value service of examples/kv_service.c, written the libprocess
 * way, as two process types any program can spawn (kv_service.c drives them
 * on either backend; kv_actors.c makes them scenario actor types):
 *
 *   kv (server)   keeps the table; answers typed protobuf messages
 *                 (kairos.kv.Put / Get -> Reply) and HTTP
 *                 (GET /{id}/get?key=K, POST /{id}/put?key=K); instruments
 *                 itself with metrics (counters kv/puts, kv/gets, kv/misses
 *                 and a pull gauge kv/keys read in its own context).
 *   kvclient      turns each request into a future (a promise completed by
 *                 the Reply), and drives the work as one kr_loop whose body
 *                 is a then/recover chain: put(k, v) -> get(k) -> check
 *                 (kr_check: the value read back is the one just written),
 *                 recovering from a lost or late reply (kr_future_after) by
 *                 counting it and going on. Round r writes "value-r" to
 *                 key(r % 8). Its request latency is a timer
 *                 (kvclient/request_ms).
 *
 * Zero a struct, set its fields, kr_process_init it with the ops. */
#ifndef KAIROS_EXAMPLES_KV_H
#define KAIROS_EXAMPLES_KV_H

#include <kairos/kairos.h>

#define KV_KEYS 64
#define KV_ROUNDS 20
#define KV_INFLIGHT_MAX 16

typedef struct kv_server {
    kr_process base;
    size_t n, capacity; /* capacity: 0 = KV_KV_KEYS */
    char keys[KV_KEYS][32];
    char values[KV_KEYS][64];
    uint64_t versions[KV_KEYS];
    kr_metric *puts, *gets, *misses, *keys_gauge;
} kv_server;

extern const kr_process_ops kv_server_ops;

#define KV_INFLIGHT_MAX 16

typedef struct kv_client {
    kr_process base;
    kr_pid server;
    uint64_t next_id;
    struct {
        uint64_t id;
        kr_promise *reply; /* its value: the Reply's copy */
    } inflight[KV_INFLIGHT_MAX];
    int rounds; /* 0 = KV_ROUNDS */
    int round, ok, lost;
    bool finished; /* the loop ended (all rounds done) */
    kr_metric *latency;
    kr_promise *done; /* set when the loop ends, failed if it broke; or NULL */
} kv_client;

extern const kr_process_ops kv_client_ops;

#endif
