/* A small HTTP server for load tests: process "hello" answers
 * GET /hello/hello with "hello world" from its own context.
 *
 *   http_hello_real [seconds]      (KAIROS_PORT picks the port; 0 = any)
 * prints "listening on IP:PORT", serves for `seconds` (default 3600), then
 * prints the request count and its peak RSS. */
#include <kairos/kairos.h>
#include <kairos/http.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static atomic_ulong served;

static void hello(kr_process *self, const kr_http_request *r, kr_http_reply *out)
{
    (void)self;
    (void)r;
    atomic_fetch_add_explicit(&served, 1, memory_order_relaxed);
    static const char body[] = "hello world";
    kr_http_respond(out, 200, "text/plain", body, sizeof body - 1);
}

static void init(kr_process *self) { kr_route(self, "/hello", "Says hello.", hello); }

static const kr_process_ops ops = {.initialize = init};

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : 3600;
    if (kr_init(NULL) != 0)
        return 1;
    static kr_process p;
    kr_process_init(&p, "hello", &ops);
    kr_pid pid = kr_spawn(&p, false);
    char addr[64];
    kr_address(addr, sizeof addr);
    printf("listening on %s\n", addr);
    fflush(stdout);
    /* kr_wait returns false at its timeout: the serving time. */
    kr_wait(pid, KR_SEC(seconds));
    kr_finalize();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("served %lu requests, peak RSS %ld KiB\n", atomic_load(&served), ru.ru_maxrss);
    return 0;
}
