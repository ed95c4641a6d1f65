/* The simulated machines: addresses, start functions, and the two ways a
 * machine goes down.
 *
 * kr_sim_crash is a process crash (kill -9): the processes vanish, the
 * disk keeps every write, and peers learn through a reset connection (after
 * latency, behind data in flight). kr_sim_power_off is a machine crash:
 * unsynced writes are kept, lost or torn (disk.c), messages still in flight
 * may be lost, and peers learn only after the failure-detection delay. */
#include "sim_internal.h"

#define NODES kr__sim.nodes

void kr__sim_format_address(uint32_t ip, uint16_t port, char *buf, size_t n)
{
    /* "a.b.c.d:port" by hand: every node's address is formatted at every
     * kr_init, i.e. per seed of a sweep. */
    char text[24];
    kr__ip_format(ip, text, sizeof text);
    size_t len = strlen(text);
    text[len++] = ':';
    len = (size_t)(kr__put_decimal(text + len, port) - text);
    text[len] = '\0';
    if (n == 0)
        return;
    if (len > n - 1)
        len = n - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
}

long kr__sim_node_at(uint32_t ip, uint16_t port)
{
    for (size_t i = 0; i < kr__sim.node_count; i++)
        if (NODES[i].ip == ip && NODES[i].port == port)
            return (long)i;
    return -1;
}

const char *kr__sim_address_text(uint32_t ip, uint16_t port, char *buf, size_t n)
{
    long i = kr__sim_node_at(ip, port);
    if (i >= 0)
        return NODES[i].address;
    kr__sim_format_address(ip, port, buf, n);
    return buf;
}

long kr__sim_node_of_pid(kr_pid pid) { return kr__sim_node_at(pid.ip, pid.port); }

static int parse_address(const char *address, uint32_t *ip, uint16_t *port)
{
    if (!address)
        return KR_EINVAL;
    const char *colon = strrchr(address, ':');
    char ip_text[16];
    if (!colon || colon == address || (size_t)(colon - address) >= sizeof ip_text)
        return KR_EFORMAT;
    memcpy(ip_text, address, (size_t)(colon - address));
    ip_text[colon - address] = '\0';
    char *end;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (kr__ip_parse(ip_text, ip) != 0 || colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
        v == 0 || v > 65535)
        return KR_EFORMAT;
    *port = (uint16_t)v;
    return 0;
}

static void node_init(kr__sim_node *n, uint32_t ip, uint16_t port)
{
    memset(n, 0, sizeof *n);
    n->ip = ip;
    n->port = port;
    n->up = true;
    kr__sim_format_address(ip, port, n->address, sizeof n->address);
}

long kr__sim_node_get(const char *address, bool create, int *err)
{
    uint32_t ip;
    uint16_t port;
    int rc = parse_address(address, &ip, &port);
    if (rc != 0) {
        kr__log("sim: \"%s\" is not an ip:port node address", address ? address : "(null)");
        *err = rc;
        return -1;
    }
    long i = kr__sim_node_at(ip, port);
    if (i >= 0 || !create) {
        *err = i >= 0 ? 0 : KR_ENOENT;
        return i;
    }
    if (kr__sim.node_count == KR_SIM_NODES_MAX) {
        *err = KR_ENOSPC;
        return -1;
    }
    node_init(&NODES[kr__sim.node_count], ip, port);
    *err = 0;
    return (long)kr__sim.node_count++;
}

size_t kr__sim_node_here(void)
{
    if (kr__current_proc) {
        long i = kr__sim_node_of_pid(kr__current_proc->pid);
        if (i >= 0)
            return (size_t)i;
    }
    return kr__sim.driver_node;
}

void kr__sim_nodes_reset(uint32_t ip, uint16_t port)
{
    kr__sim_disks_reset();
    for (size_t i = 0; i < kr__sim.node_count; i++) /* only used rows are dirty */
        memset(kr__sim.cut[i], 0, kr__sim.node_count);
    node_init(&NODES[0], ip, port);
    kr__sim.node_count = 1;
    kr__sim.driver_node = 0;
    kr__sim.detection_delay = KR_SEC(1);
    kr__sim.paused_nodes = 0;
}

int kr_sim_node(const char *address)
{
    int err;
    long i = kr__sim_node_get(address, true, &err);
    if (i < 0)
        return err;
    kr__sim.driver_node = (size_t)i;
    return 0;
}

bool kr_sim_node_up(const char *address)
{
    int err;
    long i = kr__sim_node_get(address, false, &err);
    return i >= 0 && NODES[i].up;
}

int kr_sim_failure_detection(kr_duration d)
{
    if (d < 0)
        return KR_EINVAL;
    kr__sim.detection_delay = d;
    return 0;
}

/* ---- backend hooks: addresses --------------------------------------------- */

void kr__backend_here(uint32_t *ip, uint16_t *port)
{
    if (kr__current_proc) {
        *ip = kr__current_proc->pid.ip;
        *port = kr__current_proc->pid.port;
    } else {
        *ip = NODES[kr__sim.driver_node].ip;
        *port = NODES[kr__sim.driver_node].port;
    }
}

bool kr__backend_hosts(uint32_t ip, uint16_t port)
{
    long i = kr__sim_node_at(ip, port);
    return i >= 0 && NODES[i].up;
}

bool kr__backend_remote(const kr_pid *from, const kr_pid *to)
{
    if (from->id[0] == '\0')
        return false; /* KR_PID_NONE: the driver injects directly into any node */
    return from->ip != to->ip || from->port != to->port;
}

/* ---- start, crash, power-off, restart ------------------------------------- */

static void run_start(size_t node)
{
    size_t saved = kr__sim.driver_node;
    kr__sim.driver_node = node;
    NODES[node].start(NODES[node].address, NODES[node].start_ctx);
    kr__sim.driver_node = saved;
}

int kr_sim_on_start(const char *address, void (*start)(const char *address, void *ctx), void *ctx)
{
    if (!start)
        return KR_EINVAL;
    int err;
    long i = kr__sim_node_get(address, true, &err);
    if (i < 0)
        return err;
    NODES[i].start = start;
    NODES[i].start_ctx = ctx;
    if (NODES[i].up)
        run_start((size_t)i);
    return 0;
}

typedef struct pid_vec {
    kr_pid items[256];
    size_t len;
    uint32_t ip;
    uint16_t port;
    bool more;
} pid_vec;

static void collect_on_node(kr__proc *p, void *ctx)
{
    pid_vec *v = ctx;
    if (p->pid.ip != v->ip || p->pid.port != v->port ||
        atomic_load(&p->state) == KR__TERMINATING)
        return;
    if (v->len < sizeof v->items / sizeof v->items[0])
        v->items[v->len++] = p->pid;
    else
        v->more = true;
}

static void kill_processes(size_t i)
{
    pid_vec v = {.ip = NODES[i].ip, .port = NODES[i].port};
    do {
        v.len = 0;
        v.more = false;
        kr__table_each(collect_on_node, &v);
        for (size_t k = 0; k < v.len; k++) {
            kr__proc *p = kr__table_acquire(v.items[k]);
            if (!p)
                continue;
            kr__table_release(p);
            kr__sim_unschedule(p);
            kr__process_kill(p); /* no finalize: the machine just stopped */
        }
    } while (v.more);
}

/* Takes node `address` down; power: a machine crash, else a process crash. */
static int take_down(const char *address, bool power, const char *what)
{
    int err;
    long i = kr__sim_node_get(address, false, &err);
    if (i < 0)
        return err;
    if (!NODES[i].up)
        return 0;
    if (kr__current_proc) {
        kr__log("%s: only the driving thread may take nodes down", what);
        return KR_ESTATE;
    }
    kr__sim_hash((power ? 0x706f776572ull : 0x6372617368ull) ^ (uint64_t)i); /* "power" "crash" */
    kr__sim_emit(power ? "power-off" : "crash", NODES[i].address, "", "", KR_PID_NONE,
                 KR_PID_NONE, NULL, 0);
    NODES[i].incarnation++; /* handles opened before now fail */
    if (NODES[i].paused_until != 0) {
        NODES[i].paused_until = 0; /* a dead machine is not paused */
        kr__sim.paused_nodes--;
    }
    kr__sim_links_node_down((size_t)i, power);
    if (power) {
        kr__sim_net_lose_in_flight((size_t)i);
        kr__sim_disk_power_loss((size_t)i);
    }
    kill_processes((size_t)i);
    NODES[i].up = false;
    kr__sim_links_check();
    return 0;
}

int kr_sim_crash(const char *address) { return take_down(address, false, "kr_sim_crash"); }

int kr_sim_power_off(const char *address)
{
    return take_down(address, true, "kr_sim_power_off");
}

int kr_sim_restart(const char *address)
{
    int err;
    long i = kr__sim_node_get(address, false, &err);
    if (i < 0)
        return err;
    if (NODES[i].up)
        return 0;
    NODES[i].up = true;
    kr__sim_hash(0x72657374ull ^ (uint64_t)i); /* "rest" */
    kr__sim_emit("restart", NODES[i].address, "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
    if (NODES[i].start)
        run_start((size_t)i);
    return 0;
}
