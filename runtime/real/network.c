/* The real backend's addresses and (for now) its remote transport.
 *
 * This node is kr_config's ip:port. Messages to pids at any other address
 * need libprocess' wire protocol over TCP, which this backend does not speak
 * yet: they are dropped and counted, and a link to such a pid reports it
 * unreachable at once, so nothing waits forever on a peer we cannot reach. */
#include "real.h"

void kr__backend_here(uint32_t *ip, uint16_t *port)
{
    *ip = kr__local_ip;
    *port = kr__local_port;
}

bool kr__backend_hosts(uint32_t ip, uint16_t port)
{
    return ip == kr__local_ip && port == kr__local_port;
}

bool kr__backend_remote(kr_pid from, kr_pid to)
{
    (void)from;
    return !kr__backend_hosts(to.ip, to.port);
}

void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    (void)from;
    (void)body;
    (void)len;
    static atomic_bool warned;
    if (!atomic_exchange(&warned, true))
        kr__log("message '%s' to %s@...:%u dropped: remote transport is not available "
                "in this build (logged once)",
                name, to.id, (unsigned)to.port);
    KR__COUNT(messages_dropped);
}

void kr__backend_link_remote(kr_pid linker, kr_pid to)
{
    kr__send_exited(linker, to); /* unreachable */
}

void kr__backend_on_serve(kr__proc *p, const kr__event *e)
{
    (void)p;
    (void)e;
}
