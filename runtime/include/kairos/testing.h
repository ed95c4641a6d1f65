/* Testing hooks: libprocess' filter and its gtest/gmock helpers.
 *
 * Filters see every event when it is about to be served, in the receiving
 * process' order (as libprocess' Filter does); terminate events are never
 * filtered. */
#ifndef KAIROS_TESTING_H
#define KAIROS_TESTING_H

#include <kairos/dispatch.h>
#include <kairos/message.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kr_event kr_event;
typedef enum {
    KR_EVENT_MESSAGE,
    KR_EVENT_DISPATCH,
    KR_EVENT_HTTP,
    KR_EVENT_EXITED,
    KR_EVENT_TERMINATE
} kr_event_kind;

KR_API kr_event_kind kr_event_kind_of(const kr_event *e);
#define kr_event_kind(e) kr_event_kind_of(e)
KR_API kr_pid kr_event_to(const kr_event *e);
/* The message of a KR_EVENT_MESSAGE, else NULL. Valid during the call. */
KR_API const kr_message *kr_event_message(const kr_event *e);
/* The function of a KR_EVENT_DISPATCH (kr_fn or kr_call_fn), else NULL. */
KR_API void *kr_event_function(const kr_event *e);

/* One user filter at a time; returning true drops the event. NULL removes
 * it. The filter may run on any worker thread. */
KR_API void kr_filter_install(bool (*drop)(const kr_event *e, void *ctx), void *ctx);

/* FUTURE_MESSAGE: the next matching message completes the future (value: a
 * kr_message * copy owned by the future) and is still delivered.
 * KR_PID_NONE matches any pid, NULL any name. */
KR_API kr_future *kr_expect_message(const char *name, kr_pid from, kr_pid to);
/* DROP_MESSAGE: as kr_expect_message, but that one message is dropped. */
KR_API kr_future *kr_drop_message(const char *name, kr_pid from, kr_pid to);
/* DROP_MESSAGES: every matching message from now on is dropped. */
KR_API void kr_drop_messages(const char *name, kr_pid from, kr_pid to);
/* FUTURE_DISPATCH: the next dispatch of fn (a kr_fn or kr_call_fn) to `to`
 * completes the future (value NULL) and still runs. */
KR_API kr_future *kr_expect_dispatch(kr_pid to, kr_fn fn);
/* FUTURE_EXITED: the next exited(from) delivered to `to`. */
KR_API kr_future *kr_expect_exited(kr_pid from, kr_pid to);
/* Removes every expectation and drop rule (not the user filter); pending
 * expectation futures become abandoned. */
KR_API void kr_expect_clear(void);

/* Out-of-memory testing (libuv's test-loop-oom idea): after n more
 * successful allocations inside the runtime, every allocation fails until
 * this is called again with n < 0. Every API must then answer with
 * KR_ENOMEM, KR_PID_NONE, NULL or an abandoned/failed future, and leak
 * nothing. */
KR_API void kr_testing_fail_alloc_after(long n);
/* True if an allocation was made to fail since the last
 * kr_testing_fail_alloc_after: a sweep over n is complete once a run sees
 * none (n exceeds every allocation the run makes). */
KR_API bool kr_testing_alloc_failed(void);

/* Counters since kr_init, for tests and /metrics. */
typedef struct kr_stats {
    uint64_t messages_sent, messages_delivered, messages_dropped;
    uint64_t dispatches, events_served, events_dropped;
    uint64_t processes_spawned, processes_terminated;
    uint64_t timers_created, timers_fired, timers_cancelled;
} kr_stats;
KR_API void kr_stats_get(kr_stats *out);

#ifdef __cplusplus
}
#endif
#endif
